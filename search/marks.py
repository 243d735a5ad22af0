"""What a person's marks do to an answer. Marks reorder what the query
itself found (and, for "Good", the files nearest each good one), so the
answer keeps its subject: one wrong hit of "a boy playing soccer" must not
turn the page into dogs. "Good" pulls up what looks like the files marked
good; "Not this" pushes down what looks like the files marked, and a file
marked "Not this" (or a near copy of it) is never shown again in that
answer. Both are measured on the spread of the candidates' own scores, so
no mark outweighs the query (benchmarks/feedback.py). With nothing else to
search by, "Not this" pushes the query away from the file."""
from __future__ import annotations

import numpy as np

from mediasearch.indexer.copies import EDIT_BITS, EDIT_COSINE, SAME_BITS
from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.indexer.media.signature import FLAT, as_array, pair_distance
from mediasearch.store.errors import QueryError

# How many of the query's own candidates marks may reorder, and how many of
# each good file's nearest files join them.
DEPTH = 100
NEIGHBOURS = 20
# How far a mark moves a hit, in spreads (p90 - p10) of the query's scores
# per spread of the hits' likeness to the marked files, and at most BOUND
# spreads of likeness (chosen on the tuned half of feedback-flickr).
GOOD = 1.5
BAD = 1.0
BOUND = 1.0
# A copy of a file marked "Not this" goes with it: the duplicate finder's
# rules, a signature within SAME_BITS, or within EDIT_BITS where the model
# sees the same content (the bundled model scores two beach photos 0.95, so
# a cosine alone would take half the beach away). Files without a signature
# (videos, recordings) by the cosine alone.
NEAR_COPY = EDIT_COSINE


def depth(k: int, offset: int) -> int:
    return max(DEPTH, 3 * (offset + k))


def away_from(engine, mean: np.ndarray, unlike: list[int]) -> np.ndarray:
    """"Not this" with nothing else to search by: away from the marked files'
    direction from the library's mean (in an embedding where any two
    pictures score 0.9, raw vectors would point at what all pictures share)."""
    d = _marked(engine, unlike).mean(0) - mean
    if not np.any(d):
        raise QueryError("the query has nothing left to search for")
    return l2_normalize(-d)[0]


def remark(engine, found: list, vector: np.ndarray, query, like: list[int], unlike: list[int]) -> list:
    """The query's candidates (``found``, at ``depth``) and each good file's
    nearest files, without the files marked "Not this" and their copies,
    ordered by likeness to the query moved by the marks. Each hit's score
    is that moved likeness (``why["marks"]`` the move)."""
    good, bad = _marked(engine, like), _marked(engine, unlike)
    cands = list(found)
    found_ids = {r.media_id for r in cands}
    seen = set(found_ids)
    for g in good:
        for r in engine.search_vector(g, query.only_filters(NEIGHBOURS)):
            if r.media_id not in seen:
                seen.add(r.media_id)
                r.match = None  # found by the mark, not judged against the words
                cands.append(r)
    vectors = _vectors(engine, cands)
    cands = _without(cands, vectors, dict(zip(unlike, bad)), engine)
    keep = [r for r in cands if vectors[r.media_id] is not None]
    if len(keep) < 3:
        return cands
    mat = np.stack([vectors[r.media_id] for r in keep])
    q = mat @ vector
    asked = np.array([r.media_id in found_ids for r in keep])
    spread = _spread(q[asked] if asked.sum() >= 3 else q)
    move = np.zeros(len(keep))
    if like:
        move += GOOD * _likeness(mat, good, signed=True)
    if unlike:
        move -= BAD * _likeness(mat, bad, signed=False)
    scores = q + spread * move
    for r, s, m in zip(keep, scores, move):
        r.score = round(float(s), 4)
        r.why = {**r.why, "marks": round(float(spread * m), 4)}
    order = np.argsort(-scores, kind="stable")
    return [keep[i] for i in order] + [r for r in cands if vectors[r.media_id] is None]


def _likeness(mat: np.ndarray, marked: np.ndarray, signed: bool) -> np.ndarray:
    """How much more each hit looks like the marked files than the typical
    hit does, in spreads, bounded (a "Not this" only pushes down: what is
    unlike the marked file is not the answer for that)."""
    like = (mat @ marked.T).mean(1)
    span = _spread(like)
    if span <= 0:
        return np.zeros(len(mat))
    z = (like - np.median(like)) / span
    return np.clip(z, -BOUND if signed else 0.0, BOUND)


def _spread(x: np.ndarray) -> float:
    return float(np.percentile(x, 90) - np.percentile(x, 10)) if len(x) else 0.0


def _without(results: list, vectors: dict, marked: dict[int, np.ndarray], engine) -> list:
    if not marked:
        return results
    sigs = engine.catalog.signatures_of([*marked, *(r.media_id for r in results)])
    gone = set(marked)
    return [r for r in results if r.media_id not in gone
            and not any(_copy(vectors[r.media_id], v, sigs.get(r.media_id), sigs.get(m)) for m, v in marked.items())]


def _copy(a: np.ndarray | None, b: np.ndarray, sig_a: bytes | None, sig_b: bytes | None) -> bool:
    cosine = float(a @ b) if a is not None else 0.0
    if not sig_a or not sig_b or FLAT in (sig_a, sig_b):
        return cosine >= NEAR_COPY and not (sig_a or sig_b)
    pair = as_array([sig_a, sig_b])
    bits = pair_distance(pair[0], pair[1])
    return bits <= SAME_BITS or (bits <= EDIT_BITS and cosine >= NEAR_COPY)


def _marked(engine, ids: list[int]) -> np.ndarray:
    """The marked files' vectors (each the mean of its moments, as
    ``media_vector``), in one catalog read; a file not indexed is an error."""
    stored = engine.catalog.vectors_of_media(ids)
    missing = next((m for m in ids if m not in stored), None)
    if missing is not None:
        raise QueryError(f"no indexed media with id {missing}")
    return (l2_normalize(np.stack([stored[m].mean(0) for m in ids])) if ids
            else np.zeros((0, engine.embedder.dim), np.float32))


def _vectors(engine, results: list) -> dict[int, np.ndarray | None]:
    """Each hit's file vector (the mean of its moments, as ``media_vector``),
    read for all hits in one catalog query; None where nothing is stored
    (never a copy, moved by nothing)."""
    stored = engine.catalog.vectors_of_media([r.media_id for r in results])
    return {r.media_id: l2_normalize(v.mean(0))[0] if (v := stored.get(r.media_id)) is not None else None
            for r in results}

