"""Tune the bundled (EfficientNet-Lite2 -> ConSE -> MiniLM) model on a captioned
photo set and print text->image Recall@K for each setting, as JSON.

    python benchmarks/tune_bundled.py [--data ../shared/data/flickr8k-1000]

Class probabilities and colour shares are computed once per image; the sweep
varies the prompt templates, the number of top classes, the softmax
temperature and the weight of the colour names.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit, flickr_pairs, recall_at

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.indexer.embedders.bundled import (
    COLOUR_WEIGHT,
    TEMPERATURE,
    TEMPLATES,
    TOP_K,
    BundledEmbedder,
    class_labels,
    class_names,
)
from mediasearch.indexer.media.images import load_image

TEMPLATE_SETS = {
    "one": ("a photo of a {}.",),
    "five(default)": TEMPLATES,
    "scene": ("a photo of a {}.", "a photo of people with a {}.", "a {} in the scene.",
              "a photo of something with a {}.", "a blurry photo of a {}.", "a photo of a {} outdoors."),
    "bare": ("{}",),
    "people": ("a photo of a {}.", "a photo of a person with a {}.", "a photo of people and a {}.",
               "a photo of a child with a {}.", "a photo of a {} outdoors."),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--cache", default=None, help="an .npz file to keep class probabilities between runs")
    args = ap.parse_args()
    images, captions = flickr_pairs(args.data, args.limit)
    emb = BundledEmbedder()
    emb.ensure_loaded()
    t0 = time.time()
    cache = Path(args.cache) if args.cache else None
    saved = dict(np.load(cache)) if cache and cache.exists() else {}
    made_with = float(saved.get("temperature", emb.temperature))
    if "probs" in saved:
        logits_probs = saved["probs"]
    else:
        items = [emb.prepare_image(load_image(p, 10**9).image) for p in images]
        logits_probs = np.concatenate([emb.class_probabilities(items[i:i + 32])
                                       for i in range(0, len(items), 32)])
        saved["shares"] = np.stack([c for _, c in items])
    if "shares" not in saved:  # a cache from before colours were used
        saved["shares"] = np.stack([emb.prepare_image(load_image(p, 10**9).image)[1] for p in images])
    if cache:
        np.savez(cache, probs=logits_probs, temperature=made_with, shares=saved["shares"])
    shares = saved["shares"]
    # Recover logits (up to a constant) so temperatures can be swept cheaply.
    logits = np.log(np.clip(logits_probs, 1e-30, None)) * made_with
    t_images = time.time() - t0
    texts = emb.embed_texts([c for c, _ in captions])
    truth = [i for _, i in captions]
    results = []
    for label_set, names in (("plain", class_names()), ("with-kinds(default)", class_labels())):
        for tname, templates in TEMPLATE_SETS.items():
            if label_set == "plain" and tname != "five(default)":
                continue
            prompts = [t.format(n) for n in names for t in templates]
            cv = l2_normalize(emb._encode_texts(prompts).reshape(len(names), len(templates), -1).mean(1))
            emb.class_vectors = cv
            for top_k in (5, 10, 20, 50, 100):
                for temp in (1.0, 2.0, 3.0, 5.0):
                    z = logits / temp
                    p = np.exp(z - z.max(1, keepdims=True))
                    p /= p.sum(1, keepdims=True)
                    emb.top_k = top_k
                    conse = emb.conse(p)
                    for weight in (0.0, 0.2, COLOUR_WEIGHT, 0.4):
                        emb.colour_weight = weight
                        r = recall_at(texts @ emb.with_colours(conse, shares).T, truth)
                        results.append({"labels": label_set, "templates": tname, "top_k": top_k,
                                        "temperature": temp, "colour_weight": weight, **r})
    results.sort(key=lambda r: (-r["R@10"], -r["R@1"]))
    emit({"images": len(images), "captions": len(captions), "image_seconds": round(t_images, 1),
          "best": results[0], "top10": results[:10],
          "default": next(r for r in results if r["templates"] == "five(default)" and r["labels"] != "plain"
                          and r["top_k"] == TOP_K and r["temperature"] == TEMPERATURE
                          and r["colour_weight"] == COLOUR_WEIGHT),
          "before_kinds_and_colours": next(r for r in results if r["labels"] == "plain" and r["top_k"] == TOP_K
                                           and r["temperature"] == TEMPERATURE and r["colour_weight"] == 0.0)})


if __name__ == "__main__":
    main()
