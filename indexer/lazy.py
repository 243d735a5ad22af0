"""One model lifecycle for every heavy thing the indexer loads (image and
text towers, derived tables, Whisper, captioners): built on first use, once,
under a lock, so several threads asking at once wait for one load instead
of each loading its own copy (as immich's ML service does). A load that
fails raises to the caller that asked and is tried again the next time."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, factory: Callable[[], T]):
        self._factory = factory
        self._value: T | None = None
        self._done = False
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._done:
            return self._value  # type: ignore[return-value]
        with self._lock:
            if not self._done:
                self._value = self._factory()
                self._done = True
        return self._value  # type: ignore[return-value]

    @property
    def loaded(self) -> bool:
        return self._done
