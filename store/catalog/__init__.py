"""The catalog: media and segment rows in SQLite (or PostgreSQL), the source of
truth.

Vectors live here as float32 BLOBs; the FAISS file is derived from them. Every
transaction that adds or removes segments bumps ``generation``, which is how a
stale vector index file is recognised. ``Catalog`` is one facade over parts
split by job:

- ``base``: the database (engine, sessions, meta, generation) every part is
  given; ``below_folder`` and ``chunks``
- ``filtering``: the filter every search shares; ``word_rules``: what a word match is
- ``dto``: the records that go in and come out
- ``writes``: the one write path (``apply``)
- ``changes``: the change log readers follow
- ``claims``: several indexers on one catalog
- ``lookups``: known files, hashes, filter-only lists
- ``words``: word search, one adapter per dialect
- ``captions``: captions for reranking
- ``reads``: vectors, hits, details, status
- ``missing`` / ``repair``: held offline files, repeated segments
- ``faces``: faces found and the people they are grouped into
"""
from __future__ import annotations

from pathlib import Path

from .base import CHUNK, Database, chunks, is_disk_full
from .captions import CaptionTable
from .changes import ChangeLog
from .claims import CLAIM_HEARTBEAT, CLAIM_STALE_AFTER, ClaimTable, claim_owner, owner_is_dead
from .dto import Addition, Applied, Batch, Filters, Hit, KnownFile, MediaRecord, NewSegment, Rename, to_blob
from .event_edits import EventEdits
from .faces import FaceTable, FoundFaces, NewFace
from .lookups import Lookups
from .missing import MissingFiles
from .reads import Reads
from .repair import Repairs
from .words import Words
from .writes import Writes

__all__ = ["Addition", "Applied", "Batch", "CHUNK", "CLAIM_HEARTBEAT", "CLAIM_STALE_AFTER", "Catalog", "Filters",
           "FoundFaces", "Hit", "KnownFile", "NewFace", "MediaRecord", "NewSegment", "Rename", "chunks", "claim_owner", "is_disk_full",
           "owner_is_dead", "to_blob"]


class Catalog:
    """``target``: a SQLite file path (default) or a SQLAlchemy URL
    (``postgresql+psycopg://user:pw@host/db``) for a catalog shared by several
    indexers and web servers.

    The facade holds one database and one part per job, each given only the
    database; its names (``FACADE``) are the parts' (``catalog.hits`` is
    ``catalog.reads.hits``), so callers need not know which part does what."""

    def __init__(self, target: Path | str):
        self.db = Database(target)
        self.writes, self.change_log, self.claim_table = Writes(self.db), ChangeLog(self.db), ClaimTable(self.db)
        self.lookups, self.words, self.caption_table = Lookups(self.db), Words(self.db), CaptionTable(self.db)
        self.reads, self.missing, self.repairs = Reads(self.db), MissingFiles(self.db), Repairs(self.db)
        self.face_table, self.event_edit_table = FaceTable(self.db), EventEdits(self.db)


# Which part answers each of the facade's names.
FACADE = {
    "db": "path engine sqlite where close read write get_meta set_meta generation model_identity "
          "claim_model_identity",
    "writes": "apply",
    "change_log": "clear changes_since",
    "claim_table": "claim touch_claims release",
    "lookups": "known_files known_at ok_media_by_hash count_under roots segment_ids last_media_id date_span place_names browse "
               "when_of timeline_rows hits_of_media positions",
    "words": "lexical",
    "caption_table": "captions add_captions uncaptioned segment_rows",
    "reads": "all_vectors vectors_by_id hits media media_vectors vectors_of_media signatures_of segment_vectors "
             "stats segment_count incomplete failures recent vector_sample pictures picture_vectors owing videos "
             "moments",
    "missing": "take_offline bring_back held_missing missing_under offline_by_hash recent_deletions "
               "record_deletions",
    "repairs": "drop_repeated_segments",
    "event_edit_table": "add_event_edit event_edits hashes_of",
    "face_table": "add_faces face_set centres group name_person hide_person merge_people unmerge take_out move_face "
                  "forget_person forget_all people faces_of named face_counts has_faces face_count",
}


def _facade_name(part: str, name: str) -> property:
    return property(lambda catalog: getattr(getattr(catalog, part), name), doc=f"``{part}.{name}``")


for _part, _names in FACADE.items():
    for _name in _names.split():
        setattr(Catalog, _name, _facade_name(_part, _name))
