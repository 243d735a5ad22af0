"""Retrieval metrics, following CLIP_benchmark's convention: a query is a hit
at K when any of its ground-truth items is in the top K; every caption of an
image is a separate text->image query. Ranks are 1-based; ties are broken in
favour of the ground truth (rank = 1 + items scoring strictly higher)."""
from __future__ import annotations

import numpy as np

KS = (1, 5, 10)


def ranks_from_scores(scores: np.ndarray, relevant: list[list[int]]) -> np.ndarray:
    """Rank of the best relevant item for each query row of ``scores``."""
    out = np.empty(len(relevant), dtype=np.int64)
    for q, rel in enumerate(relevant):
        best = scores[q, rel].max()
        out[q] = 1 + int((scores[q] > best).sum())
    return out


def ranks_from_lists(ranked: list[list[int]], relevant: list[list[int]], cap: int) -> np.ndarray:
    """Ranks from top-N result lists (the search engine's answers); a query
    whose ground truth is not in its list gets rank ``cap + 1``."""
    out = np.empty(len(relevant), dtype=np.int64)
    for q, (items, rel) in enumerate(zip(ranked, relevant)):
        rel_set = set(rel)
        out[q] = next((i + 1 for i, item in enumerate(items) if item in rel_set), cap + 1)
    return out


def summarize(ranks: np.ndarray, ks=KS, cap: int | None = None) -> dict:
    ranks = np.asarray(ranks)
    out = {f"R@{k}": round(float((ranks <= k).mean()) * 100, 2) for k in ks}
    median = float(np.median(ranks))
    out["median_rank"] = median if cap is None or median <= cap else None
    # With top-N lists the mean is a lower bound; say so rather than guess.
    out["mean_rank"] = round(float(ranks.mean()), 2) if cap is None else None
    out["queries"] = int(len(ranks))
    return out


def recall_curve(ranks: np.ndarray, max_k: int) -> list[float]:
    ranks = np.asarray(ranks)
    return [round(float((ranks <= k).mean()) * 100, 2) for k in range(1, max_k + 1)]
