"""Command line of the trainer: ``/usr/bin/python3 -m trainer <command> --config FILE [options]``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from .config import load_config, parse_set


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="TOML config (trainer/configs/*.toml)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one config value (TOML syntax), e.g. --set train.minutes=9")
    p.add_argument("--data", help="FracAtlas-style COCO data folder (default <repo>/../shared/data/fracatlas)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pretrain", help="stage 1: multi-domain detection pretraining on all non-test images")
    _common(p)
    p.add_argument("--out", required=True, help="run folder (checkpoints, logs)")
    p.add_argument("--resume", help="checkpoint to continue from (default: <out>/last.pt if present)")

    p = sub.add_parser("finetune", help="stage 2: hip fine-tuning with hard positives, best epoch by tune AUC")
    _common(p)
    p.add_argument("--pretrained", required=True, help="stage 1 checkpoint")
    p.add_argument("--out", required=True)
    p.add_argument("--resume", help="fine-tuning checkpoint to continue from")

    p = sub.add_parser("evaluate", help="run a checkpoint on a split; write COCO results JSON (+ a quick summary)")
    _common(p)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--split", default="hip-tune",
                   help="hip-train | hip-tune | hip-test | all-test | all-nontest | all")
    p.add_argument("--out", required=True, help="COCO results JSON to write")
    p.add_argument("--summary", help="also write a JSON summary (AUC, sensitivity/specificity at the threshold)")

    p = sub.add_parser("export", help="export a checkpoint (or a random init) to a model package")
    _common(p)
    p.add_argument("--checkpoint", help="checkpoint to export (omit with --random-init)")
    p.add_argument("--random-init", action="store_true", help="export an untrained, seeded random model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="package folder (models/<name>)")
    p.add_argument("--weights", choices=["fp32", "fp16", "int8"], help="weight storage (default [package].weights)")
    p.add_argument("--metrics", help="JSON file whose content becomes model.json's metrics")
    p.add_argument("--compare", action="store_true",
                   help="also export fp32 and record the output change the weight compression causes")

    p = sub.add_parser("gallery", help="PNGs of the false negatives / false positives of a COCO results file")
    _common(p)
    p.add_argument("--results", required=True, help="COCO results JSON (from evaluate)")
    p.add_argument("--split", default="hip-test")
    p.add_argument("--out", required=True, help="folder for the PNGs and gallery.json")
    p.add_argument("--threshold", type=float, help="default [package].threshold (0.4)")
    p.add_argument("--max-images", type=int, default=12, help="per kind")

    p = sub.add_parser("split", help="(re)write the deterministic hip split file")
    _common(p)

    p = sub.add_parser("pack-checkpoint", help="compact resumable checkpoint: fp16 weights, no optimizer state")
    p.add_argument("src")
    p.add_argument("dst")

    p = sub.add_parser("bench", help="training images/s: this loop vs torchvision fasterrcnn_resnet50_fpn")
    _common(p)
    p.add_argument("--seconds", type=float, default=30.0, help="timed seconds per model")
    p.add_argument("--out", help="JSON file for the table")
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "pack-checkpoint":
        from .checkpoint import pack_checkpoint
        print(json.dumps(pack_checkpoint(args.src, args.dst)))
        return 0
    cfg = load_config(args.config, parse_set(args.set))
    if args.data:
        cfg["data"]["root"] = args.data
    if args.command == "export":
        from .export_cmd import run_export
        meta = run_export(cfg, args)
        print(json.dumps({"out": args.out, "files": meta["files"], "weights": meta["weights"],
                          "compression": meta.get("compression")}, indent=2))
        return 0
    if args.command == "gallery":
        from .gallery import gallery_command
        thr = args.threshold if args.threshold is not None else float(cfg["package"]["threshold"])
        s = gallery_command(cfg, args.results, args.split, args.out, thr, args.max_images)
        print(json.dumps({k: v for k, v in s.items() if k != "written"}))
        return 0
    if args.command == "split":
        from .data import write_split
        path, summary = write_split(cfg)
        print(json.dumps({"split_file": path, **summary}, indent=2))
        return 0
    if args.command == "pretrain":
        from .train import pretrain
        pretrain(cfg, args.out, resume=args.resume)
        return 0
    if args.command == "finetune":
        from .train import finetune
        finetune(cfg, args.out, pretrained=args.pretrained, resume=args.resume)
        return 0
    if args.command == "evaluate":
        from .evaluate import evaluate_command
        summary = evaluate_command(cfg, args.checkpoint, args.split, args.out, args.summary)
        print(json.dumps(summary, indent=2))
        return 0
    if args.command == "bench":
        from .bench import bench_command
        bench_command(cfg, args.seconds, args.out)
        return 0
    print(f"unknown command {args.command}", file=sys.stderr)
    return 2
