"""The training commands on a tiny subset (CPU, seconds): pretrain -> resume -> finetune -> evaluate -> export, and
the metric helpers used for model selection and hard-positive mining."""
import itertools
import json
import os

import numpy as np
import pytest
import torch

from helpers import TINY, ort_run
from trainer.checkpoint import load_checkpoint
from trainer.cli import main
from trainer.evaluate import auc, hard_positives, match, summarize

SMALL = ["--set", "data.short_side=128", "--set", "data.max_side=214", "--set", "data.limit=6",
         "--set", "train.log_every=1", "--set", "finetune.epochs=2", "--set", "finetune.warmup_iters=1"]


def test_auc_is_the_pairwise_probability():
    rng = np.random.default_rng(0)
    y = rng.random(40) < 0.3
    s = np.round(rng.random(40), 1)  # ties on purpose
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a, b in itertools.product(s[y], s[~y])]
    assert abs(auc(y, s) - np.mean(pairs)) < 1e-12
    assert auc([1, 1], [0.2, 0.3]) is None


def test_matching_and_hard_positives():
    ref = np.array([[0, 0, 10, 10], [50, 50, 70, 70]], float)
    boxes = np.array([[0, 0, 10, 11], [1, 1, 10, 10], [50, 50, 60, 60]], float)
    scores = np.array([0.9, 0.8, 0.95])
    tp, n, m = match(boxes, scores, ref, 0.4, 0.5)
    assert (tp, n, m) == (1, 3, 1)  # the duplicate is a false positive, the half box misses (IoU 0.25)
    recs = [{"fractured": True, "boxes": ref.tolist()}, {"fractured": True, "boxes": [[0, 0, 10, 10]]},
            {"fractured": False, "boxes": []}]
    preds = [{"boxes": boxes, "scores": scores}, {"boxes": boxes[:1], "scores": np.array([0.5])},
             {"boxes": boxes[:1], "scores": np.array([0.9])}]
    assert hard_positives(recs, preds, 0.4, 0.5) == [0]  # negatives are never hard samples
    s = summarize(recs, preds, 0.4)
    assert (s["tp"], s["fn"], s["tn"], s["fp"]) == (2, 0, 0, 1)
    assert s["boxRecall"] == 2 / 3 and s["boxPrecision"] == 2 / 5


def test_pretrain_resume_finetune_evaluate_export(tmp_path, capsys):
    pre = str(tmp_path / "pre")
    assert main(["pretrain", "--config", TINY, *SMALL, "--set", "train.iters=2", "--out", pre]) == 0
    ck = load_checkpoint(os.path.join(pre, "last.pt"))
    assert ck["iter"] == 2 and ck["stage"] == "pretrain" and ck["done"]
    # resume: a longer schedule continues from iteration 2
    assert main(["pretrain", "--config", TINY, *SMALL, "--set", "train.iters=3", "--out", pre]) == 0
    ck = load_checkpoint(os.path.join(pre, "last.pt"))
    assert ck["iter"] == 3 and ck["images_seen"] == 6
    ft = str(tmp_path / "ft")
    assert main(["finetune", "--config", TINY, *SMALL, "--pretrained", os.path.join(pre, "last.pt"),
                 "--out", ft]) == 0
    log = [json.loads(l) for l in open(os.path.join(ft, "log.jsonl"))]
    assert log[0]["event"] == "data" and log[-1]["event"] == "end" and log[-1]["epochs"] == 2
    best = load_checkpoint(os.path.join(ft, "best.pt"))
    assert best["stage"] == "finetune" and best["training"]["trained"] is True
    # frozen trunk: the fine-tuned backbone equals the pretrained one, the head moved
    for k, v in best["model"].items():
        if k.startswith("backbone."):
            assert torch.equal(v, ck["model"][k]), k
    last = load_checkpoint(os.path.join(ft, "last.pt"))
    assert any(not torch.equal(v, ck["model"][k]) for k, v in last["model"].items() if k.startswith("roi_heads."))
    res = str(tmp_path / "hip-test.coco.json")
    capsys.readouterr()
    assert main(["evaluate", "--config", TINY, *SMALL, "--checkpoint", os.path.join(ft, "best.pt"),
                 "--split", "hip-test", "--out", res]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["split"] == "hip-test" and summary["images"] == 6
    dets = json.load(open(res))
    assert dets and set(dets[0]) == {"image_id", "category_id", "bbox", "score"}
    gal = str(tmp_path / "gallery")
    assert main(["gallery", "--config", TINY, *SMALL, "--results", res, "--split", "hip-test", "--out", gal,
                 "--threshold", "0.0"]) == 0
    g = json.load(open(os.path.join(gal, "gallery.json")))
    # at threshold 0 every negative image with a box is a false positive, and a PNG is written for each
    assert g["falseNegatives"] == 0 and g["falsePositives"] >= 1
    assert len([f for f in os.listdir(gal) if f.endswith(".png")]) == len(g["written"]["fp"]) == min(12, g["falsePositives"])
    pkg = str(tmp_path / "pkg")
    assert main(["export", "--config", TINY, "--checkpoint", os.path.join(ft, "best.pt"), "--out", pkg,
                 "--weights", "int8", "--compare"]) == 0
    j = json.load(open(os.path.join(pkg, "model.json")))
    assert j["training"]["trained"] is True and j["weights"] == "int8" and j["compression"]["images"] == 4
    assert j["preprocessing"]["resize"] == {"shortSide": 128, "maxSide": 214}
    r = ort_run(os.path.join(pkg, "model.onnx"), [np.zeros((1, 1, 128, 160), np.float32)])
    assert r["results"][0]["boxes"].shape[1] == 4
