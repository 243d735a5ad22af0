"""Word search over file names, folders, tags, transcripts and captions, with
one adapter per dialect: SQLite's FTS5 table and PostgreSQL's stored,
GIN-indexed tsvector (m005)."""
from __future__ import annotations

import re

from sqlalchemy import and_, func, or_, select
from sqlalchemy import text as text_sql

from ..schema import Media, Segment
from .base import join_fts
from .dto import Filters, filters_from

STOPWORDS = frozenset("a an the of on in at to for from with and or is are was my our your this that".split())
# Chinese and Japanese run words together: the word index (FTS5 unicode61, the
# 'simple' tsvector) keeps a run of them as one token ("龙井茶馆"), so a word
# of two or more such characters is also looked for inside longer runs.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def inside_worthy(word: str, letters: int = 4) -> bool:
    """Long enough to be looked for inside longer words, not everywhere: a
    code of 3+ with a digit, ``letters`` letters or more, or 2+
    Chinese/Japanese characters."""
    if CJK.search(word):
        return len(word) >= 2
    return len(word) >= (3 if any(c.isdigit() for c in word) else letters)


def held_inside(word: str, anywhere: bool):
    """The condition "a segment's text holds ``word`` with spaces ignored":
    in text read in pictures (spaces dropped or added by the reader), or, for
    Chinese/Japanese (``anywhere``: their runs are one token in the index),
    in any text."""
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    held = func.replace(func.lower(Segment.text), " ", "").like(f"%{escaped}%", escape="\\")
    if not anywhere:
        return and_(Segment.source == "ocr", held)
    # ... and in the file's name and folders (茶馆 in 龙井茶馆.jpg).
    return or_(held, func.lower(Media.path).like(f"%{escaped}%", escape="\\"))


def content_words(text: str) -> list[str]:
    """The words a word match is made by: little words never decide one ("a
    dog on the beach" must not require "a", "on" and "the" in the file
    name), unless there is nothing else."""
    words = re.findall(r"\w+", text.lower())
    return [w for w in words if w not in STOPWORDS] or words


class Words:
    """Full-text matches, best first."""

    def lexical(self, text: str, kinds: list[str] | None = None, under: list[str] | None = None,
                after: float | None = None, before: float | None = None, limit: int = 100,
                place: str | None = None, filters: Filters | None = None) -> list[tuple[int, int]]:
        """Full-text matches, best first: [(segment_id, media_id)]. Every word
        must match (in the name, folders, tags/transcript or captions); names
        weigh most."""
        words = content_words(text)
        if not words:
            return []
        words = words[:32]
        # A word with digits is a code ("RE16"): it also matches as a prefix ("RE16TGK").
        code = [any(c.isdigit() for c in w) for w in words]
        if self.sqlite:
            match = " ".join('"' + w.replace('"', '""') + '"' + ("*" if c else "") for w, c in zip(words, code))
            where = "segment_fts MATCH :q"
            order = "bm25(segment_fts, 4.0, 1.5, 1.0, 1.0)"
        else:
            # PostgreSQL: the same fields in a stored, GIN-indexed tsvector (m005).
            match = " & ".join(w + (":*" if c else "") for w, c in zip(words, code))
            where = "segment.words @@ to_tsquery('simple', :q)"
            order = "ts_rank(segment.words, to_tsquery('simple', :q)) DESC, segment.id"
        stmt = self._filtered(select(Segment.id, Segment.media_id).join(Media),
                              filters_from(filters, kinds, under, after, before, place))
        if self.sqlite:
            stmt = join_fts(stmt)
        stmt = stmt.where(text_sql(where)).order_by(text_sql(order)).limit(limit)
        with self.read() as s:
            found = [(r[0], r[1]) for r in s.execute(stmt, {"q": match})]
        return found or self._inside_read_text(words, filters_from(filters, kinds, under, after, before, place),
                                               limit)

    def _inside_read_text(self, words: list[str], f: Filters, limit: int) -> list[tuple[int, int]]:
        """Words found inside longer words of text read in pictures: a code
        ("16TG" in "RE16TGK") or a word the recogniser ran into the next
        ("invoice" in "Quarterlyinvoice7731"), spaces aside (a run the reader
        split into words: "starbucks" in "STAR BUCKS"). Asked only when no
        whole word matched, and only for words long enough not to be
        everywhere."""
        if not all(inside_worthy(w) for w in words):
            return []
        stmt = self._filtered(select(Segment.id, Segment.media_id).join(Media), f)
        anywhere = any(CJK.search(w) for w in words)  # Chinese runs are whole words everywhere: any text
        for w in words:
            stmt = stmt.where(held_inside(w, anywhere))
        with self.read() as s:
            return [(r[0], r[1]) for r in s.execute(stmt.order_by(Segment.id).limit(limit))]
