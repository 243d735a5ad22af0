"""What the user said of events (names, merges, splits), kept by the
content hashes of the files involved (search/events.py applies them)."""
from __future__ import annotations

import time

from sqlalchemy import select

from ..schema import EventEdit, Media
from .base import Part, chunks

KINDS = ("name", "merge", "split")


class EventEdits(Part):
    """Event edits and the hashes they are kept by."""

    def add_event_edit(self, kind: str, file_hash: str, other_hash: str | None = None,
                       name: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"no event edit {kind!r}")
        with self.db.write() as s:
            s.add(EventEdit(kind=kind, file_hash=file_hash, other_hash=other_hash, name=name, at=time.time()))

    def event_edits(self) -> list[dict]:
        """Every edit, oldest first (a later name wins)."""
        with self.db.read() as s:
            return [{"kind": e.kind, "file_hash": e.file_hash, "other_hash": e.other_hash, "name": e.name}
                    for e in s.scalars(select(EventEdit).order_by(EventEdit.id))]

    def hashes_of(self, media_ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self.db.read() as s:
            for part in chunks([int(i) for i in media_ids]):
                out.update((m, h) for m, h in s.execute(select(Media.id, Media.content_hash)
                                                        .where(Media.id.in_(part), Media.content_hash.is_not(None))))
        return out
