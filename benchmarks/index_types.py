"""Flat vs HNSW vs IVF-PQ on clustered 512-d vectors: build time, index size,
recall@10 against exact search (parameters tuned to 0.95 on held-out
queries) and single-query latency p50/p99, as JSON.

    python benchmarks/index_types.py [--sizes 100000,1000000] [--types flat,hnsw,ivfpq]
                                     [--device gpu]

With ``--device gpu`` (faiss-gpu and a GPU) flat and IVF-PQ are searched on
the GPU copy as the product does, and each result also reports how many of
its top-10 lists equal the CPU's ("same_as_cpu").

IVF-PQ refines its candidates with exact vectors fetched from the catalog in
the product; here they come from memory, and the cost of that fetch from
SQLite is measured separately ("catalog_fetch_ms").
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import cpu_info, emit
from search_latency import DIM, clustered

from mediasearch.store.catalog import Batch, Catalog, MediaRecord, NewSegment
from mediasearch.store.gpu_index import gpu_backend
from mediasearch.store.index_plan import exact_top, held_out_queries, plan_index
from mediasearch.store.vector_index import VectorIndex


def milvus(ids, vecs, queries, truth) -> dict:
    """The same vectors and queries through Milvus-lite (pymilvus MilvusClient)."""
    from pymilvus import MilvusClient

    with tempfile.TemporaryDirectory() as d:
        client = MilvusClient(str(Path(d) / "bench.db"))
        t0 = time.perf_counter()
        client.create_collection("bench", dimension=DIM, metric_type="IP", auto_id=False, id_type="int")
        for start in range(0, len(ids), 5000):
            client.insert("bench", [{"id": int(i), "vector": v.tolist()}
                                    for i, v in zip(ids[start:start + 5000], vecs[start:start + 5000])])
        build_s = time.perf_counter() - t0
        lat, hits = [], 0
        for q, t in zip(queries, truth):
            t1 = time.perf_counter()
            res = client.search("bench", [q.tolist()], limit=10)
            lat.append(time.perf_counter() - t1)
            hits += len({h["id"] for h in res[0]} & set(t))
        size = sum(f.stat().st_size for f in Path(d).rglob("*") if f.is_file())
        client.close()
    lat_ms = np.asarray(lat) * 1000
    return {"type": "milvus-lite", "build_s": round(build_s, 2), "index_bytes": size,
            "bytes_per_vector": round(size / len(ids), 1), "recall_at_10_test_queries": round(hits / truth.size, 4),
            "p50_ms": round(float(np.percentile(lat_ms, 50)), 3), "p99_ms": round(float(np.percentile(lat_ms, 99)), 3)}


def one(kind: str, ids, vecs, queries, truth, device: str = "cpu") -> dict:
    if kind == "milvus":
        return milvus(ids, vecs, queries, truth)
    t0 = time.perf_counter()
    vi = VectorIndex.build(ids, vecs, DIM, 1, plan_index(len(ids), DIM, kind=kind), recall_target=0.95)
    build_s = time.perf_counter() - t0
    if kind == "ivfpq":
        vi.fetch = lambda wanted: vecs[wanted]
    with tempfile.TemporaryDirectory() as d:
        vi.save(Path(d) / "v.faiss", "bench")
        size = (Path(d) / "v.faiss").stat().st_size
    cpu_answers = [vi.search(q, 10)[1] for q in queries] if device == "gpu" else None
    on = "cpu"
    if device == "gpu" and vi.use_gpu(gpu_backend(0)):
        on = "gpu:0"
        vi.search(queries[0], 10)  # first call pays for kernels and scratch memory
    lat, hits, same = [], 0, 0
    for n, (q, t) in enumerate(zip(queries, truth)):
        t1 = time.perf_counter()
        _, got = vi.search(q, 10)
        lat.append(time.perf_counter() - t1)
        hits += len(set(got) & set(t))
        if cpu_answers is not None:
            same += list(got) == list(cpu_answers[n])
    lat_ms = np.asarray(lat) * 1000
    extra = {"device": on, **({"same_as_cpu": f"{same}/{len(queries)}"} if cpu_answers is not None else {})}
    return {"type": kind, **extra, "build_s": round(build_s, 2), "index_bytes": size,
            "bytes_per_vector": round(size / len(ids), 1), "params": vi.plan.params,
            "recall_at_10_test_queries": round(hits / truth.size, 4),
            "p50_ms": round(float(np.percentile(lat_ms, 50)), 3), "p99_ms": round(float(np.percentile(lat_ms, 99)), 3)}


def catalog_fetch_ms(n: int = 20_000, fetch: int = 80) -> float:
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as d:
        cat = Catalog(Path(d) / "c.sqlite")
        vecs = clustered(rng, n)
        cat.apply(Batch(upserts=[MediaRecord(f"/x/{i}.jpg", "/x", 1, 1, i, "image", str(i),
                                             segments=[NewSegment(vecs[i], "image")]) for i in range(n)]))
        times = []
        for _ in range(50):
            want = rng.choice(np.arange(1, n + 1), fetch, replace=False)
            t0 = time.perf_counter()
            cat.vectors_by_id(want, DIM)
            times.append(time.perf_counter() - t0)
        cat.close()
    return round(float(np.median(times)) * 1000, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--types", default="flat,hnsw,ivfpq,milvus")
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--skip", default="1000000:hnsw,1000000:milvus",
                    help="size:type pairs to skip (HNSW and Milvus-lite at 1M take long on 2 cores)")
    args = ap.parse_args()
    skip = set(args.skip.split(",")) if args.skip else set()
    rng = np.random.default_rng(0)
    out = {"machine": cpu_info(), "dim": DIM, "catalog_fetch_ms_80_vectors": catalog_fetch_ms(), "results": []}
    for n in (int(x) for x in args.sizes.split(",")):
        vecs = clustered(rng, n)
        ids = np.arange(n, dtype=np.int64)
        queries = held_out_queries(vecs, 200, seed=7)
        truth = exact_top(vecs, ids, queries, 10)
        for kind in args.types.split(","):
            if f"{n}:{kind}" in skip:
                continue
            out["results"].append({"vectors": n, **one(kind, ids, vecs, queries, truth, args.device)})
    emit(out)


if __name__ == "__main__":
    main()
