"""The embedder interface.

Every backend maps images and texts into one space and returns L2-normalised
float32 arrays of shape (n, dim). Weights are loaded lazily, once, under a lock.
Images go through two steps so the pipeline can run the CPU-heavy first step
(resize, crop, to-tensor) in decoder threads while the model runs:
``prepare_image`` (thread-safe, per image) then ``embed_prepared`` (batched).
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from PIL import Image

_ABSENT = object()


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


class Embedder(ABC):
    #: e.g. "openclip:ViT-B-32/laion2b_s34b_b79k"; stored with the index.
    model_id: str
    dim: int
    batch_size: int = 32

    #: Similarity of a text query to text-derived segments (transcripts, tags)
    #: runs higher than to pictures; their vectors are scaled by this so both
    #: kinds of hit compete fairly in one ranking.
    text_segment_scale: float = 1.0

    @property
    def runtime(self) -> str:
        """What runs the image network once loaded (torch, onnx, onnx-int8, numpy)."""
        return "torch"

    @property
    def device_label(self) -> str:
        """Where it runs (cpu, cuda, coreml, mps): said by ``status``."""
        return "cpu"

    def __init__(self) -> None:
        self.last_used = time.monotonic()
        self.unloaded = threading.Event()  # set by unload_if_idle (tests wait on it)
        self.loads = 0  # times the weights were loaded (again after an idle unload)
        self._before_load: dict = {}
        self._load_lock = threading.Lock()
        self._loaded = False
        # Model calls are serialised: decoder threads (video frames) and the
        # main thread share one model without oversubscribing the CPU.
        self._infer_lock = threading.Lock()

    # -- identity ---------------------------------------------------------
    @abstractmethod
    def identity(self) -> dict:
        """backend, architecture, weights identity and dim: what the index stores."""

    @property
    def spec(self) -> str:
        """The ``--model`` value that recreates this embedder."""
        return self.model_id

    # -- lifecycle --------------------------------------------------------
    def ensure_loaded(self) -> None:
        self.last_used = time.monotonic()
        if self._loaded:
            return
        with self._load_lock:
            if not self._loaded:
                before = dict(vars(self))
                self._load()
                # What loading set or replaced: an unload puts it back as it was.
                self._before_load = {k: before.get(k, _ABSENT) for k, v in vars(self).items()
                                     if k not in ("last_used", "_before_load") and before.get(k, _ABSENT) is not v}
                self._loaded = True
                self.loads += 1
                self.unloaded.clear()

    def unload_if_idle(self, idle_seconds: float) -> bool:
        """Free the weights when unused for ``idle_seconds`` (a long-running
        server); the next use loads them again. True when it unloaded."""
        with self._load_lock, self._infer_lock:
            if not self._loaded or time.monotonic() - self.last_used < idle_seconds:
                return False
            for key, value in self._before_load.items():
                if value is _ABSENT:
                    delattr(self, key)
                else:
                    setattr(self, key, value)
            self._loaded = False
            self.unloaded.set()
            return True

    def _load(self) -> None:  # pragma: no cover - backends without weights
        pass

    # -- embedding --------------------------------------------------------
    def prepare_image(self, image: Image.Image) -> Any:
        """Per-image preprocessing; safe to call from several threads."""
        return image

    @abstractmethod
    def _embed_prepared(self, items: list[Any]) -> np.ndarray: ...

    @abstractmethod
    def _embed_texts(self, texts: list[str]) -> np.ndarray: ...

    def _batched(self, fn, items: list) -> np.ndarray:
        """Run ``fn`` over batches under the inference lock; normalised rows."""
        if not items:
            return np.zeros((0, self.dim), np.float32)
        self.ensure_loaded()
        with self._infer_lock:
            out = [fn(items[i:i + self.batch_size]) for i in range(0, len(items), self.batch_size)]
        return l2_normalize(np.concatenate(out))

    def embed_prepared(self, items: list[Any]) -> np.ndarray:
        return self._batched(self._embed_prepared, items)

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        self.ensure_loaded()
        return self.embed_prepared([self.prepare_image(im) for im in images])

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._batched(self._embed_texts, texts)

    def concepts(self) -> np.ndarray | None:
        """Unit text vectors of everything this model can see in a picture,
        for a closed-vocabulary model (the bundled one: its ImageNet classes);
        None for an open-vocabulary one (CLIP). The cut-off judges a query
        against the best a picture could score for it (search/cutoff.py)."""
        return None

    def background_prior(self) -> np.ndarray | None:
        """The mean picture vector of a typical library, known without one
        (a closed-vocabulary model can say it), so a library of a few files
        is judged from its first file; None where only a library can say."""
        return None

    def query_reading(self, text: str) -> str | None:
        """How a query in another language is read, when this model does
        more than embed it (said above the results)."""
        return None
