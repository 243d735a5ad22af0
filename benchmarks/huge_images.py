"""Peak memory and time to load huge PNGs on the indexer's decode threads:
shrunk while decoded by libvips (the product), decoded whole by Pillow one
at a time (the product without libvips) and all at once; prints JSON.

    python benchmarks/huge_images.py [--count 4] [--megapixels 48] [--threads 4]

Pillow cannot decode a PNG at reduced scale (JPEG can, with draft), so each
huge PNG costs width x height x 3 bytes there; libvips streams it in strips. Each mode runs in a
fresh process whose peak resident memory (VmHWM, reset at its start) is its own.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, emit

CHILD = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {root!r})
import mediasearch.indexer.media.images as images
from mediasearch.indexer.memory import return_large_blocks
return_large_blocks()  # as the indexer does

if {mode!r} != "libvips_strips":  # the Pillow paths: the whole PNG decoded, then shrunk
    images.huge_png.available = lambda: False
if {mode!r} == "pillow_all_at_once":
    images.LARGE_DECODE_PIXELS = 10**12
paths = {paths!r}

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) // 1024

# The peak survives exec (the parent's would be reported): reset it first.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status("VmRSS:")
t0 = time.perf_counter()
with ThreadPoolExecutor({threads}) as pool:
    sizes = list(pool.map(lambda p: images.load_image(p, 10**9).image.size, paths))
print(json.dumps({{"seconds": round(time.perf_counter() - t0, 2), "rss_before_mb": base,
                  "peak_mb": status("VmHWM:"), "peak_growth_mb": status("VmHWM:") - base,
                  "decoded": len(sizes)}}))
"""


def make_pngs(folder: Path, count: int, megapixels: float) -> list[str]:
    import numpy as np
    from PIL import Image

    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    x = np.linspace(0, 255, w, dtype=np.float32)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    paths = []
    for i in range(count):  # gradients: quick to write, as costly to decode as any PNG
        arr = np.stack([np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w)),
                        np.full((h, w), 40 * i, np.float32)], axis=2).astype(np.uint8)
        p = folder / f"huge_{i}.png"
        Image.fromarray(arr).save(p, compress_level=1)
        paths.append(str(p))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--megapixels", type=float, default=48)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        paths = make_pngs(Path(d), args.count, args.megapixels)
        out = {"pictures": args.count, "megapixels": args.megapixels, "threads": args.threads}
        for mode in ("libvips_strips", "pillow_one_at_a_time", "pillow_all_at_once"):
            code = CHILD.format(root=str(ROOT), mode=mode, paths=paths, threads=args.threads)
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            out[mode] = {**json.loads(done.stdout.strip().splitlines()[-1]),
                         "wall_s": round(time.perf_counter() - t0, 2)}
    emit(out)


if __name__ == "__main__":
    main()
