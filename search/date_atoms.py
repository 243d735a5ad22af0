"""The times a query names, one by one (search/dates.py joins them):
each rule is a pattern and a reader that turns its match into day spans."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mediasearch.store.catalog.word_rules import CJK

from .date_relative import (
    REL_PATTERN,
    WEEKDAY_PATTERN,
    ZH_REL_PATTERN,
    ZH_YEARS,
    ago,
    last_n,
    relative,
    weekday,
    zh_relative,
)
from .date_spans import Day, Pair, latest, mk, month_span, season_span, show_span, year_span
from .date_words import (
    HOLIDAY,
    HOLIDAYS,
    MONTH_NO,
    NUMBER,
    PLAIN_MONTHS,
    SEASON_OF,
    THINGS,
    number,
    two_digit_year,
)


@dataclass
class Atom:
    text: str
    start: int
    end: int
    spans: list[Pair]
    label: str                                   # "July 2019", "Christmas 2019 (24-26 Dec)"
    ambiguous: str | None = None
    reread: Callable[[int], list[Pair]] | None = None  # the same words in another year ("July [to Sept 2026]")
    year: int | None = None                      # the year it names, when it names one


def _iso_day(g, today, day_first):
    return mk([(Day(int(g["y"]), int(g["m"]), int(g["d"])),) * 2], year=int(g["y"]))


def _numeric(g, today, day_first):
    """d/m/y, m/d/y and d.m.y: the day and month may swap in an English query."""
    a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
    y = two_digit_year(y, today) if len(g["y"]) == 2 else y
    if g["sep"] == "." or a > 12 or day_first:
        orders = [(b, a)]
    elif b > 12:
        orders = [(a, b)]
    else:
        orders = [(b, a), (a, b)] if a != b else [(a, b)]
    spans = [(Day(y, m, d),) * 2 for m, d in orders]
    why = (f"“{g[0].strip()}” could be day/month or month/day: both days are searched"
           if len(orders) > 1 else None)
    return mk(spans, ambiguous=why, year=y)


def _ymd(g, today, day_first):
    return mk([(Day(int(g["y"]), int(g["m"]), int(g["d"])),) * 2], year=int(g["y"]))


def _iso_month(g, today, day_first):
    return mk([month_span(int(g["y"]), int(g["m"]))], year=int(g["y"]))


def _year_range(g, today, day_first):
    a, b = int(g["y1"]), int(g["y2"])
    if b < a:
        raise ValueError("backwards")
    return mk([(Day(a, 1, 1), Day(b, 12, 31))])


def _month(g) -> int:
    return MONTH_NO[g["month"].lower().rstrip(".")]


def _day_month_year(g, today, day_first):
    y = int(g["year"])
    return mk([(Day(y, _month(g), int(g["day"])),) * 2], year=y)


def _month_year(g, today, day_first):
    y = int(g["year"])
    return mk([month_span(y, _month(g))], year=y)


def _months_year(g, today, day_first):
    """"from March to May 2021", "July to September 2026": the first month in
    the year named last (or the one before, for "November to February")."""
    y, m1, m2 = int(g["year"]), MONTH_NO[g["m1"].lower()], _month(g)
    start = Day(y - (m1 > m2), m1, 1)
    return mk([(start, month_span(y, m2)[1])], year=y)


def _day_month(g, today, day_first):
    m, d = _month(g), int(g["day"])
    span = latest(lambda y: (Day(y, m, d),) * 2, today)
    return mk([span], reread=lambda y: [(Day(y, m, d),) * 2])


def _in_month(g, today, day_first):
    m = _month(g)
    return mk([latest(lambda y: month_span(y, m), today)], reread=lambda y: [month_span(y, m)])


def _season(g) -> str:
    return SEASON_OF[g["season"].lower()]


def _season_year(g, today, day_first):
    s, y = _season(g), int(g["year"])
    if s != "winter":
        return mk([season_span(s, y)], f"{s} {y}", year=y)
    why = f"“winter {y}” could be the winter that starts or the one that ends in {y}: both are searched"
    return mk([season_span(s, y - 1), season_span(s, y)], f"winter {y - 1}/{y} or {y}/{y + 1}", ambiguous=why)


def _rel_season(g, today, day_first):
    s = _season(g)
    this = (g.get("rel") or "").lower() == "this"
    span = latest(lambda y: season_span(s, y), today, over=not this)
    return mk([span], f"{s} {span[0].year}" + (f"/{span[1].year}" if s == "winter" else ""))


def _decade(g, today, day_first):
    d = int(g["decade"])
    y = d if d >= 1000 else (1900 + d if d >= 30 else 2000 + d)
    return mk([(Day(y, 1, 1), Day(y + 9, 12, 31))], f"the {y}s")


def _year(g, today, day_first):
    y = int(g["year"])
    lead = (g.get("lead") or "").strip()
    if y > today.year and not lead:  # "2048 game", a code: only "in 2048" is a time
        raise ValueError("a number, not a year")
    return mk([year_span(y)], year=y)


def _holiday(g) -> tuple[Callable[[int], Pair], str]:
    key = " ".join(g["holiday"].lower().replace("’", "'").split())
    for name, (span_of, shown) in HOLIDAYS.items():
        if name.replace("'", "") == key.replace("'", ""):
            return span_of, shown
    raise ValueError(key)


def _holiday_year(g, today, day_first):
    span_of, shown = _holiday(g)
    y = int(g["year"])
    return mk([span_of(y)], f"{shown} {y} ({show_span(span_of(y))})", year=y)


def _holiday_latest(g, today, day_first):
    span_of, shown = _holiday(g)
    rel = (g.get("rel") or "").lower()
    span = latest(span_of, today, over=rel not in ("", "this"))
    return mk([span], f"{shown} {span[0].year} ({show_span(span)})", reread=lambda y: [span_of(y)])


def _zh_date(g, today, day_first):
    y = int(g["zy"])
    if g.get("zd"):
        return mk([(Day(y, int(g["zm"]), int(g["zd"])),) * 2], year=y)
    if g.get("zm"):
        return mk([month_span(y, number(g["zm"]))], year=y)
    return mk([year_span(y)], year=y)


def _zh_month(g, today, day_first):
    m = number(g["zm"])
    if not 1 <= m <= 12:
        raise ValueError(m)
    return mk([latest(lambda y: month_span(y, m), today)], reread=lambda y: [month_span(y, m)])


def _zh_year_thing(g, today, day_first):
    """去年夏天 (the summer of last year), 2023年春节, 今年国庆."""
    y = int(g["zy"]) if g.get("zy") else today.year - ZH_YEARS[g["zrel"]]
    if g.get("season"):
        return mk([season_span(_season(g), y)], f"{_season(g)} {y}", year=y)
    return _holiday_year({**g, "year": str(y)}, today, day_first)


def _zh_decade(g, today, day_first):
    d = number(g["zdec"]) if g.get("zdec") else int(g["decade"])
    return _decade({"decade": str(d)}, today, day_first)


Y = r"(?P<year>(?:19|20)\d\d)"
MONTHS = "|".join(sorted(MONTH_NO, key=len, reverse=True))
M = rf"(?P<month>{MONTHS})\.?"
S = r"(?P<season>" + "|".join(sorted((s for s in SEASON_OF if not CJK.search(s)),
                                     key=len, reverse=True)) + ")"
ZS = r"(?P<season>春天|夏天|秋天|冬天|春季|夏季|秋季|冬季)"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.|º)?"
LEAD = r"(?P<lead>(?:in|during|from|on|of|en|im|am|de|del|le|el|dans|au|um)\s+)?"
B, E = r"(?<![\w/.-])", r"(?![\w-]|/\d)"
REL = r"(?P<rel>last|this|past|previous)"
THE = r"(?:(?:the|le|la|el|l['’])\s*)?"


def rules() -> list[tuple[str, Callable]]:
    """(pattern, reader) in the order they are tried: longer forms first."""
    hol = rf"(?P<holiday>{HOLIDAY})"
    return [
        (rf"{B}(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>[0-3]\d){E}", _iso_day),
        (rf"{B}(?P<y>(?:19|20)\d\d)[/.](?P<m>1[0-2]|0?[1-9])[/.](?P<d>[0-3]?\d){E}", _ymd),
        (rf"{B}(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d\d|\d\d){E}", _numeric),
        (rf"{B}(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2]){E}", _iso_month),
        (rf"{B}(?P<y1>(?:19|20)\d\d)\s*[-–]\s*(?P<y2>(?:19|20)\d\d){E}", _year_range),
        (rf"(?:(?P<zy>(?:19|20)\d\d)\s*年|(?P<zrel>今年|去年|前年))的?\s*(?:{ZS}|{hol})", _zh_year_thing),
        (r"(?P<zy>(?:19|20)\d\d)\s*年(?:\s*(?P<zm>1[0-2]|0?[1-9])\s*月(?:\s*(?P<zd>[0-3]?\d)\s*[日号])?)?",
         _zh_date),
        (r"(?:(?P<zdec>[一二三四五六七八九]十)|(?P<decade>(?:19|20)?[0-9]0))年代", _zh_decade),
        (ZH_REL_PATTERN, None),
        (r"(?<![\d年])(?P<zm>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月(?!\d|份?[的]?[花饼])", _zh_month),
        (rf"{B}{LEAD}{THE}{DAY}\s+(?:of\s+|de\s+)?{M}(?:\s+de)?\s*,?\s+{Y}{E}", _day_month_year),
        (rf"{B}{LEAD}{M}\s+{DAY}\s*,?\s+{Y}{E}", _day_month_year),
        (rf"{B}(?:(?:from|between|de|entre|von|du)\s+)?(?P<m1>{MONTHS})\.?\s+(?:to|until|till|through|and|[-–]|"
         rf"bis|a|al|y|und|et|à|au)\s+{M}\s*,?\s+(?:of\s+|de\s+)?{Y}{E}", _months_year),
        (rf"{B}{LEAD}{M}\s*,?\s+(?:of\s+|de\s+)?{Y}{E}", _month_year),
        (rf"{B}{hol}\s+(?:de\s+)?{Y}{E}", _holiday_year),
        (rf"{B}{Y}\s+{hol}(?!\s+(?:{THINGS})){E}", _holiday_year),
        (rf"{B}{LEAD}{THE}{DAY}\s+(?:of\s+|de\s+)?{M}(?!\s+(?:{THINGS}))(?![\w-])", _day_month),
        (rf"{B}{LEAD}{M}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?{E}", _day_month),
        (rf"{B}{LEAD}{S}\s+(?:of\s+|de\s+)?{Y}{E}", _season_year),
        (rf"{B}{REL}\s+{S}{E}", _rel_season),
        (rf"{B}(?:letzten|letzter|vergangenen)\s+{S}{E}", _rel_season),
        (rf"{B}{THE}{S}\s+(?:pasado|dernier|passé){E}", _rel_season),
        (rf"{B}{REL}\s+{hol}(?!\s+(?:{THINGS})){E}", _holiday_latest),
        (rf"{B}{THE}{hol}\s+(?P<rel>pasada|pasado|dernier|dernière){E}", _holiday_latest),
        (rf"{B}(?:(?:at|on|over|for|during|à|a|en|an|zu)\s+)?{THE}{hol}(?!\s+(?:{THINGS})){E}", _holiday_latest),
        (rf"{B}(?:in|during|en|im|au)\s+(?:the\s+)?{M}{E}", _in_month),
        (rf"{B}(?:in|during|en|im|au)\s+(?:the\s+|el\s+|le\s+)?{S}{E}", _rel_season),
        (rf"{B}{LEAD}(?:the\s+|les\s+années\s+|los\s+años\s+|die\s+)?(?P<decade>(?:19|20)[0-9]0|[0-9]0)(?:'?s|er)"
         rf"(?!\s+(?:themed|style|fashion|costumes?|outfits?|look|music|songs?|cars?|furniture|decor|dress)\b)"
         rf"{E}", _decade),
        (rf"{B}(?:les\s+années|los\s+años)\s+(?P<decade>[0-9]0){E}", _decade),
        (rf"{B}(?:(?P<n>{NUMBER})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago|hace\s+(?P<n2>{NUMBER})\s+"
         rf"(?P<unit2>días|dias|semanas?|mes(?:es)?|años?)|vor\s+(?P<n3>{NUMBER})\s+(?P<unit3>Tagen|Wochen|"
         rf"Monaten|Jahren)|il\s+y\s+a\s+(?P<n4>{NUMBER})\s+(?P<unit4>jours|semaines|mois|ans)){E}", ago),
        (rf"{B}(?:the\s+)?(?:last|past|previous)\s+(?P<n>{NUMBER})\s+(?P<unit>days?|weeks?|months?|years?){E}",
         last_n),
        (REL_PATTERN, relative),
        (WEEKDAY_PATTERN, weekday),
        (rf"{B}(?P<lead>(?:in|from|during|of|en|im|del|de|durante)\s+)?{Y}{E}", _year),
        (rf"{B}(?P<month>" + "|".join(m for m in MONTH_NO if len(m) > 3 and m not in PLAIN_MONTHS) + rf"){E}",
         _in_month),
    ]


_COMPILED: list | None = None


def atoms_of(text: str, today: Day, day_first: bool = False) -> list[Atom]:
    """Every time ``text`` names, each read once (longest forms first)."""
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = [(re.compile(p, re.I), r or zh_relative) for p, r in rules()]
    found: list[Atom] = []
    work = text
    for pattern, read in _COMPILED:
        for m in list(pattern.finditer(work)):
            if not m.group(0).strip():
                continue
            g = {k: v for k, v in m.groupdict().items()}
            g[0] = m.group(0)
            try:
                spans, label, extra = read(g, today, day_first)
            except (ValueError, OverflowError, KeyError):  # 31 February, year 0, a code
                continue
            a, b = m.span()
            while a < b and work[a].isspace():
                a += 1
            found.append(Atom(text[a:b].strip(), a, b, spans, label, **extra))
            work = work[:a] + " " * (b - a) + work[b:]
    return sorted(found, key=lambda f: f.start)
