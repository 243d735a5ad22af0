"""Rerank the top candidates with captions: combine each candidate's vector
score with the similarity between the query and its caption (both embedded
with the active text tower)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from mediasearch.indexer.captioners import Captioner
from mediasearch.indexer.captioning import caption_rows

from .engine import Result, SearchEngine


@dataclass
class RerankStats:
    candidates: int = 0
    captioned_now: int = 0
    seconds: float = 0.0


def rerank(engine: SearchEngine, results: list[Result], query_text: str, captioner: Captioner,
           top_n: int = 20, weight: float = 0.5, lazy: bool = True) -> tuple[list[Result], RerankStats]:
    t0 = time.perf_counter()
    stats = RerankStats()
    head, tail = results[:top_n], results[top_n:]
    stats.candidates = len(head)
    if not head or not query_text.strip():
        return results, stats
    catalog = engine.catalog
    sids = [r.segment_id for r in head if r.segment_id is not None]
    captions = catalog.captions(sids, captioner.name)
    missing = [row for row in catalog.segment_rows([s for s in sids if s not in captions])
               if row["source"] in ("image", "frame")]
    if missing and lazy:
        made = caption_rows(catalog, engine.lib.settings.home, captioner, missing,
                            engine.lib.settings.max_image_pixels)
        captions.update(made)
        stats.captioned_now = len(made)
    emb = engine.embedder
    q = emb.embed_texts([query_text])[0]
    with_caption = [r for r in head if captions.get(r.segment_id)]
    if with_caption:
        sims = emb.embed_texts([captions[r.segment_id] for r in with_caption]) @ q
        for r, sim in zip(with_caption, sims):
            r.caption = captions[r.segment_id]
            # The picture's own similarity (a fused score is a rank, not a cosine).
            base = r.why.get("similarity", r.score)
            r.rerank_score = round((1 - weight) * base + weight * float(sim), 4)
            r.why["caption"] = round(float(sim), 4)
    for r in head:
        if r.rerank_score is None:  # no picture to caption (audio): its vector score stands
            r.rerank_score = r.score
    head.sort(key=lambda r: -r.rerank_score)
    stats.seconds = time.perf_counter() - t0
    return head + tail, stats
