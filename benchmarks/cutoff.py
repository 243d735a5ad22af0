"""The calibrated cut-off on a captioned
photo set, through the product's own index and search service. Prints JSON.

    python benchmarks/cutoff.py [--data ../shared/data/flickr8k-1000] [--data-dir DIR] [--model bundled]

- kept: of the captions whose photo is in the top 10, the share where that
  photo is above the cut-off (a match). Goal >= 0.95.
- nonsense_no_match: of made-up queries (another seed than the calibration's,
  plus keyboard mash), the share answered with no match at all. Goal >= 0.9.
- absent_no_match: real-word queries for what the set does not show.
(One round of marks is measured by benchmarks/feedback.py, on queries
written outside the project.)
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_FLICKR, emit, flickr_pairs

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.cutoff import nonsense
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.settings import Settings

MASH = ["qwxz zzkv plorf", "asdf jkl", "zzz", "xkcd qqq", "hjkl", "blorptastic fnord", "qqqq", "zxcvbnm",
        "wibble wobble", "asdfgh"]

# Real words for what the dev set does not show (reported, no goal: a weak
# model finds something "like" almost anything).
ABSENT = ["a spreadsheet on a computer screen", "a bowl of ramen noodles", "a rocket launching into space",
          "an x-ray of a broken hand", "a receipt from a supermarket", "a screenshot of a text message",
          "a plate of sushi", "a car engine under the hood", "a microscope slide of cells", "a chess board",
          "a violin on a table", "a pile of coins", "an electric guitar", "a laptop keyboard", "a map of europe",
          "a wedding cake", "a giraffe eating leaves", "a snowy mountain cabin at night", "a tram in the city",
          "a cathedral interior"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--data-dir", default=None, help="keep the index here between runs")
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--queries", type=int, default=1000, help="captions asked (one per photo)")
    args = ap.parse_args()
    images, captions = flickr_pairs(args.data)
    home = Path(args.data_dir or tempfile.mkdtemp(prefix="ms-cutoff-"))
    settings = Settings(home=home, model=args.model)
    lib = Library(settings, args.model)
    t0 = time.time()
    report = Indexer(lib).run([Path(args.data) / "images"])
    index_s = time.time() - t0
    service = SearchService(lib)
    t0 = time.time()
    service.cutoff.calibration()
    calibrate_s = time.time() - t0
    seen, asked = set(), []
    for text, img in captions:  # the first caption of each photo
        if img not in seen:
            seen.add(img)
            asked.append((text, images[img]))
    asked = asked[:args.queries]
    in_top, kept = 0, 0
    for text, path in asked:
        ans = service.search(SearchRequest(texts=[text], k=10, all=True))
        hit = next((r for r in ans.results if r.path == str(path)), None)
        if hit is not None:
            in_top += 1
            kept += hit.match is not False  # None: ranked, not judged (the model has no picture of it)
    rng = random.Random(7)
    made_up = [q for q in nonsense(200, seed=rng.randint(0, 10**9))] + MASH
    no_match = sum(not any(r.match for r in service.search(SearchRequest(texts=[q], k=10, all=True)).results)
                   for q in made_up)
    cal = service.cutoff.calibration()
    absent_no_match = sum(not any(r.match for r in service.search(SearchRequest(texts=[q], k=10)).results)
                          for q in ABSENT)
    emit({"model": args.model, "photos": len(images), "indexed": report.new, "index_seconds": round(index_s, 1),
          "calibrate_seconds": round(calibrate_s, 2), "queries": len(asked),
          "thresholds": {"gate": round(cal.gate, 4), "hit": round(cal.hit, 4)} if cal else None,
          "R@10": round(in_top / len(asked), 4), "kept": round(kept / max(in_top, 1), 4),
          "nonsense_queries": len(made_up), "nonsense_no_match": round(no_match / len(made_up), 4),
          "absent_concepts": len(ABSENT), "absent_no_match": round(absent_no_match / len(ABSENT), 4)})
    lib.close()


if __name__ == "__main__":
    main()
