"""A search's answer as terminal text, from the JSON envelope (the API's
shape), so an answer from a running server and one made here print the
same: the interpretation on stderr, one line per hit on stdout."""
from __future__ import annotations

import datetime as dt

from mediasearch.store.paths import one_line

from .text import emit_json, fmt_time, out, say


def show(d: dict, show_all: bool, as_json: bool) -> None:
    if as_json:
        emit_json(d)
    else:
        print_answer(d, show_all)


def print_answer(d: dict, show_all: bool = False) -> None:
    """The interpretation above the results (on stderr, so the results stay
    a clean list on stdout), then one line per hit with a short reason; from
    the JSON envelope, so an answer from a running server prints the same."""
    q = d["query"]
    if q["understood"]:
        types = sorted({rd["type"] for rd in q["understood"]})
        say("understood: " + " · ".join(rd["label"] for rd in q["understood"])
            + (f" · searching for “{q['semantic']}”" if q["semantic"] else "")
            + f"  (undo: --plain {' --plain '.join(types)})")
    for note in q["notes"]:
        say(note)
    cut = d.get("cutoff") or {}
    results = d["results"]
    matched = [r for r in results if r["match"] is not False]
    if cut.get("applied") and not matched and cut.get("held_back"):
        held = cut.get("held_back", 0)
        say(f"no good match for “{q['semantic']}”"
            + (f"; {held} weaker matches held back (--all shows them)" if held and not show_all else ""))
    elif not results:
        say("no results")
    elif cut.get("held_back") and not show_all:
        say(f"{cut['held_back']} weaker matches held back (--all shows them)")
    listed = bool(results) and all((r["score_parts"] or {}).get("filters") for r in results)
    order = d.get("order") or {}
    ordered = "of" in order
    if listed:  # only filters were asked: nothing was ranked, so no score is shown
        say(f"listed by date, {'oldest' if order.get('by') == 'oldest' else 'newest'} first (the query has only filters)")
    elif ordered:
        say(f"{order['of']} matches by date, {order['by']} first" + (f" (the {order['of']} best)" if order.get("capped") else ""))
    day = None
    for r in results:
        if ordered or listed:
            when = r["when"] or r["taken"]
            shown = f"{dt.date.fromisoformat(when):%A %d %B %Y}" if when else "date unknown"
            if shown != day:
                say(f"-- {shown}")
                day = shown
        out(one_line(_line(r, listed)))


def _line(r: dict, listed: bool) -> str:
    where = r["path"]
    if r["start"] is not None:
        where += f" @ {fmt_time(r['start'])}-{fmt_time(r['end'])}"
    score = "listed" if listed else f"{r['score']:6.3f}"
    line = f"{'~' if r['match'] is False else ' '}{score}  {r['kind']:<5}  {where}"
    if r["taken"]:
        line += f"  {r['taken']}"
    # Words on a picture are where it was taken; elsewhere, what was said or tagged.
    if r["text"]:
        line += f"  ({r['text'][:80]})" if r["source"] in ("image", "frame") else f'  "{r["text"][:80]}"'
    words = r.get("words") or {}
    if words.get("text") and words["text"] != r["text"]:
        line += f'  words: "{words["text"][:80]}"'
    if r["caption"]:
        line += f"  [{r['caption'][:80]}]"
    if r["reason"]:
        line += f"  <- {r['reason']}"
    return line
