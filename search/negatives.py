"""What "dog -water", "without water" and 不要水 do: the answer is drawn
from what the positive words find (never another subject), and each hit
moves down by how much more it looks like the negated thing than the
typical hit does (up, by as much less); a file whose own words (name, tags,
what was said or read) name it goes below every other.

Subtracting the negated text from the query vector (what this did before)
cut the share of shown photos showing the negated thing less, and turned
"a man -hat" or "a lake -boat" into other subjects. Reordering the positive
query's own hits keeps the subject. Figures: README (benchmarks/negatives.py).
"""
from __future__ import annotations

import numpy as np

# How much a hit's likeness to the negated thing counts against its
# likeness to the query (tuned on one half: 1.5 and 2 cut the negated share
# by half, 3 began to lose the subject).
WEIGHT = 2.0
# At least this many of the positive query's hits are reordered (50 beat
# 30 and 100 on the tuned half: fewer leaves too few without the thing,
# more lets weaker hits of the subject in).
CANDIDATES = 50
# No hit moves by more than this many times the spread of the candidates'
# likeness to the query (its 10th to 90th percentile).
BOUND = 2.0


def depth(k: int, offset: int) -> int:
    return max(CANDIDATES, 3 * (offset + k))


def reorder(engine, results: list, positive: np.ndarray, negatives: list[np.ndarray],
            named: set[int]) -> list:
    """``results`` (the positive query's hits) reordered: each by its
    likeness to the query less ``WEIGHT`` times how much more it looks like
    a negated thing than the typical hit does; files in ``named`` last."""
    if not results or not negatives:
        return results
    vectors = engine.catalog.vectors_of_media([r.media_id for r in results])
    nots = np.stack(negatives)
    like, unlike = [], []
    for r in results:
        vecs = vectors.get(r.media_id)
        if vecs is None or not vecs.size:
            like.append(r.why.get("similarity", r.score))
            unlike.append(np.nan)
            continue
        like.append(float((vecs @ positive).max()))
        unlike.append(float((vecs @ nots.T).max()))
    unlike = np.asarray(unlike)
    typical = float(np.nanmedian(unlike)) if not np.isnan(unlike).all() else 0.0
    unlike = np.where(np.isnan(unlike), typical, unlike)
    # Signed: a hit less like the negated thing than the typical hit moves
    # up as much (clipped at zero, the negated share fell much less);
    # bounded by the spread of the hits' likeness to the query, so "red
    # -blue" never turns into yellow, which is least like blue.
    like_arr = np.asarray(like)
    bound = BOUND * (np.percentile(like_arr, 90) - np.percentile(like_arr, 10))
    push = np.clip(WEIGHT * (unlike - typical), -bound, bound)
    for r, li, p, u in zip(results, like, push, unlike):
        r.why.setdefault("similarity", round(float(li), 4))  # what the cut-off judges: the query's own
        r.why["negated_likeness"] = round(float(u), 4)
        r.why["named_negated"] = r.media_id in named
        r.score = round(float(li - p), 4)  # the score the answer is ordered by
    return in_order(results)


def in_order(results: list) -> list:
    return sorted(results, key=lambda r: (r.why.get("named_negated", False), -r.score))


def judged(results: list, cutoff: dict) -> list:
    """After the cut-off judged the positive query's hits: a hit whose own
    words name the negated thing, or a match that looks enough like it to
    fall below the cut-off, is weaker now."""
    applied = cutoff.get("applied")
    for r in results:
        if r.why.get("named_negated") or (applied and r.match and not r.lexical and r.score <= cutoff["score"]):
            r.match = False
    return in_order([r for r in results if r.match is not False]) + in_order(
        [r for r in results if r.match is False])
