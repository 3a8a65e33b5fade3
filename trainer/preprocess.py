"""The package's preprocessing (docs/model-package.md), shared by training, evaluation and export checks.

8-bit grayscale image -> bilinear resize (rounded back to 8 bits) (short side = short_side unless the long side would pass max_side) ->
x * (1/255) -> (x - mean) / std -> pad bottom/right with 0 to a multiple of pad_to -> float32 [1, 1, H, W].
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def resize_scale(width: int, height: int, short_side: int, max_side: int) -> float:
    k = short_side / min(width, height)
    if max(width, height) * k > max_side:
        k = max_side / max(width, height)
    return k


def resized_size(width: int, height: int, short_side: int, max_side: int) -> Tuple[int, int]:
    k = resize_scale(width, height, short_side, max_side)
    return max(1, int(round(width * k))), max(1, int(round(height * k)))


def load_gray(path: str) -> np.ndarray:
    with Image.open(path) as im:
        im.draft("L", im.size)  # no-op for most files; decodes JPEG straight to gray
        return np.asarray(im.convert("L"), dtype=np.uint8).copy()


def resize_gray(gray: np.ndarray, short_side: int, max_side: int) -> Tuple[np.ndarray, float, float]:
    """Bilinear (triangle-filter, antialiased when shrinking: PIL BILINEAR, like libvips/sharp's 'linear' kernel)
    resize of a uint8 image; returns (resized uint8, sx, sy) where sx/sy map original -> resized pixels."""
    h, w = gray.shape
    nw, nh = resized_size(w, h, short_side, max_side)
    if (nw, nh) == (w, h):
        return gray, 1.0, 1.0
    out = np.asarray(Image.fromarray(gray).resize((nw, nh), Image.BILINEAR), dtype=np.uint8)
    return out, nw / w, nh / h


def normalize_pad(img_u8: torch.Tensor, mean: float, std: float, pad_to: int) -> torch.Tensor:
    """uint8 [H, W] (or float in 0..255) -> normalised float32 [1, 1, Hp, Wp], padded bottom/right with 0."""
    x = (img_u8.float() * (1.0 / 255.0) - mean) / std
    h, w = x.shape[-2:]
    ph = (pad_to - h % pad_to) % pad_to
    pw = (pad_to - w % pad_to) % pad_to
    x = x.reshape(1, 1, h, w)
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), value=0.0)
    return x
