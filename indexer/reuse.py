"""Files whose content is already embedded: a rename (the same row, its id
and vectors follow the file), a touched or restored file (the same row, new
times), or a duplicate (vectors copied from another row). Nothing is
embedded again; only a file whose "known" content has vanished meanwhile
is decoded after all."""
from __future__ import annotations

import os

from mediasearch.store.catalog import KnownFile, Rename
from mediasearch.store.schema import STATUS_OFFLINE

from .prepare import Outcome, Prepared, Preparer
from .roots import absent_reason, remembered_mounts, root_of
from .writer import BatchWriter, record


class Reuse:
    def __init__(self, catalog, missing: dict[str, KnownFile], roots: list[str] | None = None):
        self.catalog = catalog
        # A file of a present root that went offline (a mass disappearance), or
        # whose row is still "ok" because its vanishing is not judged yet (the
        # arrival's batch came first), and that arrives elsewhere is a move too.
        self.roots = list(roots or []) + catalog.roots()
        self.mounts = remembered_mounts(catalog)
        self._vanished: dict[str, list[tuple[int, str]]] = {}
        # Missing files by content: a file with those bytes elsewhere is the same file moved.
        self.missing_by_hash: dict[str, list[KnownFile]] = {}
        for k in missing.values():
            if k.content_hash and k.usable:
                self.missing_by_hash.setdefault(k.content_hash, []).append(k)
        self.unclaimed = {k.id: p for p, k in missing.items()}  # missing files no move has taken
        self.moved: dict[str, int] = {}  # hash -> the row renamed this run

    @property
    def hashes(self) -> set[str]:
        return set(self.missing_by_hash)

    def still_missing(self, missing: dict[str, KnownFile]) -> dict[str, KnownFile]:
        return {p: k for p, k in missing.items() if k.id in self.unclaimed}

    def place(self, p: Prepared, w: BatchWriter, prepare: Preparer) -> None:
        """Record ``p`` as a rename, a touched file or a duplicate; if its
        content is nowhere after all, decode it (p.outcome says which)."""
        f, h, known, r = p.job.file, p.content_hash, p.job.known, w.report
        if known is not None and known.content_hash == h and known.usable:
            # Same bytes, new file times (touched, restored from a backup,
            # copied back after going offline): the same row and vectors.
            w.rename(Rename(known.id, f.path, p.job.root, f.size, f.mtime_ns, f.inode))
            if known.status == STATUS_OFFLINE:
                r.restored += 1
                r.did("back online", f.path)
            else:
                r.unchanged += 1
            return
        if known is None:
            gone, was = self._moved_from(h, w)
            if gone is not None:
                w.rename(Rename(gone, f.path, p.job.root, f.size, f.mtime_ns, f.inode))
                self.moved[h] = gone
                r.renamed += 1
                r.did("moved", f.path, was)
                return
        source = self.moved.get(h)
        if source is None:  # another file with these bytes (never this file's own row)
            rows = [row for row in self.catalog.ok_media_by_hash([h], first=2).get(h, [])
                    if known is None or row[0] != known.id]
            source = rows[0][0] if rows else None
        if source is not None:
            r.copied(f.path)
            w.upsert(record(p, [], copy_from=source))
        elif w.fresh_copy(p):
            r.copied(f.path)
        else:  # the known copy vanished meanwhile: embed this one
            prepare.extract(p)

    def _moved_from(self, h: str, w: BatchWriter) -> tuple[int | None, str | None]:
        """The row a file with content ``h`` was moved from: missing in this
        run, or held offline by an earlier batch (a move whose two sides fell
        into different watcher batches) and still absent from disk."""
        if self.missing_by_hash.get(h):
            gone = self.missing_by_hash[h].pop(0)
            return gone.id, self.unclaimed.pop(gone.id, None)
        taken = {r.media_id for r in w.batch.renames}
        for mid, path in self.catalog.offline_by_hash([h], held_only=True).get(h, []):
            if mid not in taken and not os.path.lexists(path):
                return mid, path
        for mid, path in self._vanished_rows(h):
            if mid not in taken:
                self._vanished[h].remove((mid, path))
                return mid, path
        return None, None

    def _vanished_rows(self, h: str) -> list[tuple[int, str]]:
        """Rows with content ``h`` (offline, or still "ok") whose file is gone
        from a root that is there: never a file of an unplugged disk. Looked
        up once per content in a run (a burst of 1,500 copies of one picture
        would otherwise check every copy against every other)."""
        if h not in self._vanished:
            rows = self.catalog.offline_by_hash([h]).get(h, []) + self.catalog.ok_media_by_hash([h]).get(h, [])
            self._vanished[h] = [(mid, path) for mid, path in rows
                                 if (root := root_of(path, self.roots)) is not None and not os.path.lexists(path)
                                 and absent_reason(root, self.mounts) is None]
        return self._vanished[h]


__all__ = ["Outcome", "Reuse"]
