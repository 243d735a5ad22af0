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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mediasearch.store.catalog.dto import Filters, ReadFilters

from .date_spans import RELATIVE
from .dates import find_dates

if TYPE_CHECKING:
    from .place_names import Gazetteer

READING_TYPES = ("date", "place", "kind", "not", "exact", "people")

KIND_WORDS = {
    "video": (r"videos?|clips?|movies?|films?|footage|vídeos?|vidéos?", "视频|录像"),
    "image": (r"photos?|photographs?|pictures?|pics?|images?|snapshots?|fotos?|bilder|imágenes|imagenes",
              "照片|图片|相片"),
    "audio": (r"recordings?|audio(?: files?)?|voice (?:memos?|notes?)|podcasts?|notas de voz|grabaciones|"
              r"sprachmemos?|sprachnachrichten|aufnahmen|enregistrements?|mémos vocaux|memos vocaux",
              "语音备忘录|录音|音频"),
}
# Kind words that name the content too: kept as words as well ("screenshots").
KIND_AND_WORDS = {"image": (r"screenshots?|capturas? de pantalla|captures? d'écran|bildschirmfotos?", "截图|截屏")}
# Kind words that are part of a thing's name ("video games", "photo booth").
_NOT_A_KIND = r"(?!\s+(?:games?|calls?|cameras?|tapes?|booths?|frames?|albums?|shoots?|studios?|store|shop)\b)"
# English kind words with what usually comes with them ("a video of"); the
# Chinese ones with the particle that ties them to the content (猫的照片).
_KIND = {kind: re.compile(rf"(?<!group )(?<!family )(?<!class )\b(?:(?:a|an|the|some|my|all|les|des|la|las|los|die)\s+)?(?:{en}){_NOT_A_KIND}"
                          rf"(?:\s+(?:of|with|from|showing|de|del|des|du|von|vom|aus|avec|con|mit))?\b"
                          rf"|的?(?:{zh})", re.I)
         for kind, (en, zh) in KIND_WORDS.items()}
_KIND_AND = {kind: re.compile(rf"\b(?:{en})\b|(?:{zh})", re.I) for kind, (en, zh) in KIND_AND_WORDS.items()}
_KIND_WORD = {kind: re.compile(rf"^(?:{en}|{zh})$", re.I) for kind, (en, zh) in KIND_WORDS.items()}
_EXACT = re.compile(r'(?<![-\w])["“„«]([^"“”„«»]+)["”“»]')
_MINUS = re.compile(r'(?:^|(?<=\s))-(?:["“]([^"”]+)["”]|(\w[^\s,]*))')
_STOP = r"(?:in|at|on|from|with|and|or|during|à|en|de|dans|avec|und|mit|y|con|et|im|am)"
_NOT = re.compile(r"(?:\b(?:not|without|except|excluding|exclude|sans|sin|ohne|nicht|pas\s+de|kein|keine|keinen)"
                  r"|(?<=\S)\s+no|^no(?=\s+\w+\s*$)|(?<=,)\s*no)\s+"
                  r"(?:(?:at|in|on|during|by)\s+)?(?:(?:a|an|the|any|la|le|les|el|los|las|das|der|die|den|un|une)\s+)?"
                  rf'(?:"([^"]+)"|((?:(?!{_STOP}\b)[^\s,."]+)(?:\s+(?!{_STOP}\b)[^\s,."]+){{0,2}}))', re.I)
_NOT_ZH = re.compile(r"(?:不要|除了|没有)([^\s，,。的]+)")
# Words left dangling once a filter is taken out ("a cat in [July 2019]").
_LEAD = {"in", "at", "on", "of", "from", "during", "taken", "and", "with", "near", "around", "showing", "but",
         "or", "to", "de", "del", "du", "des", "la", "le", "les", "el", "los", "las", "à", "au", "en", "von", "vom",
         "aus", "am", "im", "mit", "con", "avec", "'s", "’s", "y", "und", "et", "del", "l'", "only", "just"}
_TRAIL = _LEAD | {"the", "a", "an", "my", "some", "all", "before", "after", "since", "not"}
# A query in these languages writes 04/07/2019 as the 4th of July.
_DAY_FIRST = re.compile(r"\b(?:du|des|les|le|la|el|los|del|vom|von|aus|dem|der|und|et|avec|con|mit|sin|sans|"
                        r"ohne|fotos|vidéos|vídeos)\b", re.I)


@dataclass
class Reading:
    type: str    # one of READING_TYPES
    text: str    # the words of the query it came from
    label: str   # how the front-ends show it ("taken in July 2019")

    def to_dict(self) -> dict:
        return {"type": self.type, "text": self.text, "label": self.label}


@dataclass
class Understood(ReadFilters):
    text: str                     # the query as typed
    semantic: str                 # what is embedded (and searched by words)
    nots: list[str] = field(default_factory=list)
    # What the words narrow the search to: kinds, dates, places (and their
    # negations), exact phrases; the same Filters value the catalog takes.
    filters: Filters = field(default_factory=Filters)
    readings: list[Reading] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what was decided not to read

    @property
    def place(self) -> str | None:
        return self.places[0] if self.places else None

    @property
    def filtered(self) -> bool:
        return self.filters.active


def kind_of_word(word: str) -> str | None:
    for kind, pattern in _KIND_WORD.items():
        if pattern.match(word.strip()):
            return kind
    return None


class _Text:
    """The query as the readers see it (``s``: each part blanked once read,
    so "not videos" is read once, as a negative, never again as a kind) and
    as the words left to embed (``kept``: blanked only where the reading is
    applied, so an undone reading stays words and is read as nothing else)."""

    def __init__(self, text: str, plain: set[str] | frozenset):
        self.s = self.kept = text
        self.plain = plain

    def take(self, a: int, b: int, type_: str, words_too: bool = True) -> bool:
        """Blank [a, b); True where the reading of that type is applied.
        ``words_too``: the words stop being embedded too (not so for a kind
        word that names the content as well, "screenshots")."""
        self.s = self.s[:a] + " " * (b - a) + self.s[b:]
        if type_ in self.plain:
            return False
        if words_too:
            self.kept = self.kept[:a] + " " * (b - a) + self.kept[b:]
        return True


def understand(text: str, places: "Gazetteer | None" = None, now: dt.datetime | None = None,
               plain: set[str] | frozenset = frozenset(), people: dict[str, int] | None = None) -> Understood:
    """Split ``text`` into its semantic part and filters. ``places``: the
    library's gazetteer (the places its photos were taken at); ``people``:
    the names given to people (None: the library was not looked at for
    faces, so no count is read either); ``plain`` lists reading types to
    leave as words (the undo)."""
    now = now or dt.datetime.now()
    u = Understood(text=text, semantic="")
    rest = _Text(text, plain)
    for m in _EXACT.finditer(text):
        if rest.take(*m.span(), "exact"):
            u.exact.append(m.group(1).strip())
            u.readings.append(Reading("exact", m.group(0), f"with the words “{m.group(1).strip()}”"))
    _read_dates(rest, u, now)
    if people is not None:
        _read_people(rest, u, people)
    if places:
        _read_places(rest, u, places)
    _read_negatives(rest, u)
    _read_kinds(rest, u)
    u.semantic = _clean(rest.kept) if u.readings or rest.kept != text else " ".join(text.replace('"', " ").split())
    return u


def _read_dates(rest: _Text, u: Understood, now: dt.datetime) -> None:
    for found in find_dates(rest.s, now, day_first=bool(_DAY_FIRST.search(rest.s))):
        if not rest.take(found.start, found.end, "date"):
            continue
        (u.not_dates if found.negated else u.dates).extend(found.ranges)
        u.readings.append(Reading("date", found.text, _date_label(found.label, found.negated)))
        if found.ambiguous:
            u.notes.append(found.ambiguous)


def _date_label(label: str, negated: bool) -> str:
    """"taken in July 2019", "taken on 4 July 2019", "taken before 2010",
    "not taken in 2020"."""
    if negated:
        return "not " + _date_label(label[4:], False)
    if label.startswith(RELATIVE):
        return "taken " + label[1:]
    if re.match(r"(?:before|after|since|between) ", label):
        return f"taken {label}"
    return ("taken on " if re.match(r"\d{1,2} [A-Z][a-z]+ \d{4}$", label) else "taken in ") + label


def _read_places(rest: _Text, u: Understood, gaz: "Gazetteer") -> None:
    from .read_places import find_places, unknown_place
    for p in find_places(rest.s, gaz):
        shown = " ".join(rest.s[p.start:p.end].split())
        if not rest.take(p.start, p.end, "place"):
            continue
        (u.not_places if p.negated else u.places).append(p.name)
        u.readings.append(Reading("place", shown, ("not taken in " if p.negated else "taken in ") + p.shown))
    name = unknown_place(rest.s)
    if name:
        u.notes.append(f"nothing in the library was taken in {name}: kept “{name}” as words")


def _read_people(rest: _Text, u: Understood, named: dict[str, int]) -> None:
    from .read_people import find_counts, find_people

    for p in find_people(rest.s, named):
        shown = " ".join(rest.s[p.start:p.end].split())
        if not rest.take(p.start, p.end, "people"):
            continue
        (u.not_people if p.negated else u.people).append(p.person_id)
        u.filters.alone = u.filters.alone or p.alone
        label = ("without " if p.negated else "just " if p.alone else "with ") + p.name
        u.readings.append(Reading("people", shown, label))
    for c in find_counts(rest.s):
        if rest.take(c.start, c.end, "people"):
            u.filters.faces = c.faces
            u.readings.append(Reading("people", " ".join(rest.s[c.start:c.end].split()), c.label))


def _clean(rest: str) -> str:
    """What is left once the filters are out, without the words that only
    tied them to the sentence."""
    rest = re.sub(r"\s*的\s*$|^\s*的\s*|^\s*在\s*|\s*[，,、]\s*$", " ", rest.replace('"', " "))
    rest = re.sub(r"(?<=\s)['’]s\b|^['’]s\b", " ", rest)
    words = " ".join(rest.split()).strip(" ,;.，。").split()
    while words and words[0].lower() in _LEAD:
        words.pop(0)
    while words and words[-1].lower().strip(",") in _TRAIL:
        words.pop()
    if all(w.lower() in _TRAIL for w in words):
        return ""
    return " ".join(words).strip(" ,;.，。")


def _read_negatives(rest: _Text, u: Understood) -> None:
    for pattern in (_MINUS, _NOT, _NOT_ZH):
        for m in list(pattern.finditer(rest.s)):
            word = " ".join((m.group(1) or (m.group(2) if pattern.groups > 1 else "") or "").split()).strip(".,")
            if not word:
                continue
            if not rest.take(*m.span(), "not"):
                continue
            kind = kind_of_word(word)
            if kind:
                u.not_kinds.append(kind)
                u.readings.append(Reading("not", m.group(0).strip(), f"no {_KIND_SHOWN[kind]}"))
            else:
                u.nots.append(word)
                u.readings.append(Reading("not", m.group(0).strip(), f"not “{word}”"))


_KIND_SHOWN = {"video": "videos", "image": "photos", "audio": "recordings"}


def _read_kinds(rest: _Text, u: Understood) -> None:
    for table, keep_words in ((_KIND, False), (_KIND_AND, True)):
        for kind, pattern in table.items():
            for m in list(pattern.finditer(rest.s)):
                if not m.group(0).strip() or not rest.take(*m.span(), "kind", words_too=not keep_words):
                    continue
                if kind not in u.kinds:
                    u.kinds.append(kind)
                    u.readings.append(Reading("kind", m.group(0).strip(), _KIND_SHOWN[kind] + " only"))
