"""What a person's marks do to an answer: "Good" pulls the query toward the
files marked, "Not this" pushes it away from them, bounded so the query
keeps its subject (one wrong hit of "a boy playing soccer" must not turn
the page into dogs), and a file marked "Not this" (or a near copy of it)
is never shown again in that answer."""
from __future__ import annotations

import numpy as np

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.store.errors import QueryError

FEEDBACK_GOOD = 1.0
FEEDBACK_BAD = 0.5
# Without words to search by, the marked query keeps at least this cosine
# with the files marked "Good": the "Not this" push is shortened until it does.
KEEP_SUBJECT = 0.8
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
    good = _direction(engine, like, mean)
    bad = _direction(engine, unlike, mean)
    vec = base + FEEDBACK_GOOD * good
    pushed = vec - FEEDBACK_BAD * bad
    if query is not None and np.any(bad):
        pushed = _bounded(vec, bad, query)
    if not np.any(pushed):
        raise QueryError("the query has nothing left to search for")
    return l2_normalize(pushed)[0]


def _direction(engine, ids: list[int], mean: np.ndarray) -> np.ndarray:
    if not ids:
        return np.zeros_like(mean)
    d = np.mean([engine.media_vector(m) for m in ids], axis=0) - mean
    return l2_normalize(d)[0] if np.any(d) else d


def _bounded(vec: np.ndarray, bad: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The longest push away from ``bad`` (up to FEEDBACK_BAD) that keeps
    the query's subject."""
    q = l2_normalize(query)[0]
    weight = FEEDBACK_BAD
    for _ in range(12):
        v = vec - weight * bad
        if float(l2_normalize(v)[0] @ q) >= KEEP_SUBJECT or weight < 1e-3:
            return v
        weight /= 2
    return vec


def push_down(engine, results: list, unlike: list[int], k: int) -> list:
    """"Not this": the query's own candidates, without the marked files and
    their near copies, those that look like them moved down. The answer is
    drawn from what the query found, so it keeps its subject whatever the
    marks; how far a hit moves is measured against how far apart the
    candidates' scores are, so one mark never outweighs the query."""
    results = drop_marked(engine, results, unlike)
    if len(results) < 3:
        return results[:k]
    bad = l2_normalize(np.mean([engine.media_vector(m) for m in unlike], axis=0))[0]
    likeness = np.array([float(bad @ engine.media_vector(r.media_id)) for r in results])
    scores = np.array([r.score for r in results], dtype=np.float64)
    spread = np.percentile(scores, 90) - np.percentile(scores, 10)
    span = np.percentile(likeness, 90) - np.percentile(likeness, 10)
    if spread <= 0 or span <= 0:
        return results[:k]
    push = PUSH * spread * np.clip((likeness - np.median(likeness)) / span, 0, None)
    order = np.argsort(-(scores - push), kind="stable")
    return [results[i] for i in order][:k]


def drop_marked(engine, results: list, unlike: list[int]) -> list:
    """The answer without the files marked "Not this" and their near copies."""
    if not unlike:
        return results
    bad = np.stack([engine.media_vector(m) for m in unlike])
    gone = set(unlike)
    kept = []
    for r in results:
        if r.media_id in gone:
            continue
        try:
            close = float((bad @ engine.media_vector(r.media_id)).max()) >= NEAR_COPY
        except QueryError:
            close = False
        if not close:
            kept.append(r)
    return kept
