"""One round of marks ("Good" / "Not this") on vague queries written outside
the project (queries-dev/feedback-flickr.jsonl, 30 queries such as
"animals", "winter", "water fun") over the Flickr8k-1000 photos, through the
product's search service. Prints JSON per half (every other query tuned,
the rest held out).

    python benchmarks/feedback.py [--data-dir DIR] [--model bundled] [--details]

A person looks at the top 10 and marks them: every relevant one "Good",
every other one "Not this" (``all``), or at most two of each (``few``, a
lazier person). Reported for each way:
- relevant_before / relevant_after: mean relevant photos in the top 10.
  Goal: rises by >= 1.0, and no query falls by more than 1.
- worst_fall: the largest fall of one query; fell_by_more_than_1: how many.
- marked_bad_shown_again: files marked "Not this" shown in the new top 10
  (goal 0).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from _common import ROOT, emit
from judge import halves, outside_set

from mediasearch.search.service import SearchRequest, SearchService

QUERIES = ROOT.parent / "shared" / "data" / "queries-dev" / "feedback-flickr.jsonl"
WAYS = {"all": None, "few": 2}


def shown(service: SearchService, text: str, like=(), unlike=()) -> list:
    return service.search(SearchRequest(texts=[text], k=10, all=True, like=list(like),
                                         unlike=list(unlike))).results[:10]


def one_round(service: SearchService, text: str, relevant: set[str], most: int | None) -> dict:
    first = shown(service, text)
    good = [r.media_id for r in first if Path(r.path).name in relevant][:most]
    bad = [r.media_id for r in first if Path(r.path).name not in relevant][:most]
    again = shown(service, text, good, bad)
    return {"before": sum(Path(r.path).name in relevant for r in first),
            "after": sum(Path(r.path).name in relevant for r in again),
            "bad_again": len(set(bad).intersection(r.media_id for r in again)),
            "good": len(good), "bad": len(bad)}


def summary(rows: list[dict]) -> dict:
    falls = [r["before"] - r["after"] for r in rows]
    before = sum(r["before"] for r in rows) / len(rows)
    after = sum(r["after"] for r in rows) / len(rows)
    return {"queries": len(rows), "relevant_before": round(before, 2), "relevant_after": round(after, 2),
            "rise": round(after - before, 2), "better": sum(f < 0 for f in falls),
            "worse": sum(f > 0 for f in falls), "worst_fall": max(falls),
            "fell_by_more_than_1": sum(f > 1 for f in falls),
            "marked_bad_shown_again": sum(r["bad_again"] for r in rows)}


def main() -> None:
    args, lib, service = outside_set()
    rows: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    details = []
    for half, q in halves(QUERIES):
        for way, most in WAYS.items():
            r = one_round(service, q["q"], set(q["relevant"]), most)
            rows[way][half].append(r)
            details.append({"id": q["id"], "q": q["q"], "half": half, "way": way, **r})
    out = {"model": args.model,
           "ways": {way: {half: summary(h[half]) for half in ("tuned", "held_out")} for way, h in rows.items()}}
    if args.details:
        out["details"] = details
    emit(out)
    lib.close()


if __name__ == "__main__":
    main()
