"""What joins the times of a query: "between A and B", "from A to B",
"A or B", "before A", "after A", "since A", "not in A" (and their Spanish,
German, French and Chinese forms). The times are first marked in the text
with one private-use character each, so these rules read "between ⟨A⟩ and
⟨B⟩" whatever A and B were written as."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .date_atoms import Atom
from .date_spans import RELATIVE, show

Span = tuple[dt.date | None, dt.date | None]
_HEAD, _TAIL = 0xE000, "\ue100"
T = "[\ue000-\ue0ff]\ue100*"


@dataclass
class Joined:
    text: str
    start: int
    end: int
    spans: list[Span]
    label: str
    negated: bool = False
    ambiguous: str | None = None
    reread: object = None
    year: int | None = None


_AND = r"(?:and|y|und|et|和|与|到)"
_TO = r"(?:to|until|till|through|thru|[-–]|bis|a|al|à|au|hasta|到|至)"
_OR = r"(?:or|o|oder|ou|或者|或|、|,)"
JOINS = [
    ("range", rf"(?:between|entre|zwischen)\s+(?:the\s+)?(?P<a>{T})\s+{_AND}\s+(?P<b>{T})"),
    ("range", rf"(?:(?:from|von|vom|de|du|desde)\s+)?(?P<a>{T})\s*{_TO}\s*(?P<b>{T})"),
    ("or", rf"(?P<a>{T})(?:\s*{_OR}\s*(?:in\s+|en\s+|im\s+)?{T})+"),
    ("before", rf"(?<![\w-])(?:before|prior\s+to|until|till|avant|antes\s+de|bis)\s+(?P<a>{T})"
               rf"|(?P<a2>{T})\s*(?:以前|之前)"),
    ("after", rf"(?<![\w-])(?:after|nach|après|después\s+de)\s+(?P<a>{T})|(?P<a2>{T})\s*(?:以后|之后)"),
    ("since", rf"(?<![\w-])(?:since|seit|depuis|desde)\s+(?P<a>{T})|(?P<a2>{T})\s*以来"),
    ("not", rf"(?<![\w-])(?:not|nicht|pas|except|excluding|but\s+not|sauf|excepto)\s+"
            rf"(?:(?:taken\s+)?(?:in|from|during|on|en|im|de|à)\s+)?(?P<a>{T})|(?:不是|不在)(?P<a2>{T})"),
]
_JOINS = [(kind, re.compile(p, re.I)) for kind, p in JOINS]


def _mark(text: str, items: list[Joined]) -> str:
    out = list(text)
    for i, it in enumerate(items):
        out[it.start:it.end] = [chr(_HEAD + i)] + [_TAIL] * (it.end - it.start - 1)
    return "".join(out)


def _parts(m: re.Match, marked: str, items: list[Joined]) -> list[Joined]:
    """The times inside a match, in order."""
    return [items[ord(c) - _HEAD] for c in marked[m.start():m.end()] if "\ue000" <= c <= "\ue0ff"]


def _range(a: Joined, b: Joined) -> Joined | None:
    if a.reread and b.year and a.year is None:  # "July to September 2026": July of 2026
        a.spans = a.reread(b.year)
        if a.spans[0][0] > b.spans[0][0]:
            a.spans = a.reread(b.year - 1)
    start, end = min(s[0] for s in a.spans), max(s[1] for s in b.spans)
    if start is None or end is None or start > end:
        return None
    return Joined("", 0, 0, [(start, end)], show([(start, end)]))


def _combine(kind: str, parts: list[Joined]) -> Joined | None:
    a = parts[0]
    shown = [p.label.replace(RELATIVE, "") for p in parts]
    if kind == "range":
        out = _range(a, parts[-1])
    elif kind == "or":
        out = Joined("", 0, 0, [s for p in parts for s in p.spans],
                     RELATIVE * a.label.startswith(RELATIVE) + " or ".join(shown))
    elif kind == "before":
        first = min(s[0] for s in a.spans)
        out = Joined("", 0, 0, [(None, first - dt.timedelta(days=1))], f"before {shown[0]}")
    elif kind == "after":
        last = max(s[1] for s in a.spans)
        out = Joined("", 0, 0, [(last + dt.timedelta(days=1), None)], f"after {shown[0]}")
    elif kind == "since":
        out = Joined("", 0, 0, [(min(s[0] for s in a.spans), None)], f"since {shown[0]}")
    else:
        out = Joined("", 0, 0, a.spans, f"not {a.label}", negated=True)
    if out is None:
        return None
    out.ambiguous = next((p.ambiguous for p in parts if p.ambiguous), None)
    return out


def _join_once(text: str, items: list[Joined]) -> list[Joined] | None:
    """The items with the first join the words allow made, or None."""
    marked = _mark(text, items)
    for kind, pattern in _JOINS:
        for m in pattern.finditer(marked):
            parts = _parts(m, marked, items)
            if kind != "not" and any(p.negated for p in parts):  # "not in 2019 or 2021" stays as read
                continue
            joined = _combine(kind, parts)
            if joined is None:
                continue
            a, b = m.span()
            joined.start, joined.end, joined.text = a, b, text[a:b].strip()
            return sorted([it for it in items if not (a <= it.start and it.end <= b)] + [joined],
                          key=lambda it: it.start)
    return None


def join_atoms(text: str, atoms: list[Atom]) -> list[Joined]:
    """The atoms joined where the words between them say so."""
    items = [Joined(a.text, a.start, a.end, list(a.spans), a.label, False, a.ambiguous, a.reread, a.year)
             for a in atoms]
    while items and (joined := _join_once(text, items)) is not None:
        items = joined
    return items
