"""The change log: which segment ids each generation added and removed, so a
long-lived reader (the web server) follows a writer in another process by
applying the changes instead of reloading every vector."""
from __future__ import annotations

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..schema import Change, Media, Meta, Segment
from .base import Part, chunks
from .dto import Applied

CHANGE_LOG_KEEP = 2000  # generations a lagging reader can catch up on


def log_change(s: Session, gen: int, added: list[int], removed: list[int]) -> None:
    """Record what generation ``gen`` added and removed (in the writer's
    transaction, so a reader never sees one without the other)."""
    s.execute(insert(Change).values(generation=gen, added=np.asarray(added, np.int64).tobytes(),
                                    removed=np.asarray(removed, np.int64).tobytes()))
    if gen % 100 == 0:
        s.execute(delete(Change).where(Change.generation < gen - CHANGE_LOG_KEEP))


class ChangeLog(Part):
    """Generations and what each one changed."""

    def clear(self) -> None:
        """Forget every file and vector (``--rebuild``)."""
        with self.db.write() as s:
            s.execute(delete(Segment))
            s.execute(delete(Media))
            s.execute(delete(Meta).where(Meta.key == "model"))
            self.db.bump(s)  # no change-log entry: readers must reload

    def changes_since(self, generation: int, dim: int) -> list[Applied] | None:
        """The changes after ``generation`` as Applied records (vectors of the
        added segments included), or None when the log no longer covers them."""
        with self.db.read() as s:
            current = self.db.generation(s)
            rows = s.execute(select(Change.generation, Change.added, Change.removed)
                             .where(Change.generation > generation).order_by(Change.generation)).all()
            if [r[0] for r in rows] != list(range(generation + 1, current + 1)):
                return None  # pruned, or written before the log existed
            out = []
            for gen, added_b, removed_b in rows:
                added = np.frombuffer(bytes(added_b), dtype=np.int64)
                removed = np.frombuffer(bytes(removed_b), dtype=np.int64)
                vecs = np.zeros((len(added), dim), np.float32)
                found = np.zeros(len(added), bool)
                pos = {int(i): n for n, i in enumerate(added)}
                for part in chunks(added):
                    chunk = [int(i) for i in part]
                    for sid, blob in s.execute(select(Segment.id, Segment.vector).where(Segment.id.in_(chunk))):
                        vecs[pos[sid]] = np.frombuffer(blob, dtype=np.float32)
                        found[pos[sid]] = True
                # A segment added then removed later is gone now: its removal follows.
                out.append(Applied(added[found], vecs[found], removed, gen))
            return out
