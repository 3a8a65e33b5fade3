"""Shared helpers of the trainer tests."""
import json
import os
import subprocess
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data", "fracatlas")
TINY = os.path.join(ROOT, "trainer", "configs", "tiny.toml")


def ort_run(model_path, inputs, repeat=1, threads=2):
    """Run model.onnx with onnxruntime-node (trainer/tests/ort_run.mjs) on a list of float32 arrays [1, C, H, W]."""
    with tempfile.TemporaryDirectory() as d:
        req = {"model": os.path.abspath(model_path), "inputs": [], "repeat": repeat, "threads": threads}
        for i, x in enumerate(inputs):
            f = os.path.join(d, f"x{i}.f32")
            np.ascontiguousarray(x, dtype="<f4").tofile(f)
            req["inputs"].append({"file": f, "dims": list(x.shape)})
        rp = os.path.join(d, "req.json")
        with open(rp, "w") as fh:
            json.dump(req, fh)
        out = subprocess.run(["node", os.path.join(ROOT, "trainer", "tests", "ort_run.mjs"), rp], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"onnxruntime-node failed: {out.stderr[-2000:]}")
        res = json.loads(out.stdout)
    for r in res["results"]:
        r["boxes"] = np.array(r["boxes"], dtype=np.float64).reshape(-1, 4)
        r["scores"] = np.array(r["scores"], dtype=np.float64)
        r["labels"] = np.array(r["labels"], dtype=np.int64)
    return res
