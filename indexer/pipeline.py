"""The indexing pipeline: walk, compare with the catalog, decode in parallel,
embed in batches, commit in batches, sweep what is gone.

Incremental as rclip is (mark and sweep): unchanged files (size, mtime) are
skipped; a file whose content hash matches one that disappeared is a rename
(same row, same vectors); one whose hash matches a file still present is a
duplicate (vectors copied, nothing embedded). A bad file is recorded with a
reason and skipped, and retried only once it changes.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mediasearch.store.catalog import CLAIM_HEARTBEAT, Batch, KnownFile, MediaRecord, NewSegment, Rename, claim_owner
from mediasearch.store.errors import MediaDecodeError, PathError, StorageFullError
from mediasearch.store.schema import STATUS_ERROR, STATUS_OFFLINE, STATUS_OK

from .embedders.device import pick_device
from .extract import EXTRACTORS, Context, Extracted, keyframe_path
from .hashing import content_hash
from .library import Library
from .media.detect import kind_from_extension, sniff
from .memory import return_large_blocks
from .plan import Job, Planner
from .roots import remember_mounts
from .safe_open import NotARegularFile, open_regular
from .speech import Transcriber
from .sweep import HELD, MISSING, Sweeper

log = logging.getLogger(__name__)

# Meta key: FIFOs, sockets, links not followed in the last full run (shown by `status`).
SKIPPED_KEY = "skipped_special"


@dataclass
class Progress:
    done: int
    total: int
    path: str | None = None


@dataclass
class IndexReport:
    roots: list[str] = field(default_factory=list)
    model: str = ""
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    renamed: int = 0
    duplicates: int = 0
    removed: int = 0
    failed: int = 0
    skipped: int = 0
    offline: int = 0
    held: int = 0  # the daemon's: missing, deleted after the grace period unless they return
    restored: int = 0
    elsewhere: int = 0  # handled by another indexer sharing the catalog
    interrupted: bool = False
    segments_added: int = 0
    seconds: float = 0.0
    errors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed_while_reading: list[str] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)
    # FIFOs, sockets, devices, links not followed: {"path", "reason"}
    special: list[dict] = field(default_factory=list)
    repaired: int = 0  # repeated segments dropped (left by an older version)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Prepared:
    job: Job
    kind: str | None = None
    content_hash: str | None = None
    extracted: Extracted | None = None
    error: str | None = None
    skip: bool = False          # not a media file (or a kind not indexed)
    reusable: bool = False      # the hash is known: rename or duplicate
    changed: bool = False       # changed while being read: next run
    elsewhere: bool = False     # claimed or done by another worker
    special: str | None = None  # not a regular file (any more): why


def _pending_work(ex: Extracted) -> int:
    """Items still to embed (video frames arrive embedded); at least 1 per file
    so text-only files also fill a batch."""
    return max(1, sum(1 for it in ex.items if it.vector is None))


class Indexer:
    def __init__(self, library: Library, progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, allow_mass_delete: bool = False):
        return_large_blocks()  # decode threads give big pictures' memory back
        self.lib = library
        self.settings = library.settings
        self.catalog = library.catalog
        self.embedder = library.embedder
        self.progress = progress or (lambda p: None)
        self.should_stop = should_stop or (lambda: False)
        self.allow_mass_delete = allow_mass_delete
        # Several indexers may share a PostgreSQL catalog: each file is claimed
        # first. (A SQLite catalog has one writer per data dir: no claims.)
        self.use_claims = not self.catalog.sqlite
        self.owner = claim_owner(uuid.uuid4().hex[:8])
        self._claimed: list[str] = []
        self._claim_lock = threading.Lock()
        self.transcriber = Transcriber(self.settings.whisper_model,
                                       getattr(self.embedder, "device", None) or pick_device("cpu"))

    def _context(self, content_hash: str | None) -> Context:
        kf = (keyframe_path(self.settings.home, content_hash, 0).parent if content_hash else None)
        return Context(self.settings, self.embedder, self.transcriber, kf)

    # -- the decoder threads ----------------------------------------------
    def _prepare(self, job: Job, reusable_hashes: set[str]) -> _Prepared:
        f = job.file
        out = _Prepared(job)
        if self.use_claims:
            if not self.catalog.claim(f.path, self.owner):
                out.skip = out.elsewhere = True  # another worker has it
                return out
            with self._claim_lock:
                self._claimed.append(f.path)
            now = self.catalog.known_files(f.path).get(f.path)
            if now is not None and now.size == f.size and now.mtime_ns == f.mtime_ns:
                out.skip = out.elsewhere = True  # another worker did it meanwhile
                return out
        try:
            with open_regular(f.path) as fh:
                head = fh.read(64)
        except NotARegularFile as e:
            out.skip = True  # became a FIFO or socket after the walk: never read
            out.special = str(e)
            return out
        except OSError as e:
            out.kind = kind_from_extension(f.path)
            if out.kind is None:
                out.skip = True
            else:
                out.error = f"cannot read file: {e.strerror or e}"
            return out
        kind, _fmt = sniff(head)
        ext_kind = kind_from_extension(f.path)
        if kind is None:
            if ext_kind is None:
                out.skip = True
            else:
                out.kind = ext_kind
                out.error = ("empty file (0 bytes)" if f.size == 0 else
                             f"not a recognised {ext_kind} format (the content does not match "
                             f"its {Path(f.path).suffix} extension, or the file is corrupt)")
            return out
        out.kind = kind
        if kind not in EXTRACTORS:
            out.skip = True
            return out
        try:
            out.content_hash = content_hash(f.path, f.size)
            k = job.known
            if (out.content_hash in reusable_hashes or (k and k.content_hash == out.content_hash and k.usable)
                    or self.catalog.ok_media_by_hash([out.content_hash])
                    or self.catalog.offline_by_hash([out.content_hash], held_only=True)):
                out.reusable = True
                return out
            out.extracted = EXTRACTORS[kind](Path(f.path), head, self._context(out.content_hash))
        except MediaDecodeError as e:
            out.error = str(e)
        except OSError as e:
            out.error = f"cannot read file: {e.strerror or e}"
        try:
            st = os.stat(f.path)
            if st.st_size != f.size or st.st_mtime_ns != f.mtime_ns:
                out.changed = True
        except OSError:
            out.changed = True
        return out

    # -- the run ------------------------------------------------------------
    def run(self, paths: list[Path | str], roots: list[str] | None = None, save: bool = True) -> IndexReport:
        """Index ``paths``. With ``roots`` (the watcher), ``paths`` are changed
        places inside those roots. ``save=False`` leaves writing the vector
        index file to the caller (the daemon saves it periodically)."""
        t0 = time.monotonic()
        report = IndexReport(model=self.lib.model_id)
        plan = Planner(self.catalog, self.settings, report).run([Path(p) for p in paths], roots)
        jobs, missing, restore = plan.jobs, plan.missing, plan.restore
        if restore:
            self.catalog.bring_back(restore)
            report.restored = len(restore)
        self.lib.claim_identity()
        self.lib.vector_index()
        whole = plan.walked if roots is None else [w for w in plan.walked if w in roots]
        if whole:  # a full run or a reconciliation: remember disks, mend old damage
            remember_mounts(self.catalog, whole)
            self._repair(report)

        missing_by_hash: dict[str, list[KnownFile]] = {}
        for path, k in missing.items():
            if k.content_hash and k.usable:
                missing_by_hash.setdefault(k.content_hash, []).append(k)
        missing_path = {k.id: p for p, k in missing.items()}
        # hash -> media id now holding those vectors (renamed this run)
        moved: dict[str, int] = {}
        # hash -> segments embedded earlier in this run (duplicates within a run)
        fresh: dict[str, tuple[str, list[NewSegment]]] = {}  # with the kind decoding found
        reusable = set(missing_by_hash)

        batch = Batch()
        pending_files = 0
        to_embed: list[_Prepared] = []
        to_embed_images = 0

        def commit() -> None:
            nonlocal batch, pending_files
            done_paths = [r.path for r in batch.upserts] + [r.path for r in batch.renames]
            if batch:
                applied = self.catalog.apply(batch)
                self._follow(applied)
                report.segments_added += len(applied.added_ids)
            batch = Batch()
            pending_files = 0
            # Committed files are found by hash in the catalog from now on:
            # keeping their vectors here too would grow memory with the run.
            fresh.clear()
            self._release(done_paths)

        def embed_pending() -> None:
            nonlocal to_embed, to_embed_images, pending_files
            if not to_embed:
                return
            items = [it for p in to_embed for it in p.extracted.items]
            images = [it.image for it in items if it.vector is None and it.image is not None]
            texts = [it.text for it in items if it.vector is None and it.image is None]
            ivecs = iter(self.embedder.embed_prepared(images)) if images else iter(())
            tvecs = iter(self.embedder.embed_texts(texts) * self.embedder.text_segment_scale
                         ) if texts else iter(())

            def vector(it):
                if it.vector is not None:
                    return it.vector
                return next(ivecs) if it.image is not None else next(tvecs)

            for p in to_embed:
                segs = [NewSegment(vector(it), it.source, it.t_start, it.t_end, it.text)
                        for it in p.extracted.items]
                if p.extracted.note:
                    report.notes.append({"path": p.job.file.path, "note": p.extracted.note})
                fresh.setdefault(p.content_hash, (p.extracted.kind, segs))
                batch.upserts.append(self._record(p, segs))
                pending_files += 1
            to_embed, to_embed_images = [], 0

        total = len(jobs)
        done = 0
        window = max(8, self.settings.decode_workers * 4, self.settings.batch_size * 2)
        pool = ThreadPoolExecutor(max(1, self.settings.decode_workers), thread_name_prefix="decode")
        queue: deque[Future] = deque()
        it = iter(jobs)
        heartbeat = self._heartbeat()
        try:
            while True:
                while len(queue) < window:
                    job = next(it, None)
                    if job is None:
                        break
                    queue.append(pool.submit(self._prepare, job, reusable))
                if not queue:
                    break
                p = queue.popleft().result()
                job = p.job
                done += 1
                if (p.changed or p.skip) and not p.elsewhere:
                    self._release([job.file.path])  # nothing of it will be committed
                if p.changed:
                    report.changed_while_reading.append(job.file.path)
                elif p.elsewhere:
                    report.elsewhere += 1
                elif p.skip:
                    report.skipped += 1
                    if p.special:
                        report.special.append({"path": job.file.path, "reason": p.special})
                elif p.error:
                    report.failed += 1
                    report.errors.append({"path": job.file.path, "reason": p.error})
                    batch.upserts.append(self._record(p, []))
                    pending_files += 1
                elif p.reusable:
                    self._reuse(p, batch, missing_by_hash, missing_path, moved, fresh, report)
                    pending_files += 1
                    if p.extracted is not None:  # nothing to reuse after all: embed it
                        to_embed.append(p)
                        to_embed_images += _pending_work(p.extracted)
                elif p.content_hash in fresh:  # a copy of a file embedded moments ago
                    report.duplicates += 1
                    batch.upserts.append(self._fresh_copy(p, fresh))
                    pending_files += 1
                else:
                    if job.known is None:
                        report.new += 1
                    else:
                        report.updated += 1
                    to_embed.append(p)
                    to_embed_images += _pending_work(p.extracted)
                if to_embed_images >= self.embedder.batch_size:
                    embed_pending()
                if pending_files >= self.settings.commit_every:
                    commit()
                self.progress(Progress(done, total, job.file.path))
                if self.should_stop():
                    report.interrupted = True
                    break
            embed_pending()
            commit()
            if not report.interrupted:
                # Sweep: whatever disappeared and was not found again is removed
                # (or marked offline when a whole root seems to have gone).
                unclaimed = {p: k for p, k in missing.items() if k.id in missing_path}
                verdict = Sweeper(self.catalog, self.settings, self.allow_mass_delete).judge(
                    unclaimed, roots or report.roots, hold=roots is not None)
                self._carry_out(verdict, report, commit, batch)
        except BaseException as failure:
            # Keep what is complete (an interrupted run resumes from here).
            # Queued decodes are cancelled; the few running ones finish, so no
            # claim is taken after ours are given back. Cleaning up must not
            # hide the failure itself (a full disk fails the saves too).
            pool.shutdown(wait=True, cancel_futures=True)
            heartbeat.set()
            try:
                if not isinstance(failure, StorageFullError):
                    commit()
            except Exception as e:
                log.warning("could not commit the last batch: %s", e)
            try:
                self._release(None)
                if save:
                    self.lib.save_vector_index()
            except Exception as e:
                log.warning("could not save the vector index: %s", e)
            raise
        pool.shutdown(wait=True, cancel_futures=True)
        heartbeat.set()
        self._release(None)
        if whole:  # what was skipped as not a file, for `status`
            self.catalog.set_meta(SKIPPED_KEY, json.dumps({"count": len(report.special),
                                                           "examples": report.special[:20]}))
        if not self.lib.replan() and save:  # replan() saves what it rebuilds
            self.lib.save_vector_index()
        report.seconds = round(time.monotonic() - t0, 3)
        return report

    def _carry_out(self, verdict, report: IndexReport, commit, batch: Batch) -> None:
        """Apply a sweep verdict: offline, held, deleted (in bounded commits)."""
        if verdict.offline:
            self.catalog.take_offline(verdict.offline, MISSING)
        if verdict.held:
            self.catalog.take_offline(verdict.held, HELD, held=True)
        report.offline += len(verdict.offline)
        report.held += len(verdict.held)
        report.removed += len(verdict.delete)
        report.warnings += verdict.warnings
        for start in range(0, len(verdict.delete), 1000):
            batch.deletes = verdict.delete[start:start + 1000]
            commit()
        self.catalog.record_deletions(verdict.deleted_per_root, self.settings.mass_delete_window)

    def purge_held(self, roots: list[str], grace: float | None = None) -> IndexReport:
        """The daemon's deferred deletions: judge what it has held past the
        grace period (see sweep.py)."""
        report = IndexReport(model=self.lib.model_id)
        verdict = Sweeper(self.catalog, self.settings, self.allow_mass_delete).purge_held(
            roots, self.settings.delete_grace if grace is None else grace)
        if verdict.delete or verdict.offline:
            batch = Batch()

            def commit() -> None:
                self._follow(self.catalog.apply(batch))
                batch.deletes = []

            self.lib.vector_index()
            self._carry_out(verdict, report, commit, batch)
        return report

    def _follow(self, applied) -> None:
        """Bring the in-memory vector index to a committed generation."""
        if not self.lib.vector_index().apply(applied):  # another writer committed in between
            self.lib.vector_index(refresh=True)

    def _repair(self, report: IndexReport) -> None:
        """Drop repeated segments an older version stored (one set per file)."""
        applied = self.catalog.drop_repeated_segments()
        if applied is not None:
            self._follow(applied)
            report.repaired = len(applied.removed_ids)

    def _heartbeat(self) -> threading.Event:
        """Keep this worker's claims fresh while it runs (a long video holds
        its claim for minutes); set the returned event to stop."""
        stop = threading.Event()
        if not self.use_claims:
            return stop

        def beat() -> None:
            while not stop.wait(CLAIM_HEARTBEAT):
                try:
                    self.catalog.touch_claims(self.owner)
                except Exception as e:  # a lost connection: the next beat retries
                    log.warning("claim heartbeat failed: %s", e)

        threading.Thread(target=beat, name="claim-heartbeat", daemon=True).start()
        return stop

    def _release(self, paths: list[str] | None) -> None:
        """Give back the claims of files now committed (``None``: all of them,
        on the way out). A file mid-embedding keeps its claim until committed."""
        if not self.use_claims:
            return
        with self._claim_lock:
            if paths is None:
                paths, self._claimed = self._claimed, []
            else:
                gone = set(paths)
                self._claimed = [p for p in self._claimed if p not in gone]
        self.catalog.release(list(paths), self.owner)

    def _reuse(self, p: _Prepared, batch: Batch, missing_by_hash, missing_path, moved, fresh,
               report: IndexReport) -> None:
        """A file whose content is already embedded: a rename or a duplicate."""
        f, h = p.job.file, p.content_hash
        known = p.job.known
        if known is not None and known.content_hash == h and known.usable:
            # Same bytes, new file times (touched, restored from a backup,
            # copied back after going offline): keep the row and its vectors,
            # record the new size/mtime/inode.
            batch.renames.append(Rename(known.id, f.path, p.job.root, f.size, f.mtime_ns, f.inode))
            if known.status == STATUS_OFFLINE:
                report.restored += 1
            else:
                report.unchanged += 1
            return
        if known is None:
            gone = self._moved_from(h, missing_by_hash, missing_path, batch)
            if gone is not None:
                batch.renames.append(Rename(gone, f.path, p.job.root, f.size, f.mtime_ns, f.inode))
                moved[h] = gone
                report.renamed += 1
                return
        source = moved.get(h)
        if source is None:  # another file with these bytes (never this file's own row)
            rows = [r for r in self.catalog.ok_media_by_hash([h]).get(h, [])
                    if known is None or r[0] != known.id]
            source = rows[0][0] if rows else None
        report.duplicates += 1
        if source is not None:
            batch.upserts.append(self._record(p, [], copy_from=source))
        elif h in fresh:
            batch.upserts.append(self._fresh_copy(p, fresh))
        else:
            report.duplicates -= 1
            report.new += p.job.known is None
            report.updated += p.job.known is not None
            try:
                p.extracted = EXTRACTORS[p.kind](Path(f.path), b"", self._context(h))
            except MediaDecodeError as e:
                p.error = str(e)
                report.failed += 1
                report.errors.append({"path": f.path, "reason": p.error})
                batch.upserts.append(self._record(p, []))

    def _moved_from(self, h: str, missing_by_hash, missing_path, batch: Batch) -> int | None:
        """The row a file with content ``h`` was moved from: missing in this
        run, or held offline by an earlier batch (a move whose two sides fell
        into different watcher batches) and still absent from disk."""
        if missing_by_hash.get(h):
            gone = missing_by_hash[h].pop(0)
            missing_path.pop(gone.id, None)
            return gone.id
        taken = {r.media_id for r in batch.renames}
        for mid, path in self.catalog.offline_by_hash([h], held_only=True).get(h, []):
            if mid not in taken and not os.path.lexists(path):
                return mid
        return None

    def _fresh_copy(self, p: _Prepared, fresh: dict[str, tuple[str, list[NewSegment]]]) -> MediaRecord:
        """A copy of a file embedded earlier in this run: its kind and vectors."""
        p.kind, segs = fresh[p.content_hash]
        return self._record(p, segs)

    def _record(self, p: _Prepared, segments: list[NewSegment], copy_from: int | None = None) -> MediaRecord:
        f = p.job.file
        ex = p.extracted
        return MediaRecord(
            path=f.path, root=p.job.root, size=f.size, mtime_ns=f.mtime_ns, inode=f.inode,
            # What decoding found wins over the sniffed kind (an MP4 of sound
            # with cover art is audio).
            kind=ex.kind if ex else p.kind, content_hash=p.content_hash,
            status=STATUS_ERROR if p.error else "ok", reason=p.error,
            width=ex.width if ex else None, height=ex.height if ex else None,
            duration=ex.duration if ex else None, taken_at=ex.taken_at if ex else None,
            segments=segments, copy_segments_from=copy_from,
        )
