"""Negatives ("dog -water", "without X"): the share of shown results that
carry the negated concept, with and without the negative, on the query set
written outside the project (queries-dev/negatives-flickr.jsonl, 30
queries) over the Flickr8k-1000 photos. Prints JSON, per half (every other
query tuned, the rest held out).

    python benchmarks/negatives.py [--data-dir DIR] [--model bundled] [--details]

- negated_share_without / _with: of the top 10 shown, the share whose
  captions name the negated thing (a lower bound: captions miss things).
  Goal: falls by >= 50%.
- target_in_top10_without / _with: photos that show the positive and not the
  negated thing, among the top 10.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from _common import ROOT, emit
from judge import halves, outside_set

from mediasearch.search.service import SearchRequest, SearchService

QUERIES = ROOT.parent / "shared" / "data" / "queries-dev" / "negatives-flickr.jsonl"


def top(service: SearchService, text: str) -> list[str]:
    ans = service.search(SearchRequest(texts=[text], k=10, all=True))
    return [Path(r.path).name for r in ans.results][:10]


def main() -> None:
    args, lib, service = outside_set()
    tally: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    details = []
    for half, row in halves(QUERIES):
        positive = row["q"].split(" -")[0]
        negated, target = set(row["negated"]), set(row["target"])
        t = tally[half]
        for name, text in (("without", positive), ("with", row["q"])):
            shown = top(service, text)
            t[f"negated_share_{name}"].append(len(negated.intersection(shown)) / max(len(shown), 1))
            t[f"target_in_top10_{name}"].append(len(target.intersection(shown)))
            details.append({"id": row["id"], "half": half, "q": text,
                            "negated": len(negated.intersection(shown)), "target": len(target.intersection(shown))})
    out = {"model": args.model, "halves": {}}
    for half, t in sorted(tally.items()):
        h = {k: round(sum(v) / len(v), 3) for k, v in sorted(t.items())}
        before, after = h["negated_share_without"], h["negated_share_with"]
        h["negated_share_fall"] = round(1 - after / before, 3) if before else None
        out["halves"][half] = h
    if args.details:
        out["details"] = details
    emit(out)


if __name__ == "__main__":
    main()
