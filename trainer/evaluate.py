"""Inference over a split, COCO results JSON, and the quick metrics the trainer needs for model selection and
hard-positive mining. The formal statistics (exact CIs, DeLong) are ``drfds evaluate``'s (src/eval/), fed with the
COCO results JSON written here.

Per image score = highest box score (0 when none). Box matching as in the project's contract: boxes at or above the
threshold, highest score first, each a true positive when its IoU with a not-yet-matched reference box is >= 0.5.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from .data import ImageCache, load_records, to_device_batch
from .model import bf16_autocast


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match(pred_boxes: np.ndarray, pred_scores: np.ndarray, ref: np.ndarray, threshold: float, iou: float):
    """Returns (true-positive predictions, predictions >= threshold, matched references)."""
    keep = pred_scores >= threshold
    boxes = pred_boxes[keep][np.argsort(-pred_scores[keep], kind="stable")]
    ious = box_iou(boxes, ref)
    used = np.zeros(len(ref), bool)
    tp = 0
    for i in range(len(boxes)):
        if len(ref) == 0:
            break
        cand = np.where(~used & (ious[i] >= iou))[0]
        if len(cand):
            j = cand[np.argmax(ious[i, cand])]
            used[j] = True
            tp += 1
    return tp, len(boxes), int(used.sum())


def auc(labels: Sequence[int], scores: Sequence[float]) -> Optional[float]:
    """Mann-Whitney AUC (ties count 1/2); None without both classes."""
    y = np.asarray(labels, bool)
    s = np.asarray(scores, float)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    allv = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(allv))
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    r = np.empty(len(allv))
    r[order] = ranks
    return float((r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


def summarize(records: Sequence[Dict[str, Any]], preds: Sequence[Dict[str, np.ndarray]], threshold: float = 0.4,
              iou: float = 0.5) -> Dict[str, Any]:
    labels, scores = [], []
    tp_img = fn_img = tn_img = fp_img = 0
    box_tp = box_pred = ref_matched = ref_total = 0
    for r, p in zip(records, preds):
        s = float(p["scores"].max()) if len(p["scores"]) else 0.0
        labels.append(int(r["fractured"]))
        scores.append(s)
        pos = s >= threshold
        if r["fractured"]:
            tp_img += pos
            fn_img += not pos
        else:
            fp_img += pos
            tn_img += not pos
        ref = np.array(r["boxes"], dtype=np.float64).reshape(-1, 4)
        tp, n, m = match(p["boxes"], p["scores"], ref, threshold, iou)
        box_tp += tp
        box_pred += n
        ref_matched += m
        ref_total += len(ref)
    return {"images": len(records), "fractured": int(sum(labels)), "threshold": threshold,
            "auc": auc(labels, scores),
            "sensitivity": tp_img / (tp_img + fn_img) if tp_img + fn_img else None,
            "specificity": tn_img / (tn_img + fp_img) if tn_img + fp_img else None,
            "tp": tp_img, "fn": fn_img, "tn": tn_img, "fp": fp_img,
            "boxRecall": ref_matched / ref_total if ref_total else None,
            "boxPrecision": box_tp / box_pred if box_pred else None,
            "referenceBoxes": ref_total, "predictedBoxes": box_pred}


def hard_positives(records: Sequence[Dict[str, Any]], preds: Sequence[Dict[str, np.ndarray]],
                   threshold: float = 0.4, iou: float = 0.5) -> List[int]:
    """Indices of fractured images with at least one reference box not found at (threshold, IoU)."""
    out = []
    for i, (r, p) in enumerate(zip(records, preds)):
        if not r["fractured"]:
            continue
        ref = np.array(r["boxes"], dtype=np.float64).reshape(-1, 4)
        _, _, m = match(p["boxes"], p["scores"], ref, threshold, iou)
        if m < len(ref):
            out.append(i)
    return out


@torch.no_grad()
def predict(model, cache: ImageCache, cfg: Dict[str, Any], device: torch.device, batch_size: int = 8,
            channels_last: bool = False, bf16: bool = False) -> List[Dict[str, np.ndarray]]:
    """Boxes in the ORIGINAL image pixels (cached pixels / per-axis scale)."""
    d = cfg["data"]
    model.eval()
    out: List[Dict[str, np.ndarray]] = []
    # group by size so padding waste stays small
    order = sorted(range(len(cache)), key=lambda i: tuple(cache.shapes[i]))
    res: Dict[int, Dict[str, np.ndarray]] = {}
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        imgs = [torch.from_numpy(np.ascontiguousarray(cache.image(i))) for i in idx]
        x, sizes, _ = to_device_batch(imgs, [torch.zeros(0, 4)] * len(imgs), device, d["mean"], d["std"],
                                      d["pad_to"], channels_last)
        with bf16_autocast(device, bf16):
            dets = model(x, sizes)
        for i, det in zip(idx, dets):
            sx, sy = cache.scales[i]
            b = det["boxes"].float().cpu().numpy().astype(np.float64)
            b[:, [0, 2]] /= sx
            b[:, [1, 3]] /= sy
            res[i] = {"boxes": b, "scores": det["scores"].float().cpu().numpy().astype(np.float64)}
    for i in range(len(cache)):
        out.append(res[i])
    return out


def coco_results(records: Sequence[Dict[str, Any]], preds: Sequence[Dict[str, np.ndarray]]) -> List[Dict[str, Any]]:
    out = []
    for r, p in zip(records, preds):
        for b, s in zip(p["boxes"], p["scores"]):
            out.append({"image_id": r["id"], "category_id": 1,
                        "bbox": [round(float(b[0]), 2), round(float(b[1]), 2),
                                 round(float(b[2] - b[0]), 2), round(float(b[3] - b[1]), 2)],
                        "score": round(float(s), 5)})
    return out


def evaluate_command(cfg: Dict[str, Any], checkpoint: str, split: str, out: str,
                     summary_path: Optional[str] = None) -> Dict[str, Any]:
    from .checkpoint import model_from_checkpoint
    from .train import pick_device
    model, ck = model_from_checkpoint(checkpoint)
    for key in ("short_side", "max_side", "mean", "std", "pad_to"):
        cfg["data"][key] = ck["config"]["data"][key]
    device = pick_device()
    model.to(device)
    records = load_records(cfg, split)
    cache = ImageCache(cfg, records)
    preds = predict(model, cache, cfg, device, batch_size=8 if device.type == "cuda" else 2,
                    bf16=bool(cfg["train"]["bf16"]))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(coco_results(records, preds), fh)
    thr = float(cfg["package"]["threshold"])
    summary = {"checkpoint": os.path.basename(checkpoint), "split": split, "stage": ck.get("stage"),
               **summarize(records, preds, thr)}
    if summary_path:
        with open(summary_path, "w") as fh:
            json.dump(summary, fh, indent=2)
    return summary
