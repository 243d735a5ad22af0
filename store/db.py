"""Engine creation for the catalog: SQLite in WAL mode with a busy timeout and
foreign keys, and real transactions (BEGIN / BEGIN IMMEDIATE) so readers see a
consistent snapshot while a writer works."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

BUSY_TIMEOUT_MS = 30_000


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

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - trivial wiring
        # Writers take the write lock up front: a deferred transaction that
        # upgrades later can fail with SQLITE_BUSY without waiting.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
