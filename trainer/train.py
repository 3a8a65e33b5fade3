"""Stage 1 (pretrain) and stage 2 (finetune) training loops.

Both: SGD with momentum, no weight decay on norms/biases, linear warm-up then cosine decay, gradient clipping,
bf16 autocast + channels-last on CUDA, images pre-decoded once into a uint8 RAM cache, augmentation in DataLoader
workers (pinned memory), normalisation and padding on the device. Checkpoints every few minutes to <out>/last.pt;
a run continues from it (``--resume`` or automatically).
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader

from .checkpoint import load_checkpoint, save_checkpoint
from .data import (BalancedBatchSampler, EpochBatchSampler, ImageCache, TrainDataset, collate, load_records,
                   to_device_batch)
from .evaluate import hard_positives, predict, summarize
from .model import DRFDSDetector, bf16_autocast


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def log(out_dir: Optional[str], record: Dict[str, Any]) -> None:
    line = json.dumps(record)
    print(line, flush=True)
    if out_dir:
        with open(os.path.join(out_dir, "log.jsonl"), "a") as fh:
            fh.write(line + "\n")


def make_optimizer(model: torch.nn.Module, lr: float, t: Dict[str, Any]) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    return torch.optim.SGD([{"params": decay, "weight_decay": t["weight_decay"]},
                            {"params": no_decay, "weight_decay": 0.0}], lr=lr, momentum=t["momentum"])


def lr_at(base: float, it: int, progress: float, warmup_iters: int, warmup_factor: float) -> float:
    cos = 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, progress))))
    if it < warmup_iters:
        a = it / max(1, warmup_iters)
        return base * cos * (warmup_factor * (1 - a) + a)
    return base * cos


def cache_file(cfg: Dict[str, Any], name: str) -> Optional[str]:
    d = cfg["data"].get("cache_dir")
    return os.path.join(d, f"{name}-{cfg['data']['short_side']}-{cfg['data']['max_side']}.npz") if d else None


def _loader(ds, batch_sampler, t: Dict[str, Any], device: torch.device) -> DataLoader:
    w = int(t["workers"])
    kw: Dict[str, Any] = dict(batch_sampler=batch_sampler, num_workers=w, collate_fn=collate,
                              pin_memory=device.type == "cuda")
    if w > 0:
        kw.update(persistent_workers=False, prefetch_factor=4)
    return DataLoader(ds, **kw)


def _prepare(model: DRFDSDetector, device: torch.device, t: Dict[str, Any]) -> DRFDSDetector:
    model.to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if t["channels_last"]:
            model.to(memory_format=torch.channels_last)
        if t.get("compile") and hasattr(torch, "compile"):
            model.backbone = torch.compile(model.backbone, dynamic=True)
    return model


def _step(model, opt, batch, device, cfg, t, lr):
    d = cfg["data"]
    imgs, boxes = batch
    cl = bool(t["channels_last"]) and device.type == "cuda"
    x, sizes, targets = to_device_batch(imgs, boxes, device, d["mean"], d["std"], int(t["pad_batch_to"]), cl)
    for g in opt.param_groups:
        g["lr"] = lr
    with bf16_autocast(device, bool(t["bf16"])):
        losses = model(x, sizes, targets)
    loss = losses["loss"]
    if not torch.isfinite(loss):
        raise FloatingPointError(f"non-finite loss {float(loss)}: {({k: float(v) for k, v in losses.items()})}")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if t["grad_clip"]:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], t["grad_clip"])
    opt.step()
    return {k: float(v) for k, v in losses.items()}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def training_info(stage: str, cfg: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    return {"trained": True, "stage": stage,
            "data": "FracAtlas (shared/data/fracatlas), split trainer/splits/fracatlas-hip.json",
            "recipe": {"model": cfg["model"], "data": cfg["data"], "augment": cfg["augment"], "train": cfg["train"],
                       "finetune": cfg["finetune"] if stage == "finetune" else None},
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu", **extra}


def pretrain(cfg: Dict[str, Any], out_dir: str, resume: Optional[str] = None) -> Dict[str, Any]:
    """Stage 1 on every ``train`` image of all body parts, class-balanced batches, until the schedule ends
    (train.minutes of training time or train.iters iterations) or train.run_minutes pass."""
    t, a = cfg["train"], cfg["augment"]
    os.makedirs(out_dir, exist_ok=True)
    device = pick_device()
    last = os.path.join(out_dir, "last.pt")
    resume = resume or (last if os.path.exists(last) else None)
    state: Dict[str, Any] = {"iter": 0, "train_seconds": 0.0, "images_seen": 0}
    torch.manual_seed(int(t["seed"]))
    if resume:
        ck = load_checkpoint(resume)
        model = DRFDSDetector(ck["model_config"])
        model.load_state_dict(ck["model"])
        state.update({k: ck[k] for k in ("iter", "train_seconds", "images_seen") if k in ck})
        if ck.get("stage") != "pretrain":
            raise ValueError(f"{resume}: a {ck.get('stage')} checkpoint, not a pretraining one")
    else:
        model = DRFDSDetector(cfg["model"])
    model = _prepare(model, device, t)
    opt = make_optimizer(model, float(t["lr"]), t)
    if resume and "optimizer" in ck:
        opt.load_state_dict(ck["optimizer"])
    records = load_records(cfg, "pretrain")
    cache = ImageCache(cfg, records, cache_file=cache_file(cfg, "pretrain"))
    log(out_dir, {"event": "data", "stage": "pretrain", "images": len(cache), "fractured": len(cache.positives),
                  "cache_seconds": round(cache.seconds, 2), "cache_mib": round(cache.flat.nbytes / 2**20, 1),
                  "device": str(device), "resume": resume, "iter": state["iter"]})
    sampler = BalancedBatchSampler(cache.positives, cache.negatives, int(t["batch_size"]),
                                   float(t["positive_fraction"]), int(t["seed"]), start_batch=state["iter"])
    loader = _loader(TrainDataset(cache, a, int(t["seed"])), sampler, t, device)
    budget_s = float(t["minutes"]) * 60.0
    run_s = float(t["run_minutes"]) * 60.0
    iters = int(t["iters"])
    model.train()
    t_ckpt = time.time()
    win_t, win_imgs = time.time(), 0
    losses: Dict[str, float] = {}

    def progress() -> float:
        return state["train_seconds"] / budget_s if budget_s > 0 else state["iter"] / max(1, iters)

    def save(done: bool = False):
        save_checkpoint(last, model, cfg, stage="pretrain", optimizer=opt.state_dict(), done=done,
                        training=training_info("pretrain", cfg, iterations=state["iter"],
                                               imagesSeen=state["images_seen"],
                                               trainMinutes=round(state["train_seconds"] / 60, 2),
                                               images=len(cache)), **state)

    it_loader = iter(loader)
    start_s = state["train_seconds"]
    # run_minutes counts training-step time like the schedule does, so a run given the rest of the schedule ends it
    while progress() < 1.0 and not (run_s > 0 and state["train_seconds"] - start_s >= run_s):
        t0 = time.time()
        batch = next(it_loader)
        lr = lr_at(float(t["lr"]), state["iter"], progress(), int(t["warmup_iters"]), float(t["warmup_factor"]))
        losses = _step(model, opt, batch, device, cfg, t, lr)
        state["iter"] += 1
        state["images_seen"] += len(batch[0])
        win_imgs += len(batch[0])
        if state["iter"] % int(t["log_every"]) == 0:
            _sync(device)
            now = time.time()
            log(out_dir, {"stage": "pretrain", "iter": state["iter"], "lr": round(lr, 6),
                          "progress": round(progress(), 4), "images_per_s": round(win_imgs / (now - win_t), 1),
                          **{k: round(v, 4) for k, v in losses.items()}})
            win_t, win_imgs = now, 0
        state["train_seconds"] += time.time() - t0
        if time.time() - t_ckpt >= float(t["ckpt_every_minutes"]) * 60.0:
            save()
            t_ckpt = time.time()
    done = progress() >= 1.0
    save(done=done)
    del it_loader, loader
    summary = {"event": "end", "stage": "pretrain", "iter": state["iter"], "images_seen": state["images_seen"],
               "train_minutes": round(state["train_seconds"] / 60, 2), "done": done,
               "images_per_s": round(state["images_seen"] / max(1e-9, state["train_seconds"]), 1), "loss": losses}
    log(out_dir, summary)
    return summary


def _freeze(model: DRFDSDetector, names: List[str]) -> int:
    n = 0
    for name in names:
        mod = getattr(model, name, None)
        if mod is None:
            raise KeyError(f"finetune.freeze: no module {name!r} (backbone, fem1, fem2, rpn, roi_heads)")
        for p in mod.parameters():
            p.requires_grad_(False)
            n += p.numel()
    return n


def finetune(cfg: Dict[str, Any], out_dir: str, pretrained: str, resume: Optional[str] = None) -> Dict[str, Any]:
    """Stage 2 on hip ``train``: the pretrained model is run over the training images; fractured images with a
    reference box it missed (at finetune.hard_threshold, IoU finetune.hard_iou) are added again (hard positives);
    negatives are not. Layers in finetune.freeze are fixed, lr = train.lr / finetune.lr_divisor, up to
    finetune.epochs epochs; after each epoch AUC on hip ``tune``; the best epoch is <out>/best.pt."""
    t, f, a = cfg["train"], cfg["finetune"], cfg["augment"]
    os.makedirs(out_dir, exist_ok=True)
    device = pick_device()
    last = os.path.join(out_dir, "last.pt")
    resume = resume or (last if os.path.exists(last) else None)
    src = resume or pretrained
    ck = load_checkpoint(src)
    model = DRFDSDetector(ck["model_config"])
    model.load_state_dict(ck["model"])
    pre_info = ck.get("training") if not resume else ck.get("pretrain_training")
    state = {"epoch": int(ck.get("epoch", 0)) if resume else 0, "iter": int(ck.get("iter", 0)) if resume else 0,
             "best_auc": ck.get("best_auc") if resume else None, "best_epoch": ck.get("best_epoch") if resume else None,
             "train_seconds": float(ck.get("train_seconds", 0.0)) if resume else 0.0}
    torch.manual_seed(int(t["seed"]))
    model = _prepare(model, device, t)
    frozen = _freeze(model, list(f["freeze"]))
    train_recs = load_records(cfg, "hip-train")
    tune_recs = load_records(cfg, "hip-tune")
    train_cache = ImageCache(cfg, train_recs, cache_file=cache_file(cfg, "hip-train"))
    tune_cache = ImageCache(cfg, tune_recs, cache_file=cache_file(cfg, "hip-tune"))
    bs = int(t["batch_size"])
    bf16 = bool(t["bf16"])
    if resume and "hard" in ck:
        hard = list(ck["hard"])
        pre_tune = ck.get("pretrained_tune")
    else:
        preds = predict(model, train_cache, cfg, device, batch_size=bs, bf16=bf16)
        hard = hard_positives(train_recs, preds, float(f["hard_threshold"]), float(f["hard_iou"]))
        pre_tune = summarize(tune_recs, predict(model, tune_cache, cfg, device, batch_size=bs, bf16=bf16),
                             float(cfg["package"]["threshold"]))
    items = list(range(len(train_cache))) + hard * int(f["hard_repeats"])
    lr0 = float(t["lr"]) / float(f["lr_divisor"])
    opt = make_optimizer(model, lr0, t)
    if resume and "optimizer" in ck:
        opt.load_state_dict(ck["optimizer"])
    epochs = int(f["epochs"])
    per_epoch = (len(items) + bs - 1) // bs
    total = epochs * per_epoch
    log(out_dir, {"event": "data", "stage": "finetune", "train_images": len(train_cache),
                  "train_fractured": len(train_cache.positives), "hard_positives": len(hard),
                  "samples_per_epoch": len(items), "tune_images": len(tune_cache), "frozen_parameters": frozen,
                  "lr": lr0, "epochs": epochs, "pretrained_tune": pre_tune, "resume": resume})
    ds = TrainDataset(train_cache, a, int(t["seed"]) + 1)
    run_s = float(f["minutes"]) * 60.0
    t_run = time.time()
    history = []

    def save(path, **more):
        save_checkpoint(path, model, cfg, stage="finetune", optimizer=opt.state_dict(), hard=hard,
                        pretrained=os.path.basename(pretrained), pretrain_training=pre_info,
                        pretrained_tune=pre_tune, **state, **more)

    if not resume:
        # epoch 0 (the pretrained model itself) is a candidate too: fine-tuning must beat it on tune to be kept
        state["best_auc"] = pre_tune["auc"] if pre_tune["auc"] is not None else -1.0
        state["best_epoch"] = 0
        save(os.path.join(out_dir, "best.pt"),
             training=training_info("finetune", cfg, pretrain=pre_info, bestEpoch=0, hardPositives=len(hard),
                                    tuneAuc=pre_tune["auc"], tune=pre_tune, pretrainedTune=pre_tune))
    while state["epoch"] < epochs and not (run_s > 0 and time.time() - t_run >= run_s):
        model.train()
        t0 = time.time()
        loader = _loader(ds, EpochBatchSampler(items, bs, int(t["seed"]), state["epoch"]), t, device)
        losses: Dict[str, float] = {}
        for batch in loader:
            lr = lr_at(lr0, state["iter"], state["iter"] / max(1, total), int(f["warmup_iters"]),
                       float(t["warmup_factor"]))
            losses = _step(model, opt, batch, device, cfg, t, lr)
            state["iter"] += 1
        state["epoch"] += 1
        state["train_seconds"] += time.time() - t0
        res = summarize(tune_recs, predict(model, tune_cache, cfg, device, batch_size=bs, bf16=bf16),
                        float(cfg["package"]["threshold"]))
        tune_auc = res["auc"] if res["auc"] is not None else -1.0
        improved = state["best_auc"] is None or tune_auc > state["best_auc"]
        history.append({"epoch": state["epoch"], "tune_auc": res["auc"], "loss": losses.get("loss")})
        log(out_dir, {"stage": "finetune", "epoch": state["epoch"], "iter": state["iter"],
                      "tune": res, "best": improved, **{k: round(v, 4) for k, v in losses.items()}})
        if improved:
            state["best_auc"], state["best_epoch"] = tune_auc, state["epoch"]
            info = training_info("finetune", cfg, pretrain=pre_info, bestEpoch=state["epoch"],
                                 hardPositives=len(hard), tuneAuc=res["auc"], tune=res, pretrainedTune=pre_tune)
            save(os.path.join(out_dir, "best.pt"), training=info)
        save(last)
    done = state["epoch"] >= epochs
    summary = {"event": "end", "stage": "finetune", "epochs": state["epoch"], "done": done,
               "best_epoch": state["best_epoch"], "best_tune_auc": state["best_auc"],
               "pretrained_tune_auc": (pre_tune or {}).get("auc"), "hard_positives": len(hard)}
    log(out_dir, summary)
    return summary
