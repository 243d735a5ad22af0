"""Recall@K through the real pipeline: index the images into a fresh data
directory with the chosen model, query every caption through the search
engine, query every image by its stored embedding for image->text, and
compare with exact brute-force similarity on the same embeddings."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mediasearch.indexer.embedders import Embedder
from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer, Progress
from mediasearch.store.errors import ConfigError
from mediasearch.store.settings import Settings
from mediasearch.store.vector_index import VectorIndex

from .datasets import EvalSet
from .engine import SearchEngine
from .metrics import KS, ranks_from_lists, ranks_from_scores, recall_curve, summarize
from .query import Query
from .rerank import rerank

# Published zero-shot retrieval on COCO 5k (Karpathy test), from open_clip's
# docs/openclip_retrieval_results.csv: text->image and image->text R@1/5/10.
PUBLISHED = {
    ("ViT-B-32", "laion2b_s34b_b79k"): {"text_to_image": (39.3, 65.4, 75.6), "image_to_text": (56.3, 79.8, 87.1)},
    ("ViT-B-32", "openai"): {"text_to_image": (30.4, 55.9, 66.9), "image_to_text": (50.1, 75.0, 83.5)},
}
TOP_N = 100  # results fetched per caption query through the engine


@dataclass
class EvalResult:
    model: str
    dataset: str
    images: int
    captions: int
    missing_images: int
    failed_images: int
    index_seconds: float
    query_ms: float
    pipeline: dict = field(default_factory=dict)
    exact: dict = field(default_factory=dict)
    published: dict | None = None
    reranked: dict | None = None  # with --rerank: the same queries reranked by captions
    curves: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def published_for(embedder: Embedder) -> dict | None:
    ident = embedder.identity()
    if ident.get("backend") != "openclip":
        return None
    tag = embedder.model_id.split("/", 1)[-1]
    return PUBLISHED.get((ident["architecture"], tag))


def _stored_image_vectors(lib: Library, data: EvalSet) -> tuple[np.ndarray, np.ndarray]:
    """Image embeddings as stored by the pipeline (what image queries use),
    and which images were indexed at all."""
    ivecs = np.zeros((len(data.images), lib.embedder.dim), np.float32)
    indexed = np.zeros(len(data.images), bool)
    for i, p in enumerate(data.images):
        v = lib.catalog.segment_vectors(str(p.resolve()))
        if v.size:
            ivecs[i] = v[0]
            indexed[i] = True
    return ivecs, indexed


def evaluate(data: EvalSet, settings: Settings, model: str | None = None, fresh: bool = False,
             embedder: Embedder | None = None,
             progress: Callable[[str, Progress], None] | None = None,
             captioner=None) -> EvalResult:
    """``settings.home`` is an evaluation-only data directory (reused across
    runs, so a rerun embeds nothing new; ``fresh`` starts it over)."""
    if not data.images:
        raise ConfigError("no images to evaluate (none of the listed images exist on disk)")
    progress = progress or (lambda stage, p: None)
    lib = Library(settings, model, rebuild=fresh, embedder=embedder)
    try:
        t0 = time.perf_counter()
        Indexer(lib, lambda p: progress("index", p)).run(
            sorted({str(p.parent) for p in data.images}) if _whole_folders(data) else data.images)
        index_s = time.perf_counter() - t0
        emb = lib.embedder
        engine = SearchEngine(lib)
        path_to_img = {str(p.resolve()): i for i, p in enumerate(data.images)}
        texts = [c for caps in data.captions for c in caps]
        text_img = [i for i, caps in enumerate(data.captions) for _ in caps]
        tvecs = emb.embed_texts(texts)
        ivecs, indexed = _stored_image_vectors(lib, data)
        k = min(TOP_N, len(data.images))
        # text -> image through the engine (FAISS + catalog join + grouping).
        ranked: list[list[int]] = []
        reranked: list[list[int]] = []
        rerank_s = 0.0
        t0 = time.perf_counter()
        for q, v in enumerate(tvecs):
            res = engine.search_vector(v, Query([], k=k))
            ranked.append([path_to_img.get(r.path, -1) for r in res])
            if captioner is not None:
                t1 = time.perf_counter()
                rr, _ = rerank(engine, res, texts[q], captioner, settings.rerank_top, settings.rerank_weight)
                rerank_s += time.perf_counter() - t1
                reranked.append([path_to_img.get(r.path, -1) for r in rr])
            if q % 50 == 0:
                progress("query", Progress(q + 1, len(tvecs)))
        query_ms = (time.perf_counter() - t0 - rerank_s) / max(1, len(tvecs)) * 1000
        # An image that failed to index is left out of both directions: its
        # captions cannot find it and it has no vector to ask with (counted
        # as found, or as missed, it would move the figures by its share).
        asked = [t for t, i in enumerate(text_img) if indexed[i]]
        t2i = ranks_from_lists([ranked[t] for t in asked], [[text_img[t]] for t in asked], cap=k)
        # image -> text: each image's stored vector against a FAISS index of the captions.
        cap_index = VectorIndex.build(np.arange(len(texts), dtype=np.int64), tvecs, emb.dim, 0)
        img_texts: list[list[int]] = [[] for _ in data.images]
        for t, i in enumerate(text_img):
            img_texts[i].append(t)
        shown = [i for i in range(len(data.images)) if indexed[i]]
        ranked_i = [list(cap_index.search(ivecs[i], min(TOP_N, len(texts)))[1]) for i in shown]
        i2t = ranks_from_lists(ranked_i, [img_texts[i] for i in shown], cap=min(TOP_N, len(texts)))
        # Exact brute force on the same embeddings; images that failed are no candidates.
        sim = tvecs @ ivecs.T
        sim[:, ~indexed] = -np.inf
        exact_t2i = ranks_from_scores(sim[asked], [[text_img[t]] for t in asked])
        exact_i2t = ranks_from_scores(sim.T[shown], [img_texts[i] for i in shown])
        result = EvalResult(
            model=emb.model_id, dataset=data.format, images=len(data.images), captions=len(texts),
            missing_images=len(data.missing), failed_images=int((~indexed).sum()),
            index_seconds=round(index_s, 2), query_ms=round(query_ms, 2),
            pipeline={"text_to_image": summarize(t2i, cap=k),
                      "image_to_text": summarize(i2t, cap=min(TOP_N, len(texts)))},
            exact={"text_to_image": summarize(exact_t2i), "image_to_text": summarize(exact_i2t)},
            published=published_for(emb),
            curves={"pipeline_text_to_image": recall_curve(t2i, 10),
                    "exact_text_to_image": recall_curve(exact_t2i, 10),
                    "pipeline_image_to_text": recall_curve(i2t, 10),
                    "exact_image_to_text": recall_curve(exact_i2t, 10)})
        if captioner is not None:
            r2i = ranks_from_lists([reranked[t] for t in asked], [[text_img[t]] for t in asked], cap=k)
            result.reranked = {"captioner": captioner.name, "top_n": settings.rerank_top,
                               "weight": settings.rerank_weight,
                               "text_to_image": summarize(r2i, cap=k),
                               "ms_per_query": round(rerank_s / max(1, len(tvecs)) * 1000, 2)}
            result.curves["reranked_text_to_image"] = recall_curve(r2i, 10)
        return result
    finally:
        lib.close()


def _whole_folders(data: EvalSet) -> bool:
    """Index folder by folder when the set is every image in them (fast walk),
    file by file otherwise (a --limit subset)."""
    folders = {p.parent for p in data.images}
    if len(folders) > 20:
        return False
    on_disk = sum(1 for f in folders for x in f.iterdir() if x.is_file())
    return on_disk == len(data.images)


def format_table(r: EvalResult) -> str:
    lines = [f"model {r.model} | {r.dataset} | {r.images} images, {r.captions} captions"
             + (f" | {r.missing_images} missing on disk" if r.missing_images else "")
             + (f" | {r.failed_images} failed to index, left out of both directions" if r.failed_images else ""),
             f"{'':28}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'median':>8}"]
    for direction in ("text_to_image", "image_to_text"):
        for label, block in (("pipeline", r.pipeline), ("exact", r.exact)):
            m = block[direction]
            med = m["median_rank"]
            lines.append(f"{direction.replace('_', ' '):16}{label:12}" + "".join(
                f"{m[f'R@{k}']:7.1f}" for k in KS) + f"{med if med is not None else '>' + str(TOP_N):>8}")
        if direction == "text_to_image" and r.reranked:
            m = r.reranked["text_to_image"]
            lines.append(f"{'text to image':16}{'reranked':12}" + "".join(f"{m[f'R@{k}']:7.1f}" for k in KS))
        if r.published:
            pub = r.published[direction]
            lines.append(f"{direction.replace('_', ' '):16}{'published':12}" + "".join(f"{x:7.1f}" for x in pub))
    lines.append(f"indexing {r.index_seconds:.1f}s; {r.query_ms:.1f} ms per caption query through the engine"
                 + (f"; reranking +{r.reranked['ms_per_query']:.1f} ms per query ({r.reranked['captioner']})"
                    if r.reranked else ""))
    return "\n".join(lines)


def plot_curves(r: EvalResult, path: Path) -> None:
    """A small PNG of Recall@K (K = 1..10), drawn with Pillow (no plotting dependency)."""
    from PIL import Image, ImageDraw

    w, h, pad = 640, 420, 50
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.rectangle([pad, pad, w - pad, h - pad], outline="black")
    d.text((pad, 15), f"Recall@K - {r.model} ({r.images} images)", fill="black")
    for y in range(0, 101, 20):
        yy = h - pad - (h - 2 * pad) * y / 100
        d.line([pad, yy, w - pad, yy], fill=(225, 225, 225))
        d.text((10, yy - 6), f"{y}%", fill="black")
    for k in range(1, 11):
        xx = pad + (w - 2 * pad) * (k - 1) / 9
        d.text((xx - 4, h - pad + 8), str(k), fill="black")
    colours = {"reranked_text_to_image": (30, 160, 60), "pipeline_text_to_image": (200, 30, 30), "exact_text_to_image": (240, 150, 150),
               "pipeline_image_to_text": (30, 60, 200), "exact_image_to_text": (150, 170, 240)}
    for i, (name, curve) in enumerate(r.curves.items()):
        pts = [(pad + (w - 2 * pad) * j / 9, h - pad - (h - 2 * pad) * v / 100) for j, v in enumerate(curve)]
        d.line(pts, fill=colours.get(name, "black"), width=3 if name.startswith("pipeline") else 1)
        d.text((w - pad - 200, pad + 10 + 14 * i), name.replace("_", " "), fill=colours.get(name, "black"))
    d.text((w // 2 - 40, h - 22), "K (results looked at)", fill="black")
    d.text((4, pad - 18), "recall", fill="black")
    img.save(path)
