"""Checkpoints: one torch file with the model, the config it was built from, optimizer/scheduler state and progress."""
from __future__ import annotations

import inspect
import os
from typing import Any, Dict, Optional

import torch

from .model import DRFDSDetector


def save_checkpoint(path: str, model: DRFDSDetector, cfg: Dict[str, Any], **state: Any) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    payload = {"format": "drfds-checkpoint/1", "model": model.state_dict(), "model_config": model.cfg,
               "config": cfg, **state}
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def torch_load(path: str) -> Any:
    """torch.load of our own files: torch >= 2.6 defaults to weights_only=True, 1.13 may lack the argument."""
    if "weights_only" in inspect.signature(torch.load).parameters:
        return torch.load(path, map_location="cpu", weights_only=False)
    return torch.load(path, map_location="cpu")


def load_checkpoint(path: str) -> Dict[str, Any]:
    ck = torch_load(path)
    if not isinstance(ck, dict) or ck.get("format") != "drfds-checkpoint/1":
        raise ValueError(f"{path}: not a DR-FDS checkpoint (format drfds-checkpoint/1)")
    return ck


def model_from_checkpoint(path: str) -> "tuple[DRFDSDetector, Dict[str, Any]]":
    ck = load_checkpoint(path)
    model = DRFDSDetector(ck["model_config"])
    model.load_state_dict(ck["model"])
    return model, ck


def build_model(cfg: Dict[str, Any], checkpoint: Optional[str] = None, seed: int = 0) -> DRFDSDetector:
    if checkpoint:
        return model_from_checkpoint(checkpoint)[0]
    torch.manual_seed(seed)
    return DRFDSDetector(cfg["model"])


def pack_checkpoint(src: str, dst: str) -> Dict[str, Any]:
    """A compact, resumable copy: float weights stored as fp16 (load_state_dict casts back to float32), no optimizer
    state (SGD momentum rebuilds within ~100 iterations). ~2 bytes per parameter."""
    ck = load_checkpoint(src)
    ck["model"] = {k: (v.half() if v.is_floating_point() else v) for k, v in ck["model"].items()}
    ck.pop("optimizer", None)
    ck["packed"] = "fp16-weights-no-optimizer"
    tmp = dst + ".tmp"
    torch.save(ck, tmp)
    os.replace(tmp, dst)
    return {"src": src, "dst": dst, "bytes": os.path.getsize(dst)}
