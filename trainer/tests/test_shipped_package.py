"""The shipped default package models/drfds-hip: hashes, size limit, honest status, and it runs in
onnxruntime-node on a real radiograph."""
import hashlib
import json
import os

import numpy as np
import torch

from helpers import DATA, ROOT, ort_run
from trainer.preprocess import load_gray, normalize_pad, resize_gray

PKG = os.path.join(ROOT, "models", "drfds-hip")


def test_shipped_package_is_consistent_and_small_enough():
    j = json.load(open(os.path.join(PKG, "model.json")))
    assert j["format"] == "drfds-model/1" and j["name"] == "drfds-hip"
    total = 0
    for name, f in j["files"].items():
        data = open(os.path.join(PKG, name), "rb").read()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
        total += len(data)
    assert total + os.path.getsize(os.path.join(PKG, "model.json")) <= 60 * 2**20
    assert j["architecture"]["backbone"] == "resnet50" and j["architecture"]["neck"] == "fem1-fpn+fem2-bottom-up"
    if not j["training"]["trained"]:
        assert "UNTRAINED" in j["training"]["note"] and j["metrics"] is None


def test_shipped_package_runs_in_onnxruntime_node():
    j = json.load(open(os.path.join(PKG, "model.json")))
    p = j["preprocessing"]
    r, _, _ = resize_gray(load_gray(os.path.join(DATA, "images", "IMG0000020.jpg")), p["resize"]["shortSide"],
                          p["resize"]["maxSide"])
    x = normalize_pad(torch.from_numpy(r.copy()), p["mean"][0], p["std"][0], p["padToMultipleOf"])
    res = ort_run(os.path.join(PKG, "model.onnx"), [x.numpy()])["results"][0]
    n = len(res["scores"])
    assert res["boxes"].shape == (n, 4) and n <= j["postprocessing"]["maxDetectionsPerImage"]
    assert np.all(res["scores"] >= j["postprocessing"]["scoreThreshold"] - 1e-6)
    assert np.all(np.diff(res["scores"]) <= 1e-6)  # sorted by score
    assert np.all(res["boxes"][:, 2] >= res["boxes"][:, 0]) and np.all(res["boxes"][:, 3] >= res["boxes"][:, 1])
