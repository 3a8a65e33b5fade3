"""Gallery of misses: PNGs of the false negatives and false positives of a COCO results file at the threshold,
reference boxes in green, predicted boxes (score >= threshold) in red with their score."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List

import numpy as np
from PIL import Image, ImageDraw

from .config import data_root
from .data import load_records


def gallery_command(cfg: Dict[str, Any], results: str, split: str, out_dir: str, threshold: float,
                    max_images: int = 12, max_side: int = 512) -> Dict[str, Any]:
    records = load_records(cfg, split)
    with open(results) as fh:
        dets = json.load(fh)
    by_image: Dict[int, List[Dict[str, Any]]] = {}
    for d in dets:
        by_image.setdefault(d["image_id"], []).append(d)
    os.makedirs(out_dir, exist_ok=True)
    root = os.path.join(data_root(cfg), cfg["data"]["images"])
    rows = []
    for r in records:
        ds = [d for d in by_image.get(r["id"], []) if d["score"] >= threshold]
        top = max((d["score"] for d in by_image.get(r["id"], [])), default=0.0)
        kind = "fn" if r["fractured"] and top < threshold else "fp" if not r["fractured"] and top >= threshold else None
        if kind:
            rows.append((kind, top, r, ds))
    rows.sort(key=lambda t: (t[0], -t[1] if t[0] == "fp" else t[1]))
    written = {"fn": [], "fp": []}
    for kind, top, r, ds in rows:
        if len(written[kind]) >= max_images:
            continue
        im = Image.open(os.path.join(root, r["file_name"])).convert("RGB")
        k = min(1.0, max_side / max(im.size))
        im = im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.BILINEAR)
        dr = ImageDraw.Draw(im)
        for b in r["boxes"]:
            dr.rectangle([v * k for v in b], outline=(0, 220, 0), width=2)
        for d in ds:
            x, y, w, h = d["bbox"]
            dr.rectangle([x * k, y * k, (x + w) * k, (y + h) * k], outline=(230, 0, 0), width=2)
            dr.text((x * k + 2, y * k + 2), f"{d['score']:.2f}", fill=(230, 0, 0))
        name = f"{kind}-{os.path.splitext(r['file_name'])[0]}-{top:.2f}.png"
        im.save(os.path.join(out_dir, name))
        written[kind].append({"file": name, "image": r["file_name"], "topScore": round(top, 4)})
    summary = {"split": split, "threshold": threshold,
               "falseNegatives": sum(1 for t in rows if t[0] == "fn"),
               "falsePositives": sum(1 for t in rows if t[0] == "fp"), "written": written}
    with open(os.path.join(out_dir, "gallery.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary
