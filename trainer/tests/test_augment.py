"""Augmentation: boxes must follow the pixels. A synthetic image with one bright rectangle is transformed and the
box the code computes is compared with the extent of the bright pixels in the transformed image."""
import math

import numpy as np
import pytest

from trainer.augment import augment, hflip, rotate_boxes, rotate_image, scale
from trainer.config import DEFAULTS


def bright_extent(img, thr=128):
    ys, xs = np.nonzero(img >= thr)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


def rect_image(w=400, h=300, box=(100, 50, 220, 90)):
    img = np.zeros((h, w), np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = 255
    return img, np.array([box], np.float32)


@pytest.mark.parametrize("angle", [0.0, 17.0, 30.0, 90.0, -45.0, 137.5, 180.0, -179.0])
def test_rotation_box_encloses_the_rotated_rectangle(angle):
    img, box = rect_image()
    r = rotate_image(img, angle)
    got = rotate_boxes(box, angle, 400, 300)[0]
    # the rotated rectangle's corners are the extremes of the enclosing box: the bright extent matches it
    assert np.abs(got - bright_extent(r)).max() <= 1.5, (got, bright_extent(r))


def test_rotation_is_counter_clockwise_as_displayed():
    img, box = rect_image(400, 400, (300, 190, 340, 210))  # right of the centre
    got = rotate_boxes(box, 90.0, 400, 400)[0]
    cx, cy = (got[0] + got[2]) / 2, (got[1] + got[3]) / 2
    assert cy < 200 and abs(cx - 200) < 2  # moved to the top


def test_rotation_clips_to_the_image():
    img, box = rect_image(400, 300, (300, 220, 398, 298))
    got = rotate_boxes(box, 45.0, 400, 300)[0]
    assert got[0] >= 0 and got[1] >= 0 and got[2] <= 400 and got[3] <= 300


def test_flip_and_scale():
    img, box = rect_image()
    f, fb = hflip(img, box)
    assert np.abs(fb[0] - bright_extent(f)).max() <= 0.5
    s, sb = scale(img, box, 1.37)
    assert np.abs(sb[0] - bright_extent(s)).max() <= 1.5


def test_full_augment_keeps_box_on_the_rectangle():
    a = dict(DEFAULTS["augment"])
    a.update(gamma_min=1.0, gamma_max=1.0, contrast=0.0, brightness=0.0)
    for seed in range(12):
        img, box = rect_image()
        out, ob = augment(img, box, np.random.default_rng(seed), a)
        if len(ob) == 0:
            continue
        assert np.abs(ob[0] - bright_extent(out)).max() <= 2.0, seed


def test_intensity_keeps_geometry_and_changes_values():
    a = dict(DEFAULTS["augment"])
    a.update(hflip=0.0, rotate_deg=0.0, scale_min=1.0, scale_max=1.0, gamma_min=0.5, gamma_max=0.5, contrast=0.0,
             brightness=0.0)
    img = np.tile(np.arange(256, dtype=np.uint8), (4, 1))
    out, _ = augment(img, np.zeros((0, 4), np.float32), np.random.default_rng(0), a)
    assert out.shape == img.shape
    assert abs(int(out[0, 64]) - round(255 * math.sqrt(64 / 255))) <= 1
