"""Times named relative to today: "yesterday", "last week", "the weekend",
"last Friday", "ayer", "letzte Woche", "le mois dernier", "三天前",
"最近三十天", "上周末"."""
from __future__ import annotations

import datetime as dt
import re

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


REL_PATTERN = (r"(?<![\w-])(?P<rel_word>" + _alternation(w for w in RELATIVE_WORDS
                                                           if not re.search("[\u3400-\u9fff]", w)) + r")(?![\w-])"
               r"|(?P<rel_zh>" + _alternation(w for w in RELATIVE_WORDS if re.search("[\u3400-\u9fff]", w)) + ")")
REL_PATTERN = REL_PATTERN.replace("(?P<rel_zh>", "(?P<rel_word_zh>")

WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                        "sunday"])}
WEEKDAY_PATTERN = r"(?<![\w-])(?:last|on|this\s+past)\s+(?P<weekday>" + "|".join(WEEKDAYS) + r")(?![\w-])"

ZH_REL_PATTERN = (rf"(?P<zn>{ZH_NUMBER})\s*(?P<zunit>天|周|个星期|星期|个礼拜|个月|年)前"
                  rf"|(?:最近|过去|近)的?\s*(?P<zlast>{ZH_NUMBER})\s*(?P<zlunit>天|周|个星期|个月|年)")


def zh_relative(g, today, day_first):
    """三天前 (that day), 两年前 (that year), 最近三十天 (the last 30 days)."""
    from .date_atoms import _last_n, _mk, _unit, _unit_back
    if g.get("zn"):
        return _mk([_unit_back(_unit(g["zunit"]), number(g["zn"]), today)])
    return _last_n({"n": str(number(g["zlast"])), "unit": _unit(g["zlunit"])}, today, day_first)


def relative(g, today: dt.date, day_first: bool):
    from .date_atoms import _relative
    word = g.get("rel_word") or g.get("rel_word_zh")
    return _relative({"rel_word": word}, today, day_first)
