"""Engine creation for the catalog: SQLite in WAL mode with a busy timeout and
foreign keys, and real transactions (BEGIN / BEGIN IMMEDIATE) so readers see a
consistent snapshot while a writer works."""
from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

BUSY_TIMEOUT_MS = 30_000


def name_words(s: str) -> str:
    """The one file-name word splitter: separators people use in names
    ("IMG_2041", "beach-2024.jpg", "a+b") become spaces (the PostgreSQL word
    index, m005, splits on the same characters)."""
    return re.sub(r"[_\-.+]+", " ", s).strip()


def fold(text: str | None) -> str:
    """Case and accents folded ("Évora" -> "evora"), as FTS5's remove_diacritics does."""
    import unicodedata

    if not text:
        return ""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def ms_name(path: str | None) -> str:
    """A file name as searchable words: the name itself and its parts."""
    if not path:
        return ""
    name = os.path.basename(path)
    return f"{name} {name_words(os.path.splitext(name)[0])}"


def ms_folders(path: str | None, root: str | None) -> str:
    """The folders between the root and the file, plus the root's own name."""
    if not path:
        return ""
    parent = os.path.dirname(path)
    rel = os.path.relpath(parent, root) if root and parent.startswith(root) else parent
    parts = [p for p in rel.split(os.sep) if p and p != "."]
    if root:
        parts.insert(0, os.path.basename(root.rstrip(os.sep)))
    return name_words(" ".join(parts))


def make_engine(target: Path | str) -> Engine:
    """SQLite for a path (the default), any SQLAlchemy URL otherwise
    (postgresql+psycopg://... for a catalog shared by several machines)."""
    if isinstance(target, str) and "://" in target:
        if target.startswith("sqlite"):
            return sqlite_engine(Path(target.split(":///", 1)[1]))
        return create_engine(target, pool_pre_ping=True)
    return sqlite_engine(Path(target))


def sqlite_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial wiring
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own
        # transaction handling skips SELECTs, which breaks snapshot reads).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        # Used by the full-text triggers (see migrations.m002_fulltext).
        dbapi_conn.create_function("ms_name", 1, ms_name, deterministic=True)
        dbapi_conn.create_function("ms_folders", 2, ms_folders, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - trivial wiring
        # Writers take the write lock up front: a deferred transaction that
        # upgrades later can fail with SQLITE_BUSY without waiting.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
