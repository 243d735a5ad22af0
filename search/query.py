"""Query terms and their arithmetic (as rclip does): several terms add up with
weights, ``--not`` terms subtract. ``"beach^2"`` gives a term weight 2; a term
that names an existing file is a query by example."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mediasearch.store.catalog.dto import Filters
from mediasearch.store.errors import QueryError

_WEIGHT = re.compile(r"^(?P<text>.*?)\^(?P<w>[-+]?\d+(?:\.\d+)?)$", re.S)


@dataclass
class Term:
    weight: float = 1.0
    text: str | None = None
    path: Path | None = None  # query by example (an image, or an indexed file)
    label: str | None = None  # what to call it in messages (an upload's own name, not our temp path)

    @property
    def name(self) -> str:
        return self.label or str(self.path)


@dataclass(init=False)
class Query:
    """What the engine is asked: terms, how many from where, whether words
    are fused in, and one Filters value (``Query(terms, kinds=["video"])``
    reads as ``filters=Filters(kinds=["video"])``)."""
    terms: list[Term]
    k: int = 10
    offset: int = 0
    # Fuse full-text matches (names, folders, tags, transcripts, captions) with
    # the vector ranking (reciprocal rank fusion).
    lexical: bool = True
    filters: Filters = field(default_factory=Filters)

    def __init__(self, terms: list[Term], k: int = 10, offset: int = 0, lexical: bool = True,
                 filters: Filters | None = None, **narrow):
        self.terms, self.k, self.offset, self.lexical = terms, k, offset, lexical
        self.filters = replace(filters or Filters(), **narrow)

    @property
    def filtered(self) -> bool:
        return self.filters.active

    def only_filters(self, k: int) -> "Query":
        """The same filters, no terms, ``k`` results from the top (a sub-search)."""
        return replace(self, terms=[], k=k, offset=0)


def parse_term(raw: str, sign: float = 1.0, as_file: bool | None = None) -> Term:
    raw = raw.strip()
    weight = 1.0
    m = _WEIGHT.match(raw)
    if m and m.group("text").strip():
        raw, weight = m.group("text").strip(), float(m.group("w"))
    if not raw:
        raise QueryError("empty query term")
    if as_file is False:  # words only (the search box): never a path, "~~~~" included
        return Term(sign * weight, text=raw)
    try:
        path = Path(raw).expanduser()
    except RuntimeError:  # "~name" of no such user (or no home): not a file
        path = Path(raw)
    if as_file or (as_file is None and len(raw) < 4096 and path.is_file()):
        if not path.is_file():
            raise QueryError(f"query file not found: {raw}")
        return Term(sign * weight, path=path.resolve())
    return Term(sign * weight, text=raw)


def check_kinds(kinds: list[str]) -> list[str]:
    from mediasearch.store.schema import KINDS

    for kd in kinds:
        if kd not in KINDS:
            raise QueryError(f"unknown kind {kd!r}: use {', '.join(KINDS)}")
    return kinds


def positive_text(terms: list[Term]) -> str:
    return " ".join(t.text for t in terms if t.text and t.weight > 0)


def split_text_query(text: str) -> tuple[list[str], list[str]]:
    """'beach sunset -people -"red car"' -> (["beach sunset"], ["people", "red car"]):
    the words form one positive phrase; each -word or -"quoted phrase" is subtracted."""
    nots = [a or b for a, b in re.findall(r'(?:^|\s)-"([^"]+)"|(?:^|\s)-(\S+)', text)]
    rest = re.sub(r'(?:^|\s)-"[^"]+"|(?:^|\s)-\S+', " ", text).strip()
    return ([" ".join(rest.split())] if rest else []), nots


def build_terms(texts: list[str] = (), nots: list[str] = (), files: list[str] = ()) -> list[Term]:
    terms = [parse_term(t) for t in texts]
    terms += [parse_term(f, as_file=True) for f in files]
    terms += [parse_term(t, sign=-1.0) for t in nots]
    if not any(t.weight > 0 for t in terms):
        raise QueryError("give at least one thing to search for (text, or --image FILE)")
    return terms
