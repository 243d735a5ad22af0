"""The folder daemon: keep the index in step with folders as they change.

Events only say *where* something changed; the pipeline decides what changed
(new, modified, renamed by content hash, deleted), so every kind of event -
create, modify, delete, move, directory rename, atomic save, a move into or
out of a root - goes through the same, tested path. A path is processed once
it has settled (no events for ``settle`` seconds and the same size and mtime
across one more check), so a slow copy is indexed once, complete.

A reconciliation scan runs at start, periodically (with jitter) and at once
when the OS reports lost events (inotify queue overflow), so nothing missed
while the daemon was down or during a burst stays missed.
"""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from mediasearch.store.errors import MediaSearchError, PathError, StorageFullError
from mediasearch.store.files import write_atomically

from .library import Library
from .pipeline import Indexer
from .report import IndexReport
from .roots import NETWORK_FS, filesystem_type, mounts_below, root_identity, root_of, stat_by_link_rule
from .walk import ignored_below

log = logging.getLogger(__name__)

# After a full disk, wait this long before trying the same files again.
FULL_DISK_RETRY = 60.0
@dataclass
class WatchState:
    roots: list[str]
    mode: str = "starting"
    mode_reason: str | None = None
    queue: int = 0
    last_reconcile: float | None = None
    next_reconcile: float | None = None
    reconciles: int = 0
    batches: int = 0
    last_batch: dict | None = None
    errors: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    pid: int = field(default_factory=os.getpid)


class _Overflow(logging.Handler):
    """watchdog reports inotify queue overflow only in its log: listen there."""

    def __init__(self, callback):
        super().__init__(logging.WARNING)
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.callback()


class Watcher:
    def __init__(self, library: Library, roots: list[Path | str], settle: float = 2.0,
                 reconcile_every: float = 3600.0, force_polling: bool = False,
                 poll_interval: float = 1.0, save_every: float = 30.0, delete_grace: float | None = None):
        self.lib = library
        self.settings = library.settings
        resolved = []
        for r in roots:
            p = Path(r).expanduser()
            if not p.is_dir():
                raise PathError(f"{p} is not a folder")
            resolved.append(str(p.resolve()))
        self.roots = resolved
        self.settle = settle
        self.reconcile_every = reconcile_every
        self.force_polling = force_polling
        self.poll_interval = poll_interval
        self.save_every = save_every
        # Files seen to vanish are held this long before they are judged
        # and deleted (see sweep.py); checked a few times per grace period.
        self.delete_grace = library.settings.delete_grace if delete_grace is None else delete_grace
        self._next_purge = 0.0
        # Each root's identity (device, inode, mounted): a root renamed away,
        # unmounted or remounted is noticed within a second, not at the hourly
        # reconciliation (inotify watches die with the folder they watch).
        self._root_ids = {r: root_identity(r) for r in self.roots}
        self._disks = self._disk_state()  # disks mounted inside the roots: unmounted, they are offline
        self.state = WatchState(list(self.roots))
        self._pending: dict[str, tuple[float, tuple | None]] = {}
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._reconcile_now = threading.Event()
        self._observer = None
        self._thread: threading.Thread | None = None
        self._overflow = _Overflow(self.request_reconcile)
        self._dirty_index = False
        self._last_save = time.monotonic()
        self._hold_until = 0.0
        #: set after each processed batch / reconciliation (tests wait on it)
        self.processed = threading.Event()
        #: called with each batch's report (the CLI prints what happened to each file)
        self.on_report: Callable[[IndexReport], None] | None = None

    # -- events -----------------------------------------------------------
    def _ignored(self, path: str) -> bool:
        # Outside every root (a move out: the source side is what counts) is ignored too.
        root = root_of(path, self.roots)
        return root is None or ignored_below(path, root, self.settings.ignore)

    def touch(self, path: str) -> None:
        if self._ignored(path):
            return
        with self._lock:
            self._pending[path] = (time.monotonic(), None)
            self.state.queue = len(self._pending)
            self._lock.notify()

    def request_reconcile(self) -> None:
        self._reconcile_now.set()
        with self._lock:
            self._lock.notify()

    def _handler(self):
        from watchdog.events import FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in ("opened", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return  # a folder's mtime changes with every file event: noise
                watcher.touch(os.fsdecode(event.src_path))
                dest = getattr(event, "dest_path", None)
                if dest:
                    watcher.touch(os.fsdecode(dest))

        return Handler()

    def _start_observer(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserverVFS

        reason = None
        if self.force_polling:
            reason = "polling was asked for"
        else:
            for r in self.roots:
                fs = filesystem_type(r)
                if fs in NETWORK_FS:
                    reason = f"{r} is on a network file system ({fs}) where change events are unreliable"
        if reason is None:
            # watchdog re-watches a folder moved inside the tree under the same
            # callback id and warns on stderr; the new watch is the right one.
            warnings.filterwarnings("ignore", message=r"Callback with id .* already exists", category=RuntimeWarning)
            try:
                obs = Observer()
                for r in self._present_roots():
                    obs.schedule(self._handler(), r, recursive=True)
                obs.start()
                self._observer = obs
                self.state.mode = "native"
                logging.getLogger("watchdog.observers.inotify_c").addHandler(self._overflow)
                logging.getLogger("watchdog.observers.inotify").addHandler(self._overflow)
                return
            except OSError as e:  # inotify watch/instance limits (ENOSPC, EMFILE)
                reason = f"native events failed ({e.strerror or e}); raise fs.inotify.max_user_watches to use them"
                try:
                    obs.stop()
                except Exception:
                    pass
        # Snapshots by lstat: watchdog's own stat follows links, so a link loop
        # (`ln -s . loop`) was walked for ever, growing without bound.
        obs = PollingObserverVFS(self._poll_stat, os.scandir, polling_interval=self.poll_interval)
        for r in self._present_roots():
            obs.schedule(self._handler(), r, recursive=True)
        obs.start()
        self._observer = obs
        self.state.mode = "polling"
        self.state.mode_reason = reason
        log.warning("watching by polling: %s", reason)

    def _poll_stat(self, path: str) -> os.stat_result:
        return stat_by_link_rule(path, self.roots, self.settings.follow_symlinks)

    def _present_roots(self) -> list[str]:
        return [r for r in self.roots if os.path.isdir(r)]

    def _check_roots(self) -> None:
        """A root that vanished, came back or was (un)mounted: watch it anew
        and reconcile at once."""
        changed = [r for r in self.roots if root_identity(r) != self._root_ids[r]]
        disks = self._disk_state()
        if disks != self._disks:
            changed += sorted(disks ^ self._disks)
            self._disks = disks
        if not changed:
            return
        for r in changed:
            if r in self._root_ids:
                self._root_ids[r] = root_identity(r)
        log.warning("watched folder changed identity (moved, unmounted or remounted): %s", ", ".join(changed))
        self._rearm()
        self.request_reconcile()

    def _disk_state(self) -> frozenset[str]:
        return frozenset(m for r in self.roots for m in mounts_below(r))

    def _rearm(self) -> None:
        if self._stop.is_set():
            return
        old, self._observer = self._observer, None
        if old is not None:
            try:
                old.stop()
                old.join(5)
            except Exception as e:  # a watch on a vanished folder may fail to stop cleanly
                log.debug("stopping the old observer: %s", e)
        self._start_observer()

    def _purge(self) -> None:
        """Judge files held past the grace period (deleted, or kept offline
        when their root is disappearing as a whole)."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + max(0.2, min(30.0, self.delete_grace / 2))
        try:
            report = Indexer(self.lib).purge_held(self.roots, self.delete_grace)
        except MediaSearchError as e:
            self._error(f"purging missing files: {e}")
            return
        for w in report.warnings:
            self._error(w)
        self._tell(report)
        if report.removed or report.offline:
            self._dirty_index = True
            self.processed.set()

    # -- the worker -------------------------------------------------------
    def _ready(self) -> list[str]:
        """Paths quiet for ``settle`` seconds whose size and mtime held still."""
        now = time.monotonic()
        ready = []
        if now < self._hold_until:  # the disk was full: wait before trying again
            return ready
        with self._lock:
            for path, (t, last) in list(self._pending.items()):
                if now - t < self.settle:
                    continue
                try:
                    st = os.stat(path)
                    sig = (st.st_size, st.st_mtime_ns)
                except OSError:
                    sig = ("gone",)
                if sig == last:
                    ready.append(path)
                    del self._pending[path]
                else:  # still changing (or first check): look again after another settle
                    self._pending[path] = (now, sig)
            self.state.queue = len(self._pending)
        return ready

    def _run_indexer(self, paths: list[str], label: str) -> None:
        indexer = Indexer(self.lib, should_stop=self._stop.is_set)
        try:
            report = indexer.run(paths, roots=self.roots, save=False)
        except StorageFullError as e:
            # Nothing is lost: try these files again once there may be room.
            self._error(f"{label}: {e} (retrying in {FULL_DISK_RETRY:.0f} s)")
            self._hold_until = time.monotonic() + FULL_DISK_RETRY
            if label == "reconcile":
                self.state.next_reconcile = time.time() + FULL_DISK_RETRY
            else:
                for p in paths:
                    self.touch(p)
            return
        except MediaSearchError as e:
            self._error(f"{label}: {e}")
            return
        except Exception as e:  # keep the daemon alive; the next reconciliation retries
            log.exception("%s failed", label)
            self._error(f"{label}: {type(e).__name__}: {e}")
            return
        for p in report.changed_while_reading:
            self.touch(p)
        for w in report.warnings:
            self._error(w)
        self._tell(report)
        changed = report.new + report.updated + report.renamed + report.duplicates + report.removed \
            + report.failed + report.offline + report.held + report.restored
        if changed:
            self._dirty_index = True
        self.state.batches += 1
        self.state.last_batch = {"kind": label, "at": time.time(), "new": report.new,
                                 "updated": report.updated, "renamed": report.renamed,
                                 "removed": report.removed, "offline": report.offline,
                                 "restored": report.restored, "failed": report.failed,
                                 "seconds": report.seconds}

    def _tell(self, report: IndexReport) -> None:
        if self.on_report is not None and report.activity:
            try:
                self.on_report(report)
            except Exception:  # a broken terminal must not stop the daemon
                log.exception("reporting a batch failed")

    def _error(self, message: str) -> None:
        log.warning("%s", message)
        self.state.errors = (self.state.errors + [f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}"])[-20:]

    def reconcile(self) -> None:
        self._reconcile_now.clear()
        with self._lock:  # a full scan covers whatever was queued
            self._pending.clear()
            self.state.queue = 0
        self._run_indexer(list(self.roots), "reconcile")
        self.state.last_reconcile = time.time()
        self.state.reconciles += 1
        jitter = random.uniform(-0.1, 0.1) * self.reconcile_every
        self.state.next_reconcile = time.time() + self.reconcile_every + jitter

    def _save(self, force: bool = False) -> None:
        if self._dirty_index and (force or time.monotonic() - self._last_save >= self.save_every):
            try:
                self.lib.save_vector_index()
                self._dirty_index = False
            except (MediaSearchError, OSError) as e:  # the catalog has it all: saved later
                self._error(f"saving the vector index: {e}")
            self._last_save = time.monotonic()
        self.write_state()

    def write_state(self) -> None:
        try:
            write_atomically(self.settings.home / "watcher.json",
                             json.dumps({**self.state.__dict__, "updated_at": time.time()}).encode())
        except OSError as e:
            log.debug("cannot write watcher state: %s", e)

    def _loop(self) -> None:
        try:
            self.reconcile()
            self.processed.set()
            while not self._stop.is_set():
                with self._lock:
                    self._lock.wait(timeout=min(0.25, self.settle / 2 or 0.25))
                if self._stop.is_set():
                    break
                if self._reconcile_now.is_set() or (
                        self.state.next_reconcile and time.time() >= self.state.next_reconcile):
                    self.reconcile()
                    self.processed.set()
                self._check_roots()
                ready = self._ready()
                if ready:
                    self._run_indexer(ready, "changes")
                    self.processed.set()
                self._purge()
                self._save()
        finally:
            self._save(force=True)

    # -- lifecycle --------------------------------------------------------
    def start(self) -> "Watcher":
        self._start_observer()
        self._thread = threading.Thread(target=self._loop, name="mediasearch-watch", daemon=False)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop cleanly: the batch in flight finishes its current file, commits,
        and the vector index is saved. Waits for that however long it takes
        (saying so every ``timeout`` seconds): the caller releases the writer
        lock afterwards, and must never do so while a write is in flight."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        # The worker first: it may be re-arming the observer (a root came back).
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("still finishing the batch in flight before stopping...")
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout)
        for name in ("watchdog.observers.inotify_c", "watchdog.observers.inotify"):
            logging.getLogger(name).removeHandler(self._overflow)
        self.state.mode = "stopped"
        self.write_state()
