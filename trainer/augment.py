"""Training augmentation on uint8 grayscale images with boxes (x1, y1, x2, y2, continuous pixel coordinates: pixel i
covers [i, i + 1)).

- scale jitter: bilinear resize by U(scale_min, scale_max);
- horizontal flip with probability hflip;
- rotation by U(-rotate_deg, rotate_deg) about the image centre, same canvas (corners that leave it are lost,
  uncovered area is black = 0, as radiograph borders are); each box's 4 corners are rotated and the enclosing
  axis-aligned box taken, then clipped to the image; boxes narrower than min_box_side are dropped;
- intensity: gamma U(gamma_min, gamma_max), contrast around the mean U(1 - c, 1 + c), brightness U(-b, b), applied as
  one 256-entry lookup table.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Tuple

import numpy as np
from PIL import Image


def rotation_matrix(angle_deg: float, width: int, height: int) -> np.ndarray:
    """2x3 forward affine (input -> output coordinates) rotating the picture by angle_deg counter-clockwise as
    displayed (y axis down) about the centre (width/2, height/2)."""
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    cx, cy = width / 2.0, height / 2.0
    # visual counter-clockwise rotation with y down: x' = c*dx + s*dy, y' = -s*dx + c*dy
    return np.array([[c, s, cx - c * cx - s * cy],
                     [-s, c, cy + s * cx - c * cy]], dtype=np.float64)


def rotate_image(img: np.ndarray, angle_deg: float) -> np.ndarray:
    h, w = img.shape
    m = rotation_matrix(angle_deg, w, h)
    full = np.vstack([m, [0.0, 0.0, 1.0]])
    inv = np.linalg.inv(full)[:2]  # output -> input, what PIL's AFFINE wants
    out = Image.fromarray(img).transform((w, h), Image.AFFINE, data=tuple(inv.reshape(-1)),
                                         resample=Image.BILINEAR, fillcolor=0)
    return np.asarray(out, dtype=np.uint8)


def rotate_boxes(boxes: np.ndarray, angle_deg: float, width: int, height: int) -> np.ndarray:
    """Rotate the 4 corners of each box, take the enclosing box, clip to the image."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4).astype(np.float32)
    m = rotation_matrix(angle_deg, width, height)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    xs = np.stack([x1, x2, x2, x1], 1)
    ys = np.stack([y1, y1, y2, y2], 1)
    rx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    ry = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    out = np.stack([rx.min(1), ry.min(1), rx.max(1), ry.max(1)], 1)
    return clip_boxes(out, width, height)


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    out = boxes.astype(np.float32).copy()
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height)
    return out


def hflip(img: np.ndarray, boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    w = img.shape[1]
    out = boxes.copy()
    if len(out):
        out[:, 0] = w - boxes[:, 2]
        out[:, 2] = w - boxes[:, 0]
    return np.ascontiguousarray(img[:, ::-1]), out


def scale(img: np.ndarray, boxes: np.ndarray, factor: float) -> Tuple[np.ndarray, np.ndarray]:
    h, w = img.shape
    nw, nh = max(8, int(round(w * factor))), max(8, int(round(h * factor)))
    out = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR), dtype=np.uint8)
    b = boxes.copy()
    if len(b):
        b[:, [0, 2]] *= nw / w
        b[:, [1, 3]] *= nh / h
    return out, b


def intensity_lut(rng: np.random.Generator, a: Dict[str, Any]) -> np.ndarray:
    x = np.arange(256, dtype=np.float64) / 255.0
    g = rng.uniform(a["gamma_min"], a["gamma_max"])
    x = x ** g
    c = rng.uniform(1.0 - a["contrast"], 1.0 + a["contrast"])
    x = (x - 0.5) * c + 0.5 + rng.uniform(-a["brightness"], a["brightness"])
    return (x.clip(0, 1) * 255.0 + 0.5).astype(np.uint8)


def augment(img: np.ndarray, boxes: np.ndarray, rng: np.random.Generator, a: Dict[str, Any]):
    """Returns (img uint8 [H, W], boxes float32 [K, 4]) after scale, flip, rotation, intensity."""
    boxes = boxes.astype(np.float32).reshape(-1, 4)
    if a["scale_max"] > a["scale_min"] or a["scale_min"] != 1.0:
        img, boxes = scale(img, boxes, rng.uniform(a["scale_min"], a["scale_max"]))
    if rng.random() < a["hflip"]:
        img, boxes = hflip(img, boxes)
    if a["rotate_deg"] > 0 and rng.random() < a["rotate_p"]:
        angle = rng.uniform(-a["rotate_deg"], a["rotate_deg"])
        h, w = img.shape
        img = rotate_image(img, angle)
        boxes = rotate_boxes(boxes, angle, w, h)
    if len(boxes):
        keep = ((boxes[:, 2] - boxes[:, 0]) >= a["min_box_side"]) & ((boxes[:, 3] - boxes[:, 1]) >= a["min_box_side"])
        boxes = boxes[keep]
    if not (a["gamma_min"] == a["gamma_max"] == 1.0) or a["contrast"] > 0 or a["brightness"] > 0:
        img = intensity_lut(rng, a)[img]
    return img, boxes
