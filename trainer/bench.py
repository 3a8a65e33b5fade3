"""Training speed: images/s of the DR-FDS training loop vs torchvision's plain ``fasterrcnn_resnet50_fpn`` recipe,
same device, same images, same image size (short side 512, long side <= 853), same batch size, same run.

Plain recipe (GPU.md's baseline): random init, 2 classes, FrozenBN-free default model (BatchNorm in eval form),
images decoded from JPEG in DataLoader workers each step and resized/normalised inside the model
(GeneralizedRCNNTransform), horizontal flips, SGD, bf16 autocast. Ours: trainer.train's loop (uint8 RAM cache,
augmentation in workers, device-side normalisation and padding, channels-last, bf16).
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .config import data_root
from .data import BalancedBatchSampler, ImageCache, TrainDataset, collate, load_records
from .model import DRFDSDetector, bf16_autocast, count_parameters
from .preprocess import load_gray
from .train import _loader, _prepare, _step, _sync, make_optimizer, pick_device


class PlainDataset(Dataset):
    def __init__(self, root: str, records: List[Dict[str, Any]]):
        self.root, self.records = root, records

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        r = self.records[i % len(self.records)]
        g = load_gray(os.path.join(self.root, r["file_name"]))
        img = torch.from_numpy(g).float().div_(255.0)[None].expand(3, -1, -1).contiguous()
        boxes = torch.tensor(r["boxes"], dtype=torch.float32).reshape(-1, 4)
        if torch.rand(()) < 0.5:
            img = img.flip(-1)
            w = img.shape[-1]
            boxes = torch.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
        return img, {"boxes": boxes, "labels": torch.ones(len(boxes), dtype=torch.int64)}


def _timed(step, batches, seconds: float, warmup: int, device) -> Dict[str, float]:
    it = iter(batches)
    for _ in range(warmup):
        step(next(it))
    _sync(device)
    t0 = time.time()
    n = iters = 0
    while time.time() - t0 < seconds:
        n += step(next(it))
        iters += 1
    _sync(device)
    dt = time.time() - t0
    return {"images": n, "iterations": iters, "seconds": round(dt, 2), "images_per_s": round(n / dt, 2)}


def bench_command(cfg: Dict[str, Any], seconds: float, out: Optional[str]) -> Dict[str, Any]:
    t = cfg["train"]
    d = cfg["data"]
    device = pick_device()
    bs = int(t["batch_size"])
    records = load_records(cfg, "pretrain")
    n_imgs = min(len(records), max(4 * bs, 256))
    recs = records[:n_imgs]
    warmup = 1 if device.type == "cpu" else 10
    rows = []

    # ours
    torch.manual_seed(0)
    model = _prepare(DRFDSDetector(cfg["model"]), device, t)
    model.train()
    opt = make_optimizer(model, float(t["lr"]) * 0.1, t)
    cache = ImageCache(cfg, recs)
    loader = _loader(TrainDataset(cache, cfg["augment"], 0),
                     BalancedBatchSampler(cache.positives, cache.negatives, bs, float(t["positive_fraction"]), 0),
                     t, device)

    def step_ours(batch):
        _step(model, opt, batch, device, cfg, t, float(t["lr"]) * 0.1)
        return len(batch[0])

    r = _timed(step_ours, loader, seconds, warmup, device)
    mc = model.cfg
    rows.append({"loop": f"DR-FDS ({mc['backbone']} {'GN' if mc['norm'] == 'group' else 'BN'} + FEM-1/FEM-2, "
                         f"uint8 cache, bf16, channels-last)",
                 "parameters": count_parameters(model), **r})
    del loader, model, opt
    if device.type == "cuda":
        torch.cuda.empty_cache()

    # torchvision plain recipe
    from torchvision.models.detection import fasterrcnn_resnet50_fpn
    torch.manual_seed(0)
    base = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=2,
                                   min_size=int(d["short_side"]), max_size=int(d["max_side"])).to(device)
    base.train()
    bopt = torch.optim.SGD([p for p in base.parameters() if p.requires_grad], lr=0.002, momentum=0.9,
                           weight_decay=1e-4)
    w = int(t["workers"])
    kw: Dict[str, Any] = dict(batch_size=bs, shuffle=True, num_workers=w, collate_fn=lambda b: tuple(zip(*b)),
                              pin_memory=device.type == "cuda", drop_last=True)
    if w > 0:
        kw["persistent_workers"] = True

    plain_loader = DataLoader(PlainDataset(os.path.join(data_root(cfg), d["images"]), recs), **kw)

    class Endless:
        def __iter__(self):
            while True:  # one loader, persistent workers: epochs do not respawn them
                for b in plain_loader:
                    yield b

    def step_base(batch):
        imgs, targets = batch
        imgs = [i.to(device, non_blocking=True) for i in imgs]
        targets = [{k: v.to(device) for k, v in tg.items()} for tg in targets]
        with bf16_autocast(device, bool(t["bf16"])):
            losses = base(imgs, targets)
        loss = sum(losses.values())
        bopt.zero_grad(set_to_none=True)
        loss.backward()
        bopt.step()
        return len(imgs)

    r = _timed(step_base, Endless(), seconds, warmup, device)
    rows.append({"loop": "torchvision fasterrcnn_resnet50_fpn, plain recipe (JPEG decode per step, bf16)",
                 "parameters": count_parameters(base), **r})
    ratio = rows[0]["images_per_s"] / max(1e-9, rows[1]["images_per_s"])
    result = {"device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "batch_size": bs, "short_side": d["short_side"], "max_side": d["max_side"],
              "rows": rows, "speedup": round(ratio, 3)}
    lines = ["| training loop | parameters | images/s | iterations | seconds |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['loop']} | {row['parameters']:,} | {row['images_per_s']} | {row['iterations']} | "
                     f"{row['seconds']} |")
    lines.append(f"\nspeed-up of DR-FDS's loop: {ratio:.2f}x (goal >= 1.5x) on {result['device']}, batch {bs}, "
                 f"short side {d['short_side']}")
    result["markdown"] = "\n".join(lines)
    print(result["markdown"], flush=True)
    if out:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as fh:
            json.dump(result, fh, indent=2)
    return result
