"""Reads for the vector index, search results, details views and status."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select, true

from ..schema import STATUS_ERROR, STATUS_OK, TEXT_SOURCES, Media, Segment, stage_column
from .base import Part, chunks
from .dto import Hit
from .lookups import LISTED, listed


class Reads(Part):
    """Vectors, hits, one file, counts."""

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Every segment vector with its id, and the generation they belong to."""
        with self.db.read() as s:
            gen = self.db.generation(s)
            n = s.scalar(select(func.count(Segment.id))) or 0
            ids = np.empty(n, dtype=np.int64)
            vecs = np.empty((n, dim), dtype=np.float32)
            i = 0
            result = s.execute(select(Segment.id, Segment.vector).order_by(Segment.id))
            for sid, blob in result:
                ids[i] = sid
                vecs[i] = np.frombuffer(blob, dtype=np.float32)
                i += 1
        return ids[:i], vecs[:i], gen

    def vectors_by_id(self, segment_ids: np.ndarray, dim: int) -> np.ndarray:
        """Exact vectors of these segments, in the order given (zeros if gone)."""
        out = np.zeros((len(segment_ids), dim), np.float32)
        pos = {int(i): n for n, i in enumerate(segment_ids)}
        with self.db.read() as s:
            # The driver's own cursor: an IVF-PQ search refines a thousand or
            # two candidates a query, and building that IN list as SQLAlchemy
            # clauses cost a third of the fetch.
            cursor = s.connection().connection.driver_connection.cursor()
            for part in chunks(segment_ids):
                chunk = [int(i) for i in part]
                if self.db.sqlite:
                    cursor.execute(f"SELECT id, vector FROM segment WHERE id IN ({','.join('?' * len(chunk))})", chunk)
                else:
                    cursor.execute("SELECT id, vector FROM segment WHERE id = ANY(%s)", (chunk,))
                for sid, blob in cursor.fetchall():
                    out[pos[sid]] = np.frombuffer(bytes(blob), dtype=np.float32)
        return out

    def hits(self, segment_ids: list[int]) -> dict[int, Hit]:
        out: dict[int, Hit] = {}
        if not segment_ids:
            return out
        with self.db.read() as s:
            for part in chunks(segment_ids):
                stmt = select(
                    Segment.id, Segment.media_id, Segment.t_start, Segment.t_end, Segment.source,
                    Segment.text, Media.path, Media.kind, Media.width, Media.height, Media.duration,
                    Media.taken_at, Segment.spans,
                ).join(Media).where(Segment.id.in_(part), Media.status == STATUS_OK)
                for r in s.execute(stmt):
                    out[r.id] = Hit(r.id, r.media_id, r.path, r.kind, r.t_start, r.t_end,
                                    r.source, r.text, r.width, r.height, r.duration, r.taken_at, r.spans)
        return out

    def media(self, media_id: int) -> dict | None:
        """One file's row and its segments (without vectors), for details views."""
        with self.db.read() as s:
            m = s.get(Media, media_id)
            if m is None:
                return None
            segs = s.execute(select(Segment.id, Segment.t_start, Segment.t_end, Segment.source, Segment.text,
                                    Segment.spans)
                             .where(Segment.media_id == media_id).order_by(Segment.t_start, Segment.id)).all()
            return {
                "id": m.id, "path": m.path, "root": m.root, "kind": m.kind, "size": m.size,
                "mtime": m.mtime_ns / 1e9, "status": m.status, "reason": m.reason, "width": m.width,
                "height": m.height, "duration": m.duration, "taken_at": m.taken_at,
                "content_hash": m.content_hash,
                "segments": [{"id": r.id, "start": r.t_start, "end": r.t_end, "source": r.source,
                              "text": r.text, "spans": r.spans} for r in segs],
            }

    def media_vectors(self, media_id: int) -> np.ndarray:
        """The stored vectors of one file, by id ("more like this")."""
        return self._vectors(Segment.media_id == media_id)

    def vectors_of_media(self, media_ids: list[int]) -> dict[int, np.ndarray]:
        """Each file's stored vectors, one query per few hundred files (a word
        search read them one file at a time: 612 statements at 400 files)."""
        rows: dict[int, list[np.ndarray]] = {}
        with self.db.read() as s:
            for part in chunks(list(dict.fromkeys(media_ids))):
                for mid, blob in s.execute(select(Segment.media_id, Segment.vector)
                                           .where(Segment.media_id.in_(part)).order_by(Segment.id)):
                    rows.setdefault(mid, []).append(np.frombuffer(blob, dtype=np.float32))
        return {mid: np.stack(vs) for mid, vs in rows.items()}

    def signatures_of(self, media_ids: list[int]) -> dict[int, bytes]:
        """The perceptual signatures of those files that have one (pictures)."""
        out: dict[int, bytes] = {}
        with self.db.read() as s:
            for part in chunks(list(dict.fromkeys(media_ids))):
                out.update((mid, sig) for mid, sig in s.execute(
                    select(Media.id, Media.signature).where(Media.id.in_(part), Media.signature.is_not(None))))
        return out

    def _vectors(self, *where) -> np.ndarray:
        with self.db.read() as s:
            blobs = s.scalars(select(Segment.vector).join(Media).where(*where).order_by(Segment.id)).all()
        return np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs]) if blobs else np.zeros((0, 0), np.float32)

    def segment_vectors(self, media_path: str) -> np.ndarray:
        """The stored vectors of an already indexed file, by path (query by example)."""
        return self._vectors(Media.path == media_path, Media.status == STATUS_OK)

    def stats(self) -> dict:
        with self.db.read() as s:
            by = {}
            for kind, status, n in s.execute(
                    select(Media.kind, Media.status, func.count()).group_by(Media.kind, Media.status)):
                by.setdefault(status, {})[kind or "unknown"] = n
            segments = s.scalar(select(func.count(Segment.id))) or 0
            roots = sorted(s.scalars(select(Media.root).distinct()).all())
            gen = self.db.generation(s)
        return {"media": by, "segments": segments, "roots": roots, "generation": gen}

    def segment_count(self) -> int:
        with self.db.read() as s:
            return s.scalar(select(func.count(Segment.id))) or 0

    def incomplete(self, limit: int | None = None) -> list[dict]:
        """Indexed files that lost a part (speech not transcribed), with the reason."""
        stmt = (select(Media.path, Media.reason).where(Media.status == STATUS_OK, Media.reason.is_not(None))
                .order_by(Media.path))
        if limit:
            stmt = stmt.limit(limit)
        with self.db.read() as s:
            return [{"path": p, "reason": r} for p, r in s.execute(stmt)]

    def failures(self, limit: int | None = None) -> list[dict]:
        stmt = select(Media.path, Media.reason).where(Media.status == STATUS_ERROR).order_by(Media.path)
        if limit:
            stmt = stmt.limit(limit)
        with self.db.read() as s:
            return [{"path": p, "reason": r} for p, r in s.execute(stmt)]

    def recent(self, limit: int = 12) -> list[dict]:
        """The files most recently added to the index (the page's landing view)."""
        stmt = (select(*LISTED).where(Media.status == STATUS_OK, Media.missing_since.is_(None))
                .order_by(Media.created_at.desc(), Media.id.desc()).limit(limit))
        with self.db.read() as s:
            return listed(s.execute(stmt))

    def vector_sample(self, n: int, dim: int, texts_only: bool = False) -> np.ndarray:
        """About ``n`` segment vectors spread evenly over the library (every
        k-th id: the same sample each time, no full-table random sort);
        ``texts_only``: of the segments that are texts (read, said, tags)."""
        where = Segment.source.in_(TEXT_SOURCES) if texts_only else true()
        with self.db.read() as s:
            total = s.scalar(select(func.count(Segment.id)).where(where)) or 0
            step = max(1, total // max(n, 1))
            blobs = s.scalars(select(Segment.vector).where(where, Segment.id % step == 0).limit(n)).all()
        return (np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs]) if blobs
                else np.zeros((0, dim), np.float32))

    def pictures(self) -> list[dict]:
        """Every indexed picture with what near-duplicate finding needs (its
        signature, size, date), in id order."""
        stmt = (select(Media.id, Media.path, Media.width, Media.height, Media.taken_at, Media.mtime_ns,
                       Media.signature, Media.size)
                .where(Media.status == STATUS_OK, Media.kind == "image", Media.missing_since.is_(None))
                .order_by(Media.id))
        with self.db.read() as s:
            return [{"media_id": r.id, "path": r.path, "width": r.width, "height": r.height,
                     "taken_at": r.taken_at, "mtime": r.mtime_ns / 1e9, "signature": r.signature,
                     "size": r.size} for r in s.execute(stmt)]

    def picture_vectors(self, media_ids: list[int], dim: int) -> np.ndarray:
        """One vector per picture (its image segment), in the order given."""
        pos = {m: i for i, m in enumerate(media_ids)}
        out = np.zeros((len(media_ids), dim), np.float32)
        with self.db.read() as s:
            for part in chunks(media_ids):
                for mid, blob in s.execute(select(Segment.media_id, Segment.vector)
                                           .where(Segment.media_id.in_(part), Segment.source == "image")):
                    out[pos[mid]] = np.frombuffer(blob, dtype=np.float32)
        return out

    def owing(self, column: str, kinds: tuple[str, ...], limit: int | None = None
              ) -> list[tuple[int, str, str, str | None]]:
        """Indexed files a catch-up stage never ran on (``column``: ocr for
        words in pixels, sounds for sound events; NULL until done):
        (id, path, kind, content_hash), oldest first."""
        owed = stage_column(column)
        stmt = (select(Media.id, Media.path, Media.kind, Media.content_hash)
                .where(Media.status == STATUS_OK, Media.kind.in_(kinds), owed.is_(None),
                       Media.missing_since.is_(None))
                .order_by(Media.id).limit(limit))
        with self.db.read() as s:
            return [tuple(r) for r in s.execute(stmt)]

    def videos(self) -> list[dict]:
        """Every indexed video with what near-duplicate finding needs."""
        stmt = (select(Media.id, Media.path, Media.width, Media.height, Media.taken_at, Media.mtime_ns,
                       Media.duration, Media.size, Media.content_hash)
                .where(Media.status == STATUS_OK, Media.kind == "video", Media.missing_since.is_(None))
                .order_by(Media.id))
        with self.db.read() as s:
            return [{"media_id": r.id, "path": r.path, "width": r.width, "height": r.height,
                     "taken_at": r.taken_at, "mtime": r.mtime_ns / 1e9, "duration": r.duration,
                     "size": r.size, "content_hash": r.content_hash} for r in s.execute(stmt)]

    def moments(self, media_id: int, dim: int) -> tuple[list[float], np.ndarray]:
        """A video's frame moments: their start times and vectors, in time order."""
        with self.db.read() as s:
            rows = s.execute(select(Segment.t_start, Segment.vector)
                             .where(Segment.media_id == media_id, Segment.source == "frame")
                             .order_by(Segment.t_start)).all()
        vecs = np.frombuffer(b"".join(r.vector for r in rows), np.float32).reshape(len(rows), dim) \
            if rows else np.zeros((0, dim), np.float32)
        return [r.t_start or 0.0 for r in rows], vecs
