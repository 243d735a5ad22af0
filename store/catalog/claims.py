"""Claims: several indexers on one (PostgreSQL) catalog never work on the same
file at once. A worker killed on this host loses its claims at once, one on
another host once its heartbeat is older than ``CLAIM_STALE_AFTER``."""
from __future__ import annotations

import os
import socket
import time

from sqlalchemy import delete, select, update

from ..paths import to_db
from ..schema import Claim
from .base import Part, chunks

# A claim whose heartbeat is older than this is from a dead worker (workers
# touch their claims every CLAIM_HEARTBEAT seconds).
CLAIM_HEARTBEAT = 30.0
CLAIM_STALE_AFTER = 120.0


def claim_owner(unique: str) -> str:
    """``host:pid:unique``, so a worker on the same host can tell a dead one."""
    return f"{socket.gethostname()}:{os.getpid()}:{unique}"


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` ran on this host and its process no longer exists.
    (A reused pid reads as alive: then the heartbeat's age decides.)"""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class ClaimTable(Part):
    """Taking, refreshing and giving back claims."""

    def claim(self, path: str, owner: str, stale_after: float = CLAIM_STALE_AFTER) -> bool:
        """Take ``path`` for this worker; False while another live worker holds it.

        A claim is another worker's until it goes stale: at once when that
        worker ran on this host and its process is gone (kill -9), else when
        its heartbeat (``touch_claims``) is older than ``stale_after``."""
        now = time.time()
        path = to_db(path)
        take = self.db.insert_new(Claim).values(path=path, owner=owner, at=now).returning(Claim.path)
        with self.db.write() as s:
            s.execute(delete(Claim).where(Claim.path == path, Claim.at < now - stale_after))
            if s.execute(take).first() is not None:
                return True
            holder = s.scalar(select(Claim.owner).where(Claim.path == path))
            if holder == owner:
                return True
            if holder is not None and owner_is_dead(holder):
                s.execute(delete(Claim).where(Claim.path == path, Claim.owner == holder))
                return s.execute(take).first() is not None
            return False

    def touch_claims(self, owner: str) -> None:
        """A worker's heartbeat: its claims stay fresh while it lives."""
        with self.db.write() as s:
            s.execute(update(Claim).where(Claim.owner == owner).values(at=time.time()))

    def release(self, paths: list[str], owner: str) -> None:
        if not paths:  # no write transaction (SQLite: the writer's lock) for nothing
            return
        with self.db.write() as s:
            for part in chunks([to_db(p) for p in paths]):
                s.execute(delete(Claim).where(Claim.owner == owner, Claim.path.in_(part)))
