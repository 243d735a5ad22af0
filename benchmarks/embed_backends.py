"""open_clip on PyTorch eager vs ONNX Runtime (fp32, and int8 image tower),
the same model, the same threads, runs interleaved. Prints JSON.

    python benchmarks/embed_backends.py --json [--arch ViT-B-32] [--threads 2] [--rounds 3] [--batch 32]
                                               [--pipeline 100]

--pipeline N also indexes N dev photos through the whole pipeline with each
backend, bundled and open_clip (pipeline efficiency: end-to-end images/s
over model-only images/s; benchmarks/index_throughput.py does the run).

Random weights cost exactly what real ones do (speed only); agreement with
PyTorch is reported as the lowest cosine over the batch. A recall cost for
int8 needs real weights: `mediasearch eval` with MEDIASEARCH_ONNX_INT8=1
against the same run without it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
from _common import emit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="ViT-B-32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--pipeline", type=int, default=0, help="also index this many photos per backend")
    ap.add_argument("--json", action="store_true", help="(the output is always JSON)")
    a = ap.parse_args()
    os.environ.setdefault("MEDIASEARCH_ONNX_CACHE", tempfile.mkdtemp(prefix="onnx-bench-"))
    import torch

    torch.set_num_threads(a.threads)
    from PIL import Image

    from mediasearch.indexer.embedders.openclip import OpenClipEmbedder

    backends = {"torch": OpenClipEmbedder(a.arch, None, allow_random=True, runtime="torch")}
    backends["torch"].ensure_loaded()
    state = backends["torch"].model.state_dict()
    ckpt = os.path.join(os.environ["MEDIASEARCH_ONNX_CACHE"], "weights.pt")
    torch.save(state, ckpt)
    setup = {}
    for name, int8 in (("onnx", False), ("onnx-int8", True)):
        t = time.perf_counter()
        e = OpenClipEmbedder(a.arch, ckpt, runtime="onnx", int8=int8)
        e.ensure_loaded()
        setup[name] = round(time.perf_counter() - t, 1)
        backends[name] = e
    rng = np.random.default_rng(0)
    pictures = [Image.fromarray(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)) for _ in range(a.batch)]
    prepared = {n: [e.prepare_image(p) for p in pictures] for n, e in backends.items()}
    speed: dict[str, list[float]] = {n: [] for n in backends}
    query: dict[str, list[float]] = {n: [] for n in backends}
    vectors = {}
    for _ in range(a.rounds):
        for n, e in backends.items():  # interleaved: a noisy neighbour hits every backend alike
            t = time.perf_counter()
            vectors[n] = e.embed_prepared(prepared[n])
            speed[n].append(a.batch / (time.perf_counter() - t))
            for _ in range(5):
                t = time.perf_counter()
                e.embed_texts(["a photo of a dog playing on the beach"])
                query[n].append(1000 * (time.perf_counter() - t))
    ref = vectors["torch"]
    out = {"arch": a.arch, "threads": a.threads, "batch": a.batch, "rounds": a.rounds,
           "first_start_seconds": setup}  # load, export, verify (later starts load the cached files)
    for n in backends:
        out[n] = {"images_per_s_median": round(statistics.median(speed[n]), 1),
                  "images_per_s_best": round(max(speed[n]), 1),
                  "text_query_ms_median": round(statistics.median(query[n]), 1),
                  "min_cosine_vs_torch": round(float((vectors[n] * ref).sum(1).min()), 5)}
    out["speedup_vs_torch"] = {n: round(out[n]["images_per_s_median"] / out["torch"]["images_per_s_median"], 2)
                               for n in backends if n != "torch"}
    if a.pipeline:
        out["pipeline"] = _pipelines(a.pipeline, a.batch)
    emit(out)


def _pipelines(n: int, batch: int) -> list[dict]:
    """Both models, both runtimes, through the real pipeline (OCR off: the
    model's share, not OCR's, is what is compared)."""
    import shutil
    from pathlib import Path

    from index_throughput import bench, make_images

    folder = Path(tempfile.mkdtemp(prefix="pipeline-"))
    try:
        files = make_images(folder, n)
        return [bench(m, files, folder, batch, rt, "off") for m in ("bundled", "openclip")
                for rt in ("torch", "onnx")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
