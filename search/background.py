"""Work a long-lived search service does off the searching thread: when the
library changed, the next search is answered with what was read before (the
place names, the cut-off's calibration) while one thread reads them again.
At 100k files that reading costs a noticeable part of a second (place
names) to more (the cut-off: 128 lookups over every vector); figures:
README, benchmarks/search_latency.py."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Refresher:
    """At most one refresh running at a time; a failed one is logged and
    tried again at the next occasion."""

    def __init__(self, name: str):
        self.name = name
        self._running = threading.Lock()

    def start(self, work: Callable[[], None]) -> bool:
        if not self._running.acquire(blocking=False):
            return False  # one is on its way

        def run() -> None:
            try:
                work()
            except Exception as e:  # a closed library, a busy database: the old values stay
                log.warning("%s failed: %s", self.name, e)
            finally:
                self._running.release()

        threading.Thread(target=run, name=self.name, daemon=True).start()
        return True

    def wait(self, timeout: float = 30.0) -> None:
        """Until no refresh runs (tests, shutdown)."""
        if self._running.acquire(timeout=timeout):
            self._running.release()
