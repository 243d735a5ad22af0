"""Indexing throughput (images/s) through the real pipeline, against the
model-only throughput on the same already-decoded images: the pipeline's
efficiency ratio (decode, hashing and SQLite hidden behind the model).

    python benchmarks/index_throughput.py [--n 200] [--models bundled,openclip]

open_clip ViT-B-32 runs on random weights here: same cost as real ones.
Prints JSON.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, cpu_info, emit, flickr_pairs
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.media.images import load_image
from mediasearch.indexer.pipeline import Indexer
from mediasearch.store.settings import Settings


def make_images(folder: Path, n: int) -> list[Path]:
    if (DEFAULT_FLICKR / "captions.csv").exists():
        srcs, _ = flickr_pairs(DEFAULT_FLICKR, n)
        out = []
        for p in srcs:
            shutil.copy(p, folder / p.name)
            out.append(folder / p.name)
        return out
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):  # photo-sized noise JPEGs when the photo set is absent
        a = rng.integers(0, 255, (375, 500, 3), np.uint8)
        Image.fromarray(a).save(folder / f"{i}.jpg", quality=90)
        out.append(folder / f"{i}.jpg")
    return out


def embedder_for(name: str, runtime: str):
    if name == "bundled":
        from mediasearch.indexer.embedders.bundled import BundledEmbedder
        return BundledEmbedder()  # always ONNX Runtime (its graph written from the weights)
    if name == "openclip":
        from mediasearch.indexer.embedders.openclip import OpenClipEmbedder
        return OpenClipEmbedder("ViT-B-32", None, allow_random=True, runtime=runtime)
    if name == "fake":
        from mediasearch.indexer.embedders.fake import FakeEmbedder
        return FakeEmbedder()
    raise SystemExit(f"unknown model {name}")


def bench(name: str, files: list[Path], folder: Path, batch: int, runtime: str, ocr: str) -> dict:
    emb = embedder_for(name, runtime)
    emb.batch_size = batch
    emb.ensure_loaded()
    # Warm up (first-call allocations, class vectors) outside the timings.
    emb.embed_images([load_image(files[0], 10**9).image] * 2)
    prepared = [emb.prepare_image(load_image(p, 10**9).image) for p in files]
    t0 = time.perf_counter()
    emb.embed_prepared(prepared)
    model_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), batch_size=batch, network_timeout=0, ocr=ocr)
        lib = Library(settings, embedder=emb)
        t0 = time.perf_counter()
        report = Indexer(lib).run([folder])
        pipe_s = time.perf_counter() - t0
        lib.close()
    assert report.new == len(files), report
    return {"model": emb.model_id, "runtime": emb.runtime, "ocr": ocr, "images": len(files),
            "model_only_images_per_s": round(len(files) / model_s, 2),
            "pipeline_images_per_s": round(len(files) / pipe_s, 2),
            "efficiency_ratio": round(model_s / pipe_s, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--models", default="bundled,openclip")
    ap.add_argument("--runtimes", default="torch,auto", help="MEDIASEARCH_RUNTIME values to compare")
    ap.add_argument("--ocr", default="auto", help="MEDIASEARCH_OCR during the pipeline run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        files = make_images(folder, args.n)
        results = [bench(m, files, folder, args.batch, rt, args.ocr)
                   for m in args.models.split(",") for rt in args.runtimes.split(",")]
    emit({"machine": cpu_info(), "results": results})


if __name__ == "__main__":
    main()
