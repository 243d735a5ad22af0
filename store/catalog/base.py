"""Sessions, meta facts and the generation counter: what every part of the
catalog stands on. One helper per job lives here too: the folder condition
(every "below this folder" query goes through ``below_folder``) and ``chunks``
(every id list bound in pieces that any database accepts)."""
from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Integer, Text, and_, cast, column, func, or_, select, table, update
from sqlalchemy import text as text_sql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db import make_engine
from ..errors import StorageFullError
from ..migrations import SCHEMA_VERSION, migrate
from ..paths import to_db
from ..schema import Media, Meta

CHUNK = 500  # ids bound per statement (SQLite's default limit is 999 variables)


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def is_disk_full(e: BaseException) -> bool:
    """SQLite's "database or disk is full", PostgreSQL's disk_full (53100), ENOSPC/EDQUOT."""
    orig = getattr(e, "orig", None) or e
    if isinstance(orig, OSError) and orig.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if getattr(orig, "sqlstate", None) == "53100":
        return True
    return "database or disk is full" in str(orig) or "No space left on device" in str(orig)


def below_folder(folder: str, sqlite: bool = True):
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


def join_fts(stmt):
    """Join SQLite's full-text table (one row per segment, m002) to a segment query."""
    return stmt.join(table("segment_fts", column("rowid")), text_sql("segment_fts.rowid = segment.id"))


class Database:
    """Engine, sessions, meta and generation of one catalog: what every part
    of the catalog is given (and nothing else of the others)."""

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

    def get_meta(self, key: str, session: Session | None = None) -> str | None:
        if session is None:
            with self.read() as s:
                return self.get_meta(key, s)
        row = session.get(Meta, key)
        return row.value if row else None

    def generation(self, session: Session | None = None) -> int:
        return int(self.get_meta("generation", session) or 0)

    def model_identity(self) -> dict | None:
        raw = self.get_meta("model")
        return json.loads(raw) if raw else None

    def claim_model_identity(self, identity: dict) -> dict:
        """Record ``identity`` unless a model is recorded already; the one
        recorded either way. Atomic: of two workers starting on one fresh
        catalog, one records its model and the other is told which."""
        with self.write() as s:
            s.execute(self.insert_new(Meta).values(key="model", value=json.dumps(identity, sort_keys=True)))
            put_meta(s, "schema_version", str(SCHEMA_VERSION))
            return json.loads(s.scalar(select(Meta.value).where(Meta.key == "model")))

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as s:
            put_meta(s, key, value)

    def insert_new(self, model):
        """An INSERT that skips rows whose key is taken (ON CONFLICT DO NOTHING),
        in this catalog's dialect."""
        return dialect_insert(self.sqlite, model).on_conflict_do_nothing()

    @staticmethod
    def bump(s: Session) -> int:
        """The next generation, taken in ``s``'s transaction."""
        # One statement: concurrent writers (PostgreSQL) serialise on the row.
        s.flush()
        bumped = cast(cast(Meta.value, Integer) + 1, Text)
        return int(s.execute(update(Meta).where(Meta.key == "generation").values(value=bumped)
                             .returning(Meta.value)).scalar_one())


def put_meta(session: Session, key: str, value: str) -> None:
    """Set a meta fact in the transaction of ``session``."""
    # One upsert (SQLite and PostgreSQL alike): two workers starting on a
    # fresh shared catalog both write "runtime"; a read-then-insert lost
    # one of them to a unique violation.
    session.flush()
    upsert = dialect_insert(session.get_bind().dialect.name == "sqlite", Meta).values(key=key, value=value)
    session.execute(upsert.on_conflict_do_update(index_elements=[Meta.key], set_={"value": value}))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Meta) and obj.key == key:
            session.expire(obj)  # a Meta row already loaded in this session reads the new value


class Part:
    """One repository of the catalog (one job: writes, words, claims...),
    given the database and nothing else; ``Catalog`` holds one of each."""

    def __init__(self, db: Database):
        self.db = db


def dialect_insert(on_sqlite: bool, model):
    """The dialect's INSERT, the one with ON CONFLICT clauses."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (sqlite if on_sqlite else postgresql).insert(model)
