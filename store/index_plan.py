"""Which FAISS index type fits a collection: exact (flat) while small, HNSW
while the vectors fit the memory budget, IVF-PQ (compressed codes) beyond it;
and search parameters tuned on held-out queries to a recall target."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import faiss
import numpy as np

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
EF_STEPS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NPROBE_STEPS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
REFINE_STEPS = (8, 16, 32, 64)


@dataclass
class IndexPlan:
    kind: str                       # flat | hnsw | ivfpq
    params: dict = field(default_factory=dict)

    def bytes_per_vector(self, dim: int) -> int:
        if self.kind == "flat":
            return dim * 4
        if self.kind == "hnsw":
            return dim * 4 + HNSW_M * 2 * 4 + 8
        return self.params.get("m", dim // 8) + 8


def pq_m(dim: int) -> int:
    """Sub-quantizers for IVF-PQ: about one byte per 8 dimensions (64 bytes
    for 512-d, a 32x compression), a divisor of dim."""
    target = max(1, dim // 8)
    for m in range(target, 0, -1):
        if dim % m == 0:
            return m
    return 1


def plan_index(n: int, dim: int, kind: str = "auto", memory_mb: float = 2048,
               flat_max: int = 100_000, gpu: bool = False) -> IndexPlan:
    if kind == "auto":
        budget = memory_mb * 1024 * 1024
        if gpu:
            # On a GPU a flat scan is exact and about a millisecond per
            # million vectors, and HNSW cannot go there: flat while it fits,
            # then IVF-PQ (which the GPU searches too).
            kind = "flat" if n * dim * 4 <= budget else "ivfpq"
        elif n <= flat_max and n * dim * 4 <= budget:
            kind = "flat"
        elif n * IndexPlan("hnsw").bytes_per_vector(dim) <= budget:
            kind = "hnsw"
        else:
            kind = "ivfpq"
    if kind == "hnsw":
        return IndexPlan("hnsw", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": 64})
    if kind == "ivfpq":
        nlist = int(min(65536, max(16, 2 * math.sqrt(max(n, 1)))))
        # PQ codes find candidates; the exact vectors of the best refine*k
        # (fetched from the catalog, the source of truth) decide the order.
        return IndexPlan("ivfpq", {"nlist": nlist, "m": pq_m(dim), "nbits": 8, "nprobe": 16, "refine": 8})
    if kind != "flat":
        raise ValueError(f"unknown index type {kind!r}: use auto, flat, hnsw or ivfpq")
    return IndexPlan("flat")


def make_index(plan: IndexPlan, dim: int, train: np.ndarray | None) -> faiss.Index:
    if plan.kind == "flat":
        inner = faiss.IndexFlatIP(dim)
    elif plan.kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, plan.params["M"], faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = plan.params["efConstruction"]
    else:
        nlist = plan.params["nlist"]
        if train is None or len(train) < nlist:
            nlist = max(1, (len(train) if train is not None else 1) // 39 or 1)
            plan.params["nlist"] = nlist
        quantizer = faiss.IndexFlatIP(dim)
        inner = faiss.IndexIVFPQ(quantizer, dim, nlist, plan.params["m"], plan.params["nbits"],
                                 faiss.METRIC_INNER_PRODUCT)
        inner.train(np.ascontiguousarray(train, dtype=np.float32))
        # IVF lists store our ids themselves (no IDMap wrapper: IDMap's
        # removal renumbers positions, which IVF lists never do). A hashtable
        # direct map lets ids be removed and vectors reconstructed.
        inner.set_direct_map_type(faiss.DirectMap.Hashtable)
        return inner
    return faiss.IndexIDMap2(inner)


def search_params(plan: IndexPlan, selector=None):
    if plan.kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(plan.params["efSearch"]))
    if plan.kind == "ivfpq":
        return faiss.SearchParametersIVF(sel=selector, nprobe=int(plan.params["nprobe"]))
    return faiss.SearchParameters(sel=selector) if selector is not None else None


def held_out_queries(vectors: np.ndarray, count: int = 200, seed: int = 0) -> np.ndarray:
    """Queries near the data but not in it: stored vectors with noise added."""
    rng = np.random.default_rng(seed)
    pick = vectors[rng.choice(len(vectors), size=min(count, len(vectors)), replace=False)]
    noisy = pick + rng.normal(scale=0.5 / math.sqrt(vectors.shape[1]), size=pick.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    out = np.empty((len(queries), k), dtype=np.int64)
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), 100_000):  # chunks: bounded memory at 1M vectors
        sims = queries @ vectors[start:start + 100_000].T
        cand = np.concatenate([best, sims], axis=1)
        cand_ids = np.concatenate([best_ids, np.broadcast_to(ids[start:start + 100_000], sims.shape)], axis=1)
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(cand, top, axis=1)
        best_ids = np.take_along_axis(cand_ids, top, axis=1)
    order = np.argsort(-best, axis=1)
    out[:] = np.take_along_axis(best_ids, order, axis=1)
    return out


def tune(vi, vectors: np.ndarray, ids: np.ndarray, target: float = 0.95, k: int = 10) -> float:
    """Pick the smallest efSearch / nprobe for which ``vi.search`` (refinement
    included) reaches ``target`` recall@k on held-out queries; record and
    return the recall measured (1.0 for flat)."""
    plan = vi.plan
    if plan.kind == "flat" or len(vectors) <= k:
        plan.params["recall_at_10"] = 1.0
        return 1.0
    queries = held_out_queries(vectors)
    truth = exact_top(vectors, ids, queries, k)

    def measure() -> float:
        hits = sum(len(set(vi.search(q, k)[1]) & set(t)) for q, t in zip(queries, truth))
        return hits / truth.size

    recall = 0.0
    if plan.kind == "hnsw":
        for ef in EF_STEPS:
            plan.params["efSearch"] = ef
            if (recall := measure()) >= target:
                break
    else:
        # PQ codes bound what nprobe alone can reach: widen the exact
        # re-scoring (refine) too, cheapest settings first.
        best = None
        for refine in REFINE_STEPS:
            plan.params["refine"] = refine
            for nprobe in (p for p in NPROBE_STEPS if p <= plan.params["nlist"]):
                plan.params["nprobe"] = nprobe
                recall = measure()
                if best is None or recall > best[0]:
                    best = (recall, refine, nprobe)
                if recall >= target:
                    break
            if recall >= target:
                break
        if recall < target and best is not None:
            recall, plan.params["refine"], plan.params["nprobe"] = best
    plan.params["recall_at_10"] = round(recall, 4)
    return recall
