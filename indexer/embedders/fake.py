"""A deterministic fake embedder for fast tests and crash drills.

It needs no weights and yet behaves like a tiny real model, so tests can assert
on search results a person would expect:
- dims 0-2: the image's mean colour (centred RGB); a text naming a colour
  ("red", "a blue square") maps to that colour, so "red" finds red pictures;
- dims 3-18: a 4x4 grey-level layout of the image, so similar pictures are near;
- dims 19-63: hashed words of a text, so texts sharing words are near.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
from PIL import Image

from .base import Embedder

COLOURS = {
    "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0),
    "cyan": (0, 1, 1), "magenta": (1, 0, 1), "purple": (0.5, 0, 0.5), "orange": (1, 0.5, 0),
    "white": (1, 1, 1), "black": (0, 0, 0), "grey": (0.5, 0.5, 0.5), "gray": (0.5, 0.5, 0.5),
}
DIM = 64
_WORD_DIMS = range(19, DIM)


class FakeEmbedder(Embedder):
    runtime = "numpy"

    model_id = "fake"
    dim = DIM

    def identity(self) -> dict:
        return {"backend": "fake", "architecture": "colour-layout-words", "weights": "none",
                "dim": self.dim}

    def prepare_image(self, image: Image.Image) -> np.ndarray:
        small = np.asarray(image.convert("RGB").resize((4, 4), Image.BILINEAR), dtype=np.float32) / 255
        return small

    def _embed_prepared(self, items: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(items), self.dim), np.float32)
        for i, small in enumerate(items):
            out[i, 0:3] = (small.reshape(-1, 3).mean(0) - 0.5) * 2
            grey = small.mean(2).reshape(-1)
            out[i, 3:19] = (grey - grey.mean()) * 0.5
        return out

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for w in words:
                if w in COLOURS:
                    out[i, 0:3] += (np.asarray(COLOURS[w], np.float32) - 0.5) * 2
                else:
                    h = int(hashlib.blake2b(w.encode(), digest_size=4).hexdigest(), 16)
                    out[i, _WORD_DIMS[h % len(_WORD_DIMS)]] += 1.0
        return out
