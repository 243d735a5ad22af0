"""Which moment a hit opens at, once it is found: the sentence said that
matched (not the start of its 15-s window), and the best picture moment
where words said or read won only on their own, higher scale."""
from __future__ import annotations

import json
import re

import numpy as np

from mediasearch.store.schema import TEXT_SOURCES

from .engine import Result
from .query import Term, positive_text


def open_at_picture(r: Result, text_gate: float) -> None:
    """A video whose best moment is words said or read that do not match on
    their own scale (below the text gate, no word in common) opens at its
    best picture moment instead: an unrelated sentence scores a text query
    higher than the right shot does."""
    if r.source not in TEXT_SOURCES or r.lexical or r.why.get("similarity", r.score) > text_gate:
        return
    seen = [m for m in r.moments if m.source not in TEXT_SOURCES]
    if seen:
        best = max(seen, key=lambda m: m.score)
        r.start, r.end, r.source, r.text = best.start, best.end, best.source, best.text


def narrow_to_sentences(results: list[Result], terms: list[Term], embedder, top: int = 10) -> None:
    """A transcript hit opens at the sentence that matched, not at the start
    of its 15-s window (the window stays the embedded unit): the sentence
    sharing most words with the query, else the one closest to it in the
    text tower's space (top hits only: a few milliseconds)."""
    text = positive_text(terms)
    if not text:
        return
    words = set(re.findall(r"\w+", text.lower()))
    qvec = None
    for r in results[:top]:
        if r.source != "transcript" or not r.spans:
            continue
        try:
            sentences = [s for s in json.loads(r.spans) if len(s) == 3]
        except ValueError:
            continue
        if len(sentences) < 2:
            continue
        overlap = [len(words & set(re.findall(r"\w+", s[2].lower()))) for s in sentences]
        if max(overlap) > 0:
            best = overlap.index(max(overlap))
        else:
            if qvec is None:
                qvec = embedder.embed_texts([text])[0]
            best = int(np.argmax(embedder.embed_texts([s[2] for s in sentences]) @ qvec))
        r.start, r.end, r.text = sentences[best]


PEOPLE_NEAR = 2.0  # s: a moment this near a face of the asked-for people shows them


def at_people_moment(r, times: list[float]) -> None:
    """A video found by who is in it opens where they are: its own best
    moment when they are there, else their first moment (a list by date:
    their first moment)."""
    if r.start is not None and any(r.start - PEOPLE_NEAR <= t <= (r.end or r.start) + PEOPLE_NEAR for t in times):
        return
    near = times[0] if r.start is None else min(times, key=lambda t: abs(t - r.start))
    r.start, r.end = near, near
