"""The offline text towers side by side on a captioned photo set: MiniLM (the
bundled default, English) and the multilingual Universal Sentence Encoder
v3 (``bundled-multilingual``). Prints JSON.

    python benchmarks/multilingual.py [--data ../shared/data/flickr8k-1000] [--cache probs.npz]

- english: text->image R@1/5/10 over every caption of the set;
- zh / zh_english: R@10 of the Chinese queries in benchmarks/data/zh_queries.json
  and of the English captions they translate (same photos), and their ratio
  (goal: Chinese keeps >= 80% of English).

The image side is the same for both (EfficientNet-Lite2 class
probabilities, computed once and cached with --cache); only the class-name
table and the queries go through each text tower.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit, flickr_pairs, recall_at

from mediasearch.indexer.embedders.bundled import BundledEmbedder
from mediasearch.indexer.embedders.multilingual import MultilingualEmbedder
from mediasearch.indexer.media.images import load_image

HERE = Path(__file__).parent


def probabilities(emb: BundledEmbedder, images: list[Path], cache: Path | None) -> tuple[np.ndarray, np.ndarray]:
    if cache and cache.exists():
        saved = np.load(cache)
        return saved["probs"], saved["shares"]
    probs, shares = [], []
    for i in range(0, len(images), 32):
        items = [emb.prepare_image(load_image(p, 10**9).image) for p in images[i:i + 32]]
        probs.append(emb.class_probabilities(items))
        shares.append(np.stack([c for _, c in items]))
    probs, shares = np.concatenate(probs), np.concatenate(shares)
    if cache:
        np.savez(cache, probs=probs, shares=shares)
    return probs, shares


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--cache", default=None, help="an .npz file keeping the class probabilities between runs")
    ap.add_argument("--table-cache", default=None, help="a folder keeping computed class tables")
    args = ap.parse_args()
    images, captions = flickr_pairs(args.data)
    by_name = {p.name: i for i, p in enumerate(images)}
    zh = json.loads((HERE / "data" / "zh_queries.json").read_text())["queries"]
    first = {}
    for text, img in captions:
        first.setdefault(img, text)
    zh_truth = [by_name[name] for name, _ in zh]
    base = BundledEmbedder(cache_dir=Path(args.table_cache) if args.table_cache else None)
    base.ensure_loaded()
    probs, shares = probabilities(base, images, Path(args.cache) if args.cache else None)
    out = {"photos": len(images), "captions": len(captions), "zh_queries": len(zh)}
    for name, emb in (("bundled (MiniLM; other scripts through USE v3 and the map)", base),
                      ("bundled-multilingual (USE v3)", MultilingualEmbedder(cache_dir=base.cache_dir))):
        t0 = time.time()
        emb.ensure_loaded()
        img = emb.with_colours(emb.conse(probs), shares)
        table_s = time.time() - t0
        t0 = time.time()
        texts = emb.embed_texts([c for c, _ in captions])
        text_s = time.time() - t0
        english = recall_at(texts @ img.T, [i for _, i in captions])
        zh_vecs = emb.embed_texts([q for _, q in zh])
        en_vecs = emb.embed_texts([first[i] for i in zh_truth])
        r_zh = recall_at(zh_vecs @ img.T, zh_truth)
        r_en = recall_at(en_vecs @ img.T, zh_truth)
        out[name] = {"english": english, "zh": r_zh, "zh_english": r_en,
                     "zh_keeps": round(r_zh["R@10"] / r_en["R@10"], 3) if r_en["R@10"] else None,
                     "table_seconds": round(table_s, 1),
                     "ms_per_caption": round(1000 * text_s / len(captions), 2)}
    emit(out)


if __name__ == "__main__":
    main()
