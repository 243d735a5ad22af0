"""Captions for reranking: stored once per (segment, captioner)."""
from __future__ import annotations

import time

from sqlalchemy import text as text_sql

from ..paths import from_db


class Captions:
    """Reading and storing captions."""

    def captions(self, segment_ids: list[int], captioner: str) -> dict[int, str]:
        if not segment_ids:
            return {}
        with self.read() as s:
            rows = s.execute(text_sql(
                "SELECT segment_id, text FROM caption WHERE captioner = :c AND segment_id IN ("
                + ",".join(str(int(i)) for i in segment_ids) + ")"), {"c": captioner})
            return {r[0]: r[1] for r in rows}

    def add_captions(self, rows: list[tuple[int, str]], captioner: str) -> None:
        """Store captions once per (segment, captioner); a segment deleted
        meanwhile is skipped."""
        now = time.time()
        with self.write() as s:
            for sid, caption in rows:
                s.execute(text_sql(
                    "INSERT INTO caption (segment_id, captioner, text, created_at) "
                    "SELECT :sid, :c, :t, :now WHERE EXISTS (SELECT 1 FROM segment WHERE id = :sid) "
                    "ON CONFLICT DO NOTHING"),
                    {"sid": sid, "c": captioner, "t": caption, "now": now})

    def uncaptioned(self, captioner: str, limit: int | None = None) -> list[dict]:
        """Picture segments (images, video frames) without a caption from ``captioner``."""
        sql = ("SELECT s.id, s.t_start, s.source, m.path, m.kind, m.content_hash FROM segment s "
               "JOIN media m ON m.id = s.media_id WHERE m.status = 'ok' AND s.source IN ('image', 'frame') "
               "AND NOT EXISTS (SELECT 1 FROM caption c WHERE c.segment_id = s.id AND c.captioner = :c) "
               "ORDER BY s.id")
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.read() as s:
            return [{**r._mapping, "path": from_db(r.path)} for r in s.execute(text_sql(sql), {"c": captioner})]

    def segment_rows(self, segment_ids: list[int]) -> list[dict]:
        if not segment_ids:
            return []
        with self.read() as s:
            return [{**r._mapping, "path": from_db(r.path)} for r in s.execute(text_sql(
                "SELECT s.id, s.t_start, s.source, m.path, m.kind, m.content_hash FROM segment s "
                "JOIN media m ON m.id = s.media_id WHERE s.id IN ("
                + ",".join(str(int(i)) for i in segment_ids) + ")"))]
