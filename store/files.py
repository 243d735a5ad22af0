"""The one atomic file write: a unique temp file beside the destination,
renamed over it, so a reader (a web request, the next process) never sees a
half-written file, and a crash leaves the old file or the new one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(dest: Path | str, data: bytes | Callable[[BinaryIO], None], durable: bool = False) -> Path:
    """Write ``data`` (bytes, or a function that writes to the open file) to
    ``dest`` atomically. ``durable``: fsync the file and its folder, so the
    new file survives a power cut (the vector index)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:
            dfd = os.open(dest.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass  # some file systems cannot sync a folder
    return dest
