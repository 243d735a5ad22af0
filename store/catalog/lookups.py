"""Reads for the indexer and for search filters: known files by path or
folder, content hashes, the library's dates and places, filter-only lists."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from ..schema import SOURCE_FRAME, SOURCE_IMAGE, STATUS_OK, Media, Segment
from .base import Part, below_folder, chunks
from .dto import Filters, KnownFile, filters_from
from .filtering import WHEN, filtered

LISTED = (Media.id, Media.path, Media.kind, Media.taken_at)  # a file shown without a score


def listed(rows) -> list[dict]:
    return [{"media_id": r.id, "path": r.path, "kind": r.kind, "taken_at": r.taken_at,
             "when": getattr(r, "at", None)} for r in rows]


class Lookups(Part):
    """Known files, hashes, filters."""

    _KNOWN = (Media.id, Media.path, Media.size, Media.mtime_ns, Media.status, Media.content_hash,
              Media.prior_status, Media.reason)

    def known_files(self, folder: str | None = None) -> dict[str, KnownFile]:
        """Catalogued files at or below ``folder`` (by path, whatever root they came from)."""
        stmt = select(*self._KNOWN)
        if folder is not None:
            stmt = stmt.where(below_folder(folder, self.db.sqlite))
        with self.db.read() as s:
            return {r.path: KnownFile(*r[:1], *r[2:]) for r in s.execute(stmt)}

    def known_at(self, paths: list[str]) -> dict[str, KnownFile]:
        """Catalogued files at exactly these paths: one query per 500 paths."""
        out: dict[str, KnownFile] = {}
        with self.db.read() as s:
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
        with self.db.read() as s:
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
        with self.db.read() as s:
            return s.scalar(select(func.count(Media.id)).where(below_folder(folder, self.db.sqlite))) or 0

    def roots(self) -> list[str]:
        with self.db.read() as s:
            return sorted(s.scalars(select(Media.root).distinct()).all())

    def segment_ids(self, kinds: list[str] | None = None, under: list[str] | None = None,
                    after: float | None = None, before: float | None = None,
                    place: str | None = None, filters: Filters | None = None,
                    among: np.ndarray | None = None) -> np.ndarray:
        """Ids of the segments of ok media matching the filters (``among``:
        only of these ids). Dates are the photo's EXIF time when known, else
        the file's modification time."""
        stmt = filtered(self.db.sqlite, select(Segment.id).join(Media), filters_from(filters, kinds, under, after, before, place))
        if among is not None:
            stmt = stmt.where(Segment.id.in_([int(i) for i in among]))
        with self.db.read() as s:
            return np.asarray(s.scalars(stmt).all(), dtype=np.int64)

    def last_media_id(self) -> int:
        """The highest file id given so far (one index lookup): how many files
        the library has had, at most."""
        with self.db.read() as s:
            return int(s.scalar(select(func.max(Media.id))) or 0)

    def date_span(self) -> tuple[float, float] | None:
        """The earliest and latest date of the library's files (EXIF, else mtime)."""
        with self.db.read() as s:
            lo, hi = s.execute(select(func.min(WHEN), func.max(WHEN)).where(Media.status == STATUS_OK)).one()
        return None if lo is None else (float(lo), float(hi))

    def when_of(self, media_ids: list[int]) -> dict[int, float]:
        """When each file was taken (EXIF or container date, else its
        modification time), unix time."""
        out: dict[int, float] = {}
        with self.db.read() as s:
            for part in chunks([int(i) for i in media_ids]):
                out.update((m, float(w)) for m, w in s.execute(select(Media.id, WHEN).where(Media.id.in_(part))))
        return out

    def hits_of_media(self, media_ids: list[int]) -> dict[int, dict]:
        """The listing row of each ok file (path, kind, EXIF date)."""
        out: dict[int, dict] = {}
        with self.db.read() as s:
            for part in chunks([int(i) for i in media_ids]):
                for r in listed(s.execute(select(*LISTED).where(Media.id.in_(part), Media.status == STATUS_OK))):
                    out[r["media_id"]] = r
        return out

    def positions(self) -> tuple[list[tuple[int, float, float]], int]:
        """Where each ok file with GPS was taken: [(id, lat, lon)], and how
        many pictures and videos have no position (counted, never guessed)."""
        ok = (Media.status == STATUS_OK, Media.missing_since.is_(None))
        with self.db.read() as s:
            placed = [(r[0], float(r[1]), float(r[2])) for r in s.execute(
                select(Media.id, Media.lat, Media.lon).where(*ok, Media.lat.is_not(None), Media.lon.is_not(None)))]
            unplaced = s.scalar(select(func.count(Media.id)).where(*ok, Media.lat.is_(None),
                                                                  Media.kind.in_(("image", "video")))) or 0
        return placed, unplaced

    def timeline_rows(self) -> list[tuple[int, float, str | None]]:
        """Every ok file as (id, when taken, the place name its picture
        carries or None), for events."""
        place = (select(Segment.media_id, func.min(Segment.text).label("place"))
                 .where(Segment.source.in_((SOURCE_IMAGE, SOURCE_FRAME)), Segment.text.is_not(None))
                 .group_by(Segment.media_id).subquery())
        stmt = (select(Media.id, WHEN, place.c.place).outerjoin(place, place.c.media_id == Media.id)
                .where(Media.status == STATUS_OK, Media.missing_since.is_(None)))
        with self.db.read() as s:
            return [(r[0], float(r[1]), r[2] or None) for r in s.execute(stmt)]

    def place_names(self) -> list[str]:
        """The names of the places the library's pictures were taken at."""
        stmt = (select(Segment.text).distinct()
                .where(Segment.source.in_((SOURCE_IMAGE, SOURCE_FRAME)), Segment.text.is_not(None)))
        with self.db.read() as s:
            return [t for t in s.scalars(stmt) if t]

    def browse(self, filters: Filters, limit: int, offset: int = 0, oldest: bool = False) -> list[dict]:
        """Files matching the filters alone (a query of only a date or a
        kind), newest first (or oldest first)."""
        stmt = filtered(self.db.sqlite, select(*LISTED, WHEN.label("at")), filters)
        order = (WHEN.asc(), Media.id.asc()) if oldest else (WHEN.desc(), Media.id.desc())
        # "Not missing" said so that no index answers it: SQLite, without
        # statistics, took the index of missing files over the one by date.
        stmt = stmt.where(func.coalesce(Media.missing_since, 0) == 0).order_by(*order)
        with self.db.read() as s:
            return listed(s.execute(stmt.limit(limit).offset(offset)))
