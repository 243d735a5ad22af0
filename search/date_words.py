"""The words a query names times with, in the languages the search box
reads (English, Spanish, German, French, Chinese): months, seasons, number
words, holidays. Tables only; search/dates.py reads with them."""
from __future__ import annotations

import datetime as dt
import functools
import re

MONTHS_EN = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"]
_MONTHS_OTHER = {
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
    "de": ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
         "oct": 10, "nov": 11, "dec": 12}
MONTH_NO = {**{m: i + 1 for i, m in enumerate(MONTHS_EN)}, **_ABBR}
for _names in _MONTHS_OTHER.values():
    MONTH_NO.update({m: i + 1 for i, m in enumerate(_names)})
MONTH_NO["marz"] = 3
# English month names that are also everyday words or names ("may", "march")
# are read alone only where the query marks a time ("in March").
PLAIN_MONTHS = {"may", "march", "mars", "mai", "mayo"}

SEASON_OF = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn", "winter": "winter",
             "primavera": "spring", "verano": "summer", "otoño": "autumn", "invierno": "winter",
             "frühling": "spring", "sommer": "summer", "herbst": "autumn",
             "printemps": "spring", "été": "summer", "automne": "autumn", "hiver": "winter",
             "春天": "spring", "夏天": "summer", "秋天": "autumn", "冬天": "winter", "春季": "spring",
             "夏季": "summer", "秋季": "autumn", "冬季": "winter"}
SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}  # three months from there

NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                "thirty": 30, "sixty": 60, "ninety": 90,
                "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "diez": 10,
                "ein": 1, "eine": 1, "einem": 1, "einer": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
                "sechs": 6, "zehn": 10, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "dix": 10,
                "trente": 30, "treinta": 30, "dreißig": 30}
NUMBER = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_NUMBER = r"[0-9]{1,3}|[零一二两三四五六七八九十]{1,3}"


def number(word: str) -> int:
    """12, "twelve", "drei", 三十 -> an int (ValueError if not a number)."""
    w = word.strip().lower()
    if w.isdigit():
        return int(w)
    if w in NUMBER_WORDS:
        return NUMBER_WORDS[w]
    if w and all(c in _ZH_DIGITS or c == "十" for c in w):
        if "十" not in w:
            return int("".join(str(_ZH_DIGITS[c]) for c in w))
        tens, _, ones = w.partition("十")
        return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)
    raise ValueError(word)


def two_digit_year(yy: int, now: dt.date) -> int:
    return 2000 + yy if yy <= now.year % 100 + 1 else 1900 + yy


def _easter(year: int) -> dt.date:
    from dateutil.easter import easter
    return easter(year)


@functools.lru_cache(maxsize=256)
def _china(year: int, name: str) -> tuple[dt.date, ...]:
    import holidays
    return tuple(sorted(holidays.China(years=year, language="en_US").get_named(name)))


def _spring_festival(year: int) -> tuple[dt.date, dt.date]:
    days = _china(year, "Chinese New Year (Spring Festival)")
    if not days:
        raise ValueError(f"no lunar calendar for {year}")
    first = days[0]  # new year's day; the festival runs from the eve to the sixth day
    return first - dt.timedelta(days=1), first + dt.timedelta(days=5)


def _mid_autumn(year: int) -> tuple[dt.date, dt.date]:
    days = _china(year, "Mid-Autumn Festival")
    if not days:
        raise ValueError(f"no lunar calendar for {year}")
    return days[0], days[0]


def _fixed(m: int, d: int, days: int = 1):
    def span(year: int) -> tuple[dt.date, dt.date]:
        a = dt.date(year, m, d)
        return a, a + dt.timedelta(days=days - 1)
    return span


def _easter_span(before: int, after: int):
    def span(year: int) -> tuple[dt.date, dt.date]:
        e = _easter(year)
        return e - dt.timedelta(days=before), e + dt.timedelta(days=after)
    return span


def _thanksgiving(year: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 11, 1)
    day = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return day, day


# name -> (the days it spans in a year, the name shown). Christmas is the
# 24th to the 26th (the eve is when many families celebrate); New Year's Eve
# runs past midnight into the 1st, when its photos are taken.
HOLIDAYS = {
    "christmas": (_fixed(12, 24, 3), "Christmas"), "xmas": (_fixed(12, 24, 3), "Christmas"),
    "christmas eve": (_fixed(12, 24), "Christmas Eve"), "christmas day": (_fixed(12, 25), "Christmas Day"),
    "navidad": (_fixed(12, 24, 3), "Christmas"), "weihnachten": (_fixed(12, 24, 3), "Christmas"),
    "noël": (_fixed(12, 24, 3), "Christmas"), "noel": (_fixed(12, 24, 3), "Christmas"),
    "圣诞节": (_fixed(12, 24, 3), "Christmas"), "圣诞": (_fixed(12, 24, 3), "Christmas"),
    "new year's eve": (_fixed(12, 31, 2), "New Year's Eve"), "new years eve": (_fixed(12, 31, 2), "New Year's Eve"),
    "silvester": (_fixed(12, 31, 2), "New Year's Eve"), "nochevieja": (_fixed(12, 31, 2), "New Year's Eve"),
    "réveillon": (_fixed(12, 31, 2), "New Year's Eve"), "除夕": (lambda y: (_spring_festival(y)[0],) * 2, "除夕"),
    "new year's day": (_fixed(1, 1), "New Year's Day"), "元旦": (_fixed(1, 1), "New Year's Day"),
    "halloween": (_fixed(10, 31), "Halloween"), "valentine's day": (_fixed(2, 14), "Valentine's Day"),
    "valentines day": (_fixed(2, 14), "Valentine's Day"), "4th of july": (_fixed(7, 4), "the 4th of July"),
    "fourth of july": (_fixed(7, 4), "the 4th of July"), "independence day": (_fixed(7, 4), "the 4th of July"),
    "thanksgiving": (_thanksgiving, "Thanksgiving"),
    "easter": (_easter_span(2, 1), "Easter"), "ostern": (_easter_span(2, 1), "Easter"),
    "pâques": (_easter_span(2, 1), "Easter"), "pascua": (_easter_span(2, 1), "Easter"),
    "semana santa": (_easter_span(7, 0), "Semana Santa"), "holy week": (_easter_span(7, 0), "Holy Week"),
    "春节": (_spring_festival, "Spring Festival"), "中秋节": (_mid_autumn, "Mid-Autumn Festival"),
    "中秋": (_mid_autumn, "Mid-Autumn Festival"), "国庆节": (_fixed(10, 1, 7), "National Day week"),
    "国庆": (_fixed(10, 1, 7), "National Day week"),
}
HOLIDAY = "|".join(re.escape(h).replace(r"\ ", r"\s+").replace("'", "['’]?")
                   for h in sorted(HOLIDAYS, key=len, reverse=True))
# Holiday words that name things as often as times ("christmas tree"):
# a holiday followed by one of these stays words.
THINGS = r"tree|trees|dinner|market|markets|lights|card|cards|decorations?|sweater|cookies|costume|costumes|" \
         r"pumpkin|pumpkins|party|eggs?|bunny|baum|markt|árbol|sapin|树"
