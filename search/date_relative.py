"""Times named relative to today: "yesterday", "last week", "the weekend",
"last Friday", "ayer", "letzte Woche", "le mois dernier", "三天前",
"最近三十天", "上周末"."""
from __future__ import annotations

import datetime as dt
import re

from mediasearch.store.catalog.word_rules import CJK

from .date_spans import RELATIVE, Day, Pair, mk, month_span, show_span, year_span
from .date_words import ZH_NUMBER, number

# words -> (calendar unit, how many back); "weekend" counts weekends.
RELATIVE_WORDS = {
    "today": ("day", 0), "yesterday": ("day", 1), "day before yesterday": ("day", 2),
    "the day before yesterday": ("day", 2), "this week": ("week", 0), "last week": ("week", 1),
    "the week before last": ("week", 2), "this month": ("month", 0), "last month": ("month", 1),
    "this year": ("year", 0), "last year": ("year", 1), "the year before last": ("year", 2),
    "the weekend": ("weekend", 1), "this weekend": ("weekend", 0), "last weekend": ("weekend", 1),
    "hoy": ("day", 0), "ayer": ("day", 1), "anteayer": ("day", 2), "esta semana": ("week", 0),
    "la semana pasada": ("week", 1), "semana pasada": ("week", 1), "este mes": ("month", 0),
    "el mes pasado": ("month", 1), "mes pasado": ("month", 1), "este año": ("year", 0),
    "el año pasado": ("year", 1), "año pasado": ("year", 1), "el fin de semana pasado": ("weekend", 1),
    "el fin de semana": ("weekend", 1),
    "heute": ("day", 0), "gestern": ("day", 1), "vorgestern": ("day", 2), "diese woche": ("week", 0),
    "letzte woche": ("week", 1), "letzter woche": ("week", 1), "vergangene woche": ("week", 1),
    "vergangener woche": ("week", 1), "diesen monat": ("month", 0), "letzten monat": ("month", 1),
    "letzter monat": ("month", 1), "dieses jahr": ("year", 0), "letztes jahr": ("year", 1),
    "letzten jahr": ("year", 1), "letztes wochenende": ("weekend", 1), "letzten wochenende": ("weekend", 1),
    "am wochenende": ("weekend", 1),
    "aujourd'hui": ("day", 0), "hier": ("day", 1), "avant-hier": ("day", 2), "cette semaine": ("week", 0),
    "la semaine dernière": ("week", 1), "semaine dernière": ("week", 1), "ce mois-ci": ("month", 0),
    "le mois dernier": ("month", 1), "mois dernier": ("month", 1), "cette année": ("year", 0),
    "l'année dernière": ("year", 1), "année dernière": ("year", 1), "le week-end dernier": ("weekend", 1),
    "week-end dernier": ("weekend", 1), "le week-end": ("weekend", 1),
    "今天": ("day", 0), "昨天": ("day", 1), "前天": ("day", 2), "本周": ("week", 0), "这周": ("week", 0),
    "这个星期": ("week", 0), "上周": ("week", 1), "上个星期": ("week", 1), "上星期": ("week", 1),
    "本月": ("month", 0), "这个月": ("month", 0), "上个月": ("month", 1), "上月": ("month", 1),
    "今年": ("year", 0), "去年": ("year", 1), "前年": ("year", 2), "上周末": ("weekend", 1),
    "这周末": ("weekend", 0), "周末": ("weekend", 1),
}
ZH_YEARS = {"今年": 0, "去年": 1, "前年": 2}


def _alternation(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+").replace("'", "['’]")
                    for w in sorted(words, key=len, reverse=True))


REL_PATTERN = (r"(?<![\w-])(?P<rel_word>" + _alternation(w for w in RELATIVE_WORDS if not CJK.search(w))
               + r")(?![\w-])|(?P<rel_word_zh>" + _alternation(w for w in RELATIVE_WORDS if CJK.search(w)) + ")")

WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                        "sunday"])}
WEEKDAY_PATTERN = r"(?<![\w-])(?:last|on|this\s+past)\s+(?P<weekday>" + "|".join(WEEKDAYS) + r")(?![\w-])"

ZH_REL_PATTERN = (rf"(?P<zn>{ZH_NUMBER})\s*(?P<zunit>天|周|个星期|星期|个礼拜|个月|年)前"
                  rf"|(?:最近|过去|近)的?\s*(?P<zlast>{ZH_NUMBER})\s*(?P<zlunit>天|周|个星期|个月|年)")


def zh_relative(g, today, day_first):
    """三天前 (that day), 两年前 (that year), 最近三十天 (the last 30 days)."""
    if g.get("zn"):
        return mk([_unit_back(_unit(g["zunit"]), number(g["zn"]), today)])
    return last_n({"n": str(number(g["zlast"])), "unit": _unit(g["zlunit"])}, today, day_first)


def _ago_of(g, today, day_first):
    n, unit = number(g["n"]), _unit(g["unit"])
    return mk([_unit_back(unit, n, today)])


def last_n(g, today, day_first):
    n, unit = number(g["n"]), _unit(g["unit"])
    if unit == "day":
        start = today - dt.timedelta(days=n - 1)
    elif unit == "week":
        start = today - dt.timedelta(days=7 * n - 1)
    elif unit == "month":
        y, m = divmod(today.year * 12 + today.month - 1 - n, 12)
        start = Day(y, m + 1, min(today.day, 28)) + dt.timedelta(days=1)
    else:
        start = Day(today.year - n, today.month, min(today.day, 28)) + dt.timedelta(days=1)
    return mk([(start, today)], f"the last {n} {unit}s ({start.isoformat()} to {today.isoformat()})")


_UNITS = {"day": "day", "días": "day", "dias": "day", "día": "day", "tag": "day", "tage": "day", "tagen": "day",
          "jour": "day", "jours": "day", "天": "day", "week": "week", "semana": "week", "semanas": "week",
          "woche": "week", "wochen": "week", "semaine": "week", "semaines": "week", "周": "week", "星期": "week",
          "个星期": "week", "个礼拜": "week", "month": "month", "mes": "month", "meses": "month", "monat": "month",
          "monate": "month", "monaten": "month", "mois": "month", "个月": "month", "月": "month", "year": "year",
          "año": "year", "años": "year", "jahr": "year", "jahre": "year", "jahren": "year", "an": "year",
          "ans": "year", "année": "year", "années": "year", "年": "year"}


def _unit(word: str) -> str:
    w = word.lower()
    return _UNITS.get(w) or _UNITS[w.rstrip("s")]


def _unit_back(unit: str, n: int, today: Day) -> Pair:
    """The calendar day, week, month or year n units before this one."""
    if unit == "day":
        d = today - dt.timedelta(days=n)
        return d, d
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday() + 7 * n)
        return monday, monday + dt.timedelta(days=6)
    if unit == "month":
        y, m = divmod(today.year * 12 + today.month - 1 - n, 12)
        return month_span(y, m + 1)
    return year_span(today.year - n)


def relative(g, today, day_first):
    """"yesterday", "last week", "the weekend", "ayer", "上周末": in the query's words."""
    key = " ".join((g.get("rel_word") or g.get("rel_word_zh")).lower().replace("’", "'").split())
    unit, n = RELATIVE_WORDS[key]
    span = _weekend(today, n) if unit == "weekend" else _unit_back(unit, n, today)
    return mk([span], f"{RELATIVE}{key} ({show_span(span)})")


def _weekend(today: Day, back: int) -> Pair:
    """The weekend just past (or this one, on a Saturday or Sunday)."""
    sat = today - dt.timedelta(days=(today.weekday() - 5) % 7)
    sat -= dt.timedelta(days=7 * max(0, back - (today.weekday() < 5)))
    return sat, sat + dt.timedelta(days=1)


def weekday(g, today, day_first):
    wd = WEEKDAYS[g["weekday"].lower()]
    back = (today.weekday() - wd) % 7 or 7  # "last Friday" on a Friday is a week ago
    d = today - dt.timedelta(days=back)
    return mk([(d, d)], f"{g['weekday'].capitalize()} {d.isoformat()}")


def ago(g, today, day_first):
    for n, unit in (("n", "unit"), ("n2", "unit2"), ("n3", "unit3"), ("n4", "unit4")):
        if g.get(n):
            return _ago_of({"n": g[n], "unit": g[unit]}, today, day_first)
    raise ValueError("no number")
