"""rclip 3.3 and mediasearch indexing the same photos with the same model
(a random-weight ViT-B-32-256, rclip's architecture; random weights cost what
real ones do), interleaved, on an idle machine and on a busy one (two
processes of our own spinning beside both), on small photos and on 12-MP
JPEGs. Prints JSON.

Needs rclip in its own venv and the model prepared for both:
    python3 -m venv /tmp/rclipvenv && /tmp/rclipvenv/bin/pip install rclip==3.3.0
    python benchmarks/rclip_prepare.py /tmp/rc
    python benchmarks/rclip_side_by_side.py --rc /tmp/rc --photos DIR [--big 40] [--rounds 2]

Each tool's rate is (N - 1) / (wall(N photos) - wall(1 photo)): both pay
their start-up in both runs, so it drops out. mediasearch runs like for
like: OCR and faces off (rclip reads no words and finds no faces), fp32 and
int8 image towers. The near-copy check still runs: with random weights
every pair of pictures looks alike to the model (cosine ~0.99), so it
examines far more pairs than with a real model.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import emit
from PIL import Image

RCLIP = "/tmp/rclipvenv/bin/rclip"


def rclip_run(rc: Path, folder: Path) -> float:
    for f in (rc / "rclip-data").glob("db.sqlite3*"):
        f.unlink()
    env = {**os.environ, "RCLIP_DATADIR": str(rc / "rclip-data"), "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    subprocess.run([RCLIP, "-f", "-t", "3", "a dog"], cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ms_run(rc: Path, folder: Path, int8: bool) -> float:
    home = rc / "ms-home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "MEDIASEARCH_HOME": str(home), "MEDIASEARCH_OCR": "off", "MEDIASEARCH_FACES": "off",
           "MEDIASEARCH_ONNX_INT8": "true" if int8 else "false"}
    model = f"openclip:ViT-B-32-256/{rc}/vitb32-256-random.pt"
    t0 = time.perf_counter()
    subprocess.run(["mediasearch", "index", str(folder), "--model", model, "--no-progress"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def big_photos(src: list[Path], dest: Path, n: int) -> Path:
    """12-MP JPEGs (4032x3024, quality 90), made by upscaling dev photos."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in src[:n]:
        out = dest / p.name
        if not out.exists():
            Image.open(p).convert("RGB").resize((4032, 3024), Image.BICUBIC).save(out, quality=90)
    return dest


def hogs(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def measure(rc: Path, folder: Path, rounds: int) -> dict:
    """Rates (photos/s) of each tool, interleaved rounds, and each round's wall times."""
    one = rc / f"one-{folder.name}"
    one.mkdir(exist_ok=True)
    first = sorted(folder.glob("*.jpg"))[0]
    if not (one / first.name).exists():
        shutil.copy(first, one / first.name)
    n = len(list(folder.glob("*.jpg")))
    tools = {"rclip": lambda f: rclip_run(rc, f), "mediasearch_fp32": lambda f: ms_run(rc, f, False),
             "mediasearch_int8": lambda f: ms_run(rc, f, True)}
    rates: dict[str, list[float]] = {t: [] for t in tools}
    for _ in range(rounds):
        for name, run in tools.items():
            w1, wn = run(one), run(folder)
            rates[name].append(round((n - 1) / max(1e-6, wn - w1), 2))
    out = {"photos": n, "rates": rates}
    med = {t: statistics.median(r) for t, r in rates.items()}
    out["fp32_vs_rclip"] = round(med["mediasearch_fp32"] / med["rclip"], 2)
    out["int8_vs_rclip"] = round(med["mediasearch_int8"] / med["rclip"], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rc", type=Path, default=Path("/tmp/rc"))
    ap.add_argument("--photos", type=Path, required=True)
    ap.add_argument("--big", type=int, default=40, help="12-MP photos made from the first N (0: none)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--busy", type=int, default=2, help="spinning processes for the busy runs")
    a = ap.parse_args()
    sets = {"small": a.photos}
    if a.big:
        sets["12mp"] = big_photos(sorted(a.photos.glob("*.jpg")), a.rc / "big", a.big)
    out: dict = {"cpus": os.cpu_count()}
    for load in ("idle", "busy"):
        for label, folder in sets.items():
            procs = hogs(a.busy) if load == "busy" else []
            try:
                got = measure(a.rc, folder, a.rounds)
                got["load_1min_after"] = round(os.getloadavg()[0], 2)
            finally:
                for p in procs:
                    p.kill()
            out[f"{load}_{label}"] = got
    emit(out)


if __name__ == "__main__":
    main()
