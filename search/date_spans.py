"""Day spans and their labels, shared by the date readers (date_atoms.py,
date_relative.py)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from .date_words import SEASON_MONTHS

Day = dt.date
RELATIVE = "\x00"  # a label that starts with the query's own words ("this year (2026)")
Pair = tuple[Day, Day]


def _month_end(y: int, m: int) -> Day:
    return (Day(y + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)


def month_span(y: int, m: int, months: int = 1) -> Pair:
    last = m + months - 1
    return Day(y, m, 1), _month_end(y + (last - 1) // 12, (last - 1) % 12 + 1)


def year_span(y: int) -> Pair:
    return Day(y, 1, 1), Day(y, 12, 31)


def season_span(season: str, y: int) -> Pair:
    return month_span(y, SEASON_MONTHS[season], 3)  # winter 2019: December 2019 to February 2020


def latest(span_of: Callable[[int], Pair], today: Day, over: bool = False) -> Pair:
    """The most recent occurrence that has begun (``over``: that has ended)."""
    for y in (today.year + 1, today.year, today.year - 1, today.year - 2):
        try:
            a, b = span_of(y)
        except ValueError:  # 29 February, a year the lunar table lacks
            continue
        if (b if over else a) <= today - dt.timedelta(days=1 if over else 0):
            return a, b
    raise ValueError("no occurrence")


def month_name(m: int) -> str:
    return dt.date(2000, m, 1).strftime("%B")


def show_span(span: Pair) -> str:
    a, b = span
    if a == b:
        return f"{a.day} {month_name(a.month)} {a.year}"
    if a.day == 1 and b == _month_end(b.year, b.month):
        if (a.month, b.month) == (1, 12) and a.year <= b.year:
            return str(a.year) if a.year == b.year else f"{a.year} to {b.year}"
        if (a.year, a.month) == (b.year, b.month):
            return f"{month_name(a.month)} {a.year}"
        return f"{month_name(a.month)} {a.year} to {month_name(b.month)} {b.year}"
    return f"{a.isoformat()} to {b.isoformat()}"


def show(spans: list[Pair]) -> str:
    return " or ".join(show_span(s) for s in spans)


def mk(spans: list[Pair], label: str | None = None, **kw) -> tuple[list[Pair], str, dict]:
    return spans, label or show(spans), kw


# --- readers: (groups, today, day_first) -> (spans, label, extra Atom fields)
