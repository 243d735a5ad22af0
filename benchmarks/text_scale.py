"""Calibrate the scale of text-derived vectors (tags, transcripts) against
pictures, for the bundled model, on a captioned photo set; prints JSON.

    python benchmarks/text_scale.py [--data ../shared/data/flickr8k-1000] [--cache probs.npz]

A query text is much closer to a relevant text (same meaning, same words)
than to a relevant picture, so unscaled transcripts would crowd pictures out
of every result list. The test: a pool where half the items are pictures and
half are one held-out caption standing in for a transcript of that item; each
other caption of an item is a query whose one relevant result is that item.
For each scale: Recall@10 for picture items and for text items, and the
share of text among the top 10. The product's scale
(``BundledEmbedder.text_segment_scale``) should keep that share near one half
without giving up much mean recall.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit, flickr_pairs

from mediasearch.indexer.embedders.bundled import BundledEmbedder
from mediasearch.indexer.media.images import load_image


def picture_vectors(emb: BundledEmbedder, images: list[Path], cache: Path | None) -> np.ndarray:
    if cache and cache.exists():  # class probabilities and colours saved by tune_bundled.py
        saved = np.load(cache)
        probs, made_with = saved["probs"], float(saved["temperature"])
        z = np.log(np.clip(probs, 1e-30, None)) * made_with / emb.temperature
        probs = np.exp(z - z.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        emb.net  # loads the class-name vectors
        return emb.with_colours(emb.conse(probs), saved["shares"])
    return emb.embed_images([load_image(p, 10**9).image for p in images])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--cache", default=None, help="class probabilities saved by tune_bundled.py --cache")
    args = ap.parse_args()
    images, captions = flickr_pairs(args.data)
    emb = BundledEmbedder()
    emb.ensure_loaded()
    pics = picture_vectors(emb, images, Path(args.cache) if args.cache else None)
    texts = emb.embed_texts([c for c, _ in captions])
    truth = np.asarray([i for _, i in captions])
    first: dict[int, int] = {}
    for j, t in enumerate(truth):
        first.setdefault(int(t), j)
    is_picture = np.arange(len(images)) % 2 == 0
    queries = np.asarray([j for j in range(len(truth)) if j != first[int(truth[j])]])
    rows = []
    for scale in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        pool = np.stack([pics[i] if is_picture[i] else scale * texts[first[i]] for i in range(len(images))])
        sim = texts[queries] @ pool.T
        target = truth[queries]
        rank = (sim > sim[np.arange(len(queries)), target][:, None]).sum(1)
        top10 = np.argsort(-sim, axis=1)[:, :10]
        r_pic = float((rank[is_picture[target]] < 10).mean() * 100)
        r_txt = float((rank[~is_picture[target]] < 10).mean() * 100)
        rows.append({"scale": scale, "R@10_picture_items": round(r_pic, 1), "R@10_text_items": round(r_txt, 1),
                     "mean_R@10": round((r_pic + r_txt) / 2, 1),
                     "text_share_of_top10": round(float((~is_picture[top10]).mean()), 2)})
    emit({"images": len(images), "queries": int(len(queries)),
          "product_scale": BundledEmbedder.text_segment_scale, "results": rows})


if __name__ == "__main__":
    main()
