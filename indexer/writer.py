"""The writing stage: records gathered into batches, each committed in one
transaction, the in-memory vector index brought to the new generation, the
claims of committed files given back. It owns the counters of what was
written, so no other stage corrects them afterwards."""
from __future__ import annotations

from mediasearch.store.catalog import Batch, MediaRecord, NewSegment, Rename
from mediasearch.store.schema import STATUS_ERROR, STATUS_OK

from .claims import Claims
from .prepare import Prepared
from .report import IndexReport
from .sweep import HELD, MISSING, Verdict

DELETE_CHUNK = 1000  # deletions per transaction: a huge sweep never holds the lock for long


def record(p: Prepared, segments: list[NewSegment], copy_from: int | None = None) -> MediaRecord:
    """The catalog row for a prepared file (failures included, with their reason)."""
    f, ex = p.job.file, p.extracted
    return MediaRecord(
        path=f.path, root=p.job.root, size=f.size, mtime_ns=f.mtime_ns, inode=f.inode,
        # What decoding found wins over the sniffed kind (an MP4 of sound
        # with cover art is audio).
        kind=ex.kind if ex else p.kind, content_hash=p.content_hash,
        # An indexed file that lost a part (speech not transcribed) keeps the
        # reason beside status ok: `status` lists it, the next change retries.
        status=STATUS_ERROR if p.error else STATUS_OK, reason=p.error or (ex.note if ex else None),
        width=ex.width if ex else None, height=ex.height if ex else None,
        duration=ex.duration if ex else None, taken_at=ex.taken_at if ex else None,
        position=ex.position if ex else None,
        signature=ex.signature if ex else None, ocr=ex.ocr if ex else None,
        sounds=ex.sounds if ex else None,
        segments=segments, copy_segments_from=copy_from,
    )


class BatchWriter:
    def __init__(self, lib, report: IndexReport, claims: Claims, commit_every: int):
        self.lib = lib
        self.catalog = lib.catalog
        self.report = report
        self.claims = claims
        self.commit_every = commit_every
        self.batch = Batch()
        self.files = 0
        # hash -> (kind, segments) embedded since the last commit: a copy
        # arriving moments later takes them (after a commit the catalog has them).
        self.fresh: dict[str, tuple[str, list[NewSegment]]] = {}
        self.new_pictures: set[str] = set()  # pictures embedded this run
        # Contents committed this run (hashes only): a copy decoded before its
        # twin was committed looks them up; other new files cost no query.
        self.committed: set[str] = set()

    # -- gathering ------------------------------------------------------
    def upsert(self, rec: MediaRecord) -> None:
        self.batch.upserts.append(rec)
        self.files += 1

    def rename(self, r: Rename) -> None:
        self.batch.renames.append(r)
        self.files += 1

    def failed(self, p: Prepared) -> None:
        self.report.failure(p.path, p.error)
        self.upsert(record(p, []))

    def embedded(self, p: Prepared, segments: list[NewSegment]) -> None:
        if p.extracted.note:
            self.report.notes.append({"path": p.path, "note": p.extracted.note})
        self.fresh.setdefault(p.content_hash, (p.extracted.kind, segments))
        if p.extracted.kind == "image" and p.extracted.signature:
            self.new_pictures.add(p.path)  # checked for near-copies once committed
        self.upsert(record(p, segments))

    def fresh_copy(self, p: Prepared) -> bool:
        """A copy of a file embedded moments ago: its kind and vectors. False if none."""
        if p.content_hash not in self.fresh:
            return False
        p.kind, segs = self.fresh[p.content_hash]
        self.upsert(record(p, segs))
        return True

    def committed_copy(self, p: Prepared) -> bool:
        """A copy of a file committed since ``p`` was decoded (its decoder saw
        no such content yet): take the stored vectors. False if none."""
        if p.content_hash not in self.committed:
            return False
        known = p.job.known
        rows = [r for r in self.catalog.ok_media_by_hash([p.content_hash], first=2).get(p.content_hash, [])
                if known is None or r[0] != known.id]
        if not rows:
            return False
        self.upsert(record(p, [], copy_from=rows[0][0]))
        return True

    @property
    def due(self) -> bool:
        return self.files >= self.commit_every

    # -- committing -----------------------------------------------------
    def commit(self) -> None:
        batch, self.batch, self.files = self.batch, Batch(), 0
        done = [r.path for r in batch.upserts] + [r.path for r in batch.renames]
        if batch:
            applied = self.catalog.apply(batch)
            self.lib.follow(applied)
            self.report.segments_added += len(applied.added_ids)
            self.committed.update(r.content_hash for r in batch.upserts if r.content_hash)
        self.fresh.clear()  # committed files are found by hash in the catalog now
        self.claims.release(done)

    def carry_out(self, verdict: Verdict, window: float) -> None:
        """Apply a sweep verdict: offline, held, deleted (in bounded commits)."""
        r = self.report
        if verdict.offline:
            self.catalog.take_offline(verdict.offline, MISSING)
        if verdict.held:
            self.catalog.take_offline(verdict.held, HELD, held=True)
        r.offline += len(verdict.offline)
        r.held += len(verdict.held)
        r.removed += len(verdict.delete)
        for what, ids in (("offline", verdict.offline), ("held offline", verdict.held), ("removed", verdict.delete)):
            for mid in ids:
                r.did(what, verdict.paths.get(mid, f"#{mid}"))
        r.warnings += verdict.warnings
        for start in range(0, len(verdict.delete), DELETE_CHUNK):
            self.batch.deletes = verdict.delete[start:start + DELETE_CHUNK]
            self.commit()
        self.catalog.record_deletions(verdict.deleted_per_root, window)
