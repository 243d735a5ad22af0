"""Captions for reranking: stored once per (segment, captioner)."""
from __future__ import annotations

import time

from sqlalchemy import exists, select

from ..paths import from_db
from ..schema import Caption, Media, Segment
from .base import Part, chunks

_PICTURE_ROW = (Segment.id, Segment.t_start, Segment.source, Media.path, Media.kind, Media.content_hash)


class CaptionTable(Part):
    """Reading and storing captions."""

    def captions(self, segment_ids: list[int], captioner: str) -> dict[int, str]:
        out: dict[int, str] = {}
        with self.db.read() as s:
            for part in chunks([int(i) for i in segment_ids]):
                out.update((sid, text) for sid, text in s.execute(
                    select(Caption.segment_id, Caption.text).where(Caption.captioner == captioner,
                                                                   Caption.segment_id.in_(part))))
        return out

    def add_captions(self, rows: list[tuple[int, str]], captioner: str) -> None:
        """Store captions once per (segment, captioner); a segment deleted
        meanwhile is skipped."""
        now = time.time()
        with self.db.write() as s:
            there = set()
            for part in chunks([int(sid) for sid, _ in rows]):
                there.update(s.scalars(select(Segment.id).where(Segment.id.in_(part))))
            kept = [{"segment_id": sid, "captioner": captioner, "text": caption, "created_at": now}
                    for sid, caption in rows if sid in there]
            if kept:
                s.execute(self.db.insert_new(Caption), kept)

    def uncaptioned(self, captioner: str, limit: int | None = None) -> list[dict]:
        """Picture segments (images, video frames) without a caption from ``captioner``."""
        has = exists().where(Caption.segment_id == Segment.id, Caption.captioner == captioner)
        stmt = (select(*_PICTURE_ROW).join(Media).where(Media.status == "ok", Segment.source.in_(("image", "frame")),
                                                        ~has).order_by(Segment.id))
        if limit:
            stmt = stmt.limit(int(limit))
        with self.db.read() as s:
            return [{**r._mapping, "path": from_db(r.path)} for r in s.execute(stmt)]

    def segment_rows(self, segment_ids: list[int]) -> list[dict]:
        out = []
        with self.db.read() as s:
            for part in chunks([int(i) for i in segment_ids]):
                out += [{**r._mapping, "path": from_db(r.path)}
                        for r in s.execute(select(*_PICTURE_ROW).join(Media).where(Segment.id.in_(part)))]
        return out
