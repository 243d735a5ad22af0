"""Dates in a query, read offline: "July 2023", "last summer", "between 2018
and 2020", "04/07/2019", "Christmas 2019", "last 30 days", "2023年7月",
"三天前", "hace dos semanas". Each becomes one or more day spans (both ends
included, ``None`` an open end), read in two passes: first the times
themselves (``date_atoms``), then what joins them ("between A and B",
"A or B", "before A", "not in A": ``date_joins``).

Rules a careful reader follows (the dev set's, written outside the
project): a day, month, season or holiday with no year is its most recent
occurrence up to now; "last summer" is the latest one already over; weeks
run Monday to Sunday; "last 30 days" ends today and counts it; seasons are
northern (summer = June to August); an English numeric date whose day and
month could swap (04/07/2019) is read both ways, and said so; a future year
standing alone ("2048") is a number, not a time; words that only look like
times ("summer dress", "christmas tree", "1920s themed party") stay words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .date_atoms import atoms_of
from .date_joins import join_atoms

FIRST_YEAR = 1900   # an open start ("before 2010") begins here
LAST_YEAR = 3000    # an open end ("since 2020") ends here

Span = tuple[dt.date | None, dt.date | None]


@dataclass
class FoundDate:
    text: str
    start: int
    end: int
    spans: list[Span]
    label: str
    negated: bool = False          # "not in 2020": the files taken then are left out
    ambiguous: str | None = None   # why it was read more than one way

    @property
    def ranges(self) -> list[tuple[float, float]]:
        return [to_range(s) for s in self.spans]


def _midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day).timestamp()


def to_range(span: Span) -> tuple[float, float]:
    """A day span as [start, end) local times, open ends far out."""
    a, b = span
    start = _midnight(a) if a else _midnight(dt.date(FIRST_YEAR, 1, 1))
    end = _midnight(b + dt.timedelta(days=1)) if b else _midnight(dt.date(LAST_YEAR, 1, 1))
    return start, end


def from_range(start: float, end: float) -> Span:
    """The day span of a [start, end) range (open ends as None)."""
    a = dt.datetime.fromtimestamp(start).date()
    b = (dt.datetime.fromtimestamp(end) - dt.timedelta(seconds=1)).date()
    return (None if a.year <= FIRST_YEAR else a), (None if b.year >= LAST_YEAR - 1 else b)


def find_dates(text: str, now: dt.datetime, day_first: bool = False) -> list[FoundDate]:
    """Every date expression in ``text``, each read once. ``day_first``:
    the query's language writes 04/07 as the 4th of July (not English)."""
    atoms = atoms_of(text, now.date(), day_first)
    return [FoundDate(j.text, j.start, j.end, j.spans, j.label, j.negated, j.ambiguous)
            for j in join_atoms(text, atoms)]
