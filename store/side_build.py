"""``index --rebuild`` beside the index people search, swapped in when done.

Forgetting every vector at the start left a data dir that answered nothing
until the re-embedding finished, and nothing at all when it was killed. The
rebuild now writes a copy of the catalog (``catalog.rebuild.sqlite``: every
table copied, then the files and vectors forgotten, as before) and its own
vector file; searches keep using the old index meanwhile. When the run ends
the copy is written into the catalog with SQLite's backup API (one write
transaction: a reader sees the old catalog or the new one, never half) and
the vector file renamed over the old one. A run killed before that leaves
the old index whole, and the next ``--rebuild`` starts its copy afresh.

What changes in the old catalog during a rebuild (a mark given on the page
meanwhile) is not carried into the new one. A PostgreSQL catalog is shared
by several workers: it is still cleared in place.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SideBuild:
    catalog: Path       # the copy being rebuilt
    vectors: Path       # its vector file
    main_catalog: Path
    main_vectors: Path

    @classmethod
    def beside(cls, main_catalog: Path, main_vectors: Path) -> SideBuild:
        side = cls(main_catalog.with_name("catalog.rebuild.sqlite"), main_vectors.with_name("vectors.rebuild.faiss"),
                   main_catalog, main_vectors)
        side.discard()  # a copy left by a killed rebuild
        if main_catalog.exists():
            try:
                with _connect(main_catalog) as src:
                    src.execute("VACUUM INTO ?", (str(side.catalog),))
            except (sqlite3.Error, OSError) as e:
                side.discard()
                raise side._failed("copy the catalog to rebuild beside it", e) from e
        return side

    def swap_in(self) -> None:
        """The rebuilt catalog and vectors become the data dir's."""
        try:
            with _connect(self.catalog) as src, _connect(self.main_catalog) as dst:
                src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                src.backup(dst)  # one transaction on the destination: readers see old or new
            if self.vectors.exists():
                os.replace(self.vectors, self.main_vectors)
        except (sqlite3.Error, OSError) as e:
            self.discard()
            raise self._failed("write the rebuilt index into the catalog", e) from e
        self.discard()

    def _failed(self, what: str, e: BaseException) -> Exception:
        from .catalog.base import is_disk_full
        from .errors import IndexCorruptError, StorageFullError

        size = self.main_catalog.stat().st_size if self.main_catalog.exists() else 0
        # SQLite says "disk I/O error" when a copy runs out of room on some filesystems.
        short = shutil.disk_usage(self.main_catalog.parent).free < size + (1 << 20)
        if short or is_disk_full(e) or (isinstance(e, sqlite3.OperationalError) and "full" in str(e)):
            return StorageFullError(f"no room to {what}: a rebuild needs about {size / 1e6:.1f} MB more beside "
                                    f"the catalog in {self.main_catalog.parent}; the index is as it was")
        return IndexCorruptError(f"could not {what} ({e}); the index is as it was")

    def discard(self) -> None:
        for path in (self.catalog, *_sidecars(self.catalog), self.vectors):
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def _sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


class _connect:
    """A plain sqlite3 connection, closed on exit (sqlite3's own context
    manager only commits)."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(str(path), timeout=60)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.close()
