"""Files that went missing: held offline, judged as a whole, then deleted.

The mass-deletion guard cannot judge a watcher batch alone: a root that
disappears gradually (a slow ``rm -rf``, a sync tool, a disk unmounting
folder by folder) arrives as many small batches, each a small share of what
is left. So the daemon never deletes at once: a file it sees vanish is held
(status offline, ``missing_since`` set) and kept out of search results; once
nothing more has vanished under its root for a grace period, it is judged
together with everything else missing there and what was deleted there
recently (indexer/sweep.py). Only when that total is not a mass
disappearance are the files deleted for good.

A file that goes offline keeps what it was (``prior_status``/``prior_reason``):
a recorded failure comes back as that failure, not as an empty "ok" file.
"""
from __future__ import annotations

import json
import time

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from ..schema import STATUS_OFFLINE, STATUS_OK, Media
from .base import Part, below_folder, chunks, put_meta

DELETIONS_KEY = "recent_deletions"


class MissingFiles(Part):
    """Held, offline and recently deleted files."""

    def take_offline(self, media_ids: list[int], reason: str, held: bool = False) -> None:
        """Mark files offline, remembering their earlier status and reason.
        ``held``: the daemon saw them vanish; they are deleted after the
        grace period unless their root is disappearing as a whole."""
        now = time.time()
        with self.db.write() as s:
            for part in chunks(media_ids):
                not_yet = and_(Media.id.in_(part), Media.status != STATUS_OFFLINE)
                s.execute(update(Media).where(not_yet).values(
                    prior_status=Media.status, prior_reason=Media.reason))
                s.execute(update(Media).where(Media.id.in_(part)).values(
                    status=STATUS_OFFLINE, reason=reason, updated_at=now,
                    missing_since=func.coalesce(Media.missing_since, now) if held else None))

    def bring_back(self, media_ids: list[int]) -> None:
        """Offline files that are back unchanged: their earlier status and
        reason return (a failure stays a failure, to be retried when it changes)."""
        with self.db.write() as s:
            for part in chunks(media_ids):
                s.execute(update(Media).where(Media.id.in_(part)).values(
                    status=func.coalesce(Media.prior_status, STATUS_OK), reason=Media.prior_reason,
                    prior_status=None, prior_reason=None, missing_since=None, updated_at=time.time()))

    def held_missing(self) -> list[tuple[int, str, float]]:
        """Every held file: (id, path, missing since)."""
        with self.db.read() as s:
            return [(r.id, r.path, r.missing_since) for r in s.execute(
                select(Media.id, Media.path, Media.missing_since).where(Media.missing_since.is_not(None)))]

    def missing_under(self, folder: str) -> int:
        """Files under ``folder`` that are offline (held or not)."""
        with self.db.read() as s:
            return s.scalar(select(func.count(Media.id)).where(
                below_folder(folder, self.db.sqlite), Media.status == STATUS_OFFLINE)) or 0

    def offline_by_hash(self, hashes: list[str], held_only: bool = False) -> dict[str, list[tuple[int, str]]]:
        """Offline rows with these contents that were fine before (hash ->
        [(id, path)]). ``held_only``: only files the daemon saw vanish, so a
        file that reappears elsewhere is the same file moved and keeps its id
        (never a file of a disk that is merely unplugged)."""
        out: dict[str, list[tuple[int, str]]] = {}
        where = [Media.status == STATUS_OFFLINE, func.coalesce(Media.prior_status, STATUS_OK) == STATUS_OK]
        if held_only:
            where.append(Media.missing_since.is_not(None))
        with self.db.read() as s:
            for part in chunks(hashes):
                for r in s.execute(select(Media.id, Media.path, Media.content_hash).where(
                        Media.content_hash.in_(part), *where).order_by(Media.id)):
                    out.setdefault(r.content_hash, []).append((r.id, r.path))
        return out

    # -- what was deleted lately, per root (for the guard's window) ----------
    def recent_deletions(self, root: str, window: float) -> int:
        log = self._deletion_log(None)
        cutoff = time.time() - window
        return sum(n for t, n in log.get(root, []) if t >= cutoff)

    def record_deletions(self, counts: dict[str, int], window: float) -> None:
        if not counts:
            return
        now = time.time()
        with self.db.write() as s:
            log = self._deletion_log(s)
            for root, n in counts.items():
                log.setdefault(root, []).append([now, n])
            log = {r: [e for e in entries if e[0] >= now - window] for r, entries in log.items()}
            put_meta(s, DELETIONS_KEY, json.dumps({r: e for r, e in log.items() if e}))

    def _deletion_log(self, session: Session | None) -> dict[str, list[list[float]]]:
        raw = self.db.get_meta(DELETIONS_KEY, session)
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}
