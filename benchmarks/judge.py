""""No good match" judged on queries written outside the project
(queries-dev/judge-flickr.jsonl: 60 present, 60 absent, 60 nonsense) over the
Flickr8k-1000 photos, through the product's own index and search service.
Prints JSON, per half: every other query of each kind is in the tuned half,
the rest held out.

    python benchmarks/judge.py [--data-dir DIR] [--model bundled] [--details]

- present_no_match: present things (people included) wrongly answered "no
  good match" (goal <= 5%); people_no_match the same for the 26 about people.
- absent_no_match: real things the photos do not show answered "no good
  match" (goal >= 50%); nonsense_no_match the same for made-up strings
  (goal >= 90%).
- present_relevant_in_top10: mean relevant photos among the shown top 10.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from _common import DEFAULT_FLICKR, ROOT, emit

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.settings import Settings

QUERIES = ROOT.parent / "shared" / "data" / "queries-dev" / "judge-flickr.jsonl"
PEOPLE = ("man", "woman", "kid", "people", "girl", "baby", "boy", "child", "climber", "hiker", "skier",
          "someone", "person", "crowd", "children")


def rows() -> list[dict]:
    seen: dict[str, int] = defaultdict(int)
    out = []
    for line in QUERIES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["half"] = "tuned" if seen[row["kind"]] % 2 == 0 else "held_out"
        seen[row["kind"]] += 1
        row["people"] = row["kind"] == "present" and any(w in row["q"].split() for w in PEOPLE)
        out.append(row)
    return out


def library(data: Path, home: Path | None, model: str) -> Library:
    home = home or Path(tempfile.mkdtemp(prefix="ms-judge-"))
    lib = Library(Settings(home=home, model=model), model)
    Indexer(lib).run([data / "images"])  # unchanged files are skipped: a kept data dir costs a scan
    return lib


def outside_set() -> tuple[argparse.Namespace, Library, SearchService]:
    """The arguments every benchmark on an outside query set takes, and the
    Flickr8k-1000 library indexed (or kept in --data-dir) with its service."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--data-dir", default=None, help="keep the index here between runs")
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--details", action="store_true", help="every query's answer too")
    args = ap.parse_args()
    lib = library(Path(args.data), Path(args.data_dir) if args.data_dir else None, args.model)
    return args, lib, SearchService(lib)


def halves(path: Path):
    """(half, row) for each line of a JSON Lines query set: every other
    query tuned, the rest held out."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        yield ("tuned" if i % 2 == 0 else "held_out"), json.loads(line)


def main() -> None:
    args, lib, service = outside_set()
    tally: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    details = []
    for row in rows():
        ans = service.search(SearchRequest(texts=[row["q"]], k=10, all=True))
        shown = [r for r in ans.results if r.match is not False]  # None: ranked, not judged
        no_match = not shown
        t = tally[row["half"]]
        t[f"{row['kind']}_no_match"].append(no_match)
        if row["people"]:
            t["people_no_match"].append(no_match)
        if row["kind"] == "present":
            names = {Path(r.path).name for r in shown}
            t["present_relevant_in_top10"].append(len(names & set(row["relevant"])))
        details.append({"id": row["id"], "half": row["half"], "q": row["q"], "kind": row["kind"], "notes": ans.interpretation.notes,
                        "no_match": no_match, "shown": len(shown), "cutoff": ans.cutoff,
                        "best": max((r.why.get("stands_out", 0) for r in ans.results), default=None)})
    out = {"model": args.model, "segments": lib.catalog.segment_count(),
           "halves": {h: {k: round(sum(v) / len(v), 3) for k, v in sorted(t.items())}
                      for h, t in sorted(tally.items())}}
    if args.details:
        out["details"] = details
    emit(out)


if __name__ == "__main__":
    main()
