"""The daemon under a burst, beside `index` on the same files (issue 12.8 and
12.1): files/s through `index`, files/s through the watcher when the same
files land in a watched root at once, and a gradual deletion of the root
(no file may be deleted for good). Fake model: the bookkeeping, not the
model, is measured.

    python benchmarks/watch_burst.py [--n 2000]

Prints JSON.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import cpu_info, emit
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.indexer.watch import Watcher
from mediasearch.store.settings import Settings


def make_files(folder: Path, n: int) -> None:
    for i in range(n):
        sub = folder / f"g{i // 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (16, 16), (i % 256, (i // 256) % 256, 7)).save(sub / f"{i:05d}.png")


def wait(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)  # a benchmark polls; tests wait on events
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--delete-rate", type=float, default=50.0, help="files/s of the gradual rm -rf")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ms-burst-"))
    try:
        src = work / "src"
        make_files(src, args.n)
        s1 = Settings(home=work / "d1", model="fake", network_timeout=0, commit_every=200)
        lib = Library(s1)
        t = time.perf_counter()
        Indexer(lib).run([src])
        index_rate = args.n / (time.perf_counter() - t)
        lib.close()

        root = work / "watched"
        root.mkdir()
        s2 = Settings(home=work / "d2", model="fake", network_timeout=0, commit_every=200, delete_grace=5)
        lib = Library(s2)
        lib.claim_identity()
        w = Watcher(lib, [root], settle=0.5).start()
        wait(lambda: w.state.last_reconcile is not None, 30)
        t = time.perf_counter()
        for g in sorted(src.iterdir()):
            shutil.copytree(g, root / g.name)  # new folders with their files: one burst
        ok = wait(lambda: lib.catalog.stats()["segments"] >= args.n, 600)
        watch_rate = args.n / (time.perf_counter() - t)
        segments = lib.catalog.stats()["segments"]
        # A gradual rm -rf of the whole root, a folder (100 files) at a time.
        t = time.perf_counter()
        for g in sorted(root.iterdir()):
            for f in sorted(g.iterdir()):
                f.unlink()
            time.sleep(100 / args.delete_rate)
        wait(lambda: lib.catalog.count_under(str(root)) == lib.catalog.missing_under(str(root)), 600)
        time.sleep(s2.delete_grace + 2)  # past the grace period: the guard has judged
        kept = lib.catalog.count_under(str(root))
        w.stop()
        lib.close()
        emit({"benchmark": "watch_burst", "files": args.n, "cpu": cpu_info(),
              "index_files_per_s": round(index_rate, 1), "watch_files_per_s": round(watch_rate, 1),
              "watch_vs_index": round(watch_rate / index_rate, 2), "all_indexed": ok,
              "segments_after_burst": segments,
              "gradual_delete": {"files_per_s": args.delete_rate, "deleted_for_good": args.n - kept,
                                 "kept_offline": kept,
                                 "seconds": round(time.perf_counter() - t, 1)}})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
