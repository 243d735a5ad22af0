"""Search latency over HTTP (uvicorn + the FastAPI app) at a fixed request
rate, with 100k vectors in the index: p50/p99 per request, as JSON.

    python benchmarks/http_latency.py [--n 100000] [--rate 20] [--seconds 10]

Requests are sent open-loop on a fixed schedule (not back to back), so queueing
delay under load shows up in the latency, as users would feel it.
"""
from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from _common import cpu_info, emit
from search_latency import Fixed, fill

from mediasearch.indexer.library import Library
from mediasearch.store.settings import Settings
from mediasearch.web.app import create_app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), network_timeout=0, web_max_concurrency=4, web_max_queue=64)
        lib = Library(settings, embedder=Fixed())
        fill(lib, args.n, np.random.default_rng(0))
        lib.vector_index()
        lib.save_vector_index()
        lib.close()
        app = create_app(settings, embedder=Fixed())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        t = threading.Thread(target=server.run, daemon=True)
        t.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/api/search"
        client = httpx.Client(timeout=30)
        client.get(url, params={"q": "warm up", "k": 10})  # loads the index
        total = int(args.rate * args.seconds)
        latencies, statuses = [], []
        lock = threading.Lock()

        def one(i: int) -> None:
            t0 = time.perf_counter()
            r = client.get(url, params={"q": f"query {i}", "k": 10})
            with lock:
                latencies.append(time.perf_counter() - t0)
                statuses.append(r.status_code)

        start = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            for i in range(total):
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)
        server.should_exit = True
        lat = np.asarray(latencies) * 1000
        emit({"machine": cpu_info(), "vectors": args.n, "rate_per_s": args.rate, "requests": total,
              "ok": statuses.count(200), "non_200": len(statuses) - statuses.count(200),
              "p50_ms": round(float(np.percentile(lat, 50)), 2),
              "p99_ms": round(float(np.percentile(lat, 99)), 2)})


if __name__ == "__main__":
    main()
