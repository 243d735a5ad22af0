"""One writer per data directory: an exclusive, non-blocking lock on
``writer.lock`` (fcntl.flock). The kernel drops it when the process dies, even
by kill -9, so a crash never leaves a stale lock behind."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import WriterBusyError

__all__ = ["WriterBusyError", "WriterLock"]


class WriterLock:
    def __init__(self, home: Path, what: str = "mediasearch"):
        self.path = Path(home) / "writer.lock"
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> "WriterLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            finally:
                os.close(fd)
            raise WriterBusyError(
                f"another mediasearch process is already writing to {self.path.parent} "
                f"({holder or 'unknown process'}); stop it first, or use another --data-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}: {self.what}".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
