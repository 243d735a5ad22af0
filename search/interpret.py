"""From a search request to query terms and filters: the search-box text is
read once here (``understand``) for the CLI, the API and the page alike, and
what was read is kept for the answer, so a person sees it and can undo it."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from mediasearch.store.catalog.dto import Filters, ReadFilters
from mediasearch.store.errors import QueryError

from .background import Refresher
from .place_names import Gazetteer
from .query import Term, parse_term
from .request import SearchRequest
from .understand import READING_TYPES, Reading, understand


@dataclass
class Interpretation(ReadFilters):
    terms: list[Term]
    semantic: str = ""                 # the text that is embedded
    filters: Filters = field(default_factory=Filters)  # what the words and the request narrow to
    nots: list[str] = field(default_factory=list)   # words read as "not" in the text
    readings: list[Reading] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_file(text: str) -> bool:
    try:
        return len(text) < 4096 and Path(text).expanduser().is_file()
    except (OSError, ValueError):  # a name too long, a NUL
        return False


class Interpreter:
    """Reads requests against one library: its place names (cached per
    index generation) and its date span (so "in March" is every March the
    library has, not every March since 1900)."""

    def __init__(self, catalog, background: bool = False):
        self.catalog = catalog
        self._lock = threading.Lock()
        self._gen: int | None = None
        self._places = Gazetteer([])
        self._span: tuple[float, float] | None = None
        # A long-lived service reads them again off the searching thread.
        self.refresher = Refresher("place names") if background else None

    def _refresh(self) -> None:
        gen = self.catalog.generation()
        if gen == self._gen:
            return
        if self._gen is not None and self.refresher is not None:
            self.refresher.start(lambda: self._read_library(gen))
        else:
            self._read_library(gen)

    def _read_library(self, gen: int) -> None:
        with self._lock:
            if gen == self._gen:
                return
            places = Gazetteer(self.catalog.place_names())
            self._places, self._span, self._gen = places, self.catalog.date_span(), gen

    def read(self, req: SearchRequest) -> Interpretation:
        plain = set(req.plain)
        unknown = plain - set(READING_TYPES) - {"all"}
        if unknown:
            raise QueryError(f"plain: unknown reading {sorted(unknown)[0]!r}: use {', '.join(READING_TYPES)} or all")
        if "all" in plain:
            plain = set(READING_TYPES)
        self._refresh()
        chosen = (req.place or "").strip()
        # Read each time (one small query): a name given a moment ago is a name now.
        named = self.catalog.named() if self.catalog.has_faces() else None
        out = Interpretation(terms=[], filters=Filters(kinds=list(req.kinds), places=[chosen] if chosen else []))
        semantic = []
        for text in req.texts:
            if req.texts_may_be_files and is_file(text):  # the terminal's query by example
                out.terms.append(parse_term(text, as_file=True))
                continue
            u = understand(text, self._places if not chosen else None, plain=plain, people=named)
            # A query of only quoted words is ranked by those words.
            words = u.semantic or (" ".join(u.exact) if u.exact and not (u.dates or u.places or u.kinds) else "")
            if words:
                out.terms.append(parse_term(words, as_file=False))
                semantic.append(words)
            out.terms += [parse_term(n, sign=-1.0, as_file=False) for n in u.nots]
            out.nots += u.nots
            # A kind chosen in the filters wins over one read from the words;
            # a kind or a place named twice narrows once.
            f = u.filters
            out.filters = out.filters.narrowed(
                kinds=[] if req.kinds else [k for k in f.kinds if k not in out.kinds], not_kinds=f.not_kinds,
                dates=f.dates, not_dates=f.not_dates, places=[p for p in f.places if p not in out.places],
                not_places=f.not_places, exact=f.exact, people=f.people, not_people=f.not_people)
            out.filters.alone = out.filters.alone or f.alone
            out.filters.faces = f.faces or out.filters.faces
            out.readings += u.readings
            out.notes += u.notes
        labels = list(req.file_names) + [None] * len(req.files)
        out.terms += [Term(1.0, path=Path(f), label=label) for f, label in zip(req.files, labels)]
        out.terms += [parse_term(n, sign=-1.0, as_file=False) for n in req.nots]
        out.semantic = " ".join(semantic)
        out.filters.dates = self._clip(out.dates)
        return out

    def _clip(self, ranges: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """Only the ranges the library has files in (one kept if none: it then
        matches nothing, which is the honest answer)."""
        if not ranges or self._span is None:
            return ranges
        lo, hi = self._span
        kept = [r for r in ranges if r[1] > lo and r[0] <= hi]
        return kept or ranges[:1]


def folder(u: str) -> str:
    if "\x00" in u:
        raise QueryError("a folder name cannot contain a NUL character")
    return os.path.realpath(os.path.expanduser(u))
