"""Bounded waiting under a crowd (issue 12.10): N clients send one search each
at the same moment to a real server; searches are admitted on the event loop
before a worker thread is taken, so at most WEB_MAX_CONCURRENCY run, WEB_MAX_QUEUE
wait, and the rest are told 429 at once instead of waiting for a thread.

    python benchmarks/admission.py [--clients 200]

Prints JSON: latency p50/p99 per answer status, counts. Fake model.
"""
from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import uvicorn
from _common import cpu_info, emit
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.store.settings import Settings
from mediasearch.web.app import create_app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ms-admit-"))
    try:
        pics = work / "pics"
        pics.mkdir()
        for i in range(200):
            Image.new("RGB", (32, 32), (i, 255 - i, (i * 7) % 256)).save(pics / f"{i}.png")
        settings = Settings(home=work / "d", model="fake", network_timeout=0)
        lib = Library(settings)
        Indexer(lib).run([pics])
        lib.close()
        app = create_app(settings)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="error", backlog=4096))
        threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
        while not server.started:
            time.sleep(0.05)  # the server thread binding
        go = threading.Event()
        out: list[tuple[int, float]] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            go.wait()
            t = time.perf_counter()
            try:
                conn.request("GET", f"/api/search?q=colour+{n}&k=24")
                status = conn.getresponse().status
            except OSError:
                status = 0
            with lock:
                out.append((status, time.perf_counter() - t))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # every client connected and waiting on the start signal
        go.set()
        for t in threads:
            t.join()
        server.should_exit = True
        by = {}
        for status in sorted({s for s, _ in out}):
            lat = np.array([d for s, d in out if s == status]) * 1000
            by[str(status)] = {"n": int(lat.size), "p50_ms": round(float(np.percentile(lat, 50)), 1),
                               "p99_ms": round(float(np.percentile(lat, 99)), 1)}
        all_lat = np.array([d for _, d in out]) * 1000
        emit({"benchmark": "admission", "clients": args.clients, "cpu": cpu_info(),
              "max_concurrency": settings.web_max_concurrency, "max_queue": settings.web_max_queue,
              "statuses": dict(Counter(str(s) for s, _ in out)), "by_status": by,
              "p99_ms_all": round(float(np.percentile(all_lat, 99)), 1)})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
