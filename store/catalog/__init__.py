"""The catalog: media and segment rows in SQLite (or PostgreSQL), the source of
truth.

Vectors live here as float32 BLOBs; the FAISS file is derived from them. Every
transaction that adds or removes segments bumps ``generation``, which is how a
stale vector index file is recognised. ``Catalog`` is one facade over parts
split by job:

- ``base``: engine, sessions, meta, generation; ``below_folder`` and ``chunks``
- ``dto``: the records that go in and come out
- ``writes``: the one write path (``apply``)
- ``changes``: the change log readers follow
- ``claims``: several indexers on one catalog
- ``lookups``: known files, hashes, the search filters
- ``words``: word search, one adapter per dialect
- ``captions``: captions for reranking
- ``reads``: vectors, hits, details, status
- ``missing`` / ``repair``: held offline files, repeated segments
"""
from __future__ import annotations

from .base import CHUNK, CatalogBase, chunks, is_disk_full
from .captions import Captions
from .changes import ChangeLog
from .claims import CLAIM_HEARTBEAT, CLAIM_STALE_AFTER, ClaimTable, claim_owner, owner_is_dead
from .dto import Addition, Applied, Batch, Filters, Hit, KnownFile, MediaRecord, NewSegment, Rename, to_blob
from .lookups import Lookups
from .missing import MissingFiles
from .reads import Reads
from .repair import Repairs
from .words import Words
from .writes import Writes

__all__ = ["Addition", "Applied", "Batch", "CHUNK", "CLAIM_HEARTBEAT", "CLAIM_STALE_AFTER", "Catalog", "Filters", "Hit",
           "KnownFile", "MediaRecord", "NewSegment", "Rename", "chunks", "claim_owner", "is_disk_full",
           "owner_is_dead", "to_blob"]


class Catalog(Writes, ChangeLog, ClaimTable, Lookups, Words, Captions, Reads, MissingFiles, Repairs, CatalogBase):
    """``target``: a SQLite file path (default) or a SQLAlchemy URL
    (``postgresql+psycopg://user:pw@host/db``) for a catalog shared by several
    indexers and web servers."""
