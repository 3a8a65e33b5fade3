"""FracAtlas-style COCO data: reading, the deterministic split, an in-RAM uint8 image cache, datasets and
class-balanced sampling.

Split rule (trainer/splits/fracatlas-hip.json, docs/training.md): every image gets a body part (hip if its ``hip``
flag is set, else shoulder, leg, hand, other, in that order) and a label (fractured = has at least one box). Within
each (part, label) stratum images are ordered by sha256("drfds-fracatlas-split-v1/" + file_name); the first 60 % of
a hip stratum are ``train``, the next 20 % ``tune``, the rest ``test``; other parts: 85 % ``train``, 15 % ``test``
(boundaries at round(fraction * n)). Pretraining uses every ``train`` image (all parts); fine-tuning hip ``train``;
model selection hip ``tune``; hip ``test`` and the other parts' ``test`` images are never used for training or
selection.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from .augment import augment
from .config import data_root, repo_root
from .preprocess import load_gray, resize_gray

SPLIT_SALT = "drfds-fracatlas-split-v1/"
SPLIT_RULE = ("part = hip if the hip flag is set, else shoulder, leg, hand, other; label = has a box; within each "
              "(part, label) stratum order by sha256(salt + file_name); hip: first 60% train, next 20% tune, rest "
              "test; other parts: 85% train, 15% test; boundaries at round(fraction * n). Pretraining: all train "
              "images; fine-tuning: hip train; selection: hip tune; test images never trained or selected on.")
PARTS = ("hip", "shoulder", "leg", "hand")
FRACTIONS = {"hip": (0.6, 0.8), "other": (0.85, 0.85)}  # cumulative train, train+tune


def read_coco(root: str, annotations: str = "annotations.coco.json") -> Dict[str, Any]:
    path = os.path.join(root, annotations)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no COCO annotations (give --data or [data].root)")
    with open(path) as fh:
        coco = json.load(fh)
    frac_ids = {c["id"] for c in coco.get("categories", []) if c.get("name") == "fracture"}
    if not frac_ids:
        raise ValueError(f"{path}: no category named 'fracture'")
    boxes: Dict[int, List[List[float]]] = {}
    for a in coco.get("annotations", []):
        if a.get("category_id") in frac_ids:
            x, y, w, h = a["bbox"]
            if w > 0 and h > 0:
                boxes.setdefault(a["image_id"], []).append([x, y, x + w, y + h])
    records = []
    for im in coco["images"]:
        b = boxes.get(im["id"], [])
        records.append({"id": im["id"], "file_name": im["file_name"], "width": im["width"], "height": im["height"],
                        "part": body_part(im), "boxes": b, "fractured": bool(b)})
    return {"records": records, "path": path}


def body_part(im: Dict[str, Any]) -> str:
    for p in PARTS:
        if im.get(p):
            return p
    return "other"


def _key(name: str) -> str:
    return hashlib.sha256((SPLIT_SALT + name).encode()).hexdigest()


def make_split(records: Sequence[Dict[str, Any]]) -> Dict[str, str]:
    strata: Dict[Tuple[str, bool], List[str]] = {}
    for r in records:
        strata.setdefault((r["part"], r["fractured"]), []).append(r["file_name"])
    out: Dict[str, str] = {}
    for (part, _), names in strata.items():
        names = sorted(names, key=_key)
        f_train, f_tune = FRACTIONS["hip" if part == "hip" else "other"]
        n = len(names)
        a, b = int(round(f_train * n)), int(round(f_tune * n))
        for i, name in enumerate(names):
            out[name] = "train" if i < a else ("tune" if i < b else "test")
    return dict(sorted(out.items()))


def split_path(cfg: Dict[str, Any]) -> str:
    p = cfg["data"]["split_file"]
    return p if os.path.isabs(p) else os.path.join(repo_root(), p)


def write_split(cfg: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    coco = read_coco(data_root(cfg), cfg["data"]["annotations"])
    split = make_split(coco["records"])
    counts: Dict[str, Dict[str, int]] = {}
    for r in coco["records"]:
        key = f"{r['part']}/{split[r['file_name']]}"
        c = counts.setdefault(key, {"images": 0, "fractured": 0})
        c["images"] += 1
        c["fractured"] += int(r["fractured"])
    summary = {"counts": dict(sorted(counts.items()))}
    doc = {"format": "drfds-split/1", "dataset": "FracAtlas (shared/data/fracatlas)",
           "rule": SPLIT_RULE,
           "salt": SPLIT_SALT, **summary, "images": split}
    path = split_path(cfg)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    return path, summary


def load_split(cfg: Dict[str, Any], records: Sequence[Dict[str, Any]]) -> Dict[str, str]:
    path = split_path(cfg)
    if os.path.exists(path):
        with open(path) as fh:
            split = json.load(fh)["images"]
    else:
        split = make_split(records)
    missing = [r["file_name"] for r in records if r["file_name"] not in split]
    if missing:
        # images not in the committed split (another copy of the data): assign them by the same rule
        extra = make_split([r for r in records if r["file_name"] in set(missing)])
        split = {**split, **extra}
    return split


def select(records: Sequence[Dict[str, Any]], split: Dict[str, str], which: str) -> List[Dict[str, Any]]:
    """which: hip-train | hip-tune | hip-test | all-train | all-test | all-nontest | all | pretrain."""
    if which == "all":
        return list(records)
    if which == "pretrain":
        which = "all-train"
    scope, _, part = which.partition("-")
    if scope not in ("hip", "all") or part not in ("train", "tune", "test", "nontest"):
        raise ValueError(f"unknown split {which!r}")
    out = []
    for r in records:
        if scope == "hip" and r["part"] != "hip":
            continue
        s = split[r["file_name"]]
        if (part == "nontest" and s != "test") or s == part:
            out.append(r)
    return out


def load_records(cfg: Dict[str, Any], which: str) -> List[Dict[str, Any]]:
    coco = read_coco(data_root(cfg), cfg["data"]["annotations"])
    split = load_split(cfg, coco["records"])
    recs = select(coco["records"], split, which)
    limit = int(cfg["data"].get("limit") or 0)
    if limit and len(recs) > limit:
        # keep the positives/negatives ratio of a tiny subset stable: interleave positives and negatives
        pos = [r for r in recs if r["fractured"]]
        neg = [r for r in recs if not r["fractured"]]
        k = max(1, min(len(pos), limit // 2)) if pos else 0
        recs = pos[:k] + neg[:limit - k]
    return recs


class ImageCache:
    """All images of a record list decoded once, resized to the package's preprocessing size, as one flat uint8
    array (shared copy-on-write with DataLoader workers) + offsets. Boxes are scaled to the cached pixels."""

    def __init__(self, cfg: Dict[str, Any], records: Sequence[Dict[str, Any]], threads: int = 0,
                 cache_file: Optional[str] = None):
        d = cfg["data"]
        self.records = list(records)
        root = os.path.join(data_root(cfg), d["images"])
        t0 = time.time()
        loaded = self._load(cache_file, d) if cache_file else None
        if loaded is None:
            def work(r):
                g = load_gray(os.path.join(root, r["file_name"]))
                return resize_gray(g, d["short_side"], d["max_side"])

            with ThreadPoolExecutor(max_workers=threads or min(16, os.cpu_count() or 1)) as ex:
                imgs = list(ex.map(work, self.records))
            shapes = np.array([im[0].shape for im in imgs], dtype=np.int64).reshape(-1, 2)
            scales = np.array([[im[1], im[2]] for im in imgs], dtype=np.float64).reshape(-1, 2)
            sizes = shapes[:, 0] * shapes[:, 1]
            offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            flat = np.empty(int(offsets[-1]), dtype=np.uint8)
            for i, im in enumerate(imgs):
                flat[offsets[i]:offsets[i + 1]] = im[0].reshape(-1)
            self.flat, self.offsets, self.shapes, self.scales = flat, offsets, shapes, scales
            if cache_file:
                self._save(cache_file, d)
        self.seconds = time.time() - t0
        self.boxes = []
        for r, (sx, sy) in zip(self.records, self.scales):
            b = np.array(r["boxes"], dtype=np.float32).reshape(-1, 4)
            b[:, [0, 2]] *= sx
            b[:, [1, 3]] *= sy
            self.boxes.append(b)

    def _key(self, d) -> str:
        names = "\n".join(r["file_name"] for r in self.records)
        return hashlib.sha256(f"{d['short_side']}/{d['max_side']}/{names}".encode()).hexdigest()[:16]

    def _load(self, path: str, d) -> Optional[bool]:
        if not os.path.exists(path):
            return None
        z = np.load(path)
        if str(z["key"]) != self._key(d):
            return None
        self.flat, self.offsets, self.shapes, self.scales = z["flat"], z["offsets"], z["shapes"], z["scales"]
        return True

    def _save(self, path: str, d) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp.npz"
        np.savez(tmp, flat=self.flat, offsets=self.offsets, shapes=self.shapes, scales=self.scales,
                 key=np.array(self._key(d)))
        os.replace(tmp, path)

    def __len__(self) -> int:
        return len(self.records)

    def image(self, i: int) -> np.ndarray:
        h, w = self.shapes[i]
        return self.flat[self.offsets[i]:self.offsets[i + 1]].reshape(int(h), int(w))

    @property
    def positives(self) -> List[int]:
        return [i for i, b in enumerate(self.boxes) if len(b)]

    @property
    def negatives(self) -> List[int]:
        return [i for i, b in enumerate(self.boxes) if not len(b)]


class TrainDataset(Dataset):
    """Index -> (uint8 image tensor [H, W], boxes float32 [K, 4]) after augmentation. The random stream depends on
    (seed, epoch-free sample counter) so runs are reproducible for a given worker count."""

    def __init__(self, cache: ImageCache, aug: Dict[str, Any], seed: int, augment_on: bool = True):
        self.cache, self.aug, self.seed, self.augment_on = cache, aug, seed, augment_on

    def __len__(self) -> int:
        return len(self.cache)

    def __getitem__(self, item):
        # item is (index, draw) from the samplers below, or a plain index
        idx, draw = item if isinstance(item, tuple) else (item, 0)
        img = self.cache.image(idx)
        boxes = self.cache.boxes[idx]
        if self.augment_on:
            rng = np.random.default_rng([self.seed, int(idx), int(draw)])
            img, boxes = augment(img, boxes, rng, self.aug)
        return torch.from_numpy(np.ascontiguousarray(img)), torch.from_numpy(np.ascontiguousarray(boxes))


class BalancedBatchSampler(Sampler):
    """Endless batches with round(batch_size * positive_fraction) fractured images in each (drawn by cycling
    through shuffled positives), the rest negatives. Yields lists of (index, draw counter)."""

    def __init__(self, positives: Sequence[int], negatives: Sequence[int], batch_size: int,
                 positive_fraction: float, seed: int, start_batch: int = 0):
        self.pos, self.neg = list(positives), list(negatives)
        self.batch_size = batch_size
        self.n_pos = int(round(batch_size * positive_fraction)) if self.pos else 0
        if not self.neg:
            self.n_pos = batch_size
        self.seed, self.start_batch = seed, start_batch

    @staticmethod
    def _stream(items: List[int], rng: np.random.Generator) -> Iterator[int]:
        while True:
            for i in rng.permutation(len(items)):
                yield items[int(i)]

    def __iter__(self):
        rng = np.random.default_rng([self.seed, 7])
        ps = self._stream(self.pos, np.random.default_rng([self.seed, 1])) if self.pos else None
        ns = self._stream(self.neg, np.random.default_rng([self.seed, 2])) if self.neg else None
        b = 0
        while True:
            batch = [next(ps) for _ in range(self.n_pos)] if ps else []
            batch += [next(ns) for _ in range(self.batch_size - len(batch))] if ns else []
            order = rng.permutation(len(batch))
            if b >= self.start_batch:
                yield [(batch[int(i)], b * self.batch_size + k) for k, i in enumerate(order)]
            b += 1


class EpochBatchSampler(Sampler):
    """One epoch over ``items`` (indices, duplicates allowed: hard positives), shuffled per epoch."""

    def __init__(self, items: Sequence[int], batch_size: int, seed: int, epoch: int):
        self.items, self.batch_size, self.seed, self.epoch = list(items), batch_size, seed, epoch

    def __len__(self) -> int:
        return (len(self.items) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        order = np.random.default_rng([self.seed, 11, self.epoch]).permutation(len(self.items))
        base = self.epoch * len(self.items)
        for s in range(0, len(order), self.batch_size):
            yield [(self.items[int(i)], base + s + k) for k, i in enumerate(order[s:s + self.batch_size])]


def collate(batch):
    """List of (uint8 [H, W], boxes) -> (list of uint8 tensors, list of boxes); padding happens on the device."""
    return [b[0] for b in batch], [b[1] for b in batch]


def to_device_batch(images: List[torch.Tensor], boxes: List[torch.Tensor], device: torch.device, mean: float,
                    std: float, pad_to: int, channels_last: bool = False):
    """uint8 images -> normalised float batch [B, 1, Hp, Wp] padded with 0 (normalised units) to a multiple of
    pad_to, on ``device``; targets with labels = 1."""
    hs = [int(i.shape[0]) for i in images]
    ws = [int(i.shape[1]) for i in images]
    H = ((max(hs) + pad_to - 1) // pad_to) * pad_to
    W = ((max(ws) + pad_to - 1) // pad_to) * pad_to
    x = torch.zeros(len(images), 1, H, W, device=device)
    for k, im in enumerate(images):
        t = im.to(device, non_blocking=True).float()
        x[k, 0, :hs[k], :ws[k]] = (t * (1.0 / 255.0) - mean) / std
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    targets = [{"boxes": b.to(device, non_blocking=True).float().reshape(-1, 4),
                "labels": torch.ones(len(b), dtype=torch.int64, device=device)} for b in boxes]
    return x, list(zip(hs, ws)), targets
