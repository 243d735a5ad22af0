"""SQLAlchemy 2.0 typed models of the catalog.

The tables are created by the named migrations in ``migrations.py``; these
models mirror them and are what the rest of the code reads and writes.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .paths import from_db, to_db

# Kinds of media and statuses of a media row.
KINDS = ("image", "video", "audio")
STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_OFFLINE = "offline"

# Where a segment's vector came from.
SOURCE_IMAGE = "image"
SOURCE_FRAME = "frame"
SOURCE_TRANSCRIPT = "transcript"
SOURCE_METADATA = "metadata"
SOURCE_CAPTION = "caption"
SOURCE_OCR = "ocr"  # text read in the picture
SOURCE_SOUND = "sound"  # a timed sound event: music, singing, speech (its label with the tags)
# Segments whose vector is a text's (the text tower's), not a picture's:
# their likeness to a text query is on another scale.
TEXT_SOURCES = (SOURCE_TRANSCRIPT, SOURCE_METADATA, SOURCE_CAPTION, SOURCE_OCR, SOURCE_SOUND)


class PathText(TypeDecorator):
    """A path column: surrogate-escaped in Python, storable in the database."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return to_db(value) if isinstance(value, str) else value

    def process_result_value(self, value, dialect):
        return from_db(value) if isinstance(value, str) else value


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the index: embedder identity, generation."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Media(Base):
    """One row per file under an indexed root."""

    __tablename__ = "media"
    # When it was taken (catalog/filtering.py's WHEN), indexed for lists by date (m015).
    __table_args__ = (Index("ix_media_missing", "missing_since"),
                      Index("ix_media_when", func.coalesce(sql_text("taken_at"), sql_text("CAST(mtime_ns AS FLOAT) * 1e-9"))))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Paths may hold undecodable bytes (see paths.py).
    path: Mapped[str] = mapped_column(PathText, unique=True)
    root: Mapped[str] = mapped_column(PathText, index=True)
    kind: Mapped[str | None] = mapped_column(String)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String, index=True)
    status: Mapped[str] = mapped_column(String, default=STATUS_OK)
    reason: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[float | None] = mapped_column(Float)
    # A picture's perceptual signature (indexer/media/signature.py): 8 hashes.
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Its pixels looked at for words (indexer/ocr.py: "read" or "failed");
    # NULL: not yet, the OCR catch-up job's work (m009).
    ocr: Mapped[str | None] = mapped_column(String)
    # Its sound listened to for events (indexer/sounds.py: "heard" or
    # "failed"); NULL: not yet, the sound catch-up's work (m010).
    sounds: Mapped[str | None] = mapped_column(String)
    # Where it was taken (GPS degrees), for the map (m013).
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # Its pictures looked at for faces (indexer/faces.py: "looked" or "failed").
    faces: Mapped[str | None] = mapped_column(String)
    # Set while a file the daemon saw vanish is held before deletion (m006).
    missing_since: Mapped[float | None] = mapped_column(Float)
    # What the file was before it went offline (an error keeps its reason).
    prior_status: Mapped[str | None] = mapped_column(String)
    prior_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)

    segments: Mapped[list["Segment"]] = relationship(
        back_populates="media", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Segment.t_start",
    )


class Segment(Base):
    """One embedded unit of a media file: the unit the vector index holds."""

    __tablename__ = "segment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    t_start: Mapped[float | None] = mapped_column(Float)
    t_end: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String)
    text: Mapped[str | None] = mapped_column(Text)
    # Transcript windows: the sentences inside, [[start, end, text], ...] as JSON (m007).
    spans: Mapped[str | None] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

    media: Mapped[Media] = relationship(back_populates="segments")
    # The texts alone, by source and id: the words-inside search reads these, not the rows (m014).
    __table_args__ = (Index("ix_segment_text", "source", "id", "media_id", "text",
                            sqlite_where=sql_text("text IS NOT NULL"),
                            postgresql_where=sql_text("text IS NOT NULL")),)


class Caption(Base):
    """A captioner's caption of a picture segment, for reranking (m002)."""

    __tablename__ = "caption"
    __table_args__ = (UniqueConstraint("segment_id", "captioner"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"))
    captioner: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class Claim(Base):
    """A file being worked on by one of several indexers (m003); ``path`` as
    stored by ``paths.to_db``."""

    __tablename__ = "claim"
    path: Mapped[str] = mapped_column(Text, primary_key=True)
    owner: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


class Change(Base):
    """The segment ids one generation added and removed (m004), int64 bytes."""

    __tablename__ = "change_log"
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    added: Mapped[bytes] = mapped_column(LargeBinary)
    removed: Mapped[bytes] = mapped_column(LargeBinary)


class Person(Base):
    """Someone whose faces were grouped (m011); named by the user or not."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[int] = mapped_column(Integer, default=0)
    # The mean descriptor of its faces: a person keeps being found after its
    # faces were all re-detected (a --rebuild), so its name is not lost.
    centre: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[float] = mapped_column(Float)


class Face(Base):
    """One face in a picture or a video frame (m011)."""

    __tablename__ = "face"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)
    t: Mapped[float | None] = mapped_column(Float)  # the moment of a video; NULL for a picture
    # The box, as fractions of the picture's width and height.
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    size: Mapped[int] = mapped_column(Integer)  # its side in the original's pixels
    # Eye corners (two per eye) and the nose, as [x, y] fractions of the picture (JSON).
    landmarks: Mapped[str | None] = mapped_column(Text)
    quality: Mapped[float] = mapped_column(Float)
    good: Mapped[int] = mapped_column(Integer)  # may start a person (large, sharp, frontal enough)
    descriptor: Mapped[bytes] = mapped_column(LargeBinary)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    how: Mapped[str | None] = mapped_column(Text)  # JSON: why it is with this person
    not_people: Mapped[str | None] = mapped_column(Text)  # JSON: people the user said it is not


class EventEdit(Base):
    """One thing the user said of an event (m012): ``name`` it, ``merge`` it
    with the event of ``other_hash``, ``split`` it before this file."""

    __tablename__ = "event_edit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    file_hash: Mapped[str] = mapped_column(Text)  # the event's first file (name, merge) or where it splits
    other_hash: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


def stage_column(name: str):
    """The media column a catch-up stage marks when it ran on a file
    (NULL until then): ``ocr`` (words in pixels), ``sounds`` (sound events)
    or ``faces``."""
    if name not in ("ocr", "sounds", "faces"):
        raise ValueError(f"no catch-up stage {name!r}")
    return getattr(Media, name)
