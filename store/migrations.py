"""Named, ordered schema migrations (as simonw/llm does).

Each migration runs once, inside a transaction, and is recorded by name in
``_migrations``. Never edit a migration that has shipped: add a new one.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, text

MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = []


def migration(fn: Callable[[Connection], None]) -> Callable[[Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(conn: Connection) -> None:
    conn.exec_driver_sql(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )
    conn.exec_driver_sql(
        """CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            root TEXT NOT NULL,
            kind TEXT,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            inode BIGINT,
            content_hash TEXT,
            status TEXT NOT NULL DEFAULT 'ok',
            reason TEXT,
            width INTEGER,
            height INTEGER,
            duration FLOAT,
            taken_at FLOAT,
            created_at FLOAT NOT NULL,
            updated_at FLOAT NOT NULL
        )"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_media_root ON media (root)")
    conn.exec_driver_sql("CREATE INDEX ix_media_content_hash ON media (content_hash)")
    conn.exec_driver_sql(
        """CREATE TABLE segment (
            id INTEGER PRIMARY KEY,
            media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
            t_start FLOAT,
            t_end FLOAT,
            source TEXT NOT NULL,
            text TEXT,
            vector BLOB NOT NULL
        )"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_segment_media_id ON segment (media_id)")
    conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('generation', '0')")


def applied(conn: Connection) -> set[str]:
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at FLOAT NOT NULL)"
    )
    return {row[0] for row in conn.exec_driver_sql("SELECT name FROM _migrations")}


def migrate(conn: Connection) -> list[str]:
    """Apply pending migrations on ``conn`` (inside its transaction)."""
    done = applied(conn)
    ran = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        fn(conn)
        conn.execute(
            text("INSERT INTO _migrations (name, applied_at) VALUES (:n, :t)"),
            {"n": name, "t": time.time()},
        )
        ran.append(name)
    return ran


SCHEMA_VERSION = len(MIGRATIONS)
