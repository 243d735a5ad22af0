"""What a search answers: the hits, how the text was read, what reranking
and the cut-off did. Front-ends shape it (web/envelope.py)."""
from __future__ import annotations

from dataclasses import dataclass

from .engine import Result
from .interpret import Interpretation
from .request import SearchRequest


@dataclass
class SearchAnswer:
    request: SearchRequest
    results: list[Result]
    empty_index: bool = False
    reranked: dict | None = None   # what reranking did (candidates, captions made, seconds)
    interpretation: Interpretation | None = None  # how the text was read
    cutoff: dict | None = None     # the calibrated cut-off, when the query was judged
    ordered: dict | None = None    # by date: {"by": newest|oldest, "of": matches ordered}
