"""``python -m trainer export``: checkpoint (or seeded random init) -> model package."""
from __future__ import annotations

import copy
import glob
import json
import os
from typing import Any, Dict, List

import numpy as np
import torch

from .checkpoint import load_checkpoint, build_model
from .config import data_root
from .evaluate import box_iou
from .export import write_package
from .model import DRFDSDetector
from .preprocess import load_gray, normalize_pad, resize_gray


def _quantize_like_export(model: DRFDSDetector, mode: str, min_elements: int = 1024) -> DRFDSDetector:
    """A copy of ``model`` whose weights went through the same rounding as compress_onnx (fp16 or int8)."""
    q = copy.deepcopy(model)
    with torch.no_grad():
        for p in q.parameters():
            if p.numel() < min_elements:
                continue
            if mode == "fp16":
                p.copy_(p.half().float())
            elif mode == "int8":
                flat = p.reshape(p.shape[0], -1) if p.ndim >= 2 else p.reshape(1, -1)
                amax = flat.abs().amax(dim=1, keepdim=True)
                scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
                p.copy_((torch.round(flat / scale).clamp(-127, 127) * scale).reshape(p.shape))
    return q


def sample_inputs(cfg: Dict[str, Any], n: int = 4) -> List[torch.Tensor]:
    """Up to n preprocessed radiographs (hip images first) from the data folder; synthetic ones if it is absent."""
    d = cfg["data"]
    root = data_root(cfg)
    files = sorted(glob.glob(os.path.join(root, d["images"], "*.jpg")))[:n]
    out = []
    for f in files:
        r, _, _ = resize_gray(load_gray(f), d["short_side"], d["max_side"])
        out.append(normalize_pad(torch.from_numpy(r.copy()), d["mean"], d["std"], d["pad_to"]))
    g = torch.Generator().manual_seed(0)
    while len(out) < n:
        img = (torch.rand(400, 512, generator=g) * 255).to(torch.uint8)
        out.append(normalize_pad(img, d["mean"], d["std"], d["pad_to"]))
    return out


def compression_change(model: DRFDSDetector, mode: str, inputs: List[torch.Tensor]) -> Dict[str, Any]:
    """Output change caused by weight compression, measured in PyTorch on the same inputs."""
    model = model.eval()
    q = _quantize_like_export(model, mode).eval()
    top_diffs, score_diffs, box_diffs = [], [], []
    with torch.no_grad():
        for x in inputs:
            a = model(x)[0]
            b = q(x)[0]
            ta = float(a["scores"].max()) if len(a["scores"]) else 0.0
            tb = float(b["scores"].max()) if len(b["scores"]) else 0.0
            top_diffs.append(abs(ta - tb))
            k = min(len(a["scores"]), len(b["scores"]), 10)
            if k:
                score_diffs.append(float((a["scores"][:k] - b["scores"][:k]).abs().max()))
                if len(b["boxes"]):
                    iou = box_iou(a["boxes"][:k].numpy(), b["boxes"].numpy())
                    box_diffs.append(float(iou.max(1).mean()))
    return {"weights": mode, "images": len(inputs), "measuredIn": "pytorch (weights rounded as in the ONNX file)",
            "maxTopScoreAbsDiff": max(top_diffs) if top_diffs else None,
            "meanTopScoreAbsDiff": float(np.mean(top_diffs)) if top_diffs else None,
            "maxTop10SortedScoreAbsDiff": max(score_diffs) if score_diffs else None,
            "meanBestIoUTop10": float(np.mean(box_diffs)) if box_diffs else None}


def run_export(cfg: Dict[str, Any], args) -> Dict[str, Any]:
    if bool(args.checkpoint) == bool(args.random_init):
        raise SystemExit("export: give exactly one of --checkpoint or --random-init")
    training: Dict[str, Any]
    if args.checkpoint:
        ck = load_checkpoint(args.checkpoint)
        model = DRFDSDetector(ck["model_config"])
        model.load_state_dict(ck["model"])
        training = dict(ck.get("training") or {})
        training.setdefault("trained", True)
        # the package's preprocessing is the one the checkpoint was trained with
        for key in ("short_side", "max_side", "mean", "std", "pad_to"):
            cfg["data"][key] = ck["config"]["data"][key]
    else:
        model = build_model(cfg, seed=args.seed)
        training = {"trained": False, "purpose": cfg["package"]["purpose"],
                    "data": None, "recipe": None, "seed": args.seed,
                    "note": "UNTRAINED: random initialisation (a placeholder until a trained package replaces it, see docs/training.md); its outputs mean nothing"}
    weights = args.weights or cfg["package"]["weights"]
    extra: Dict[str, Any] = {}
    if weights != "fp32" and args.compare:
        extra["compression"] = compression_change(model, weights, sample_inputs(cfg))
    metrics = None
    if args.metrics:
        with open(args.metrics) as fh:
            metrics = json.load(fh)
    return write_package(model.eval(), cfg, args.out, training=training, metrics=metrics, weights=weights,
                         extra=extra)
