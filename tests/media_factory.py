"""Media files made by the tests themselves (Pillow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def solid(path: Path, rgb: tuple[int, int, int], size=(64, 48), **save_kw) -> Path:
    Image.new("RGB", size, rgb).save(path, **save_kw)
    return path


def split(path: Path, left: tuple[int, int, int], right: tuple[int, int, int], size=(64, 64)) -> Path:
    """Left half one colour, right half another (orientation-sensitive)."""
    a = np.zeros((size[1], size[0], 3), np.uint8)
    a[:, : size[0] // 2] = left
    a[:, size[0] // 2:] = right
    Image.fromarray(a).save(path)
    return path


def pattern(path: Path, seed: int, size=(64, 64)) -> Path:
    """A distinct textured picture per seed."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
    Image.fromarray(base).resize(size, Image.NEAREST).save(path)
    return path
