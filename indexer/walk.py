"""Walk folders the way a person expects: skip hidden, temporary and
partial-download files, do not follow symlinks unless asked, and report
folders that cannot be read instead of treating their files as deleted."""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp",
                 ".swx", ".!qb", ".opdownload", "~")
TEMP_PREFIXES = ("~$", ".~", "#")
IGNORED_NAMES = {"Thumbs.db", "desktop.ini", "@eaDir", "$RECYCLE.BIN", "lost+found"}


def is_ignored_name(name: str, patterns: list[str] | tuple[str, ...] = ()) -> bool:
    if name.startswith(".") or name in IGNORED_NAMES:
        return True
    low = name.lower()
    if low.endswith(TEMP_SUFFIXES) or name.startswith(TEMP_PREFIXES):
        return True
    return any(fnmatch.fnmatch(name, p) for p in patterns)


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    mtime_ns: int
    inode: int


@dataclass
class WalkResult:
    files: list[FileInfo] = field(default_factory=list)
    # (folder, reason): files below these are unknown, not deleted.
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def walk(root: Path | str, follow_symlinks: bool = False,
         patterns: list[str] | tuple[str, ...] = ()) -> WalkResult:
    result = WalkResult()
    seen_dirs: set[tuple[int, int]] = set()

    def visit(folder: str) -> Iterator[FileInfo]:
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:  # a symlink loop
                return
            seen_dirs.add(key)
            entries = list(os.scandir(folder))
        except OSError as e:
            result.unreadable.append((folder, e.strerror or str(e)))
            return
        for entry in sorted(entries, key=lambda e: e.name):
            if is_ignored_name(entry.name, patterns):
                continue
            try:
                if entry.is_symlink() and not follow_symlinks:
                    continue
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    yield from visit(entry.path)
                elif entry.is_file(follow_symlinks=follow_symlinks):
                    st = entry.stat(follow_symlinks=follow_symlinks)
                    yield FileInfo(entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError as e:
                result.unreadable.append((entry.path, e.strerror or str(e)))

    result.files.extend(visit(os.fspath(root)))
    return result
