"""Colour names of a picture, for the bundled model.

An ImageNet classifier says "Labrador retriever" but never "black", while a
third of the captions people write name a colour ("a black dog", "a man in a
red shirt"). The share of each basic colour name, weighted to the centre of
the picture (where subjects usually are), lets the bundled model put the
picture near those words too: colour-naming queries gain most, the rest do
not lose (Flickr8k figures: README, benchmarks/tune_bundled.py).
"""
from __future__ import annotations

import numpy as np
from PIL import Image

COLOURS = ("black", "white", "red", "blue", "green", "yellow", "brown", "pink", "orange", "purple", "grey")
_SIZE = 64


def _centre_weights(size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1) - 0.5
    w = np.exp(-(xx ** 2 + yy ** 2) / (2 * 0.25 ** 2))
    return w / w.sum()


_WEIGHTS = _centre_weights(_SIZE)


def colour_shares(image: Image.Image) -> np.ndarray:
    """Centre-weighted share of each name in ``COLOURS`` (sums to 1)."""
    small = image.convert("RGB").resize((_SIZE, _SIZE), Image.BICUBIC)
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    h, s, v = hsv[..., 0] * 360, hsv[..., 1], hsv[..., 2]
    label = np.zeros(h.shape, dtype=np.int64)
    dark = v < 0.22
    grey = ~dark & (s < 0.18)
    vivid = ~dark & ~grey
    red = vivid & ((h < 15) | (h >= 340))
    orange = vivid & (h >= 15) & (h < 40)
    brown = (red | orange) & (v < 0.6)
    pink = vivid & (((h >= 300) & (h < 340)) | (red & (s < 0.5) & (v > 0.7))) & ~brown
    label[dark] = COLOURS.index("black")
    label[grey] = np.where(v[grey] > 0.75, COLOURS.index("white"), COLOURS.index("grey"))
    for name, mask in (("red", red), ("orange", orange), ("yellow", vivid & (h >= 40) & (h < 70)),
                       ("green", vivid & (h >= 70) & (h < 170)), ("blue", vivid & (h >= 170) & (h < 260)),
                       ("purple", vivid & (h >= 260) & (h < 300)), ("brown", brown), ("pink", pink)):
        label[mask] = COLOURS.index(name)
    return np.bincount(label.ravel(), weights=_WEIGHTS.ravel(), minlength=len(COLOURS)).astype(np.float32)
