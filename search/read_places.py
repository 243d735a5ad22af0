"""The places a query names, against the library's gazetteer: "in Lisbon
or Porto", "not in Paris", "Paris, Texas", "NYC skyline", "東京 at night",
"不在上海拍的视频". A name that is also a person's ("Paris Hilton",
"Jordan at the beach") is a place only where the words say so ("trip to
Jordan")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .place_names import Gazetteer, Place

# Place words that are as often a person's name: a place only after a
# preposition ("in Jordan") or with a region ("Paris, Texas").
FIRST_NAMES = {"jordan", "paris", "florence", "georgia", "victoria", "austin", "sydney", "chelsea", "lincoln",
               "madison", "charlotte", "orlando", "phoenix", "dallas", "jackson", "logan", "savannah", "aurora",
               "regina", "troy", "salem", "chad", "kent", "eugene", "tyler", "adelaide",
               "hamilton", "marion", "camden", "preston", "carson", "denver", "houston", "laredo", "nelson",
               "warren", "clayton", "beverly", "shelby", "trenton"}
_LEAD = re.compile(r"(?:\b(?:in|at|near|from|around|to|of|à|a|en|dans|de|desde|nach|aus|von|im|bei|por)|在|去|从)"
                   r"\s*$", re.I)
_NEGATED = re.compile(r"(?:\b(?:not|but\s+not|except|excluding|nicht|pas|sauf|sin|sans|außer|ni)\s+"
                      r"(?:(?:taken\s+)?(?:in|at|from|en|à|a|de|im|aus|nach|dans)\s+)?"
                      r"|(?:不在|不是在|除了|不要|不)\s*)$", re.I)
_QUALIFIER = re.compile(r"\s*,\s*([^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*)?)")
_CAPITAL_NEXT = re.compile(r"\s+([A-Z][a-z]+)")
_UNKNOWN = re.compile(r"\b(?:in|at|near)\s+((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})")


@dataclass
class PlaceRead:
    start: int       # where the words naming it begin (with "in", "not in")
    end: int
    name: str        # the library's name, with a region where one was given ("Paris, Texas")
    shown: str       # "Lisbon, Portugal"
    negated: bool


def _words(text: str) -> list[re.Match]:
    return list(re.finditer(r"[^\W\d_][\w'’.-]*", text))


def _qualified(text: str, end: int, gaz: Gazetteer, place: Place) -> tuple[int, Place]:
    """"Paris, Texas": the region after a comma narrows the place."""
    m = _QUALIFIER.match(text, end)
    if m:
        region = gaz.lookup(m.group(1))
        if region is not None and region.name != place.name:
            return m.end(), Place(f"{place.name}, {region.name}", f"{place.name}, {region.shown}")
    return end, place


def _a_name(text: str, b: int, word: str, lead: bool, qualified: bool) -> bool:
    """Words that name a person here, not the place."""
    nxt = _CAPITAL_NEXT.match(text, b)
    if nxt and word[:1].isupper():
        return True  # "Paris Hilton"
    return word.lower() in FIRST_NAMES and not lead and not qualified and text.strip() != word


def find_places(text: str, gaz: Gazetteer) -> list[PlaceRead]:
    """Every place of the library named in ``text``, longest names first."""
    found: list[PlaceRead] = []
    taken = [False] * len(text)
    words = _words(text)
    for n in (4, 3, 2, 1):
        for i in range(len(words) - n + 1):
            a, b = words[i].start(), words[i + n - 1].end()
            if any(taken[a:b]):
                continue
            phrase = text[a:b].rstrip(".")
            place = gaz.lookup(phrase)
            if place is None:
                continue
            b = a + len(phrase)
            lead = _LEAD.search(text[:a])
            end, place = _qualified(text, b, gaz, place)
            if _a_name(text, b, phrase, lead is not None, end != b):
                continue
            found.append(_read(text, a, end, lead, place))
            taken[found[-1].start:end] = [True] * (end - found[-1].start)
    for a, b, place in gaz.in_cjk(text):
        if not any(taken[a:b]):
            lead = re.search(r"在\s*$", text[:a])
            took = re.match(r"拍的?", text[b:])  # 在上海拍的: "taken in Shanghai"
            found.append(_read(text, a, b + (took.end() if took else 0), lead, place))
    return sorted(found, key=lambda f: f.start)


def _read(text: str, a: int, end: int, lead: re.Match | None, place: Place) -> PlaceRead:
    start = lead.start() if lead else a
    neg = _NEGATED.search(text[:start])
    if neg:
        start = neg.start()
    return PlaceRead(start, end, place.name, place.shown, neg is not None)


def unknown_place(text: str) -> str | None:
    """A capitalised name after "in"/"at" that the library has no photos of."""
    m = _UNKNOWN.search(text)
    return m.group(1) if m else None
