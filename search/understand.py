"""Reading a search-box query: the words that describe what is *in* the
picture (embedded) apart from the filters a person means by the rest: when
("July 2023", "last summer", "2023年7月"), where ("in Lisbon"), what kind
("videos of"), what not ("not screenshots", "-cat") and which exact words
(``"RE16"``). Offline and deterministic: regular expressions and a clock,
no model. Each reading is reported (``Reading``) so the front-ends can show
it and the person can undo it (``plain``: the reading types to leave as
words).

Places come from the library itself (the names of the places its photos
were taken at): "Paris hotel sign" filters by place only when something was
taken in Paris; otherwise "Paris" stays a word of the query, and a note says
so.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .dates import find_dates

READING_TYPES = ("date", "place", "kind", "not", "exact")

KIND_WORDS = {
    "video": (r"videos?|clips?|movies?|films?|footage", "视频|录像"),
    "image": (r"photos?|photographs?|pictures?|pics?|images?|snapshots?", "照片|图片|相片"),
    "audio": (r"recordings?|audio(?: files?)?|voice (?:memos?|notes?)|songs?|soundtracks?|podcasts?", "录音|音频"),
}
# English kind words with what usually comes with them ("a video of"); the
# Chinese ones with the particle that ties them to the content (猫的照片).
_KIND = {kind: re.compile(rf"\b(?:(?:a|an|the|some|my|all)\s+)?(?:{en})(?:\s+(?:of|with|from|showing))?\b"
                          rf"|的?(?:{zh})", re.I)
         for kind, (en, zh) in KIND_WORDS.items()}
_KIND_WORD = {kind: re.compile(rf"^(?:{en}|{zh})$", re.I) for kind, (en, zh) in KIND_WORDS.items()}
_EXACT = re.compile(r'(?<![-\w])"([^"]+)"')
_MINUS = re.compile(r'(?:^|(?<=\s))-(?:"([^"]+)"|(\w[^\s,]*))')
_NOT = re.compile(r'\b(?:not|without|except|excluding|exclude)\s+(?:(?:a|an|the|any|at|in|on|during|by)\s+)?'
                  r'(?:"([^"]+)"|([^\s,."]+))', re.I)
_PLACE_LEAD = re.compile(r"\b(?:in|at|near|from|around)\s+$", re.I)
_UNKNOWN_PLACE = re.compile(r"\b(?:in|at|near)\s+((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})")
# Words left dangling once a filter is taken out ("a cat in [July 2019]").
_LEAD = {"in", "at", "on", "of", "from", "during", "taken", "and", "with", "near", "around", "showing"}
_TRAIL = _LEAD | {"the", "a", "an", "my", "some", "all", "before", "after", "since"}


@dataclass
class Reading:
    type: str    # one of READING_TYPES
    text: str    # the words of the query it came from
    label: str   # how the front-ends show it ("taken in July 2019")

    def to_dict(self) -> dict:
        return {"type": self.type, "text": self.text, "label": self.label}


@dataclass
class Understood:
    text: str                     # the query as typed
    semantic: str                 # what is embedded (and searched by words)
    nots: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    not_kinds: list[str] = field(default_factory=list)
    dates: list[tuple[float, float]] = field(default_factory=list)  # taken within any of these
    place: str | None = None
    exact: list[str] = field(default_factory=list)   # phrases the file's words must hold
    readings: list[Reading] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what was decided not to read

    @property
    def filtered(self) -> bool:
        return bool(self.kinds or self.not_kinds or self.dates or self.place or self.exact)


def kind_of_word(word: str) -> str | None:
    for kind, pattern in _KIND_WORD.items():
        if pattern.match(word.strip()):
            return kind
    return None


class _Text:
    """The query with the parts already read blanked out (so that "not
    videos" is read once, as a negative, and never again as a kind)."""

    def __init__(self, text: str):
        self.s = text

    def take(self, m: re.Match, group: int = 0) -> None:
        a, b = m.span(group)
        self.s = self.s[:a] + " " * (b - a) + self.s[b:]


def understand(text: str, places: Callable[[str], str | None] | None = None,
               now: dt.datetime | None = None, plain: set[str] | frozenset = frozenset()) -> Understood:
    """Split ``text`` into its semantic part and filters. ``places(words)``
    returns the library's name for a place the words name (or None);
    ``plain`` lists reading types to leave as words (the undo)."""
    now = now or dt.datetime.now()
    u = Understood(text=text, semantic="")
    rest = _Text(text)
    if "exact" not in plain:
        for m in _EXACT.finditer(text):
            u.exact.append(m.group(1).strip())
            u.readings.append(Reading("exact", m.group(0), f"with the words “{m.group(1).strip()}”"))
    if "not" not in plain:
        _read_negatives(rest, u)
    if "date" not in plain:
        for found in find_dates(rest.s, now):
            u.dates.extend(found.ranges)
            u.readings.append(Reading("date", found.text, found.label))
            rest.s = rest.s[:found.start] + " " * (found.end - found.start) + rest.s[found.end:]
    if "kind" not in plain:
        _read_kinds(rest, u)
    if "place" not in plain and places is not None:
        _read_place(rest, u, places)
    u.semantic = _clean(rest.s) if u.readings else " ".join(text.replace('"', " ").split())
    if not u.semantic and u.exact and not (u.dates or u.place or u.kinds):
        u.semantic = " ".join(u.exact)
    return u


def _clean(rest: str) -> str:
    """What is left once the filters are out, without the words that only
    tied them to the sentence."""
    rest = re.sub(r"\s*的\s*$|^\s*的\s*", " ", rest.replace('"', " "))
    words = " ".join(rest.split()).strip(" ,;.").split()
    while words and words[0].lower() in _LEAD:
        words.pop(0)
    while words and words[-1].lower() in _TRAIL:
        words.pop()
    if all(w.lower() in _TRAIL for w in words):
        return ""
    return " ".join(words).strip(" ,;.")


def _read_negatives(rest: _Text, u: Understood) -> None:
    for pattern in (_MINUS, _NOT):
        for m in list(pattern.finditer(rest.s)):
            word = (m.group(1) or m.group(2) or "").strip()
            if not word:
                continue
            rest.take(m)
            kind = kind_of_word(word)
            if kind:
                u.not_kinds.append(kind)
                u.readings.append(Reading("not", m.group(0).strip(), f"no {kind} files"))
            else:
                u.nots.append(word)
                u.readings.append(Reading("not", m.group(0).strip(), f"not “{word}”"))


def _read_kinds(rest: _Text, u: Understood) -> None:
    for kind, pattern in _KIND.items():
        for m in list(pattern.finditer(rest.s)):
            if not m.group(0).strip():
                continue
            rest.take(m)
            if kind not in u.kinds:
                u.kinds.append(kind)
                u.readings.append(Reading("kind", m.group(0).strip(), {"video": "videos", "image": "photos",
                                                                        "audio": "recordings"}[kind] + " only"))


def _read_place(rest: _Text, u: Understood, places: Callable[[str], str | None]) -> None:
    """The longest run of 1-3 words that names a place of the library."""
    words = list(re.finditer(r"[^\W\d_][\w'-]*", rest.s))
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            a, b = words[i].start(), words[i + n - 1].end()
            if not rest.s[a:b].strip() or any(c in rest.s[a:b] for c in '"'):
                continue
            name = places(rest.s[a:b])
            if name is None:
                continue
            lead = _PLACE_LEAD.search(rest.s[:a])
            start = lead.start() if lead else a
            shown = " ".join(rest.s[start:b].split())
            rest.s = rest.s[:start] + " " * (b - start) + rest.s[b:]
            u.place = name
            u.readings.append(Reading("place", shown, f"taken in {name}"))
            return
    m = _UNKNOWN_PLACE.search(rest.s)
    if m:
        u.notes.append(f"nothing in the library was taken in {m.group(1)}: kept “{m.group(1)}” as words")
