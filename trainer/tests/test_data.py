"""The split, the COCO reader and class-balanced sampling, on the real FracAtlas copy in ../shared."""
import json
import os

import numpy as np
import pytest

from helpers import DATA, TINY
from trainer.config import load_config
from trainer.data import (BalancedBatchSampler, ImageCache, load_records, make_split, read_coco, select,
                          split_path)


@pytest.fixture(scope="module")
def coco():
    return read_coco(DATA)


def test_committed_split_is_the_rule(coco):
    cfg = load_config(TINY)
    with open(split_path(cfg)) as fh:
        committed = json.load(fh)["images"]
    assert committed == make_split(coco["records"])


def test_split_is_stratified_and_test_is_held_out(coco):
    split = make_split(coco["records"])
    recs = coco["records"]
    hip = [r for r in recs if r["part"] == "hip"]
    assert len(hip) == 238
    for label in (True, False):
        group = [r for r in hip if r["fractured"] == label]
        n = {s: sum(split[r["file_name"]] == s for r in group) for s in ("train", "tune", "test")}
        assert abs(n["train"] - 0.6 * len(group)) <= 1 and abs(n["tune"] - 0.2 * len(group)) <= 1
    pre = {r["file_name"] for r in select(recs, split, "pretrain")}
    ft = {r["file_name"] for r in select(recs, split, "hip-train")}
    tune = {r["file_name"] for r in select(recs, split, "hip-tune")}
    test = {r["file_name"] for r in select(recs, split, "hip-test")} | {r["file_name"] for r in select(recs, split, "all-test")}
    assert not (pre & test) and not (ft & test) and not (tune & test) and not (pre & tune)
    assert ft <= pre and len(pre) + len(tune) + len(test) == len(recs)


def test_reader_boxes_are_xyxy(coco):
    r = next(r for r in coco["records"] if r["boxes"])
    raw = json.load(open(os.path.join(DATA, "annotations.coco.json")))
    a = next(a for a in raw["annotations"] if a["image_id"] == r["id"])
    x, y, w, h = a["bbox"]
    assert r["boxes"][0] == [x, y, x + w, y + h]


def test_cache_scales_boxes_with_the_image():
    cfg = load_config(TINY, {"data": {"limit": 4}})
    recs = load_records(cfg, "hip-train")
    cache = ImageCache(cfg, recs, threads=2)
    for i, r in enumerate(recs):
        h, w = cache.image(i).shape
        assert min(h, w) == 512 or max(h, w) == 853
        sx, sy = cache.scales[i]
        assert abs(sx * r["width"] - w) < 1e-6 and abs(sy * r["height"] - h) < 1e-6
        if r["boxes"]:
            assert np.allclose(cache.boxes[i][0], np.array(r["boxes"][0]) * [sx, sy, sx, sy], atol=1e-3)


def test_balanced_sampler_draws_the_asked_share_of_positives():
    pos, neg = list(range(5)), list(range(5, 100))
    s = BalancedBatchSampler(pos, neg, 8, 0.5, seed=3)
    it = iter(s)
    batches = [next(it) for _ in range(20)]
    for b in batches:
        assert sum(i < 5 for i, _ in b) == 4 and len(b) == 8
    draws = [d for b in batches for _, d in b]
    assert len(set(draws)) == len(draws)  # every sample gets its own augmentation stream
    # resuming at batch k yields the same batches as before
    it2 = iter(BalancedBatchSampler(pos, neg, 8, 0.5, seed=3, start_batch=7))
    assert next(it2) == batches[7]
