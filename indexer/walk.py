"""Walk folders the way a person expects: skip hidden, temporary and
partial-download files, do not follow symlinks unless asked, and report
folders that cannot be read instead of treating their files as deleted."""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .roots import path_allowed

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


def ignored_below(path: str, root: str, patterns) -> bool:
    """Whether a part of ``path`` below ``root`` is a name the walk skips
    (hidden, temporary, partial downloads, the user's ignore patterns)."""
    rel = os.path.relpath(path, root)
    return rel != "." and any(is_ignored_name(part, patterns) for part in rel.split(os.sep))


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
    # (path, what it is): FIFOs, sockets, devices and links not followed;
    # reported, never opened (opening a FIFO blocks until a writer comes).
    special: list[tuple[str, str]] = field(default_factory=list)


def special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def dangling_link(path: str) -> str:
    """Why a symbolic link leads nowhere: a loop (a -> b -> a) or a broken link."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symbolic link loop (it leads back to itself)"
    return "a broken symbolic link (what it points to is not there)"


def walk(root: Path | str, follow_symlinks: bool = False,
         patterns: list[str] | tuple[str, ...] = ()) -> WalkResult:
    """Every file below ``root``. Links are followed only when asked, and
    then only to places inside ``root`` (never out of it; loops are cut)."""
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
                if entry.is_symlink():
                    why = path_allowed(entry.path, os.fspath(root), follow_symlinks)
                    if why is None and not os.path.exists(entry.path):
                        why = dangling_link(entry.path)
                    if why is not None:
                        result.special.append((entry.path, why))
                        continue
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    yield from visit(entry.path)
                elif entry.is_file(follow_symlinks=follow_symlinks):
                    st = entry.stat(follow_symlinks=follow_symlinks)
                    yield FileInfo(entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
                else:
                    result.special.append((entry.path, special_kind(entry.stat(follow_symlinks=False).st_mode)))
            except OSError as e:
                result.unreadable.append((entry.path, e.strerror or str(e)))

    result.files.extend(visit(os.fspath(root)))
    return result
