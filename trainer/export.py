"""ONNX export and the model package (docs/model-package.md).

The graph takes ``image`` float32 [1, C, H, W] (already resized, normalised and padded by the runtime) and returns
``boxes`` float32 [N, 4] (x1, y1, x2, y2, input pixels), ``scores`` float32 [N], ``labels`` int64 [N].
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import tempfile
from typing import Any, Dict, Optional

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

from .model import DRFDSDetector, ExportWrapper, count_parameters

FORMAT = "drfds-model/1"
ATTRIBUTION = ("FracAtlas — Abedeen I., Rahman M.A., Prottyasha F.Z., Ahmed T., Chowdhury T.M., Shatabda S., "
               "\"FracAtlas: A Dataset for Fracture Classification, Localization and Segmentation of Musculoskeletal "
               "Radiographs\", Scientific Data 10, 521 (2023), doi:10.1038/s41597-023-02432-4")


def export_onnx(model: DRFDSDetector, path: str, opset: int = 17, sample_hw=(512, 640)) -> None:
    """Export with the TorchScript-based (legacy) exporter; ``dynamo=False`` exists only on torch 2.x."""
    model = model.eval().float().to(memory_format=torch.contiguous_format).cpu()
    wrapper = ExportWrapper(model).eval()
    x = torch.zeros(1, model.cfg["in_channels"], *sample_hw)
    kwargs: Dict[str, Any] = dict(
        opset_version=opset, input_names=["image"], output_names=["boxes", "scores", "labels"],
        dynamic_axes={"image": {2: "height", 3: "width"}, "boxes": {0: "detections"},
                      "scores": {0: "detections"}, "labels": {0: "detections"}},
        do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(wrapper, (x,), path, **kwargs)
    m = onnx.load(path)
    if fix_roi_align(m, opset):
        onnx.save(m, path)
    onnx.checker.check_model(m)


def fix_roi_align(m: onnx.ModelProto, opset: int) -> int:
    """torchvision < 0.15 exports RoiAlign without ``coordinate_transformation_mode``; from opset 16 ONNX defaults it
    to ``half_pixel`` (torchvision's aligned=True) while the model uses aligned=False (``output_half_pixel``).
    Set it explicitly where it is missing. Returns the number of nodes changed."""
    if opset < 16:
        return 0
    changed = 0
    for node in m.graph.node:
        if node.op_type == "RoiAlign" and not any(a.name == "coordinate_transformation_mode" for a in node.attribute):
            node.attribute.append(helper.make_attribute("coordinate_transformation_mode", "output_half_pixel"))
            changed += 1
    return changed


def compress_onnx(src: str, dst: str, mode: str, min_elements: int = 1024) -> Dict[str, Any]:
    """Rewrite float32 weights: ``fp16`` (fp16 initializer + Cast) or ``int8`` (per-output-channel symmetric int8 +
    DequantizeLinear). Small tensors (biases, norms) stay float32. Returns a summary."""
    m = onnx.load(src)
    g = m.graph
    new_inits = []
    new_nodes = []
    changed = 0
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT:
            new_inits.append(init)
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_elements:
            new_inits.append(init)
            continue
        name = init.name
        changed += 1
        if mode == "fp16":
            new_inits.append(numpy_helper.from_array(arr.astype(np.float16), name + "__fp16"))
            new_nodes.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT,
                                              name=name + "__cast"))
        elif mode == "int8":
            flat = arr.reshape(arr.shape[0], -1) if arr.ndim >= 2 else arr.reshape(1, -1)
            amax = np.abs(flat).max(axis=1)
            scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
            q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(arr.shape)
            new_inits.append(numpy_helper.from_array(q, name + "__q"))
            if arr.ndim >= 2:
                new_inits.append(numpy_helper.from_array(scale, name + "__scale"))
                new_inits.append(numpy_helper.from_array(np.zeros(arr.shape[0], np.int8), name + "__zp"))
                new_nodes.append(helper.make_node("DequantizeLinear", [name + "__q", name + "__scale", name + "__zp"],
                                                  [name], axis=0, name=name + "__dq"))
            else:
                new_inits.append(numpy_helper.from_array(np.array(scale[0], np.float32), name + "__scale"))
                new_inits.append(numpy_helper.from_array(np.array(0, np.int8), name + "__zp"))
                new_nodes.append(helper.make_node("DequantizeLinear", [name + "__q", name + "__scale", name + "__zp"],
                                                  [name], name=name + "__dq"))
        else:
            raise ValueError(f"unknown weight mode {mode!r} (fp32, fp16, int8)")
    del g.initializer[:]
    g.initializer.extend(new_inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, dst)
    return {"mode": mode, "tensors": changed}


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_commit() -> Optional[str]:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=os.path.dirname(os.path.abspath(__file__)),
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def architecture_summary(model: DRFDSDetector) -> Dict[str, Any]:
    c = model.cfg
    return {
        "type": "faster-rcnn",
        "backbone": c["backbone"],
        "block": c["block"],
        "layers": c["layers"],
        "widths": c["widths"],
        "norm": f"groupnorm({c['gn_groups']})" if c["norm"] == "group" else "batchnorm",
        "neck": "fem1-fpn+fem2-bottom-up",
        "neckChannels": c["neck_channels"],
        "rpnLevels": 5,
        "anchorSizes": c["anchor_sizes"],
        "aspectRatios": c["aspect_ratios"],
        "roiAlign": {"levels": 4, "outputSize": c["roi_output_size"], "samplingRatio": c["roi_sampling_ratio"]},
        "head": {"convLayers": c["head_conv_layers"], "fc": c["head_fc_layers"]},
        "lossWeights": {"rpn": c["rpn_loss_weight"], "rcnn": c["rcnn_loss_weight"]},
        "parameters": count_parameters(model),
        "modelConfig": c,
    }


def write_package(model: DRFDSDetector, cfg: Dict[str, Any], out_dir: str, *, training: Dict[str, Any],
                  metrics: Optional[Dict[str, Any]] = None, weights: Optional[str] = None,
                  extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Export ``model`` and write ``out_dir``/model.onnx + model.json. Returns the model.json dict."""
    pkg = cfg["package"]
    data = cfg["data"]
    weights = weights or pkg.get("weights", "fp32")
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "fp32.onnx")
        export_onnx(model, raw, opset=int(pkg["opset"]))
        if weights == "fp32":
            _copy(raw, onnx_path)
        else:
            compress_onnx(raw, onnx_path, weights)
    meta: Dict[str, Any] = {
        "format": FORMAT,
        "name": pkg["name"],
        "version": pkg["version"],
        "purpose": pkg["purpose"],
        "architecture": architecture_summary(model),
        "classes": ["background", "fracture"],
        "input": {"name": "image", "channels": int(model.cfg["in_channels"]), "dtype": "float32",
                  "layout": "NCHW"},
        "preprocessing": {
            "resize": {"shortSide": int(data["short_side"]), "maxSide": int(data["max_side"])},
            "interpolation": "bilinear",
            "scale": 1.0 / 255.0,
            "mean": [float(data["mean"])],
            "std": [float(data["std"])],
            "padToMultipleOf": int(data["pad_to"]),
            "padValue": 0,
        },
        "outputs": {"boxes": "boxes", "scores": "scores", "labels": "labels"},
        "postprocessing": {"scoreThreshold": float(pkg["score_threshold"]),
                           "nmsIouThreshold": float(model.cfg["box_nms_thresh"]),
                           "maxDetectionsPerImage": int(model.cfg["box_detections_per_img"])},
        "operatingPoints": {"threshold": float(pkg["threshold"]), "highSensitivity": float(pkg["high_sensitivity"]),
                            "highSpecificity": float(pkg["high_specificity"])},
        "weights": weights,
        "opset": int(pkg["opset"]),
        "files": {"model.onnx": {"sha256": sha256_file(onnx_path), "bytes": os.path.getsize(onnx_path)}},
        "training": {"license": "CC BY 4.0", "attribution": ATTRIBUTION, "commit": git_commit(),
                     "torch": torch.__version__, **training},
        "metrics": metrics,
    }
    if extra:
        meta.update(extra)
    with open(os.path.join(out_dir, "model.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")
    return meta


def _copy(src: str, dst: str) -> None:
    import shutil
    shutil.copyfile(src, dst)
