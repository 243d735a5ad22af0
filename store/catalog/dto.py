"""What goes into the catalog and what comes out: plain records, no SQL."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ..schema import STATUS_ERROR, STATUS_OFFLINE, STATUS_OK


@dataclass
class NewSegment:
    vector: np.ndarray
    source: str
    t_start: float | None = None
    t_end: float | None = None
    text: str | None = None
    spans: str | None = None  # transcript windows: their sentences' times (JSON)


@dataclass
class MediaRecord:
    """A file to insert or update, with its freshly made (or reused) segments."""

    path: str
    root: str
    size: int
    mtime_ns: int
    inode: int | None
    kind: str | None = None
    content_hash: str | None = None
    status: str = STATUS_OK
    reason: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    taken_at: float | None = None
    position: tuple[float, float] | None = None  # GPS (lat, lon) where it was taken
    signature: bytes | None = None  # perceptual signature (pictures)
    ocr: str | None = None  # read for words ("read", "failed"); None: not yet
    sounds: str | None = None  # listened to for sound events ("heard", "failed"); None: not yet
    segments: list[NewSegment] = field(default_factory=list)
    # Reuse the segments of another media row with the same content instead
    # of embedding again (duplicates).
    copy_segments_from: int | None = None


@dataclass
class Rename:
    media_id: int
    path: str
    root: str
    size: int
    mtime_ns: int
    inode: int | None


@dataclass
class Addition:
    """Segments added to a file already indexed (a catch-up: its words, its
    sound events), with what the stage found; its other segments stay."""

    media_id: int
    content_hash: str | None  # the content read: a file changed since gains nothing
    segments: list[NewSegment]
    state: str
    column: str = "ocr"  # which stage: media.ocr or media.sounds


@dataclass
class Batch:
    upserts: list[MediaRecord] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    additions: list[Addition] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.upserts or self.renames or self.deletes or self.additions)


@dataclass
class Applied:
    """What a batch did to the set of vectors, for the vector index to follow."""

    added_ids: np.ndarray
    added_vectors: np.ndarray
    removed_ids: np.ndarray
    generation: int


ACCESS_FAILURE = "cannot read file: "  # a reason's start when the file could not be read at all


@dataclass(frozen=True)
class KnownFile:
    id: int
    size: int
    mtime_ns: int
    status: str
    content_hash: str | None
    prior_status: str | None = None  # what an offline file was before
    reason: str | None = None  # why it failed, when it did

    @property
    def access_failed(self) -> bool:
        """It failed for how it could be reached (permissions, I/O), not for
        what it holds: tried again on every run, since a chmod or a remount
        leaves size and mtime as they were."""
        return self.status == STATUS_ERROR and (self.reason or "").startswith(ACCESS_FAILURE)

    @property
    def usable(self) -> bool:
        """Its segments are good to keep: ok, or offline after being ok."""
        return self.status == STATUS_OK or (self.status == STATUS_OFFLINE and self.prior_status in (None, STATUS_OK))


@dataclass
class Hit:
    segment_id: int
    media_id: int
    path: str
    kind: str
    t_start: float | None
    t_end: float | None
    source: str
    text: str | None
    width: int | None
    height: int | None
    duration: float | None
    taken_at: float | None = None  # when it was taken (EXIF / container), else None
    spans: str | None = None       # a transcript window's sentences (JSON)


def to_blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def filters_from(filters: "Filters | None", kinds: list[str] | None, under: list[str] | None,
                 after: float | None, before: float | None, place: str | None) -> "Filters":
    """The filters given, or the ones the older keyword arguments spell."""
    return filters or Filters(kinds or [], [], under or [], after, before, places=[place] if place else [])


@dataclass
class Filters:
    """What every search may be narrowed by (vector and word search alike)."""
    kinds: list[str] = field(default_factory=list)
    not_kinds: list[str] = field(default_factory=list)
    under: list[str] = field(default_factory=list)
    after: float | None = None     # unix time; EXIF date, else file mtime
    before: float | None = None
    dates: list[tuple[float, float]] = field(default_factory=list)  # within any of these
    exact: list[str] = field(default_factory=list)  # phrases the file's words must hold
    places: list[str] = field(default_factory=list)      # taken at a place whose name holds the words of any
    not_places: list[str] = field(default_factory=list)  # taken at none of these
    not_dates: list[tuple[float, float]] = field(default_factory=list)  # within none of these
    people: list[int] = field(default_factory=list)      # every one of these people is in it
    not_people: list[int] = field(default_factory=list)  # none of these is
    alone: bool = False  # nobody but ``people`` (faces grouped to someone else, or to nobody, exclude it)
    faces: tuple[int, int | None] | None = None  # how many faces it holds: (at least, at most)

    def narrowed(self, **more) -> "Filters":
        """A copy with more narrowing (lists added to, dates set)."""
        out = Filters(**{f.name: list(v) if isinstance(v := getattr(self, f.name), list) else v for f in fields(self)})
        for name, value in more.items():
            setattr(out, name, getattr(out, name) + list(value) if isinstance(value, list) else value)
        return out

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.not_kinds or self.under or self.after is not None
                    or self.before is not None or self.dates or self.exact or self.places
                    or self.not_places or self.not_dates or self.people or self.not_people
                    or self.faces is not None)


class ReadFilters:
    """For the records that carry a ``filters`` value (what a query's words
    were read as): its fields read as their own, ``u.kinds`` for
    ``u.filters.kinds`` (the lists themselves: appending to one narrows)."""

    kinds = property(lambda self: self.filters.kinds)
    not_kinds = property(lambda self: self.filters.not_kinds)
    dates = property(lambda self: self.filters.dates)
    not_dates = property(lambda self: self.filters.not_dates)
    places = property(lambda self: self.filters.places)
    not_places = property(lambda self: self.filters.not_places)
    exact = property(lambda self: self.filters.exact)
    people = property(lambda self: self.filters.people)
    not_people = property(lambda self: self.filters.not_people)
