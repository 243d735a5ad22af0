"""Content hashes that recognise a renamed or duplicated file without
re-embedding it."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .safe_open import open_regular

FULL_HASH_LIMIT = 64 * 1024 * 1024
SAMPLE = 4 * 1024 * 1024


def content_hash(path: Path | str, size: int | None = None) -> str:
    """blake2b of the whole file; for files above 64 MiB (long videos), of
    its size plus three 4 MiB samples (start, middle, end), so a rename of a
    10 GB video costs milliseconds, not a full read."""
    path = Path(path)
    if size is None:
        size = path.stat().st_size
    h = hashlib.blake2b(digest_size=20)
    with open_regular(path) as f:
        if size <= FULL_HASH_LIMIT:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
            return "b2:" + h.hexdigest()
        h.update(str(size).encode())
        for offset in (0, size // 2 - SAMPLE // 2, size - SAMPLE):
            f.seek(offset)
            h.update(f.read(SAMPLE))
        return "b2s:" + h.hexdigest()
