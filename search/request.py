"""What a search asks, as every front-end (the page, the API, the terminal)
hands it to the search service."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SearchRequest:
    # Search-box text: words, -word / -"a phrase" negatives, "beach^2" weights.
    texts: list[str] = field(default_factory=list)
    nots: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)   # query by example
    file_names: list[str] = field(default_factory=list)  # their names as the person knows them (uploads)
    like: list[int] = field(default_factory=list)     # "more like this"
    unlike: list[int] = field(default_factory=list)   # "less like this"
    k: int = 10
    offset: int = 0
    kinds: list[str] = field(default_factory=list)
    under: list[str] = field(default_factory=list)
    after: float | str | None = None   # unix time or ISO date
    before: float | str | None = None
    place: str | None = None
    lexical: bool = True
    rerank: bool = False
    # Readings of the text to leave as words (date, place, kind, not, exact,
    # or all): how a person undoes "2019 was read as a date".
    plain: list[str] = field(default_factory=list)
    all: bool = False   # weaker matches too (below the calibrated cut-off)
    # The terminal's rule: a text that names an existing file is a query by
    # example. Never for web queries (a stranger must not make us open files).
    texts_may_be_files: bool = False
    # relevance (best first) | newest | oldest: by date, the matches only
    # (what the cut-off keeps), never every file.
    order: str = "relevance"
