"""Query readings against a set written outside the project
(../shared/data/queries-dev/understanding.jsonl: 160 queries, "now" =
Friday 2026-12-04). Prints JSON.

    python benchmarks/understanding.py [--queries FILE] [--show-misses]

The library the places are read against is built the way the indexer
names places: GPS positions of the towns the set mentions (and of a few
districts: Berlin-Mitte, the Chicago Loop) through indexer/places.py.

Each query is "right" when every field the set gives matches: semantic
(loosely: case, articles, prepositions, punctuation and word order
ignored, plurals folded), dates and not_dates (day spans; a calendar unit
cut at today counts as whole), places / not_places (any name of the same
place), kinds / not_kinds, exact, not_words. People (people, not_people,
people_count) wait for face recognition (issue 31): reported apart, and the
headline figure leaves those fields out. The set is split in two halves
(alternate queries of each language): the first was looked at while
building the reader, the second was not.

"inverted": for each reading of a query, the query read again with that
reading undone (``plain``) must not gain a filter it did not have.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path

from _common import ROOT, emit

from mediasearch.indexer.places import place_name
from mediasearch.search.dates import from_range
from mediasearch.search.place_names import Gazetteer
from mediasearch.search.understand import understand

NOW = dt.datetime(2026, 12, 4, 12)
DEFAULT = ROOT.parent / "shared" / "data" / "queries-dev" / "understanding.jsonl"
# The places a library might have photos of, as GPS positions.
POSITIONS = [(38.7223, -9.1393), (41.1579, -8.6291), (48.8566, 2.3522), (35.6762, 139.6503), (48.1351, 11.582),
             (40.7128, -74.006), (51.5074, -0.1278), (53.4808, -2.2426), (52.52, 13.405), (31.2304, 121.4737),
             (30.2741, 120.1551), (48.2082, 16.3738), (31.9539, 35.9106), (33.6609, -95.5555), (53.5511, 9.9937),
             (41.8781, -87.6298), (41.3874, 2.1686), (43.6532, -79.3832), (39.9042, 116.4074)]
PEOPLE = ("people", "not_people", "people_count")
_SOFT = {"a", "an", "the", "of", "at", "in", "on", "to", "with", "and", "la", "le", "el", "de", "del", "der", "die",
         "das", "am", "im", "see", "的", "在"}


def _norm_words(text: str | None) -> list[str]:
    if not text:
        return []
    words = re.findall(r"[\w']+", text.lower())
    out = []
    for w in words:
        if w in _SOFT and w != "see":
            continue
        out.append(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return sorted(out)


def _spans(ranges) -> set:
    return {tuple(None if d is None else d.isoformat() for d in from_range(a, b)) for a, b in ranges}


def _dates_match(got: set, want: list) -> bool:
    today = NOW.date().isoformat()
    want = {tuple(w) for w in want}
    if got == want:
        return True
    # A calendar unit cut at today ("this month" up to today) is as right.
    cut = {(a, b if b is None or b <= today else today) for a, b in want}
    return got == cut


def _place_names(names: list[str], gaz: Gazetteer) -> set:
    out = set()
    for n in names:
        place = gaz.lookup(n.split(",")[0])
        out.add((place.name if place else n).split(",")[0].lower())
    return out


def compare(e: dict, u, gaz: Gazetteer) -> dict[str, bool]:
    return {
        "semantic": _norm_words(e["semantic"]) == _norm_words(u.semantic),
        "dates": _dates_match(_spans(u.dates), e["dates"]),
        "not_dates": _dates_match(_spans(u.not_dates), e["not_dates"]),
        "places": _place_names(e["places"], gaz) == {p.split(",")[0].lower() for p in u.places},
        "not_places": _place_names(e["not_places"], gaz) == {p.split(",")[0].lower() for p in u.not_places},
        "kinds": set(e["kinds"]) == set(u.kinds),
        "not_kinds": set(e["not_kinds"]) == set(u.not_kinds),
        "exact": e["exact"] == u.exact,
        "not_words": sorted(_norm_words(" ".join(e["not_words"]))) == sorted(_norm_words(" ".join(u.nots))),
        "people": not e["people"] and not e["not_people"] and e["people_count"] is None,
    }


def _filters(u) -> set:
    return ({("date", r) for r in u.dates} | {("not_date", r) for r in u.not_dates}
            | {("place", p) for p in u.places} | {("not_place", p) for p in u.not_places}
            | {("kind", k) for k in u.kinds} | {("not_kind", k) for k in u.not_kinds}
            | {("not", n.lower()) for n in u.nots} | {("exact", x) for x in u.exact})


def inverted(q: str, u, gaz: Gazetteer) -> list[str]:
    """Reading types whose undo made the query gain a filter."""
    bad = []
    for t in {r.type for r in u.readings}:
        again = understand(q, gaz, now=NOW, plain={t})
        if _filters(again) - _filters(u):
            bad.append(t)
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", default=str(DEFAULT))
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.queries).read_text(encoding="utf-8").splitlines() if line]
    gaz = Gazetteer([n for n in (place_name(*p) for p in POSITIONS) if n])
    seen: dict[str, int] = defaultdict(int)
    halves = {"tuned": defaultdict(list), "held_out": defaultdict(list)}
    misses, undo_bad = [], []
    for row in rows:
        half = "tuned" if seen[row["lang"]] % 2 == 0 else "held_out"
        seen[row["lang"]] += 1
        u = understand(row["q"], gaz, now=NOW)
        ok = compare(row["expect"], u, gaz)
        wrong = [k for k, v in ok.items() if not v]
        halves[half]["all_fields"].append(not wrong)
        halves[half]["without_people"].append(not [w for w in wrong if w != "people"])
        halves[half][f"lang_{row['lang']}"].append(not [w for w in wrong if w != "people"])
        if compare(row["expect"], u, gaz)["people"]:  # a query that names no people
            halves[half]["queries_without_people"].append(not wrong)
        bad = inverted(row["q"], u, gaz)
        if bad:
            undo_bad.append({"q": row["q"], "undone": bad})
        if wrong:
            misses.append({"id": row["id"], "half": half, "q": row["q"], "wrong": wrong, "semantic": u.semantic,
                           "readings": [r.label for r in u.readings]})
    out = {"queries": len(rows), "now": NOW.date().isoformat(),
           "halves": {h: {k: f"{sum(v)}/{len(v)}" for k, v in sorted(d.items())} for h, d in halves.items()},
           "right_pct_queries_without_people": {
               h: round(100 * sum(d["queries_without_people"]) / len(d["queries_without_people"]), 1)
               for h, d in halves.items()},
           "undo_inverted": len(undo_bad), "undo_inverted_queries": undo_bad}
    if args.show_misses:
        out["misses"] = misses
    emit(out)


if __name__ == "__main__":
    main()
