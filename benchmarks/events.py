"""Events found by themselves, on generated libraries whose true events are
known: trips (2-6 days away from home, 30% of their photos without GPS; on
30% of trips half the photos from a camera left on home time, 1-9 hours
off), days out (one day in a town near home), evenings and ordinary days at
home, home photos without GPS, and 1% of photos from a camera whose clock
was never set (dated in January 2000: they cannot land in their event).

  python benchmarks/events.py [--seed 0] [--libraries 20] [--scale 100000]

Prints JSON:
- ``right``: share of files in the right event (each true event is matched
  to the found event holding most of its files; a file is right when it
  is in its event's match and that found event holds mostly that event);
  target at least 0.95. ``split``: true events spread over two or more
  found events; ``merged``: found events holding two or more true events.
- ``recompute_s``: finding the events again after 1,000 new files at
  ``--scale`` files (the rows in memory; the catalog's read is apart).
Rows go straight to ``search/events.find_events``; the product's own
reading of EXIF dates and GPS into rows is tested in tests/search/test_events.py.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))

from mediasearch.search.events import find_events  # noqa: E402

WRONG_CLOCK = 0.01  # share of photos from a camera whose clock was never set
HOME = "Porto, Portugal"
TRIPS = ["Lisbon, Portugal", "Madrid, Spain", "Paris, France", "Rome, Italy", "Faro, Portugal"]
DAYS_OUT = ["Braga, Portugal", "Aveiro, Portugal", "Guimaraes, Portugal"]


def library(rng: np.random.Generator, start: dt.datetime, weeks: int = 26):
    """(rows, true event of each row): a half year of a person's photos."""
    rows, truth, n, event = [], [], 0, 0
    day = start
    end = start + dt.timedelta(weeks=weeks)
    while day < end:
        kind = rng.choice(["home", "home", "home", "nothing", "nothing", "out", "trip"], p=None)
        if kind == "nothing":
            day += dt.timedelta(days=1)
            continue
        if kind == "trip":
            place, days = TRIPS[rng.integers(len(TRIPS))], int(rng.integers(2, 7))
        elif kind == "out":
            place, days = DAYS_OUT[rng.integers(len(DAYS_OUT))], 1
        else:
            place, days = HOME, 1
        # Abroad, a second camera often keeps home time: its photos are hours off.
        zone = float(rng.integers(1, 10)) if kind == "trip" and rng.random() < 0.3 else 0.0
        for d in range(days):
            # A day away: photos from 9 to 21 h; at home, one sitting of an hour or two.
            first, span = (9, 12) if kind != "home" else (int(rng.integers(8, 20)), 2)
            for _ in range(int(rng.integers(3, 25))):
                when = day + dt.timedelta(days=d, hours=first + float(rng.random()) * span)
                if zone and rng.random() < 0.5:
                    when += dt.timedelta(hours=zone)
                if rng.random() < WRONG_CLOCK:  # a camera never set: its clock starts in 2000
                    when = dt.datetime(2000, 1, 1) + dt.timedelta(hours=float(rng.random()) * 500)
                gps = rng.random() > (0.3 if kind == "trip" else 0.1)
                n += 1
                rows.append((n, when.timestamp(), place if gps else None))
                truth.append(event)
        event += 1
        day += dt.timedelta(days=days + int(rng.integers(1, 4)))
    return rows, truth


def score(rows, truth, events) -> dict:
    found = {m: e.id for e in events for m in e.media_ids}
    true_of = {r[0]: t for r, t in zip(rows, truth)}
    by_true: dict[int, Counter] = defaultdict(Counter)
    by_found: dict[int, Counter] = defaultdict(Counter)
    for media, t in true_of.items():
        by_true[t][found[media]] += 1
        by_found[found[media]][t] += 1
    match = {t: c.most_common(1)[0][0] for t, c in by_true.items()}
    right = sum(1 for media, t in true_of.items() if found[media] == match[t]
                and by_found[match[t]].most_common(1)[0][0] == t)
    return {"files": len(rows), "true_events": len(by_true), "found_events": len(by_found),
            "right": right, "split": sum(len(c) > 1 for c in by_true.values()),
            "merged": sum(len(c) > 1 for c in by_found.values())}


def recompute(rng: np.random.Generator, scale: int) -> float:
    rows: list = []
    start = dt.datetime(2010, 1, 1)
    while len(rows) < scale:
        more, _ = library(rng, start)
        rows += [(len(rows) + i, w, p) for i, (_, w, p) in enumerate(more)]
        start += dt.timedelta(weeks=26)
    rows = rows[:scale]
    find_events(rows)
    new = [(scale + i, rows[-1][1] + 3600 * i / 100, HOME) for i in range(1000)]
    t = time.perf_counter()
    find_events(rows + new)
    return round(time.perf_counter() - t, 3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--libraries", type=int, default=20)
    ap.add_argument("--scale", type=int, default=100_000)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    total = Counter()
    for i in range(a.libraries):
        rows, truth = library(rng, dt.datetime(2020 + i % 5, 1 + i % 12, 1))
        total.update(score(rows, truth, find_events(rows)))
    out = {"libraries": a.libraries, **total, "right_share": round(total["right"] / total["files"], 4),
           "recompute_s": recompute(rng, a.scale), "scale": a.scale}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
