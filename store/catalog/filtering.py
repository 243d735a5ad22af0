"""The filter every search shares (vector search, word search, filter-only
lists): ok media of some kinds, below some folders, dated in ranges, taken at
named places, holding exact phrases. One function builds it for every
caller, so a new filter is added here once."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import Float, and_, cast, false, func, literal_column, or_, select
from sqlalchemy import text as text_sql

from ..db import fold
from ..schema import SOURCE_FRAME, SOURCE_IMAGE, STATUS_OK, Face, Media, Segment
from .base import below_folder, join_fts
from .dto import Filters
from .word_rules import CJK, held_inside, inside_worthy

# When a file was taken: its EXIF/container date, else its modification time.
# When a file was taken: EXIF, else its modification time. Written with no
# parameter inside, as the index on it is (m015), so date filters and lists by
# date read that index instead of every file.
WHEN = func.coalesce(Media.taken_at, cast(Media.mtime_ns, Float) * literal_column("1e-9"))


def filtered(sqlite: bool, stmt, f: Filters):
    """The search filters, shared by vector and word search: ok media of
    these kinds, below these folders, dated (EXIF, else mtime) in range,
    taken at a place whose name holds every word of ``place``, holding
    the exact phrases in their words."""
    stmt = stmt.where(Media.status == STATUS_OK)
    if f.places:
        stmt = stmt.where(or_(*[Media.id.in_(at_place(p, sqlite)) for p in f.places]))
    for place in f.not_places:
        stmt = stmt.where(Media.id.not_in(at_place(place, sqlite)))
    for a, b in f.not_dates:
        stmt = stmt.where(or_(WHEN < a, WHEN >= b))
    for phrase in f.exact:
        stmt = stmt.where(Media.id.in_(with_words(phrase, sqlite)))
    if f.after is not None:
        stmt = stmt.where(WHEN >= f.after)
    if f.before is not None:
        stmt = stmt.where(WHEN < f.before)
    if f.dates:
        stmt = stmt.where(or_(*[and_(WHEN >= a, WHEN < b) for a, b in f.dates]))
    if f.kinds:
        stmt = stmt.where(Media.kind.in_(f.kinds))
    if f.not_kinds:
        stmt = stmt.where(Media.kind.not_in(f.not_kinds))
    if f.under:
        stmt = stmt.where(or_(*[below_folder(folder, sqlite) for folder in f.under]))
    return with_people(stmt, f)


def with_people(stmt, f: Filters):
    """Who is in it: every one of ``people``, none of ``not_people``, nobody
    else (``alone``), and how many faces (``faces``: at least, at most)."""
    for person in f.people:
        stmt = stmt.where(Media.id.in_(select(Face.media_id).where(Face.person_id == person)))
    if f.not_people:
        stmt = stmt.where(Media.id.not_in(select(Face.media_id).where(Face.person_id.in_(f.not_people))))
    if f.alone and f.people:
        others = or_(Face.person_id.is_(None), Face.person_id.not_in(f.people))
        stmt = stmt.where(Media.id.not_in(select(Face.media_id).where(others, Face.good == 1)))
    if f.faces is not None:
        lo, hi = f.faces
        counted = select(func.count(Face.id)).where(Face.media_id == Media.id).scalar_subquery()
        stmt = stmt.where(Media.faces.is_not(None), counted >= lo)
        if hi is not None:
            stmt = stmt.where(counted <= hi)
    return stmt


def with_words(phrase: str, sqlite: bool):
    """Media whose words (name, folders, tags, what was said, captions)
    hold ``phrase``, its words in order; the last one may be the start of
    a word, so a code such as "RE16" finds "RE16TGK" as well."""
    words = re.findall(r"[^\W_]+", fold(phrase) if sqlite else phrase.lower())[:16]
    sub = select(Segment.media_id)
    if not words:
        return sub.where(false())
    if sqlite:
        match = '"' + " ".join(words) + '" *'
        found = join_fts(sub).where(_bound("segment_fts MATCH :{}", match))
    else:
        found = sub.where(_bound("segment.words @@ to_tsquery('simple', :{})", " <-> ".join(words) + ":*"))
    glued = "".join(re.findall(r"[^\W_]+", phrase.lower()))
    if not inside_worthy(glued, letters=6):
        return found
    # Text read in pictures loses its spaces ("Tablebookedat CasaAzul",
    # "RECEIPTRE16TGK"): there, the phrase is looked for with spaces ignored.
    return found.union(select(Segment.media_id).join(Media).where(held_inside(glued, bool(CJK.search(glued)))))


def at_place(place: str, sqlite: bool):
    """Media taken at ``place``: its name rides on picture segments
    (images, video frames) as their text, found through the word index
    (FTS5 text column, accents folded; PostgreSQL: weight-D words), so a
    million photos are not scanned. Every word must match."""
    words = re.findall(r"[^\W_]+", fold(place) if sqlite else place.lower())[:8]
    sub = select(Segment.media_id).where(Segment.source.in_((SOURCE_IMAGE, SOURCE_FRAME)))
    if not words:
        return sub.where(false())
    if sqlite:
        match = " AND ".join(f'text : "{w}"' for w in words)
        return join_fts(sub).where(_bound("segment_fts MATCH :{}", match))
    return sub.where(_bound("segment.words @@ to_tsquery('simple', :{})", " & ".join(f"{w}:D" for w in words)))


_BIND = itertools.count()


def _bound(sql: str, value: str):
    """``sql`` with its one parameter under a name of its own: two places or
    two exact phrases in one statement must not share a bound value."""
    name = f"p{next(_BIND)}"
    return text_sql(sql.format(name)).bindparams(**{name: value})
