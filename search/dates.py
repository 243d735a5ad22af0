"""Dates in a query, read offline: "July 2023", "2019", "last summer", "in
March", "yesterday", "the 90s", "before 2020", "2023年7月", "去年". Each
becomes one or more time ranges (local time, the photos' clock): "in March"
is every March, "summer" is June to August (northern hemisphere, said in
the label), a year is the calendar year.

Bare month and season words stay words unless the query marks them as a
time ("in March", "summer 2019", "last summer"): "a march through the city"
and "summer dress" are content.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
         "oct": 10, "nov": 11, "dec": 12}
MONTH_NO = {**{m: i + 1 for i, m in enumerate(MONTHS)}, **_ABBR}
SEASONS = {"spring": (3, 3), "summer": (6, 3), "autumn": (9, 3), "fall": (9, 3), "winter": (12, 3)}
FIRST_YEAR = 1900  # the years the "every March" ranges span

_M = r"(?P<month>" + "|".join(sorted(MONTH_NO, key=len, reverse=True)) + r")\.?"
_Y = r"(?P<year>(?:19|20)\d\d)"
_S = r"(?P<season>spring|summer|autumn|fall|winter)"
_IN = r"(?:(?:in|during|from|on|of|taken in)\s+)?"
_B = r"(?<![\w-])"
_E = r"(?![\w-])"


@dataclass
class FoundDate:
    text: str
    start: int
    end: int
    ranges: list[tuple[float, float]]
    label: str


def _ts(y: int, m: int = 1, d: int = 1) -> float:
    while m > 12:
        y, m = y + 1, m - 12
    return dt.datetime(y, m, d).timestamp()


def month_range(y: int, m: int, months: int = 1) -> tuple[float, float]:
    return _ts(y, m), _ts(y, m + months)


def day_range(day: dt.date, days: int = 1) -> tuple[float, float]:
    a = dt.datetime(day.year, day.month, day.day)
    return a.timestamp(), (a + dt.timedelta(days=days)).timestamp()


def _every(month: int, months: int, now: dt.datetime) -> list[tuple[float, float]]:
    return [month_range(y, month, months) for y in range(FIRST_YEAR, now.year + 1)]


def _season_year(season: str, year: int) -> tuple[float, float]:
    m, n = SEASONS[season]
    return month_range(year, m, n)  # winter 2019: December 2019 to February 2020


def _last_season(season: str, now: dt.datetime, this: bool) -> tuple[float, float]:
    """"this summer" is this year's; "last summer" the latest one already over."""
    year = now.year
    if season == "winter" and now.month < 3:  # January and February belong to December's winter
        year -= 1
    if not this and _season_year(season, year)[1] > now.timestamp():
        year -= 1
    return _season_year(season, year)


def _month_name(m: int) -> str:
    return MONTHS[m - 1].capitalize()


def _read_day_month_year(g: dict, now: dt.datetime):
    d = dt.date(int(g["year"]), MONTH_NO[g["month"].lower()], int(g["day"]))
    return [day_range(d)], f"taken on {d.isoformat()}"


def _read_month_year(g: dict, now: dt.datetime):
    y, m = int(g["year"]), MONTH_NO[g["month"].lower()]
    return [month_range(y, m)], f"taken in {_month_name(m)} {y}"


def _read_season_year(g: dict, now: dt.datetime):
    s, y = g["season"].lower(), int(g["year"])
    return [_season_year(s, y)], f"taken in {s} {y} (northern hemisphere)"


def _read_rel_season(g: dict, now: dt.datetime):
    s = g["season"].lower()
    r = _last_season(s, now, g["rel"].lower() == "this")
    return [r], f"taken {g['rel'].lower()} {s} ({dt.date.fromtimestamp(r[0]).year})"


def _read_in_month(g: dict, now: dt.datetime):
    m = MONTH_NO[g["month"].lower()]
    return _every(m, 1, now), f"taken in {_month_name(m)} (any year)"


def _read_in_season(g: dict, now: dt.datetime):
    s = g["season"].lower()
    m, n = SEASONS[s]
    return _every(m, n, now), f"taken in {s} (any year; northern hemisphere)"


def _read_decade(g: dict, now: dt.datetime):
    d = int(g["decade"])
    y = d if d >= 1000 else (1900 + d if d >= 30 else 2000 + d)
    return [(_ts(y), _ts(y + 10))], f"taken in the {y}s"


def _read_year(g: dict, now: dt.datetime):
    y = int(g["year"])
    return [(_ts(y), _ts(y + 1))], f"taken in {y}"


def _read_before(g: dict, now: dt.datetime):
    y = int(g["year"])
    return [(_ts(FIRST_YEAR), _ts(y))], f"taken before {y}"


def _read_after(g: dict, now: dt.datetime):
    y = int(g["year"]) + (1 if g["op"].lower() == "after" else 0)
    return [(_ts(y), _ts(now.year + 2))], f"taken in {y} or later"


def _read_iso_day(g: dict, now: dt.datetime):
    d = dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
    return [day_range(d)], f"taken on {d.isoformat()}"


def _read_iso_month(g: dict, now: dt.datetime):
    y, m = int(g["y"]), int(g["m"])
    return [month_range(y, m)], f"taken in {_month_name(m)} {y}"


def _read_zh(g: dict, now: dt.datetime):
    y = int(g["zy"])
    if g["zd"]:
        d = dt.date(y, int(g["zm"]), int(g["zd"]))
        return [day_range(d)], f"taken on {d.isoformat()}"
    if g["zm"]:
        return [month_range(y, int(g["zm"]))], f"taken in {_month_name(int(g['zm']))} {y}"
    return [(_ts(y), _ts(y + 1))], f"taken in {y}"


def _read_zh_month(g: dict, now: dt.datetime):
    m = int(g["zm"])
    return _every(m, 1, now), f"taken in {_month_name(m)} (any year)"


def _read_relative(g: dict, now: dt.datetime):
    word = " ".join(g["rel_word"].lower().split())
    return RELATIVE[word](now)


def _read_ago(g: dict, now: dt.datetime):
    n, unit = int(g["n"]), g["unit"].lower().rstrip("s")
    if unit == "day":
        d = now.date() - dt.timedelta(days=n)
        return [day_range(d)], f"taken on {d.isoformat()}"
    if unit == "week":
        d = now.date() - dt.timedelta(days=now.date().weekday() + 7 * n)
        return [day_range(d, 7)], f"taken in the week of {d.isoformat()}"
    if unit == "month":
        y, m = now.date().year, now.date().month - n
        while m < 1:
            y, m = y - 1, m + 12
        return [month_range(y, m)], f"taken in {_month_name(m)} {y}"
    return [(_ts(now.date().year - n), _ts(now.date().year - n + 1))], f"taken in {now.date().year - n}"


def _rules() -> list:
    """(pattern, reader) in the order they are tried: longer forms first."""
    return [
        (rf"{_B}(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>[0-3]\d){_E}", _read_iso_day),
        (rf"{_B}(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2]){_E}", _read_iso_month),
        (r"(?P<zy>(?:19|20)\d\d)\s*年(?:\s*(?P<zm>1[0-2]|0?[1-9])\s*月(?:\s*(?P<zd>[0-3]?\d)\s*[日号])?)?", _read_zh),
        (r"(?<![\d年])(?P<zm>1[0-2]|0?[1-9])\s*月(?!\d)", _read_zh_month),
        (rf"{_B}{_IN}(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_M}\s*,?\s+{_Y}{_E}", _read_day_month_year),
        (rf"{_B}{_IN}{_M}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s*,?\s+{_Y}{_E}", _read_day_month_year),
        (rf"{_B}{_IN}{_M}\s*,?\s+(?:of\s+)?{_Y}{_E}", _read_month_year),
        (rf"{_B}{_IN}{_S}\s+(?:of\s+)?{_Y}{_E}", _read_season_year),
        (rf"{_B}(?P<rel>last|this|past)\s+{_S}{_E}", _read_rel_season),
        (rf"{_B}(?:in|during)\s+(?:the\s+)?{_M}{_E}", _read_in_month),
        (rf"{_B}(?:in|during)\s+(?:the\s+)?{_S}{_E}", _read_in_season),
        (rf"{_B}(?:(?:in|from|during)\s+)?(?:the\s+)?(?P<decade>(?:19|20)[0-9]0|[0-9]0)'?s{_E}", _read_decade),
        (rf"{_B}(?:before|until|till|prior to)\s+{_Y}{_E}", _read_before),
        (rf"{_B}(?P<op>after|since)\s+{_Y}{_E}", _read_after),
        (rf"{_B}(?P<n>\d{{1,3}})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago{_E}", _read_ago),
        (rf"{_B}(?P<rel_word>{_REL_EN}){_E}", _read_relative),
        (rf"(?P<rel_word>{_REL_ZH})", _read_relative),
        (rf"{_B}{_IN}{_Y}{_E}", _read_year),
        (rf"{_B}(?P<month>january|february|april|june|july|august|september|october|november|december)"
         rf"{_E}", _read_in_month),
    ]


def _rel_day(days: int, name: str):
    def read(now: dt.datetime):
        d = now.date() - dt.timedelta(days=days)
        return [day_range(d)], f"taken {name} ({d.isoformat()})"
    return read


def _rel_week(weeks: int, name: str):
    def read(now: dt.datetime):
        d = now.date() - dt.timedelta(days=now.date().weekday() + 7 * weeks)
        return [day_range(d, 7)], f"taken {name} (from {d.isoformat()})"
    return read


def _rel_month(months: int, name: str):
    def read(now: dt.datetime):
        y, m = now.year, now.month - months
        if m < 1:
            y, m = y - 1, m + 12
        return [month_range(y, m)], f"taken {name} ({_month_name(m)} {y})"
    return read


def _rel_year(years: int, name: str):
    def read(now: dt.datetime):
        y = now.year - years
        return [(_ts(y), _ts(y + 1))], f"taken {name} ({y})"
    return read


RELATIVE = {
    "day before yesterday": _rel_day(2, "the day before yesterday"), "yesterday": _rel_day(1, "yesterday"),
    "today": _rel_day(0, "today"), "this week": _rel_week(0, "this week"), "last week": _rel_week(1, "last week"),
    "this month": _rel_month(0, "this month"), "last month": _rel_month(1, "last month"),
    "this year": _rel_year(0, "this year"), "last year": _rel_year(1, "last year"),
    "前天": _rel_day(2, "the day before yesterday"), "昨天": _rel_day(1, "yesterday"), "今天": _rel_day(0, "today"),
    "今年": _rel_year(0, "this year"), "去年": _rel_year(1, "last year"), "上个月": _rel_month(1, "last month"),
    "本月": _rel_month(0, "this month"),
}


_REL_EN = "|".join(w.replace(" ", r"\s+") for w in RELATIVE if w.isascii())
_REL_ZH = "|".join(w for w in RELATIVE if not w.isascii())


_RULES = _rules()


def find_dates(text: str, now: dt.datetime) -> list[FoundDate]:
    """Every date expression in ``text``, each read once (longest forms first)."""
    found: list[FoundDate] = []
    work = text
    for pattern, read in _RULES:
        for m in list(re.finditer(pattern, work, re.I)):
            try:
                ranges, label = read(m.groupdict(), now)
            except (ValueError, OverflowError, KeyError):  # 31 February, year 0
                continue
            found.append(FoundDate(m.group(0).strip(), m.start(), m.end(), ranges, label))
            work = work[:m.start()] + " " * (m.end() - m.start()) + work[m.end():]
    return sorted(found, key=lambda f: f.start)
