"""Configuration: TOML files (tomllib, Python 3.11+) merged over defaults.

Sections: [model] (see trainer.model.DEFAULT_MODEL), [data], [augment], [train], [finetune], [package].
A config may name a parent with ``base = "other.toml"`` (relative to itself); the child's keys win.
"""
from __future__ import annotations

import copy
import os
import tomllib
from typing import Any, Dict, Optional

DEFAULTS: Dict[str, Any] = {
    "model": {},
    "data": {
        # None: <repo>/../shared/data/fracatlas
        "root": None,
        "annotations": "annotations.coco.json",
        "images": "images",
        "split_file": "trainer/splits/fracatlas-hip.json",
        # preprocessing; written to model.json and mirrored by the TypeScript runtime
        "short_side": 512,
        "max_side": 853,
        "mean": 0.5,
        "std": 0.25,
        "pad_to": 32,
        # restrict to at most this many images (0 = all; tests and dry runs use a few)
        "limit": 0,
        # folder for the decoded-image cache (.npz, reused by later commands on the same machine); "" = none
        "cache_dir": "",
    },
    "augment": {
        "hflip": 0.5,
        "rotate_deg": 180.0,  # uniform in [-rotate_deg, rotate_deg]
        "rotate_p": 1.0,
        "scale_min": 0.8,  # scale jitter of the resized image
        "scale_max": 1.2,
        "gamma_min": 0.7,
        "gamma_max": 1.4,
        "contrast": 0.2,  # multiply contrast around the mean by U(1-c, 1+c)
        "brightness": 0.1,  # add U(-b, b) (in [0,1] units)
        "min_box_side": 2.0,  # drop boxes narrower than this after augmentation (pixels)
    },
    "train": {
        "seed": 0,
        "batch_size": 16,
        "workers": 8,
        "lr": 0.02,
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "warmup_iters": 500,
        "warmup_factor": 0.001,
        "iters": 20000,  # cosine schedule length (iterations); a time budget may stop earlier
        "minutes": 0.0,  # schedule length in training minutes, summed over resumed runs (0: use iters)
        "positive_fraction": 0.5,  # class-balanced sampling: share of each batch drawn from fractured images
        "grad_clip": 10.0,
        "bf16": True,  # autocast on CUDA
        "channels_last": True,
        "pad_batch_to": 128,  # pad training batches to multiples of this (few distinct shapes: cudnn.benchmark)
        "compile": False,  # torch.compile the backbone and necks (torch 2.x only)
        "run_minutes": 0.0,  # stop THIS process after this long (checkpoint saved; resume continues the schedule)
        "log_every": 20,
        "ckpt_every_minutes": 2.0,
        "eval_every_minutes": 0.0,  # 0: evaluate on hip tune only at the end
    },
    "finetune": {
        "lr_divisor": 10.0,
        "epochs": 50,
        "freeze": ["backbone"],  # the pretrained layers kept fixed (module names: backbone, fem1, fem2, rpn, roi_heads)
        "hard_threshold": 0.4,
        "hard_iou": 0.5,
        "hard_repeats": 1,  # each hard positive is added this many extra times
        "minutes": 0.0,
        "warmup_iters": 50,
    },
    "package": {
        "name": "drfds-hip",
        "version": "0.1.0",
        "purpose": "fracture detection on hip radiographs",
        "score_threshold": 0.05,
        "threshold": 0.4,
        "high_sensitivity": 0.3,
        "high_specificity": 0.6,
        "opset": 17,
        "weights": "fp32",  # fp32 | fp16 | int8
    },
}


def repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _merge(base: Dict[str, Any], over: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: str) -> Dict[str, Any]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    parent = data.pop("base", None)
    if parent:
        data = _merge(_read(os.path.join(os.path.dirname(os.path.abspath(path)), parent)), data)
    return data


def load_config(path: Optional[str] = None, overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    cfg = copy.deepcopy(DEFAULTS)
    if path:
        cfg = _merge(cfg, _read(path))
    if overrides:
        cfg = _merge(cfg, overrides)
    for section in cfg:
        if section in DEFAULTS and isinstance(DEFAULTS[section], dict) and section != "model":
            unknown = set(cfg[section]) - set(DEFAULTS[section])
            if unknown:
                raise KeyError(f"{path}: unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
    return cfg


def data_root(cfg: Dict[str, Any], override: Optional[str] = None) -> str:
    root = override or cfg["data"].get("root")
    if not root:
        root = os.path.join(repo_root(), "..", "shared", "data", "fracatlas")
    return os.path.abspath(root)


def parse_set(items) -> Dict[str, Any]:
    """--set section.key=value (value parsed as TOML) -> nested overrides."""
    out: Dict[str, Any] = {}
    for item in items or []:
        key, _, raw = item.partition("=")
        section, _, name = key.partition(".")
        if not name:
            raise ValueError(f"--set {item!r}: use section.key=value")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out.setdefault(section, {})[name] = value
    return out
