"""Give memory back to the system after large decodes.

glibc keeps freed blocks in per-thread arenas, and raises its mmap threshold
after the first large free, so a 150 MB picture decoded on each of four
decode threads left the process 600 MB bigger for good, even with decodes
taking turns. Fixing the threshold (4 MB) keeps large blocks mmapped: they
go back to the system when freed. Measured in benchmarks/huge_images.py.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading

M_MMAP_THRESHOLD = -3
_done = False
_lock = threading.Lock()


def return_large_blocks(threshold: int = 4 << 20) -> bool:
    """Once per process; True when glibc accepted it (elsewhere: no-op, False)."""
    global _done
    with _lock:
        if _done:
            return True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _done = bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
            _done = False
        return _done
