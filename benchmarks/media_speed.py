"""Video and audio indexing speed, as JSON:
- video: seconds of video indexed per second of wall time, and segments per
  minute of video (after shot merging), on generated clips with cuts;
- audio: transcription real-time factor (wall seconds per second of audio)
  with the bundled Whisper tiny.en, on espeak-ng speech.

    python benchmarks/media_speed.py [--minutes 2] [--model fake|bundled]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, cpu_info, emit

sys.path.insert(0, str(ROOT))
from mediasearch.indexer.library import Library  # noqa: E402
from mediasearch.indexer.pipeline import Indexer  # noqa: E402
from mediasearch.indexer.speech import Transcriber  # noqa: E402
from mediasearch.store.settings import Settings  # noqa: E402
from tests.media_factory import speech, video  # noqa: E402


def make_video(path: Path, minutes: float) -> None:
    rng = np.random.default_rng(0)
    shots, total = [], 0.0
    while total < minutes * 60:
        length = float(rng.uniform(2, 12))  # shots of 2-12 s, like home videos
        base = rng.integers(0, 255, (6, 8, 3), np.uint8)
        pic = np.kron(base, np.ones((80, 80, 1), np.uint8))  # 640x480
        shots.append((length, pic))
        total += length
    video(path, shots, fps=25, size=(640, 480), codec="mpeg4")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--model", default="fake")
    args = ap.parse_args()
    out = {"machine": cpu_info(), "model": args.model}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "v"
        folder.mkdir()
        make_video(folder / "home.mp4", args.minutes)
        settings = Settings(home=tmp / "data", model=args.model, network_timeout=0, transcribe=False)
        lib = Library(settings)
        t0 = time.perf_counter()
        Indexer(lib).run([folder])
        wall = time.perf_counter() - t0
        segs = len(lib.catalog.segment_vectors(str(folder / "home.mp4")))
        lib.close()
        seconds = args.minutes * 60
        out["video"] = {"video_seconds": seconds, "wall_seconds": round(wall, 2),
                        "video_seconds_per_wall_second": round(seconds / wall, 2),
                        "segments": segs, "segments_per_minute": round(segs / args.minutes, 1)}
        if shutil.which("espeak-ng"):
            s = speech("This is a test of the transcription speed. " * 8)
            tr = Transcriber("bundled")
            tr.transcribe(s[:16000 * 2])  # load + warm up
            t0 = time.perf_counter()
            windows = tr.transcribe(s)
            wall = time.perf_counter() - t0
            out["audio"] = {"audio_seconds": round(len(s) / 16000, 1), "wall_seconds": round(wall, 2),
                            "real_time_factor": round(wall / (len(s) / 16000), 3), "windows": len(windows)}
    emit(out)


if __name__ == "__main__":
    main()
