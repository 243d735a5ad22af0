"""What a person's marks do to an answer: "Good" pulls the query toward the
files marked; "Not this" reorders what the query found, so it keeps its
subject (one wrong hit of "a boy playing soccer" must not turn the page
into dogs), and a file marked "Not this" (or a near copy of it) is never
shown again in that answer. With nothing else to search by, "Not this"
pushes the query away from the file."""
from __future__ import annotations

import numpy as np

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.store.errors import QueryError

# Rocchio weights of the files marked good and bad, against the query's 1
# (benchmarks/cutoff.py measures what one round of marks adds to R@10).
FEEDBACK_GOOD = 1.0
FEEDBACK_BAD = 0.5
# A hit this close to a file marked "Not this" is a copy of it.
NEAR_COPY = 0.95
# How far "Not this" moves a hit that looks most like the marked file: this
# share of the spread of the candidates' scores.
PUSH = 0.5


def feedback_vector(engine, mean: np.ndarray, query: np.ndarray | None, like: list[int],
                    unlike: list[int]) -> np.ndarray:
    """Rocchio from the library's mean: directions of the good and bad files
    (in an embedding where any two pictures score 0.9, raw vectors would
    drown the query's words in what all pictures share)."""
    base = query if query is not None else np.zeros_like(mean)
    vec = base + FEEDBACK_GOOD * _direction(engine, like, mean) - FEEDBACK_BAD * _direction(engine, unlike, mean)
    if not np.any(vec):
        raise QueryError("the query has nothing left to search for")
    return l2_normalize(vec)[0]


def _direction(engine, ids: list[int], mean: np.ndarray) -> np.ndarray:
    if not ids:
        return np.zeros_like(mean)
    d = np.mean([engine.media_vector(m) for m in ids], axis=0) - mean
    return l2_normalize(d)[0] if np.any(d) else d


def push_down(engine, results: list, unlike: list[int], k: int) -> list:
    """"Not this": the query's own candidates, without the marked files and
    their near copies, those that look like them moved down. The answer is
    drawn from what the query found, so it keeps its subject whatever the
    marks; how far a hit moves is measured against how far apart the
    candidates' scores are, so one mark never outweighs the query."""
    marked = np.stack([engine.media_vector(m) for m in unlike])
    vectors = _vectors(engine, results)
    gone = set(unlike)
    results = [r for r in results if r.media_id not in gone
               and not (vectors[r.media_id] is not None and float((marked @ vectors[r.media_id]).max()) >= NEAR_COPY)]
    if len(results) < 3:
        return results[:k]
    bad = l2_normalize(marked.mean(0))[0]
    likeness = np.array([np.nan if vectors[r.media_id] is None else float(bad @ vectors[r.media_id])
                         for r in results])
    likeness[np.isnan(likeness)] = np.nanmedian(likeness) if not np.isnan(likeness).all() else 0.0
    scores = np.array([r.score for r in results], dtype=np.float64)
    spread = np.percentile(scores, 90) - np.percentile(scores, 10)
    span = np.percentile(likeness, 90) - np.percentile(likeness, 10)
    if spread <= 0 or span <= 0:
        return results[:k]
    push = PUSH * spread * np.clip((likeness - np.median(likeness)) / span, 0, None)
    order = np.argsort(-(scores - push), kind="stable")
    return [results[i] for i in order][:k]


def _vectors(engine, results: list) -> dict[int, np.ndarray | None]:
    """Each hit's file vector (the mean of its moments, as ``media_vector``),
    read for all hits in one catalog query; None where nothing is stored
    (never a copy, moved by nothing)."""
    stored = engine.catalog.vectors_of_media([r.media_id for r in results])
    return {r.media_id: l2_normalize(v.mean(0))[0] if (v := stored.get(r.media_id)) is not None else None
            for r in results}
