"""Text the reader invents on photos: every line RapidOCR (quick look, then
the full read) finds on real photos, and which of them pass the plausibility
bar (indexer/ocr.py `plausible`), for each half of the photos (even and odd
positions in name order), so a rule set while looking at one half is checked
on the other. The photos have no text labels: read the lines it prints.

    python benchmarks/ocr_invented.py [--images DIR] [--limit N]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit
from PIL import Image

from mediasearch.indexer.ocr import OcrReader, plausible


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=DEFAULT_FLICKR / "images")
    ap.add_argument("--limit", type=int, default=1000)
    args = ap.parse_args()
    reader = OcrReader(thorough=False)
    photos = sorted(args.images.iterdir())[:args.limit]
    halves = [{"photos": 0, "lines": [], "kept": [], "dropped": []} for _ in range(2)]
    t0 = time.perf_counter()
    for i, path in enumerate(photos):
        half = halves[i % 2]
        half["photos"] += 1
        with Image.open(path) as im:
            picture = im.convert("RGB")
        found = []
        if reader._has_text(picture):  # the quick look, then the full read with nothing filtered
            found = reader._engine(np.asarray(picture))[0] or []
        for _box, text, conf, *_ in found:
            line = {"photo": path.name, "text": text.strip(), "confidence": round(float(conf), 3)}
            half["lines"].append(line)
            (half["kept"] if plausible(line["text"], float(conf)) else half["dropped"]).append(line)
    emit({"photos": len(photos), "seconds": round(time.perf_counter() - t0, 1),
          "halves": [{"photos": h["photos"], "lines": len(h["lines"]), "kept": len(h["kept"]),
                      "photos_with_words": len({x["photo"] for x in h["kept"]}),
                      "dropped": [x["text"] for x in h["dropped"]], "kept_lines": [x["text"] for x in h["kept"]]}
                     for h in halves]})


if __name__ == "__main__":
    main()
