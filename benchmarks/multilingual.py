"""The offline text towers side by side on a captioned photo set, for
queries in English and in other languages. Prints JSON.

    python benchmarks/multilingual.py [--data ../shared/data/flickr8k-1000] [--cache probs.npz]

- english: text->image R@1/5/10 over every caption of the set;
- zh: R@10 of the 200 Chinese queries in benchmarks/data/zh_queries.json
  (the first 60 tuned the Chinese reader; the other 140 are held out) and of
  the English captions they translate (same photos), and the share kept
  (goal: Chinese keeps >= 80% of English); for ``bundled`` each route apart:
  MiniLM alone, USE v3 through the map, the dictionary reading alone, and
  what ships (reading + 0.2 of the mapped vector);
- es / fr / de: the same for 60 queries each (latin_queries.json): MiniLM
  alone against what ships (the language is told, then USE and the map).

The image side is the same for both models (EfficientNet-Lite2 class
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

from mediasearch.indexer.embedders.base import l2_normalize
from mediasearch.indexer.embedders.bundled import BundledEmbedder
from mediasearch.indexer.embedders.languages import language_of
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


def kept(r_other: dict, r_en: dict) -> float | None:
    return round(r_other["R@10"] / r_en["R@10"], 3) if r_en["R@10"] else None


def routes(emb: BundledEmbedder, texts: list[str]) -> dict[str, np.ndarray]:
    """Each way a query in another language can reach MiniLM's space."""
    cl = emb._crosslingual
    out = {"minilm alone": l2_normalize(emb._encode_texts(texts)), "through the map": cl.embed(texts)}
    if all(language_of(t) == "zh" for t in texts):
        out["reading alone"] = l2_normalize(emb._encode_texts([cl.reader.english(t) for t in texts]))
    out["shipped"] = emb.embed_texts(texts)
    return out


def language_block(emb, img: np.ndarray, queries: list, first: dict, by_name: dict, tuning: int = 0) -> dict:
    truth = np.array([by_name[name] for name, _ in queries])
    en = emb.embed_texts([first[i] for i in truth])
    parts = {"all": slice(None)} if not tuning else {"all": slice(None), "tuning": slice(0, tuning),
                                                     "held_out": slice(tuning, None)}
    ways = routes(emb, [q for _, q in queries]) if isinstance(emb, BundledEmbedder) and \
        type(emb).__name__ == "BundledEmbedder" else {"shipped": emb.embed_texts([q for _, q in queries])}
    out = {}
    for part, sl in parts.items():
        r_en = recall_at(en[sl] @ img.T, truth[sl])
        block = {"queries": int(len(truth[sl])), "english_R@10": r_en["R@10"]}
        for way, vecs in ways.items():
            r = recall_at(vecs[sl] @ img.T, truth[sl])
            block[way] = {"R@10": r["R@10"], "keeps": kept(r, r_en)}
        out[part] = block
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--cache", default=None, help="an .npz file keeping the class probabilities between runs")
    ap.add_argument("--table-cache", default=None, help="a folder keeping computed class tables")
    args = ap.parse_args()
    images, captions = flickr_pairs(args.data)
    by_name = {p.name: i for i, p in enumerate(images)}
    zh = json.loads((HERE / "data" / "zh_queries.json").read_text())
    latin = json.loads((HERE / "data" / "latin_queries.json").read_text())["queries"]
    first = {}
    for text, img in captions:
        first.setdefault(img, text)
    base = BundledEmbedder(cache_dir=Path(args.table_cache) if args.table_cache else None)
    base.ensure_loaded()
    probs, shares = probabilities(base, images, Path(args.cache) if args.cache else None)
    out = {"photos": len(images), "captions": len(captions), "zh_queries": len(zh["queries"])}
    for name, emb in (("bundled", base), ("bundled-multilingual (USE v3)",
                                           MultilingualEmbedder(cache_dir=base.cache_dir))):
        t0 = time.time()
        emb.ensure_loaded()
        img = emb.with_colours(emb.conse(probs), shares)
        table_s = time.time() - t0
        t0 = time.time()
        texts = emb.embed_texts([c for c, _ in captions])
        text_s = time.time() - t0
        row = {"english": recall_at(texts @ img.T, [i for _, i in captions]),
               "table_seconds": round(table_s, 1), "ms_per_caption": round(1000 * text_s / len(captions), 2)}
        t0 = time.time()
        row["zh"] = language_block(emb, img, zh["queries"], first, by_name, zh.get("tuning", 0))
        row["ms_per_zh_query"] = round(1000 * (time.time() - t0) / len(zh["queries"]) / 6, 2)
        for lang, queries in latin.items():
            row[lang] = language_block(emb, img, queries, first, by_name)["all"]
        out[name] = row
    emit(out)


if __name__ == "__main__":
    main()
