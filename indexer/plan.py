"""The first stage of a run: walk, compare with the catalog, decide what to do.

Without ``roots`` (``mediasearch index``) each path is a root given by the
person and must exist. With ``roots`` (the daemon) the paths are places
inside those roots that changed: a path that no longer exists means its
files are missing. Either way one rule decides which paths may be indexed
(``roots.path_allowed``), each path becomes at most one job, and the catalog
is asked once per batch for the files it already knows, not once per path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mediasearch.store.catalog import KnownFile
from mediasearch.store.errors import PathError
from mediasearch.store.schema import STATUS_OFFLINE

from .roots import path_allowed, root_of
from .walk import FileInfo, ignored_below, special_kind, walk


@dataclass
class Job:
    file: FileInfo
    root: str
    known: KnownFile | None


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    missing: dict[str, KnownFile] = field(default_factory=dict)
    restore: list[int] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)  # folders walked whole


class Planner:
    def __init__(self, catalog, settings, report):
        self.catalog = catalog
        self.settings = settings
        self.report = report
        self.plan = Plan()
        self._jobs: dict[str, Job] = {}

    def _consider(self, f: FileInfo, root: str, k: KnownFile | None) -> None:
        if f.path in self._jobs:  # a folder and its files in one batch: one job
            return
        if k is not None and k.size == f.size and k.mtime_ns == f.mtime_ns and not k.access_failed:
            self.report.unchanged += 1
            if k.status == STATUS_OFFLINE:
                self.plan.restore.append(k.id)
            return
        self._jobs[f.path] = Job(f, root, k)

    def _skip_special(self, path: str, why: str) -> None:
        self.report.special.append({"path": path, "reason": why})

    def run(self, paths: list[Path], roots: list[str] | None) -> Plan:
        places = []
        for raw in paths:
            p = Path(os.path.abspath(Path(raw).expanduser()))
            root = root_of(str(p), roots) if roots else None
            if roots and (root is None or ignored_below(str(p), root, self.settings.ignore)):
                continue
            if roots:
                why = path_allowed(str(p), root, self.settings.follow_symlinks)
                if why is not None:
                    self._skip_special(str(p), why)
                    continue
            elif not p.exists():
                raise PathError(f"{p} does not exist")
            else:
                p = p.resolve()
            places.append((p, root))
        # One query for every exact path in the batch (files, deleted files).
        exact = self.catalog.known_at([str(p) for p, _ in places])
        for p, root in places:
            self._place(p, root, roots, exact)
        self.plan.jobs = list(self._jobs.values())
        self.report.seen = self.report.unchanged + len(self.plan.jobs)
        return self.plan

    def _place(self, p: Path, root: str | None, roots: list[str] | None, exact: dict[str, KnownFile]) -> None:
        missing = self.plan.missing
        try:
            st = p.lstat() if roots else p.stat()
        except FileNotFoundError:
            st = None
        except OSError as e:
            self.report.unreadable.append({"path": str(p), "reason": e.strerror or str(e)})
            return
        if st is None or (roots and p.is_symlink() and not p.exists()):
            if str(p) in exact:  # a file that was deleted
                missing[str(p)] = exact[str(p)]
            else:                # a folder that was deleted (or never known)
                missing.update(self.catalog.known_files(str(p)))
            return
        if roots and p.is_symlink():
            st = p.stat()
        if p.is_file():
            self._consider(FileInfo(str(p), st.st_size, st.st_mtime_ns, st.st_ino),
                           root or str(p.parent), exact.get(str(p)))
            self.report.roots.append(str(p))
            return
        if not p.is_dir():
            self._skip_special(str(p), special_kind(st.st_mode))
            if str(p) in exact:  # a file that became a FIFO: that file is gone
                missing[str(p)] = exact[str(p)]
            return
        if not os.access(p, os.R_OK | os.X_OK):
            if roots:
                self.report.unreadable.append({"path": str(p), "reason": "permission denied"})
                return
            raise PathError(f"{p} cannot be read (permission denied)")
        self._walk(str(p), root)

    def _walk(self, folder: str, root: str | None) -> None:
        self.report.roots.append(folder)
        self.plan.walked.append(folder)
        walked = walk(folder, self.settings.follow_symlinks, self.settings.ignore)
        self.report.unreadable += [{"path": f, "reason": r} for f, r in walked.unreadable]
        for path, why in walked.special:
            self._skip_special(path, why)
        known = self.catalog.known_files(folder)
        seen = set()
        for f in walked.files:
            seen.add(f.path)
            self._consider(f, root or folder, known.get(f.path))
        blocked = tuple(f.rstrip(os.sep) + os.sep for f, _ in walked.unreadable)
        for path, k in known.items():
            if path not in seen and not path.startswith(blocked) and path not in self.plan.missing:
                self.plan.missing[path] = k
