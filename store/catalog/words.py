"""Word search over file names, folders, tags, transcripts and captions, with
one adapter per dialect: SQLite's FTS5 table and PostgreSQL's stored,
GIN-indexed tsvector (m005)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy import text as text_sql

from ..schema import Media, Segment
from .base import Part, join_fts
from .dto import Filters, filters_from
from .filtering import filtered
from .word_rules import CJK, content_words, held_inside, inside_worthy, path_holds


class Words(Part):
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
        if self.db.sqlite:
            match = " ".join('"' + w.replace('"', '""') + '"' + ("*" if c else "") for w, c in zip(words, code))
            where = "segment_fts MATCH :q"
            order = "bm25(segment_fts, 4.0, 1.5, 1.0, 1.0)"
        else:
            # PostgreSQL: the same fields in a stored, GIN-indexed tsvector (m005).
            match = " & ".join(w + (":*" if c else "") for w, c in zip(words, code))
            where = "segment.words @@ to_tsquery('simple', :q)"
            order = "ts_rank(segment.words, to_tsquery('simple', :q)) DESC, segment.id"
        stmt = filtered(self.db.sqlite, select(Segment.id, Segment.media_id).join(Media),
                              filters_from(filters, kinds, under, after, before, place))
        if self.db.sqlite:
            stmt = join_fts(stmt)
        stmt = stmt.where(text_sql(where)).order_by(text_sql(order)).limit(limit)
        with self.db.read() as s:
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
        anywhere = any(CJK.search(w) for w in words)  # Chinese runs are whole words everywhere: any text
        stmt = filtered(self.db.sqlite, select(Segment.id, Segment.media_id).join(Media), f)
        for w in words:
            stmt = stmt.where(held_inside(w, anywhere))
        # In the order of the texts' own index (m014): ordered by id alone,
        # SQLite scanned every row, vectors and all, rather than sort.
        with self.db.read() as s:
            found = [(r[0], r[1]) for r in s.execute(stmt.order_by(Segment.source, Segment.id).limit(limit))]
            if anywhere:  # ... and in file and folder names: each file by its first segment
                first = select(func.min(Segment.id), Media.id).join(Media)
                first = filtered(self.db.sqlite, first, f).where(*[path_holds(w) for w in words])
                found += [(r[0], r[1]) for r in s.execute(first.group_by(Media.id).order_by(Media.id).limit(limit))]
        return sorted(set(found))[:limit]
