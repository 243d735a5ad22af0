"""Search latency (p50/p99, ms) through the search engine (FAISS + catalog
join + grouping) at 10k and 100k vectors of 512 dimensions, clustered like
real embeddings, with and without a folder filter; and what a search pays
once after the library changed (``refresh``: the place names and date span
the query reader needs, the cut-off's calibration made, remade with the
saved nonsense vectors, read back from the data dir). Prints JSON.

    python benchmarks/search_latency.py [--sizes 10000,100000] [--queries 200]
    python benchmarks/search_latency.py --service --sizes 100000,1000000

``--service``: the whole text search a user's query takes through
``SearchService`` (reading dates, places, kinds, people and languages,
the word search and its fusion, the cut-off, the explanations), with the
queries written outside the project (../shared/data/queries-dev: judge and
understanding sets, 340 queries in several languages), each asked twice
(the second from the query cache a real server also has: reported apart).
The stand-in model embeds a text in microseconds: a real text tower adds its
own time (MiniLM about 5-10 ms a query on 2 cores).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import cpu_info, emit

from mediasearch.indexer.embedders.base import Embedder, l2_normalize
from mediasearch.indexer.library import Library
from mediasearch.search import cutoff
from mediasearch.search.engine import SearchEngine
from mediasearch.search.query import Query
from mediasearch.store.catalog import Batch, MediaRecord, NewSegment
from mediasearch.store.settings import Settings

DIM = 512


class Fixed(Embedder):
    """Stands in for a model: the benchmark queries with ready vectors."""
    model_id = "bench-512"
    dim = DIM

    def identity(self):
        return {"backend": "bench", "architecture": "none", "weights": "none", "dim": DIM}

    def _embed_prepared(self, items):
        raise NotImplementedError

    def _embed_texts(self, texts):
        # Deterministic stand-in vectors: the benchmark measures the search path.
        import hashlib
        return np.stack([np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16))
                         .normal(size=DIM).astype(np.float32) for t in texts])


def clustered(rng, n, centers=256):
    c = l2_normalize(rng.normal(size=(centers, DIM)))
    x = c[rng.integers(0, centers, n)] + 0.35 * rng.normal(size=(n, DIM)) / np.sqrt(DIM) * 4
    return l2_normalize(x)


def percentile_ms(samples, q):
    return round(float(np.percentile(samples, q)) * 1000, 2)


def fill(lib: Library, n: int, rng) -> float:
    """n synthetic images in the catalog; returns the seconds it took."""
    lib.claim_identity()
    vecs = clustered(rng, n)
    t0 = time.perf_counter()
    for start in range(0, n, 5000):
        batch = Batch(upserts=[
            MediaRecord(path=f"/lib/{i % 100:02d}/{i}.jpg", root="/lib", size=1, mtime_ns=1, inode=i,
                        kind="image", content_hash=str(i),
                        segments=[NewSegment(vecs[i], "image")])
            for i in range(start, min(n, start + 5000))])
        lib.catalog.apply(batch)
    return time.perf_counter() - t0


def timed_ms(fn) -> tuple[float, object]:
    t = time.perf_counter()
    value = fn()
    return round((time.perf_counter() - t) * 1000, 1), value


def refresh_costs(lib: Library) -> dict:
    """The stand-in model embeds the 128 nonsense strings for free: a real
    one adds its own time to "calibrate_ms" (0.74 s with the bundled model)."""
    gen = lib.catalog.generation()
    out = {name: timed_ms(fn)[0] for name, fn in (
        ("place_names_ms", lib.catalog.place_names), ("date_span_ms", lib.catalog.date_span),
        ("vector_sample_ms", lambda: lib.catalog.vector_sample(cutoff.SAMPLE, DIM)))}
    fresh = cutoff.Cutoff(lib)
    out["calibrate_ms"], cal = timed_ms(lambda: fresh._calibrate(gen))
    out["recalibrate_with_saved_nonsense_ms"] = timed_ms(lambda: fresh._calibrate(gen, cal.refs))[0]
    fresh._write(cal)
    out["read_saved_ms"] = timed_ms(cutoff.Cutoff(lib)._read)[0]
    return out


def run(n: int, queries: int, rng) -> dict:
    with tempfile.TemporaryDirectory() as home:
        lib = Library(Settings(home=Path(home), network_timeout=0), embedder=Fixed())
        build_s = fill(lib, n, rng)
        t0 = time.perf_counter()
        lib.vector_index()  # rebuilt from SQLite: the cold-start cost
        load_s = time.perf_counter() - t0
        engine = SearchEngine(lib)
        qs = clustered(rng, queries)
        out = {"vectors": n, "catalog_insert_s": round(build_s, 2), "index_from_catalog_s": round(load_s, 2)}
        for label, under in (("unfiltered", []), ("folder_filter_1pct", ["/lib/07"])):
            times = []
            for q in qs:
                t = time.perf_counter()
                res = engine.search_vector(q, Query([], k=10, under=under))
                times.append(time.perf_counter() - t)
                assert len(res) == 10
            out[label] = {"p50_ms": percentile_ms(times, 50), "p99_ms": percentile_ms(times, 99)}
        out["refresh"] = refresh_costs(lib)
        lib.close()
        return out


def outside_queries(limit: int) -> list[str]:
    import json

    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "queries-dev"
    qs = []
    for name in ("judge-flickr.jsonl", "understanding.jsonl"):
        f = folder / name
        if f.exists():
            qs += [json.loads(line)["q"] for line in f.read_text().splitlines() if line.strip()]
    return qs[:limit] or ["a dog on the beach", "photos from 2019", "kids playing in the snow"]


def run_service(n: int, queries: int, rng) -> dict:
    from mediasearch.search.service import SearchRequest, SearchService
    from mediasearch.store.errors import QueryError

    with tempfile.TemporaryDirectory() as home:
        lib = Library(Settings(home=Path(home), network_timeout=0), embedder=Fixed())
        build_s = fill(lib, n, rng)
        t0 = time.perf_counter()
        lib.vector_index()
        load_s = time.perf_counter() - t0
        service = SearchService(lib)
        t0 = time.perf_counter()
        service.warm_up()  # what `serve` does before it says "serving"
        warm_s = time.perf_counter() - t0
        out = {"vectors": n, "catalog_insert_s": round(build_s, 1), "index_from_catalog_s": round(load_s, 1),
               "warm_up_s": round(warm_s, 2), "index": getattr(getattr(lib.vector_index(), "plan", None), "kind", "?")}
        texts = outside_queries(queries)
        for label in ("first_time", "asked_again"):
            times, failed = [], 0
            for q in texts:
                t = time.perf_counter()
                try:
                    service.search(SearchRequest(texts=[q], k=24))
                except QueryError:
                    failed += 1
                times.append(time.perf_counter() - t)
            out[label] = {"queries": len(texts), "p50_ms": percentile_ms(times, 50), "p99_ms": percentile_ms(times, 99),
                          "max_ms": round(max(times) * 1000, 1), "refused": failed}
        lib.close()
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--service", action="store_true", help="the whole text search through SearchService")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    measure = run_service if args.service else run
    emit({"machine": cpu_info(), "dim": DIM,
          "results": [measure(int(n), args.queries, rng) for n in args.sizes.split(",")]})


if __name__ == "__main__":
    main()
