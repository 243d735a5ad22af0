"""Claims: several indexers sharing one PostgreSQL catalog never work on the
same file. Each file is claimed before it is read and given back once it is
committed (or found to need nothing); a heartbeat keeps the claims of a
long-running worker fresh. A SQLite catalog has one writer per data dir and
takes no claims."""
from __future__ import annotations

import logging
import threading
import uuid

from mediasearch.store.catalog import CLAIM_HEARTBEAT, claim_owner

log = logging.getLogger(__name__)


class Claims:
    def __init__(self, catalog):
        self.catalog = catalog
        self.enabled = not catalog.sqlite
        self.owner = claim_owner(uuid.uuid4().hex[:8])
        self._held: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def take(self, path: str) -> bool:
        """True when this worker may work on ``path`` (always, without claims)."""
        if not self.enabled:
            return True
        if not self.catalog.claim(path, self.owner):
            return False
        with self._lock:
            self._held.append(path)
        return True

    def release(self, paths: list[str] | None) -> None:
        """Give back these claims (``None``: all of them, on the way out)."""
        if not self.enabled:
            return
        with self._lock:
            if paths is None:
                paths, self._held = self._held, []
            else:
                gone = set(paths)
                self._held = [p for p in self._held if p not in gone]
        self.catalog.release(list(paths), self.owner)

    def start_heartbeat(self) -> None:
        if not self.enabled:
            return

        def beat() -> None:
            while not self._stop.wait(CLAIM_HEARTBEAT):
                try:
                    self.catalog.touch_claims(self.owner)
                except Exception as e:  # a lost connection: the next beat retries
                    log.warning("claim heartbeat failed: %s", e)

        self._beat = threading.Thread(target=beat, name="claim-heartbeat", daemon=True)
        self._beat.start()

    def stop_heartbeat(self) -> None:
        self._stop.set()
        # Waited for: a beat still in flight when the library closes would
        # leave its connection to be collected open (psycopg's ResourceWarning).
        beat = getattr(self, "_beat", None)
        if beat is not None and beat is not threading.current_thread():
            beat.join(timeout=10)
