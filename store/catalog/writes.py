"""The one write path: a batch of upserts, renames and deletes applied in one
transaction that bumps the generation and logs what changed."""
from __future__ import annotations

import time

import numpy as np
from sqlalchemy import delete, select, update

from ..schema import STATUS_OK, Face, Media, Segment, stage_column
from .base import Part, chunks
from .changes import log_change
from .dto import Applied, Batch, to_blob


class Writes(Part):
    """Applying batches; changing status without touching vectors."""

    def apply(self, batch: Batch) -> Applied:
        """Apply a batch of changes in one transaction and bump the generation."""
        removed: list[int] = []
        now = time.time()
        with self.db.write() as s:
            removed += _delete_media(s, batch.deletes)
            for r in batch.renames:
                # A file that now sits where the moved one lands is replaced.
                old = s.scalar(select(Media.id).where(Media.path == r.path, Media.id != r.media_id))
                if old is not None:
                    removed += _delete_media(s, [old])
                s.execute(update(Media).where(Media.id == r.media_id).values(
                    path=r.path, root=r.root, size=r.size, mtime_ns=r.mtime_ns,
                    inode=r.inode, status=STATUS_OK, reason=None, updated_at=now,
                    missing_since=None, prior_status=None, prior_reason=None))
            new_segments = _upsert(s, batch, now, removed) + _add(s, batch.additions, now)
            gen = self.db.bump(s)
            added_ids = [seg.id for seg in new_segments]
            log_change(s, gen, added_ids, removed)
            added = b"".join(seg.vector for seg in new_segments)
        vectors = np.frombuffer(added, dtype=np.float32)
        return Applied(
            added_ids=np.asarray(added_ids, dtype=np.int64),
            added_vectors=vectors.reshape(len(added_ids), -1) if added_ids else vectors.reshape(0, 0),
            removed_ids=np.asarray(removed, dtype=np.int64),
            generation=gen,
        )


def _segment_ids_of(s, media_ids) -> list[int]:
    return list(s.scalars(select(Segment.id).where(Segment.media_id.in_(media_ids))).all())


def _delete_media(s, media_ids: list[int]) -> list[int]:
    """Delete these media rows and their segments; the segment ids removed."""
    removed: list[int] = []
    for part in chunks(media_ids):
        removed += _segment_ids_of(s, part)
        s.execute(delete(Segment).where(Segment.media_id.in_(part)))
        s.execute(delete(Media).where(Media.id.in_(part)))
    return removed


def _add(s, additions, now: float) -> list[Segment]:
    """Segments added to files still holding the content they came from."""
    added: list[Segment] = []
    for a in additions:
        # One statement decides, so two catch-ups at once add the words once;
        # a file deleted or changed meanwhile gains nothing (its next
        # indexing reads it again).
        owed = stage_column(a.column)
        taken = s.execute(update(Media).where(Media.id == a.media_id, Media.content_hash == a.content_hash,
                                              owed.is_(None)).values({a.column: a.state, "updated_at": now}))
        if taken.rowcount != 1:
            continue
        added += [Segment(media_id=a.media_id, t_start=seg.t_start, t_end=seg.t_end, source=seg.source,
                          text=seg.text, spans=seg.spans, vector=to_blob(seg.vector)) for seg in a.segments]
    s.add_all(added)
    s.flush()
    return added


def _upsert(s, batch: Batch, now: float, removed: list[int]) -> list[Segment]:
    """Insert or update the batch's media rows with their new segments (the
    old ones' ids go to ``removed``); the new segments, flushed (ids set)."""
    # One media version gets one set of segments: when a batch holds two
    # records for a path (a folder and its files reported in the same
    # watcher batch), the later one wins.
    upserts = list({rec.path: rec for rec in batch.upserts}.values())
    existing: dict[str, Media] = {}
    for part in chunks([rec.path for rec in upserts]):
        for m in s.scalars(select(Media).where(Media.path.in_(part))):
            existing[m.path] = m
    # Segments to copy are read before any are replaced: a source rewritten
    # in this same batch still lends what it held.
    sources = {rec.copy_segments_from for rec in upserts if rec.copy_segments_from is not None}
    copies: dict[int, list[tuple]] = {}
    for src in (s.execute(select(Segment.media_id, Segment.t_start, Segment.t_end, Segment.source,
                                 Segment.text, Segment.spans, Segment.vector)
                          .where(Segment.media_id.in_(sources)).order_by(Segment.id)) if sources else ()):
        copies.setdefault(src.media_id, []).append(tuple(src)[1:])
    for part in chunks([m.id for m in existing.values()]):
        removed += _segment_ids_of(s, part)
        s.execute(delete(Segment).where(Segment.media_id.in_(part)))
        s.execute(delete(Face).where(Face.media_id.in_(part)))  # a new version is looked at again
    rows = [_media_row(s, rec, existing, now) for rec in upserts]
    s.flush()  # media ids, needed by the segments
    new_segments: list[Segment] = []
    for rec, media in zip(upserts, rows):
        for t_start, t_end, source, text, spans, vector in copies.get(rec.copy_segments_from, ()):
            new_segments.append(Segment(media_id=media.id, t_start=t_start, t_end=t_end,
                                        source=source, text=text, spans=spans, vector=vector))
        for seg in rec.segments:
            new_segments.append(Segment(media_id=media.id, t_start=seg.t_start, t_end=seg.t_end, source=seg.source,
                                        text=seg.text, spans=seg.spans, vector=to_blob(seg.vector)))
    s.add_all(new_segments)
    s.flush()
    return new_segments


def _media_row(s, rec, existing: dict[str, Media], now: float) -> Media:
    media = existing.get(rec.path)
    if media is None:
        media = Media(path=rec.path, created_at=now)
        s.add(media)
        existing[rec.path] = media
    for name in ("root", "kind", "size", "mtime_ns", "inode", "content_hash",
                 "status", "reason", "width", "height", "duration", "taken_at", "signature", "ocr", "sounds"):
        setattr(media, name, getattr(rec, name))
    media.lat, media.lon = rec.position or (None, None)
    media.updated_at = now
    media.missing_since = media.prior_status = media.prior_reason = media.faces = None
    if rec.copy_segments_from is not None:
        src = s.get(Media, rec.copy_segments_from)
        if src is not None:
            media.kind = src.kind  # same content: what decoding found there
            for name in ("width", "height", "duration", "taken_at", "signature", "ocr", "sounds", "lat", "lon"):
                if getattr(media, name) is None:
                    setattr(media, name, getattr(src, name))
    return media
