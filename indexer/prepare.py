"""The decoding stage, run in threads ahead of the model: one file in, one
``Prepared`` out, whose ``outcome`` says what the run does with it.

Reading is careful: a file is opened only if it is (still) a regular file
(never blocking on a FIFO), its type comes from its content, not its name,
and a file that changed while being read is left for the next run.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mediasearch.store.catalog.dto import ACCESS_FAILURE
from mediasearch.store.errors import MediaDecodeError

from .claims import Claims
from .extract import EXTRACTORS, Context, Extracted
from .hashing import content_hash
from .media.detect import HEAD_BYTES, kind_from_extension, sniff
from .media.keyframes import keyframe_path
from .plan import Job
from .safe_open import NotARegularFile, open_regular


class Outcome(Enum):
    EMBED = "embed"          # decoded: its items go to the model
    REUSE = "reuse"          # its content is known: a rename, a duplicate, a touched file
    FAILED = "failed"        # a media file that cannot be read or decoded: recorded with the reason
    SKIPPED = "skipped"      # not media (or not a regular file any more)
    CHANGED = "changed"      # changed while being read: next run
    ELSEWHERE = "elsewhere"  # claimed or done by another worker


@dataclass
class Prepared:
    job: Job
    outcome: Outcome = Outcome.SKIPPED
    kind: str | None = None
    content_hash: str | None = None
    extracted: Extracted | None = None
    error: str | None = None
    special: str | None = None  # not a regular file: what it is

    @property
    def path(self) -> str:
        return self.job.file.path


class Preparer:
    def __init__(self, settings, embedder, transcriber, catalog, claims: Claims):
        self.settings = settings
        self.embedder = embedder
        self.transcriber = transcriber
        self.catalog = catalog
        self.claims = claims

    def context(self, content_hash: str | None) -> Context:
        kf = keyframe_path(self.settings.home, content_hash, 0).parent if content_hash else None
        return Context(self.settings, self.embedder, self.transcriber, kf)

    def extract(self, p: Prepared, head: bytes = b"") -> None:
        """Decode ``p``'s file (EMBED), or record why it cannot be (FAILED)."""
        try:
            p.extracted = EXTRACTORS[p.kind](Path(p.path), head, self.context(p.content_hash))
            p.outcome = Outcome.EMBED
        except MediaDecodeError as e:
            p.error, p.outcome = str(e), Outcome.FAILED

    def __call__(self, job: Job, reusable_hashes: set[str]) -> Prepared:
        p = Prepared(job)
        f = job.file
        if not self._ours(job):
            p.outcome = Outcome.ELSEWHERE
            return p
        head = self._head(p)
        if head is None:
            return p
        try:
            p.content_hash = content_hash(f.path, f.size)
            if self._known_content(p, reusable_hashes):
                p.outcome = Outcome.REUSE
                return p
            self.extract(p, head)
        except OSError as e:
            p.error, p.outcome = f"{ACCESS_FAILURE}{e.strerror or e}", Outcome.FAILED
        if self._changed(job):
            p.outcome = Outcome.CHANGED
        return p

    def _ours(self, job: Job) -> bool:
        """Claimed by this worker, and not done by another one meanwhile."""
        f = job.file
        if not self.claims.take(f.path):
            return False
        if self.claims.enabled:
            now = self.catalog.known_files(f.path).get(f.path)
            if now is not None and now.size == f.size and now.mtime_ns == f.mtime_ns:
                return False
        return True

    def _head(self, p: Prepared) -> bytes | None:
        """The file's first bytes with its kind sniffed, or None with the outcome set."""
        f = p.job.file
        try:
            with open_regular(f.path) as fh:
                head = fh.read(HEAD_BYTES)
        except NotARegularFile as e:
            p.special = str(e)  # became a FIFO or socket after the walk: never read
            return None
        except OSError as e:
            p.kind = kind_from_extension(f.path)
            if p.kind is not None:
                p.error, p.outcome = f"{ACCESS_FAILURE}{e.strerror or e}", Outcome.FAILED
            return None
        kind, _fmt = sniff(head)
        ext_kind = kind_from_extension(f.path)
        if kind is None:
            if ext_kind is not None:
                p.kind, p.outcome = ext_kind, Outcome.FAILED
                p.error = ("empty file (0 bytes)" if f.size == 0 else
                           f"not a recognised {ext_kind} format (the content does not match "
                           f"its {Path(f.path).suffix} extension, or the file is corrupt)")
            return None
        p.kind = kind
        return head if kind in EXTRACTORS else None

    def _known_content(self, p: Prepared, reusable_hashes: set[str]) -> bool:
        h, k = p.content_hash, p.job.known
        return (h in reusable_hashes or (k is not None and k.content_hash == h and k.usable)
                or bool(self.catalog.ok_media_by_hash([h], first=1))
                or bool(self.catalog.offline_by_hash([h])))  # maybe moved (reuse.py decides)

    @staticmethod
    def _changed(job: Job) -> bool:
        try:
            st = os.stat(job.file.path)
        except OSError:
            return True
        return st.st_size != job.file.size or st.st_mtime_ns != job.file.mtime_ns
