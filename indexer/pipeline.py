"""The indexing pipeline, as named stages that read top-down:

1. plan (``plan.py``): walk, compare with the catalog: what is new, changed,
   unchanged, missing, back;
2. prepare (``prepare.py``, in threads ahead of the model): read, sniff,
   hash, decode; one ``Outcome`` per file;
3. place: reuse known content (``reuse.py``: renames, duplicates), or queue
   the decoded items for the model;
4. embed (``EmbedQueue``): batches of pictures and texts through the model;
5. write (``writer.py``): batch commits that own the counters;
6. sweep (``sweep.py``): judge what went missing, per root.

Incremental as rclip is (mark and sweep): unchanged files (size, mtime) are
skipped; a known content hash is a rename or a duplicate, never embedded
again. A bad file is recorded with a reason and retried only once it changes.
"""
from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from mediasearch.store.catalog import CLAIM_HEARTBEAT, CLAIM_STALE_AFTER
from mediasearch.store.errors import StorageFullError

from .catchup import CatchUp
from .claims import Claims
from .copies import copies_of_new
from .extract import embed_items
from .library import Library
from .memory import return_large_blocks
from .plan import Job, Plan, Planner
from .prepare import Outcome, Prepared, Preparer
from .report import IndexReport, Progress
from .reuse import Reuse
from .roots import remember_mounts
from .speech import Transcriber
from .sweep import Sweeper
from .writer import BatchWriter

log = logging.getLogger(__name__)

# Meta key: FIFOs, sockets, links not followed in the last full run (shown by `status`).
SKIPPED_KEY = "skipped_special"
TAKE_OVER_POLL = 1.0  # seconds between looks at files another worker holds

__all__ = ["Indexer", "IndexReport", "Progress", "SKIPPED_KEY"]


class EmbedQueue:
    """Decoded files waiting for the model, embedded a batch at a time."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.files: list[Prepared] = []
        self.work = 0

    def add(self, p: Prepared) -> None:
        self.files.append(p)
        # Items still to embed (video frames arrive embedded); at least 1 per
        # file, so text-only files also fill a batch.
        self.work += max(1, sum(1 for it in p.extracted.items if it.vector is None))

    @property
    def full(self) -> bool:
        return self.work >= self.embedder.batch_size

    def flush(self, writer: BatchWriter) -> None:
        files, self.files, self.work = self.files, [], 0
        if not files:
            return
        segments = iter(embed_items(self.embedder, [it for p in files for it in p.extracted.items]))
        for p in files:
            writer.embedded(p, [next(segments) for _ in p.extracted.items])


class Indexer:
    def __init__(self, library: Library, progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, allow_mass_delete: bool = False,
                 phase: Callable[[str], None] | None = None):
        return_large_blocks()  # decode threads give big pictures' memory back
        self.lib = library
        self.settings = library.settings
        self.catalog = library.catalog
        self.embedder = library.embedder
        self.progress = progress or (lambda p: None)
        self.should_stop = should_stop or (lambda: False)
        self.allow_mass_delete = allow_mass_delete
        self.phase = phase or (lambda message: None)  # what the run is doing, for a person waiting
        self.claims = Claims(self.catalog)
        # Speech runs where the model does; asking an embedder without a
        # device (the fake one) must not import torch just to hear "cpu".
        self.transcriber = Transcriber(self.settings.whisper_model, getattr(self.embedder, "device", None) or "cpu")
        self.prepare = Preparer(self.settings, self.embedder, self.transcriber, self.catalog, self.claims)

    # -- the run ------------------------------------------------------------
    def run(self, paths: list[Path | str], roots: list[str] | None = None, save: bool = True) -> IndexReport:
        """Index ``paths``. With ``roots`` (the watcher), ``paths`` are changed
        places inside those roots. ``save=False`` leaves writing the vector
        index file to the caller (the daemon saves it periodically)."""
        t0 = time.monotonic()
        report = IndexReport(model=self.lib.model_id)
        self.phase("scanning " + ", ".join(str(p) for p in paths[:3]) + (" ..." if len(paths) > 3 else ""))
        plan = Planner(self.catalog, self.settings, report).run([Path(p) for p in paths], roots)
        whole = self._begin(plan, roots, report)
        if plan.jobs and roots is None:
            # The model loads before the first file, not inside the progress
            # bar (which would show a rate, then freeze for the whole load).
            self.phase(f"{len(plan.jobs)} files to read; loading the model...")
            report.model_seconds = round(self.lib.warm_up(), 2)
            report.model_loaded = True
            # for `status`: what ran the pictures, and where
            self.catalog.set_meta("runtime", self.embedder.runtime)
            self.catalog.set_meta("device", self.embedder.device_label)
            self.phase(f"model ready in {report.model_seconds:.1f}s")
        writer = BatchWriter(self.lib, report, self.claims, self.settings.commit_every)
        reuse = Reuse(self.catalog, plan.missing, roots)
        embed = EmbedQueue(self.embedder)
        self.claims.start_heartbeat()
        try:
            elsewhere = self._index_jobs(plan.jobs, reuse, writer, embed)
            self._take_over(elsewhere, reuse, writer, embed)
            if plan.jobs and not report.interrupted:
                self.progress(Progress(len(plan.jobs), len(plan.jobs)))
            if not report.interrupted:
                verdict = Sweeper(self.catalog, self.settings, self.allow_mass_delete).judge(
                    reuse.still_missing(plan.missing), roots or report.roots, hold=roots is not None)
                writer.carry_out(verdict, self.settings.mass_delete_window)
                CatchUp(self.lib, self.progress, self.should_stop, self.phase).run(report)
                report.near_copies = copies_of_new(self.catalog, writer.new_pictures, self.embedder.dim,
                                                   max_pixels=self.settings.max_image_pixels)
        except BaseException as failure:
            self._abort(failure, writer, save)  # (the decoder threads stopped first, in _index_jobs)
            raise
        self._finish(whole, report, save)
        report.seconds = round(time.monotonic() - t0, 3)
        return report

    def _index_jobs(self, jobs: list[Job], reuse: Reuse, writer: BatchWriter, embed: EmbedQueue) -> list[Job]:
        """One pass over ``jobs``, committed; returns those another worker held."""
        report, elsewhere = writer.report, []
        prepared = self._prepared(jobs, reuse.hashes)
        try:
            for done, p in enumerate(prepared, 1):
                if p.outcome is Outcome.ELSEWHERE:
                    elsewhere.append(p.job)
                self._place(p, writer, reuse, embed)
                if embed.full:
                    embed.flush(writer)
                if writer.due:
                    writer.commit()
                # Files still waiting for the model are not done: the bar's rate
                # is the rate files are actually indexed at.
                self.progress(Progress(done - len(embed.files), len(jobs), p.path))
                if self.should_stop():
                    report.interrupted = True
                    break
            embed.flush(writer)
            writer.commit()
        finally:
            prepared.close()  # the decoder threads stop before anything is given back
        return elsewhere

    def _take_over(self, jobs: list[Job], reuse: Reuse, writer: BatchWriter, embed: EmbedQueue) -> None:
        """Files another worker held when this one passed them: wait until that
        worker has committed them, or take them over once its claims are dead
        (its process gone from this host, or its heartbeat stopped). A worker
        killed at 40% left its claimed files unindexed until the next run."""
        deadline = time.monotonic() + CLAIM_STALE_AFTER + 2 * CLAIM_HEARTBEAT
        report = writer.report
        while jobs and not report.interrupted:
            jobs = [j for j in jobs if not self._done_by_another(j)]
            if not jobs or time.monotonic() > deadline:
                break
            if self._stop_wait(TAKE_OVER_POLL):
                report.interrupted = True
                break
            report.elsewhere -= len(jobs)  # counted again if still held
            jobs = self._index_jobs(jobs, reuse, writer, embed)

    def _done_by_another(self, job: Job) -> bool:
        now = self.catalog.known_files(job.file.path).get(job.file.path)
        return now is not None and now.size == job.file.size and now.mtime_ns == job.file.mtime_ns

    def _stop_wait(self, seconds: float) -> bool:
        """Wait, checking for a stop request; True when asked to stop."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.should_stop():
                return True
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))
        return self.should_stop()

    def _begin(self, plan: Plan, roots: list[str] | None, report: IndexReport) -> list[str]:
        """Before decoding: files back online, the model recorded, the index
        loaded; on a full run, disks remembered and old damage mended."""
        if plan.restore:
            self.catalog.bring_back(plan.restore)
            report.restored = len(plan.restore)
        self.lib.claim_identity()
        self.lib.vector_index()
        whole = plan.walked if roots is None else [w for w in plan.walked if w in roots]
        if whole:
            remember_mounts(self.catalog, whole)
            applied = self.catalog.drop_repeated_segments()
            if applied is not None:
                self.lib.follow(applied)
                report.repaired = len(applied.removed_ids)
        return whole

    def _prepared(self, jobs: list[Job], reusable: set[str]) -> Iterator[Prepared]:
        """Files prepared by the decoder threads, in order, a bounded window ahead."""
        s = self.settings
        window = max(8, s.decode_workers * 4, s.batch_size * 2)
        queue: deque[Future] = deque()
        todo = iter(jobs)
        pool = ThreadPoolExecutor(max(1, s.decode_workers), thread_name_prefix="decode")
        try:
            while True:
                while len(queue) < window and (job := next(todo, None)) is not None:
                    queue.append(pool.submit(self.prepare, job, reusable))
                if not queue:
                    return
                yield queue.popleft().result()
        finally:
            # Queued decodes are cancelled; the few running ones finish, so no
            # claim is taken after ours are given back.
            pool.shutdown(wait=True, cancel_futures=True)

    def _place(self, p: Prepared, w: BatchWriter, reuse: Reuse, embed: EmbedQueue) -> None:
        """What the run does with one prepared file."""
        r = w.report
        if p.outcome in (Outcome.CHANGED, Outcome.SKIPPED):
            self.claims.release([p.path])  # nothing of it will be committed
        if p.outcome is Outcome.CHANGED:
            r.changed_while_reading.append(p.path)
            return
        if p.outcome is Outcome.ELSEWHERE:
            r.elsewhere += 1
            return
        if p.outcome is Outcome.SKIPPED:
            r.skipped += 1
            if p.special:
                r.special.append({"path": p.path, "reason": p.special})
            return
        if p.outcome is Outcome.REUSE:
            reuse.place(p, w, self.prepare)  # decoded after all when the known copy vanished
        elif p.outcome is Outcome.EMBED and (w.fresh_copy(p) or w.committed_copy(p)):
            # a copy of a file embedded moments ago (in this batch, or committed since it was decoded)
            r.copied(p.path)
            return
        if p.outcome is Outcome.FAILED:
            w.failed(p)
        elif p.outcome is Outcome.EMBED:
            if p.job.known is None:
                r.new += 1
                r.did("added", p.path)
            else:
                r.updated += 1
                r.did("changed", p.path)
            embed.add(p)

    def _abort(self, failure: BaseException, writer: BatchWriter, save: bool) -> None:
        """Keep what is complete (an interrupted run resumes from here).
        Cleaning up must not hide the failure itself (a full disk fails the
        saves too)."""
        self.claims.stop_heartbeat()
        try:
            if not isinstance(failure, StorageFullError):
                writer.commit()
        except Exception as e:
            log.warning("could not commit the last batch: %s", e)
        try:
            self.claims.release(None)
            if save:
                self.lib.save_vector_index()
        except Exception as e:
            log.warning("could not save the vector index: %s", e)

    def _finish(self, whole: list[str], report: IndexReport, save: bool) -> None:
        self.claims.stop_heartbeat()
        self.claims.release(None)
        if whole:  # what was skipped as not a file, for `status`
            self.catalog.set_meta(SKIPPED_KEY, json.dumps({"count": len(report.special),
                                                           "examples": report.special[:20]}))
        if not self.lib.replan() and save:  # replan() saves what it rebuilds
            self.lib.save_vector_index()

    # -- the daemon's deferred deletions -------------------------------------
    def purge_held(self, roots: list[str], grace: float | None = None) -> IndexReport:
        """Judge what the daemon has held past the grace period (see sweep.py)."""
        report = IndexReport(model=self.lib.model_id)
        verdict = Sweeper(self.catalog, self.settings, self.allow_mass_delete).purge_held(
            roots, self.settings.delete_grace if grace is None else grace)
        if verdict.delete or verdict.offline:
            self.lib.vector_index()
            BatchWriter(self.lib, report, self.claims, 0).carry_out(verdict, self.settings.mass_delete_window)
        return report

