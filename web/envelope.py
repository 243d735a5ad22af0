"""The one JSON shape of a search answer, of a hit and of a group of
copies, for the API and the CLI's ``--json`` alike: the URLs a front-end
opens (``/thumb/...``, ``/media/...``) are made here, not in the search layer."""
from __future__ import annotations

import datetime as dt
import os

from mediasearch.search.answer import SearchAnswer
from mediasearch.search.dates import from_range
from mediasearch.search.engine import Result
from mediasearch.search.explain import explain, reason
from mediasearch.search.interpret import Interpretation
from mediasearch.store.catalog.word_rules import content_words


def result_dict(r: Result, it: Interpretation | None = None) -> dict:
    """One hit as every front-end shows it (the API, `search --json`)."""
    d = r.to_dict()
    d.pop("spans", None)
    if d.get("words"):
        d["words"].pop("spans", None)  # the boxes are in why, with the matched words
    d["score_parts"] = d.pop("why")
    d["why"] = explain(r, it)
    d["reason"] = reason(d["why"])
    d["id"] = r.media_id
    t = f"&t={r.start:.3f}" if r.start is not None else ""
    d["thumb"] = f"/thumb/{r.media_id}?size=256{t}"
    d["url"] = f"/media/{r.media_id}"
    d["name"] = os.path.basename(r.path)
    # The day it was taken, in the server's time zone (the photo's clock).
    d["taken"] = dt.datetime.fromtimestamp(r.taken_at).date().isoformat() if r.taken_at else None
    # When it was taken, EXIF else file time (the day headers of a list by date).
    d["when"] = dt.datetime.fromtimestamp(r.when).date().isoformat() if r.when else None
    return d


def _days(ranges: list[tuple[float, float]]) -> list[dict]:
    """Ranges as the days they hold, both ends included (null: open)."""
    return [dict(zip(("from", "to"), (None if d is None else d.isoformat() for d in from_range(a, b))))
            for a, b in ranges]


def answer_dict(answer: SearchAnswer) -> dict:
    """The one JSON envelope of a search, for the API and the CLI alike."""
    req, it = answer.request, answer.interpretation
    return {
        "query": {"text": " ".join(req.texts), "semantic": it.semantic if it else " ".join(req.texts),
                  # The words a match is shown by (marked in snippets): the word search's.
                  "words": content_words(it.semantic if it else " ".join(req.texts)),
                  "not": list(req.nots) + (list(it.nots) if it else []),
                  "like": list(req.like), "unlike": list(req.unlike),
                  "filters": {"kind": list(it.kinds if it else req.kinds),
                              "not_kind": list(it.not_kinds) if it else [], "under": list(req.under),
                              "after": req.after, "before": req.before,
                              "dates": _days(it.dates if it else []),
                              "not_dates": _days(it.not_dates if it else []),
                              "place": (it.places[0] if it.places else None) if it else req.place,
                              "places": list(it.places) if it else ([req.place] if req.place else []),
                              "not_places": list(it.not_places) if it else [],
                              "exact": list(it.exact) if it else []},
                  "understood": [r.to_dict() for r in it.readings] if it else [],
                  "notes": list(it.notes) if it else [], "plain": list(req.plain)},
        "results": [result_dict(r, it) for r in answer.results],
        "empty_index": answer.empty_index, "k": req.k, "offset": req.offset,
        "reranked": answer.reranked,
        "cutoff": answer.cutoff,
        "order": answer.ordered or {"by": req.order},
    }


def duplicates_dict(groups: list[dict]) -> list[dict]:
    """Groups of copies (``SearchService.duplicates``) with each file's
    thumbnail and name."""
    for g in groups:
        for item in g["items"]:
            item["thumb"] = f"/thumb/{item['media_id']}?size=256"
            item["name"] = os.path.basename(item["path"])
    return groups
