"""Reads for the indexer and for search filters: known files by path or
folder, content hashes, and the filter every search shares (kinds, folders,
dates, places)."""
from __future__ import annotations

import itertools
import re

import numpy as np
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy import text as text_sql

from ..db import fold
from ..schema import SOURCE_FRAME, SOURCE_IMAGE, STATUS_OK, Media, Segment
from .base import below_folder, chunks, join_fts
from .dto import Filters, KnownFile, filters_from
from .words import CJK, held_inside, inside_worthy

# When a file was taken: its EXIF/container date, else its modification time.
WHEN = func.coalesce(Media.taken_at, Media.mtime_ns / 1e9)
LISTED = (Media.id, Media.path, Media.kind, Media.taken_at)  # a file shown without a score


def listed(rows) -> list[dict]:
    return [{"media_id": r.id, "path": r.path, "kind": r.kind, "taken_at": r.taken_at} for r in rows]


class Lookups:
    """Known files, hashes, filters."""

    _KNOWN = (Media.id, Media.path, Media.size, Media.mtime_ns, Media.status, Media.content_hash,
              Media.prior_status, Media.reason)

    def known_files(self, folder: str | None = None) -> dict[str, KnownFile]:
        """Catalogued files at or below ``folder`` (by path, whatever root they came from)."""
        stmt = select(*self._KNOWN)
        if folder is not None:
            stmt = stmt.where(below_folder(folder, self.sqlite))
        with self.read() as s:
            return {r.path: KnownFile(*r[:1], *r[2:]) for r in s.execute(stmt)}

    def known_at(self, paths: list[str]) -> dict[str, KnownFile]:
        """Catalogued files at exactly these paths: one query per 500 paths."""
        out: dict[str, KnownFile] = {}
        with self.read() as s:
            for part in chunks(paths):
                for r in s.execute(select(*self._KNOWN).where(Media.path.in_(part))):
                    out[r.path] = KnownFile(*r[:1], *r[2:])
        return out

    def ok_media_by_hash(self, hashes: list[str], first: int | None = None) -> dict[str, list[tuple[int, str]]]:
        """Media rows with embedded content matching ``hashes``: hash -> [(id, path)].
        ``first``: for one hash, only its first rows (a burst of 1,500 copies of
        one picture must not read every earlier copy for each new one)."""
        out: dict[str, list[tuple[int, str]]] = {}
        if not hashes:
            return out
        with self.read() as s:
            for part in chunks(hashes):
                stmt = select(Media.id, Media.path, Media.content_hash).where(
                    Media.content_hash.in_(part), Media.status == STATUS_OK
                ).order_by(Media.id)
                if first is not None and len(hashes) == 1:
                    stmt = stmt.limit(first)
                for r in s.execute(stmt):
                    out.setdefault(r.content_hash, []).append((r.id, r.path))
        return out

    def count_under(self, folder: str) -> int:
        with self.read() as s:
            return s.scalar(select(func.count(Media.id)).where(below_folder(folder, self.sqlite))) or 0

    def roots(self) -> list[str]:
        with self.read() as s:
            return sorted(s.scalars(select(Media.root).distinct()).all())

    def segment_ids(self, kinds: list[str] | None = None, under: list[str] | None = None,
                    after: float | None = None, before: float | None = None,
                    place: str | None = None, filters: Filters | None = None) -> np.ndarray:
        """Ids of the segments of ok media matching the filters. Dates are the
        photo's EXIF time when known, else the file's modification time."""
        stmt = self._filtered(select(Segment.id).join(Media), filters_from(filters, kinds, under, after, before, place))
        with self.read() as s:
            return np.asarray(s.scalars(stmt).all(), dtype=np.int64)

    def _filtered(self, stmt, f: Filters):
        """The search filters, shared by vector and word search: ok media of
        these kinds, below these folders, dated (EXIF, else mtime) in range,
        taken at a place whose name holds every word of ``place``, holding
        the exact phrases in their words."""
        stmt = stmt.where(Media.status == STATUS_OK)
        if f.places:
            stmt = stmt.where(or_(*[Media.id.in_(self._at_place(p)) for p in f.places]))
        for place in f.not_places:
            stmt = stmt.where(Media.id.not_in(self._at_place(place)))
        for a, b in f.not_dates:
            stmt = stmt.where(or_(WHEN < a, WHEN >= b))
        for phrase in f.exact:
            stmt = stmt.where(Media.id.in_(self._with_words(phrase)))
        if f.after is not None:
            stmt = stmt.where(WHEN >= f.after)
        if f.before is not None:
            stmt = stmt.where(WHEN < f.before)
        if f.dates:
            stmt = stmt.where(or_(*[and_(WHEN >= a, WHEN < b) for a, b in f.dates]))
        if f.kinds:
            stmt = stmt.where(Media.kind.in_(f.kinds))
        if f.not_kinds:
            stmt = stmt.where(Media.kind.not_in(f.not_kinds))
        if f.under:
            stmt = stmt.where(or_(*[below_folder(folder, self.sqlite) for folder in f.under]))
        return stmt

    def _with_words(self, phrase: str):
        """Media whose words (name, folders, tags, what was said, captions)
        hold ``phrase``, its words in order; the last one may be the start of
        a word, so a code such as "RE16" finds "RE16TGK" as well."""
        words = re.findall(r"[^\W_]+", fold(phrase) if self.sqlite else phrase.lower())[:16]
        sub = select(Segment.media_id)
        if not words:
            return sub.where(false())
        if self.sqlite:
            match = '"' + " ".join(words) + '" *'
            found = join_fts(sub).where(_bound("segment_fts MATCH :{}", match))
        else:
            found = sub.where(_bound("segment.words @@ to_tsquery('simple', :{})", " <-> ".join(words) + ":*"))
        glued = "".join(re.findall(r"[^\W_]+", phrase.lower()))
        if not inside_worthy(glued, letters=6):
            return found
        # Text read in pictures loses its spaces ("Tablebookedat CasaAzul",
        # "RECEIPTRE16TGK"): there, the phrase is looked for with spaces ignored.
        return found.union(select(Segment.media_id).join(Media).where(held_inside(glued, bool(CJK.search(glued)))))

    def date_span(self) -> tuple[float, float] | None:
        """The earliest and latest date of the library's files (EXIF, else mtime)."""
        with self.read() as s:
            lo, hi = s.execute(select(func.min(WHEN), func.max(WHEN)).where(Media.status == STATUS_OK)).one()
        return None if lo is None else (float(lo), float(hi))

    def place_names(self) -> list[str]:
        """The names of the places the library's pictures were taken at."""
        stmt = (select(Segment.text).distinct()
                .where(Segment.source.in_((SOURCE_IMAGE, SOURCE_FRAME)), Segment.text.is_not(None)))
        with self.read() as s:
            return [t for t in s.scalars(stmt) if t]

    def browse(self, filters: Filters, limit: int, offset: int = 0) -> list[dict]:
        """Files matching the filters alone (a query of only a date or a
        kind), newest first."""
        stmt = self._filtered(select(*LISTED), filters)
        stmt = stmt.where(Media.missing_since.is_(None)).order_by(WHEN.desc(), Media.id.desc())
        with self.read() as s:
            return listed(s.execute(stmt.limit(limit).offset(offset)))

    def _at_place(self, place: str):
        """Media taken at ``place``: its name rides on picture segments
        (images, video frames) as their text, found through the word index
        (FTS5 text column, accents folded; PostgreSQL: weight-D words), so a
        million photos are not scanned. Every word must match."""
        words = re.findall(r"[^\W_]+", fold(place) if self.sqlite else place.lower())[:8]
        sub = select(Segment.media_id).where(Segment.source.in_((SOURCE_IMAGE, SOURCE_FRAME)))
        if not words:
            return sub.where(false())
        if self.sqlite:
            match = " AND ".join(f'text : "{w}"' for w in words)
            return join_fts(sub).where(_bound("segment_fts MATCH :{}", match))
        return sub.where(_bound("segment.words @@ to_tsquery('simple', :{})", " & ".join(f"{w}:D" for w in words)))


_BIND = itertools.count()


def _bound(sql: str, value: str):
    """``sql`` with its one parameter under a name of its own: two places or
    two exact phrases in one statement must not share a bound value."""
    name = f"p{next(_BIND)}"
    return text_sql(sql.format(name)).bindparams(**{name: value})
