"""The catalog: media and segment rows in SQLite, the source of truth.

Vectors live here as float32 BLOBs; the FAISS file is derived from them. Every
transaction that adds or removes segments bumps ``generation``, which is how a
stale vector index file is recognised.
"""
from __future__ import annotations

import errno
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy import column, table
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Session

from .db import fold, make_engine
from .errors import StorageFullError
from .paths import from_db, to_db
from .migrations import SCHEMA_VERSION, migrate
from .missing import MissingFiles
from .repair import Repairs
from .schema import SOURCE_FRAME, SOURCE_IMAGE, STATUS_ERROR, STATUS_OFFLINE, STATUS_OK, Media, Meta, Segment


# A claim whose heartbeat is older than this is from a dead worker (workers
# touch their claims every CLAIM_HEARTBEAT seconds).
CLAIM_HEARTBEAT = 30.0
CLAIM_STALE_AFTER = 120.0


def is_disk_full(e: BaseException) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's disk_full (53100), ENOSPC/EDQUOT."""
    orig = getattr(e, "orig", None) or e
    if isinstance(orig, OSError) and orig.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if getattr(orig, "sqlstate", None) == "53100":
        return True
    return "database or disk is full" in str(orig) or "No space left on device" in str(orig)


def claim_owner(unique: str) -> str:
    """``host:pid:unique``, so a worker on the same host can tell a dead one."""
    return f"{socket.gethostname()}:{os.getpid()}:{unique}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` ran on this host and its process no longer exists.
    (A reused pid reads as alive: then the heartbeat's age decides.)"""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


@dataclass
class NewSegment:
    vector: np.ndarray
    source: str
    t_start: float | None = None
    t_end: float | None = None
    text: str | None = None


@dataclass
class MediaRecord:
    """A file to insert or update, with its freshly made (or reused) segments."""

    path: str
    root: str
    size: int
    mtime_ns: int
    inode: int | None
    kind: str | None = None
    content_hash: str | None = None
    status: str = STATUS_OK
    reason: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    taken_at: float | None = None
    segments: list[NewSegment] = field(default_factory=list)
    # Reuse the segments of another media row with the same content instead
    # of embedding again (duplicates).
    copy_segments_from: int | None = None


@dataclass
class Rename:
    media_id: int
    path: str
    root: str
    size: int
    mtime_ns: int
    inode: int | None


@dataclass
class Batch:
    upserts: list[MediaRecord] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.renames or self.deletes)


@dataclass
class Applied:
    """What a batch did to the set of vectors, for the vector index to follow."""

    added_ids: np.ndarray
    added_vectors: np.ndarray
    removed_ids: np.ndarray
    generation: int


@dataclass(frozen=True)
class KnownFile:
    id: int
    size: int
    mtime_ns: int
    status: str
    content_hash: str | None
    prior_status: str | None = None  # what an offline file was before

    @property
    def usable(self) -> bool:
        """Its segments are good to keep: ok, or offline after being ok."""
        return self.status == STATUS_OK or (self.status == STATUS_OFFLINE and self.prior_status in (None, STATUS_OK))


@dataclass
class Hit:
    segment_id: int
    media_id: int
    path: str
    kind: str
    t_start: float | None
    t_end: float | None
    source: str
    text: str | None
    width: int | None
    height: int | None
    duration: float | None
    taken_at: float | None = None  # when it was taken (EXIF / container), else None


def _under(folder: str, sqlite: bool = True):
    """SQL condition: the media path is ``folder`` or lies below it.

    On SQLite a range on the indexed path column (binary collation: every
    path below ``folder/`` sorts in [``folder/``, ``folder0``), '0' being the
    character after '/'), so a watcher batch of thousands of paths costs
    index lookups, not table scans. PostgreSQL collations are linguistic, so
    there a prefix compare with substr (never LIKE: ``%`` and ``_`` in folder
    names match literally).
    """
    folder = folder.rstrip(os.sep) or os.sep
    below = folder if folder.endswith(os.sep) else folder + os.sep
    if sqlite:
        return or_(Media.path == folder, and_(Media.path >= below, Media.path < below[:-1] + chr(ord(os.sep) + 1)))
    prefix = to_db(below)
    return or_(Media.path == folder, func.substr(Media.path, 1, len(prefix)) == prefix)


def _join_fts(stmt):
    """Join SQLite's full-text table (one row per segment, m002) to a segment query."""
    return stmt.join(table("segment_fts", column("rowid")), text_sql("segment_fts.rowid = segment.id"))


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


class Catalog(MissingFiles, Repairs):
    """``target``: a SQLite file path (default) or a SQLAlchemy URL
    (``postgresql+psycopg://user:pw@host/db``) for a catalog shared by several
    indexers and web servers."""

    def __init__(self, target: Path | str):
        if isinstance(target, str) and "://" in target:
            self.path = None
        else:
            self.path = Path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(target)
        self.sqlite = self.engine.dialect.name == "sqlite"
        # Where the data lives, for messages (never the password of a URL).
        self.where = str(self.path) if self.path else self.engine.url.render_as_string(hide_password=True)
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            with conn.begin():
                migrate(conn)

    def close(self) -> None:
        self.engine.dispose()

    def _under_sql(self, folder: str):
        return _under(folder, self.sqlite)

    # -- sessions -------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot: every query inside sees the same state."""
        opts = {} if self.sqlite else {"isolation_level": "REPEATABLE READ"}
        with self.engine.connect().execution_options(**opts) as conn, conn.begin():
            with Session(bind=conn) as session:
                yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction holding the write lock from its first statement.
        A full disk rolls it back whole and raises StorageFullError."""
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
                with conn.begin():
                    with Session(bind=conn) as s:
                        yield s
                        s.flush()
        except (DBAPIError, OSError) as e:
            if is_disk_full(e):
                raise StorageFullError(
                    f"no space left for the catalog ({self.where}): free some space and run the "
                    "command again; everything committed before is kept") from e
            raise

    # -- meta -----------------------------------------------------------
    def get_meta(self, key: str, session: Session | None = None) -> str | None:
        if session is None:
            with self.read() as s:
                return self.get_meta(key, s)
        row = session.get(Meta, key)
        return row.value if row else None

    @staticmethod
    def _set_meta(session: Session, key: str, value: str) -> None:
        row = session.get(Meta, key)
        if row is None:
            session.add(Meta(key=key, value=value))
        else:
            row.value = value

    def generation(self, session: Session | None = None) -> int:
        return int(self.get_meta("generation", session) or 0)

    def model_identity(self) -> dict | None:
        raw = self.get_meta("model")
        return json.loads(raw) if raw else None

    def set_model_identity(self, identity: dict) -> None:
        with self.write() as s:
            self._set_meta(s, "model", json.dumps(identity, sort_keys=True))
            self._set_meta(s, "schema_version", str(SCHEMA_VERSION))

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as s:
            self._set_meta(s, key, value)

    def clear(self) -> None:
        """Forget every file and vector (``--rebuild``)."""
        with self.write() as s:
            s.execute(delete(Segment))
            s.execute(delete(Media))
            s.execute(delete(Meta).where(Meta.key == "model"))
            self._bump(s)  # no change-log entry: readers must reload


    CHANGE_LOG_KEEP = 2000  # generations a lagging reader can catch up on

    def _log_change(self, s: Session, gen: int, added: list[int], removed: list[int]) -> None:
        s.execute(text_sql("INSERT INTO change_log (generation, added, removed) VALUES (:g, :a, :r)"),
                  {"g": gen, "a": np.asarray(added, np.int64).tobytes(),
                   "r": np.asarray(removed, np.int64).tobytes()})
        if gen % 100 == 0:
            s.execute(text_sql("DELETE FROM change_log WHERE generation < :g"), {"g": gen - self.CHANGE_LOG_KEEP})

    def changes_since(self, generation: int, dim: int) -> list[Applied] | None:
        """The changes after ``generation`` as Applied records (vectors of the
        added segments included), or None when the log no longer covers them."""
        with self.read() as s:
            current = self.generation(s)
            rows = s.execute(text_sql(
                "SELECT generation, added, removed FROM change_log WHERE generation > :g ORDER BY generation"),
                {"g": generation}).all()
            if [r[0] for r in rows] != list(range(generation + 1, current + 1)):
                return None  # pruned, or written before the log existed
            out = []
            for gen, added_b, removed_b in rows:
                added = np.frombuffer(bytes(added_b), dtype=np.int64)
                removed = np.frombuffer(bytes(removed_b), dtype=np.int64)
                vecs = np.zeros((len(added), dim), np.float32)
                found = np.zeros(len(added), bool)
                pos = {int(i): n for n, i in enumerate(added)}
                for start in range(0, len(added), 500):
                    chunk = [int(i) for i in added[start:start + 500]]
                    for sid, blob in s.execute(select(Segment.id, Segment.vector).where(Segment.id.in_(chunk))):
                        vecs[pos[sid]] = np.frombuffer(blob, dtype=np.float32)
                        found[pos[sid]] = True
                # A segment added then removed later is gone now: its removal follows.
                out.append(Applied(added[found], vecs[found], removed, gen))
            return out

    def _bump(self, s: Session) -> int:
        # One statement: concurrent writers (PostgreSQL) serialise on the row.
        s.flush()
        return int(s.execute(text_sql(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
            "WHERE key = 'generation' RETURNING value")).scalar_one())

    # -- reads for the indexer ------------------------------------------
    _KNOWN = (Media.id, Media.path, Media.size, Media.mtime_ns, Media.status, Media.content_hash,
              Media.prior_status)

    def known_files(self, folder: str | None = None) -> dict[str, KnownFile]:
        """Catalogued files at or below ``folder`` (by path, whatever root they came from)."""
        stmt = select(*self._KNOWN)
        if folder is not None:
            stmt = stmt.where(_under(folder, self.sqlite))
        with self.read() as s:
            return {r.path: KnownFile(*r[:1], *r[2:]) for r in s.execute(stmt)}

    def known_at(self, paths: list[str]) -> dict[str, KnownFile]:
        """Catalogued files at exactly these paths: one query per 500 paths."""
        out: dict[str, KnownFile] = {}
        with self.read() as s:
            for start in range(0, len(paths), 500):
                for r in s.execute(select(*self._KNOWN).where(Media.path.in_(paths[start:start + 500]))):
                    out[r.path] = KnownFile(*r[:1], *r[2:])
        return out

    def ok_media_by_hash(self, hashes: list[str]) -> dict[str, list[tuple[int, str]]]:
        """Media rows with embedded content matching ``hashes``: hash -> [(id, path)]."""
        out: dict[str, list[tuple[int, str]]] = {}
        if not hashes:
            return out
        with self.read() as s:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start:start + 500]
                stmt = select(Media.id, Media.path, Media.content_hash).where(
                    Media.content_hash.in_(chunk), Media.status == STATUS_OK
                ).order_by(Media.id)
                for r in s.execute(stmt):
                    out.setdefault(r.content_hash, []).append((r.id, r.path))
        return out

    # -- the one write path ---------------------------------------------
    def apply(self, batch: Batch) -> Applied:
        """Apply a batch of changes in one transaction and bump the generation."""
        added_ids: list[int] = []
        added_vecs: list[bytes] = []
        removed: list[int] = []
        now = time.time()
        with self.write() as s:
            if batch.deletes:
                for start in range(0, len(batch.deletes), 500):
                    chunk = batch.deletes[start:start + 500]
                    removed += s.scalars(select(Segment.id).where(Segment.media_id.in_(chunk))).all()
                    s.execute(delete(Segment).where(Segment.media_id.in_(chunk)))
                    s.execute(delete(Media).where(Media.id.in_(chunk)))
            for r in batch.renames:
                # A file that now sits where the moved one lands is replaced.
                old = s.scalar(select(Media.id).where(Media.path == r.path, Media.id != r.media_id))
                if old is not None:
                    removed += s.scalars(select(Segment.id).where(Segment.media_id == old)).all()
                    s.execute(delete(Segment).where(Segment.media_id == old))
                    s.execute(delete(Media).where(Media.id == old))
                s.execute(update(Media).where(Media.id == r.media_id).values(
                    path=r.path, root=r.root, size=r.size, mtime_ns=r.mtime_ns,
                    inode=r.inode, status=STATUS_OK, reason=None, updated_at=now,
                    missing_since=None, prior_status=None, prior_reason=None))
            # One media version gets one set of segments: when a batch holds
            # two records for a path (a folder and its files reported in the
            # same watcher batch), the later one wins.
            upserts = list({rec.path: rec for rec in batch.upserts}.values())
            # Media rows first, one flush for all (ids needed by segments).
            existing = {}
            paths = [rec.path for rec in upserts]
            for start in range(0, len(paths), 500):
                for m in s.scalars(select(Media).where(Media.path.in_(paths[start:start + 500]))):
                    existing[m.path] = m
            # Segments to copy are read before any are replaced: a source
            # rewritten in this same batch still lends what it held.
            sources = {rec.copy_segments_from for rec in upserts if rec.copy_segments_from is not None}
            copies: dict[int, list[tuple]] = {}
            for src in (s.execute(select(Segment.media_id, Segment.t_start, Segment.t_end, Segment.source,
                                         Segment.text, Segment.vector)
                                  .where(Segment.media_id.in_(sources)).order_by(Segment.id))
                        if sources else ()):
                copies.setdefault(src.media_id, []).append(tuple(src)[1:])
            if existing:
                old_ids = [m.id for m in existing.values()]
                for start in range(0, len(old_ids), 500):
                    chunk = old_ids[start:start + 500]
                    removed += s.scalars(select(Segment.id).where(Segment.media_id.in_(chunk))).all()
                    s.execute(delete(Segment).where(Segment.media_id.in_(chunk)))
            rows: list[Media] = []
            for rec in upserts:
                media = existing.get(rec.path)
                if media is None:
                    media = Media(path=rec.path, created_at=now)
                    s.add(media)
                    existing[rec.path] = media
                for name in ("root", "kind", "size", "mtime_ns", "inode", "content_hash",
                             "status", "reason", "width", "height", "duration", "taken_at"):
                    setattr(media, name, getattr(rec, name))
                media.updated_at = now
                media.missing_since = media.prior_status = media.prior_reason = None
                if rec.copy_segments_from is not None:
                    src_media = s.get(Media, rec.copy_segments_from)
                    if src_media is not None:
                        media.kind = src_media.kind  # same content: what decoding found there
                    for name in ("width", "height", "duration", "taken_at"):
                        if getattr(media, name) is None and src_media is not None:
                            setattr(media, name, getattr(src_media, name))
                rows.append(media)
            s.flush()
            new_segments: list[Segment] = []
            for rec, media in zip(upserts, rows):
                for t_start, t_end, source, text, vector in copies.get(rec.copy_segments_from, ()):
                    new_segments.append(Segment(media_id=media.id, t_start=t_start, t_end=t_end,
                                                source=source, text=text, vector=vector))
                for seg in rec.segments:
                    new_segments.append(Segment(
                        media_id=media.id, t_start=seg.t_start, t_end=seg.t_end,
                        source=seg.source, text=seg.text, vector=to_blob(seg.vector)))
            s.add_all(new_segments)
            s.flush()
            for seg in new_segments:
                added_ids.append(seg.id)
                added_vecs.append(seg.vector)
            gen = self._bump(s)
            self._log_change(s, gen, added_ids, removed)
        vectors = (np.frombuffer(b"".join(added_vecs), dtype=np.float32)
                   if added_vecs else np.zeros(0, np.float32))
        dim = vectors.size // len(added_ids) if added_ids else 0
        return Applied(
            added_ids=np.asarray(added_ids, dtype=np.int64),
            added_vectors=vectors.reshape(len(added_ids), dim) if added_ids else vectors.reshape(0, 0),
            removed_ids=np.asarray(removed, dtype=np.int64),
            generation=gen,
        )

    # -- claims: several indexers on one catalog ----------------------------
    def claim(self, path: str, owner: str, stale_after: float = CLAIM_STALE_AFTER) -> bool:
        """Take ``path`` for this worker; False while another live worker holds it.

        A claim is another worker's until it goes stale: at once when that
        worker ran on this host and its process is gone (kill -9), else when
        its heartbeat (``touch_claims``) is older than ``stale_after``."""
        now = time.time()
        path = to_db(path)
        with self.write() as s:
            s.execute(text_sql("DELETE FROM claim WHERE path = :p AND at < :old"),
                      {"p": path, "old": now - stale_after})
            insert = text_sql("INSERT INTO claim (path, owner, at) VALUES (:p, :o, :t) "
                              "ON CONFLICT DO NOTHING RETURNING path")
            if s.execute(insert, {"p": path, "o": owner, "t": now}).first() is not None:
                return True
            holder = s.execute(text_sql("SELECT owner FROM claim WHERE path = :p"), {"p": path}).scalar()
            if holder == owner:
                return True
            if holder is not None and owner_is_dead(holder):
                s.execute(text_sql("DELETE FROM claim WHERE path = :p AND owner = :o"), {"p": path, "o": holder})
                return s.execute(insert, {"p": path, "o": owner, "t": now}).first() is not None
            return False

    def touch_claims(self, owner: str) -> None:
        """A worker's heartbeat: its claims stay fresh while it lives."""
        with self.write() as s:
            s.execute(text_sql("UPDATE claim SET at = :t WHERE owner = :o"), {"t": time.time(), "o": owner})

    def release(self, paths: list[str], owner: str) -> None:
        if not paths:
            return
        paths = [to_db(p) for p in paths]
        with self.write() as s:
            for start in range(0, len(paths), 500):
                chunk = paths[start:start + 500]
                s.execute(text_sql("DELETE FROM claim WHERE owner = :o AND path IN ("
                                   + ",".join(f":p{i}" for i in range(len(chunk))) + ")"),
                          {"o": owner, **{f"p{i}": p for i, p in enumerate(chunk)}})

    def set_status(self, media_ids: list[int], status: str, reason: str | None = None) -> None:
        """Change status without touching vectors (offline / back online)."""
        with self.write() as s:
            for start in range(0, len(media_ids), 500):
                s.execute(update(Media).where(Media.id.in_(media_ids[start:start + 500])).values(
                    status=status, reason=reason, updated_at=time.time()))

    def count_under(self, folder: str) -> int:
        with self.read() as s:
            return s.scalar(select(func.count(Media.id)).where(_under(folder, self.sqlite))) or 0

    # -- reads for the vector index and search --------------------------
    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Every segment vector with its id, and the generation they belong to."""
        with self.read() as s:
            gen = self.generation(s)
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
        with self.read() as s:
            for start in range(0, len(segment_ids), 500):
                chunk = [int(i) for i in segment_ids[start:start + 500]]
                for sid, blob in s.execute(select(Segment.id, Segment.vector).where(Segment.id.in_(chunk))):
                    out[pos[sid]] = np.frombuffer(blob, dtype=np.float32)
        return out

    def segment_ids(self, kinds: list[str] | None = None, under: list[str] | None = None,
                    after: float | None = None, before: float | None = None,
                    place: str | None = None) -> np.ndarray:
        """Ids of the segments of ok media matching the filters. Dates are the
        photo's EXIF time when known, else the file's modification time."""
        stmt = self._filtered(select(Segment.id).join(Media), kinds, under, after, before, place)
        with self.read() as s:
            return np.asarray(s.scalars(stmt).all(), dtype=np.int64)

    def _filtered(self, stmt, kinds, under, after, before, place=None):
        """The search filters, shared by vector and word search: ok media of
        these kinds, below these folders, dated (EXIF, else mtime) in range,
        taken at a place whose name holds every word of ``place``."""
        stmt = stmt.where(Media.status == STATUS_OK)
        if place:
            stmt = stmt.where(Media.id.in_(self._at_place(place)))
        when = func.coalesce(Media.taken_at, Media.mtime_ns / 1e9)
        if after is not None:
            stmt = stmt.where(when >= after)
        if before is not None:
            stmt = stmt.where(when < before)
        if kinds:
            stmt = stmt.where(Media.kind.in_(kinds))
        if under:
            stmt = stmt.where(or_(*[_under(folder, self.sqlite) for folder in under]))
        return stmt

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
            return _join_fts(sub).where(text_sql("segment_fts MATCH :place_match").bindparams(place_match=match))
        return sub.where(text_sql("segment.words @@ to_tsquery('simple', :place_q)")
                         .bindparams(place_q=" & ".join(f"{w}:D" for w in words)))

    def lexical(self, text: str, kinds: list[str] | None = None, under: list[str] | None = None,
                after: float | None = None, before: float | None = None, limit: int = 100,
                place: str | None = None) -> list[tuple[int, int]]:
        """Full-text matches, best first: [(segment_id, media_id)]. Every word
        must match (in the name, folders, tags/transcript or captions); names
        weigh most."""
        words = re.findall(r"\w+", text.lower())
        if not words:
            return []
        if self.sqlite:
            match = " ".join('"' + w.replace('"', '""') + '"' for w in words[:32])
            where = "segment_fts MATCH :q"
            order = "bm25(segment_fts, 4.0, 1.5, 1.0, 1.0)"
        else:
            # PostgreSQL: the same fields in a stored, GIN-indexed tsvector (m005).
            match = " & ".join(words[:32])
            where = "segment.words @@ to_tsquery('simple', :q)"
            order = "ts_rank(segment.words, to_tsquery('simple', :q)) DESC, segment.id"
        stmt = self._filtered(select(Segment.id, Segment.media_id).join(Media),
                              kinds, under, after, before, place)
        if self.sqlite:
            stmt = _join_fts(stmt)
        stmt = stmt.where(text_sql(where)).order_by(text_sql(order)).limit(limit)
        with self.read() as s:
            return [(r[0], r[1]) for r in s.execute(stmt, {"q": match})]

    # -- captions (reranking) --------------------------------------------
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

    def hits(self, segment_ids: list[int]) -> dict[int, Hit]:
        out: dict[int, Hit] = {}
        if not segment_ids:
            return out
        with self.read() as s:
            for start in range(0, len(segment_ids), 500):
                chunk = segment_ids[start:start + 500]
                stmt = select(
                    Segment.id, Segment.media_id, Segment.t_start, Segment.t_end, Segment.source,
                    Segment.text, Media.path, Media.kind, Media.width, Media.height, Media.duration,
                    Media.taken_at,
                ).join(Media).where(Segment.id.in_(chunk), Media.status == STATUS_OK)
                for r in s.execute(stmt):
                    out[r.id] = Hit(r.id, r.media_id, r.path, r.kind, r.t_start, r.t_end,
                                    r.source, r.text, r.width, r.height, r.duration, r.taken_at)
        return out

    def media(self, media_id: int) -> dict | None:
        """One file's row and its segments (without vectors), for details views."""
        with self.read() as s:
            m = s.get(Media, media_id)
            if m is None:
                return None
            segs = s.execute(select(Segment.id, Segment.t_start, Segment.t_end, Segment.source, Segment.text)
                             .where(Segment.media_id == media_id).order_by(Segment.t_start, Segment.id)).all()
            return {
                "id": m.id, "path": m.path, "root": m.root, "kind": m.kind, "size": m.size,
                "mtime": m.mtime_ns / 1e9, "status": m.status, "reason": m.reason, "width": m.width,
                "height": m.height, "duration": m.duration, "taken_at": m.taken_at,
                "content_hash": m.content_hash,
                "segments": [{"id": r.id, "start": r.t_start, "end": r.t_end, "source": r.source,
                              "text": r.text} for r in segs],
            }

    def media_vectors(self, media_id: int) -> np.ndarray:
        """The stored vectors of one file, by id ("more like this")."""
        return self._vectors(Segment.media_id == media_id)

    def _vectors(self, *where) -> np.ndarray:
        with self.read() as s:
            blobs = s.scalars(select(Segment.vector).join(Media).where(*where).order_by(Segment.id)).all()
        return np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs]) if blobs else np.zeros((0, 0), np.float32)

    def roots(self) -> list[str]:
        with self.read() as s:
            return sorted(s.scalars(select(Media.root).distinct()).all())

    def segment_vectors(self, media_path: str) -> np.ndarray:
        """The stored vectors of an already indexed file, by path (query by example)."""
        return self._vectors(Media.path == media_path, Media.status == STATUS_OK)

    # -- status ---------------------------------------------------------
    def stats(self) -> dict:
        with self.read() as s:
            by = {}
            for kind, status, n in s.execute(
                    select(Media.kind, Media.status, func.count()).group_by(Media.kind, Media.status)):
                by.setdefault(status, {})[kind or "unknown"] = n
            segments = s.scalar(select(func.count(Segment.id))) or 0
            roots = sorted(s.scalars(select(Media.root).distinct()).all())
            gen = self.generation(s)
        return {"media": by, "segments": segments, "roots": roots, "generation": gen}

    def failures(self, limit: int | None = None) -> list[dict]:
        stmt = select(Media.path, Media.reason).where(Media.status == STATUS_ERROR).order_by(Media.path)
        if limit:
            stmt = stmt.limit(limit)
        with self.read() as s:
            return [{"path": p, "reason": r} for p, r in s.execute(stmt)]
