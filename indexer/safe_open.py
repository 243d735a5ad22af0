"""Open a file for reading only if it is a regular file, without blocking.

A path that was a file during the walk can be a FIFO by the time it is read
(or a socket, or a device): a plain ``open()`` of a FIFO blocks until a
writer appears, hanging a decode thread and, with it, Ctrl-C. So the file is
opened with O_NONBLOCK (which never blocks on a FIFO), checked with fstat on
the descriptor (not the path, which can change again), and only then read.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from .walk import special_kind


class NotARegularFile(OSError):
    """The path is not (or no longer) a regular file."""

    def reason(self) -> str:
        """What a decoder records for the file."""
        return f"no longer a regular file: it is now {self}"


def open_regular(path: str | os.PathLike):
    """A binary file object for ``path``; NotARegularFile when it is not a file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(special_kind(mode))
        os.set_blocking(fd, True)  # a regular file: ordinary reads from here on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def decodable(path: str | os.PathLike) -> Iterator[str]:
    """A name for a C decoder (FFmpeg, Pillow's plug-ins) that is the regular
    file at ``path`` now: the file is opened without blocking and checked by
    descriptor, and the decoder opens ``/proc/self/fd/N``, which reaches that
    same file even if the path is swapped for a FIFO a moment later (a plain
    open of a FIFO blocks for ever, and Ctrl-C with it). Where there is no
    /proc (macOS, Windows) the checked path itself is given."""
    with open_regular(path) as f:
        proc = f"/proc/self/fd/{f.fileno()}"
        yield proc if os.path.exists(proc) else os.fspath(path)
