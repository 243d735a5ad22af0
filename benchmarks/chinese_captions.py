"""Chinese written by native speakers (Flickr8k-CN, captions-zh-dev.json:
the first 500 Flickr8k-1000 photos, 5 sentences each, written by looking at
the photos, not translated) against the English captions of the same
photos, over all 1,000 photos, bundled model. Prints JSON per half (photos
at even positions tuned the reader, odd ones held out).

    python benchmarks/chinese_captions.py [--cache probs.npz] [--details]

- R@10 of the Chinese and of the English captions, and the share kept
  (goal: >= 0.85 on the held-out half);
- warm ms per query (one query at a time, through ``embed_texts``, then
  through the search service on an indexed library with --data-dir):
  Chinese against English (goal: no slower than 2x).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit, flickr_pairs, recall_at
from multilingual import probabilities

from mediasearch.indexer.embedders.bundled import BundledEmbedder


def pairs(data: Path, by_name: dict[str, int]) -> tuple[list, list]:
    zh = json.loads((data / "captions-zh-dev.json").read_text(encoding="utf-8"))
    en = {row["image"]: row["captions"] for row in json.loads((data / "captions.json").read_text(encoding="utf-8"))}
    zh_rows, en_rows = [], []
    for pos, row in enumerate(zh):
        half = "tuned" if pos % 2 == 0 else "held_out"
        i = by_name[row["image"]]
        zh_rows += [(half, c, i) for c in row["captions"]]
        en_rows += [(half, c, i) for c in en[row["image"]]]
    return zh_rows, en_rows


def warm_ms(fn, texts: list[str]) -> float:
    fn(texts[:2])
    times = []
    for t in texts:
        t0 = time.perf_counter()
        fn([t])
        times.append(1000 * (time.perf_counter() - t0))
    return round(statistics.median(times), 2)


def service_ms(data_dir: Path, zh: list[str], en: list[str]) -> dict:
    from mediasearch.indexer.library import Library
    from mediasearch.search.service import SearchRequest, SearchService
    from mediasearch.store.settings import Settings

    lib = Library(Settings(home=data_dir, model="bundled"), "bundled")
    service = SearchService(lib)
    ask = lambda texts: service.search(SearchRequest(texts=texts, k=10))  # noqa: E731
    out = {"zh_ms": warm_ms(ask, zh), "en_ms": warm_ms(ask, en)}
    out["ratio"] = round(out["zh_ms"] / out["en_ms"], 2)
    lib.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--cache", default=None, help="an .npz file keeping the class probabilities between runs")
    ap.add_argument("--data-dir", default=None, help="an indexed Flickr8k-1000 library: time the service too")
    ap.add_argument("--details", action="store_true", help="each Chinese caption's reading and rank")
    args = ap.parse_args()
    data = Path(args.data)
    images, _ = flickr_pairs(data)
    by_name = {p.name: i for i, p in enumerate(images)}
    zh_rows, en_rows = pairs(data, by_name)
    emb = BundledEmbedder()
    emb.ensure_loaded()
    probs, shares = probabilities(emb, images, Path(args.cache) if args.cache else None)
    img = emb.with_colours(emb.conse(probs), shares)
    zh_vec = emb.embed_texts([c for _, c, _ in zh_rows])
    en_vec = emb.embed_texts([c for _, c, _ in en_rows])
    out = {"photos": len(images), "zh_captions": len(zh_rows), "en_captions": len(en_rows), "halves": {}}
    for half in ("tuned", "held_out"):
        zi = [n for n, r in enumerate(zh_rows) if r[0] == half]
        ei = [n for n, r in enumerate(en_rows) if r[0] == half]
        r_zh = recall_at(zh_vec[zi] @ img.T, [zh_rows[n][2] for n in zi])
        r_en = recall_at(en_vec[ei] @ img.T, [en_rows[n][2] for n in ei])
        out["halves"][half] = {"zh_R@10": r_zh["R@10"], "en_R@10": r_en["R@10"],
                               "kept": round(r_zh["R@10"] / r_en["R@10"], 3)}
    sample_zh = [c for _, c, _ in zh_rows[1::25]]
    sample_en = [c for _, c, _ in en_rows[1::25]]
    out["embed_texts_ms"] = {"zh": warm_ms(emb.embed_texts, sample_zh), "en": warm_ms(emb.embed_texts, sample_en)}
    if args.data_dir:
        out["service_ms"] = service_ms(Path(args.data_dir), sample_zh, sample_en)
    if args.details:
        reader = emb._crosslingual.reader
        sim = zh_vec @ img.T
        ranks = (sim > sim[np.arange(len(zh_rows)), [r[2] for r in zh_rows]][:, None]).sum(1) + 1
        out["details"] = [{"half": h, "zh": c, "read": reader.english(c), "rank": int(k)}
                          for (h, c, _), k in zip(zh_rows, ranks)]
    emit(out)


if __name__ == "__main__":
    main()
