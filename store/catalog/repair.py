"""Repairs of catalog rows that an earlier version could have left wrong.

A media row holds one set of segments per version of the file. A watcher
batch that reported a new folder and its files at once used to store every
file's segments twice; the files look unchanged afterwards, so nothing would
ever re-index them. A full ``index`` (and the daemon's reconciliation) drops
such repeated segments: same source, same moment, same text.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import delete, func, select

from ..schema import Segment
from .base import Part, chunks
from .changes import log_change
from .dto import Applied


class Repairs(Part):
    """Repeated segments."""

    def drop_repeated_segments(self):
        """Delete every repeated segment of a media row (keeping the first);
        returns the Applied change for the vector index, or None if none."""
        key = (Segment.media_id, Segment.source, func.coalesce(Segment.t_start, -1.0),
               func.coalesce(Segment.t_end, -1.0), func.coalesce(Segment.text, ""))
        keep = select(func.min(Segment.id)).group_by(*key)
        dupes = select(Segment.id).where(
            Segment.media_id.in_(select(Segment.media_id).group_by(*key).having(func.count() > 1)),
            Segment.id.not_in(keep))
        with self.db.write() as s:
            removed = list(s.scalars(dupes).all())
            if not removed:
                return None
            for part in chunks(removed):
                s.execute(delete(Segment).where(Segment.id.in_(part)))
            gen = self.db.bump(s)
            log_change(s, gen, [], removed)
        return Applied(np.zeros(0, np.int64), np.zeros((0, 0), np.float32),
                       np.asarray(removed, np.int64), gen)
