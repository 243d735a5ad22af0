"""Faces and the people they are grouped into.

Faces are written by the faces stage (one transaction per batch of files,
guarded like the other catch-up stages: a file changed meanwhile gains
nothing). Grouping decisions and the user's corrections (name, merge, take
a face out, "not this person", hide, forget) are written here; what to
decide is the indexer's (indexer/people.py).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, func, select, update

from ..errors import NotFoundError
from ..schema import STATUS_OK, Face, Media, Person
from .base import Part, chunks

DIM = 128  # dlib's face descriptor


@dataclass
class NewFace:
    x: float
    y: float
    w: float
    h: float
    size: int
    quality: float
    good: bool
    descriptor: np.ndarray
    t: float | None = None
    landmarks: list[list[float]] | None = None  # eye corners and nose, fractions of the picture


@dataclass
class FoundFaces:
    """What the faces stage found in one file (``state``: looked / failed)."""

    media_id: int
    content_hash: str | None
    faces: list[NewFace] = field(default_factory=list)
    state: str = "looked"


@dataclass
class FaceSet:
    """Every face, as arrays, for grouping."""

    ids: np.ndarray
    frames: np.ndarray  # one number per picture or video moment: two faces there are two people
    descriptors: np.ndarray
    good: np.ndarray
    person_ids: np.ndarray  # -1: nobody yet
    not_people: dict[int, set[int]]
    by_user: np.ndarray  # put with its person by the user: never moved by grouping
    forgotten: np.ndarray  # its person was forgotten: grouping leaves it alone


def _vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


class FaceTable(Part):
    """Faces found, people made, and what the user said of them."""

    def add_faces(self, found: list[FoundFaces]) -> int:
        """Store what the stage found; files changed or looked at meanwhile
        are skipped. The number of files whose faces were stored."""
        now, stored = time.time(), 0
        with self.db.write() as s:
            for f in found:
                taken = s.execute(update(Media).where(Media.id == f.media_id, Media.faces.is_(None),
                                                      Media.content_hash.is_not_distinct_from(f.content_hash))
                                  .values(faces=f.state, updated_at=now))
                if taken.rowcount != 1:
                    continue
                stored += 1
                s.add_all(Face(media_id=f.media_id, t=n.t, x=n.x, y=n.y, w=n.w, h=n.h, size=n.size,
                               landmarks=json.dumps(n.landmarks) if n.landmarks else None,
                               quality=n.quality, good=int(n.good), descriptor=np.asarray(n.descriptor, np.float32)
                               .tobytes()) for n in f.faces)
        return stored

    def face_set(self) -> FaceSet:
        stmt = (select(Face.id, Face.media_id, Face.t.label("at"), Face.descriptor, Face.good, Face.person_id, Face.not_people, Face.how)
                .join(Media).where(Media.status == STATUS_OK).order_by(Face.id))
        with self.db.read() as s:
            rows = s.execute(stmt).all()
        n = len(rows)
        desc = np.zeros((n, DIM), np.float32)
        for i, r in enumerate(rows):
            desc[i] = _vec(r.descriptor)
        return FaceSet(
            ids=np.asarray([r.id for r in rows], np.int64),
            frames=np.asarray([r.media_id * 1_000_000 + (0 if r.at is None else round(r.at * 10) + 1) for r in rows],
                              np.int64),
            descriptors=desc, good=np.asarray([bool(r.good) for r in rows], bool),
            person_ids=np.asarray([-1 if r.person_id is None else r.person_id for r in rows], np.int64),
            not_people={r.id: set(json.loads(r.not_people)) for r in rows if r.not_people},
            by_user=np.asarray([bool(r.how) and json.loads(r.how).get("by") == "user" for r in rows], bool),
            forgotten=np.asarray([bool(r.how) and bool(json.loads(r.how).get("forgotten")) for r in rows], bool))

    def centres(self) -> dict[int, np.ndarray]:
        """Each person's centre (kept on the person: it outlives the faces)."""
        with self.db.read() as s:
            return {pid: _vec(c) for pid, c in s.execute(select(Person.id, Person.centre)
                                                        .where(Person.centre.is_not(None)))}

    def group(self, joins: list[tuple[int, int, dict]], new_people: list[tuple[list[int], dict]]) -> list[int]:
        """Write a grouping run: new people (their faces, why) and faces
        joining people (face, person, why; person -1, -2... is the first,
        second... new one); the new people's ids. Centres follow."""
        now = time.time()
        made = []
        with self.db.write() as s:
            for face_ids, how in new_people:
                person = Person(created_at=now)
                s.add(person)
                s.flush()
                made.append(person.id)
                for part in chunks(face_ids):
                    s.execute(update(Face).where(Face.id.in_(part), Face.person_id.is_(None))
                              .values(person_id=person.id, how=json.dumps(how)))
            for face_id, person_id, how in joins:
                person_id = made[-person_id - 1] if person_id < 0 else person_id
                s.execute(update(Face).where(Face.id == face_id, Face.person_id.is_(None))
                          .values(person_id=person_id, how=json.dumps(how)))
            touched = {made[-p - 1] if p < 0 else p for _, p, _ in joins} | set(made)
            _update_centres(s, touched)
        return made

    # -- what the user says ------------------------------------------------
    def name_person(self, person_id: int, name: str | None) -> None:
        with self.db.write() as s:
            _require(s, person_id)
            s.execute(update(Person).where(Person.id == person_id).values(name=(name or "").strip() or None))

    def hide_person(self, person_id: int, hidden: bool = True) -> None:
        with self.db.write() as s:
            _require(s, person_id)
            s.execute(update(Person).where(Person.id == person_id).values(hidden=int(hidden)))

    def merge_people(self, into: int, other: int) -> None:
        """``other``'s faces become ``into``'s (the user's word: never undone
        by grouping); ``into`` keeps its name, or takes ``other``'s."""
        if into == other:
            return
        with self.db.write() as s:
            keep, gone = _require(s, into), _require(s, other)
            took = bool(not keep.name and gone.name)
            how = json.dumps({"by": "user", "merged_from": other, "name": gone.name, "hidden": gone.hidden,
                              "took_name": took})
            s.execute(update(Face).where(Face.person_id == other).values(person_id=into, how=how))
            if took:
                keep.name = gone.name
            s.delete(gone)
            s.flush()
            _update_centres(s, {into})

    def unmerge(self, person_id: int) -> list[int]:
        """Undo the merges into this person: each merged person comes back
        with its faces and its name; the people made again."""
        now, made = time.time(), []
        with self.db.write() as s:
            keep = _require(s, person_id)
            merged: dict[int, list[tuple[int, dict]]] = {}
            for fid, how in s.execute(select(Face.id, Face.how).where(Face.person_id == person_id,
                                                                       Face.how.is_not(None))):
                why = json.loads(how)
                if why.get("merged_from") is not None:
                    merged.setdefault(why["merged_from"], []).append((fid, why))
            for faces in merged.values():
                why = faces[0][1]
                if why.get("took_name") and keep.name == why.get("name"):
                    keep.name = None  # the name goes back with the person it came from
                person = Person(name=why.get("name"), hidden=int(why.get("hidden") or 0), created_at=now)
                s.add(person)
                s.flush()
                made.append(person.id)
                for part in chunks([fid for fid, _ in faces]):
                    s.execute(update(Face).where(Face.id.in_(part)).values(
                        person_id=person.id, how=json.dumps({"by": "user", "unmerged_from": person_id})))
            _update_centres(s, {person_id, *made})
        return made

    def take_out(self, face_id: int) -> int | None:
        """"Not this person": the face leaves its person and never rejoins
        it; the person it left (None if it had none)."""
        with self.db.write() as s:
            face = s.get(Face, face_id)
            if face is None:
                raise NotFoundError(f"no face {face_id}")
            left = face.person_id
            if left is not None:
                face.not_people = json.dumps(sorted(set(json.loads(face.not_people or "[]")) | {left}))
            face.person_id, face.how = None, json.dumps({"by": "user", "taken_out_of": left})
            s.flush()
            if left is not None:
                _update_centres(s, {left})
            return left

    def move_face(self, face_id: int, person_id: int) -> None:
        """The user puts a face with a person (it stays there)."""
        with self.db.write() as s:
            _require(s, person_id)
            face = s.get(Face, face_id)
            if face is None:
                raise NotFoundError(f"no face {face_id}")
            old = face.person_id
            face.person_id, face.how = person_id, json.dumps({"by": "user", "moved_from": old})
            s.flush()
            _update_centres(s, {person_id} | ({old} if old else set()))

    def forget_person(self, person_id: int) -> None:
        """The person goes, and its faces are left alone by grouping (else
        the same faces would make the same person again at the next run)."""
        with self.db.write() as s:
            _require(s, person_id)
            s.execute(update(Face).where(Face.person_id == person_id).values(
                person_id=None, how=json.dumps({"by": "user", "forgotten": person_id})))
            s.execute(delete(Person).where(Person.id == person_id))

    def forget_all(self) -> int:
        """Every face and person deleted; files are looked at again only when
        faces are on at the next run. The number of faces deleted."""
        with self.db.write() as s:
            n = s.scalar(select(func.count(Face.id))) or 0
            s.execute(delete(Face))
            s.execute(delete(Person))
            s.execute(update(Media).where(Media.faces.is_not(None)).values(faces=None))
        return n

    # -- reads for the people view and search ---------------------------------
    def people(self, include_hidden: bool = False) -> list[dict]:
        stmt = (select(Person.id, Person.name, Person.hidden, func.count(Face.id.distinct()).label("faces"),
                       func.count(Face.media_id.distinct()).label("files"))
                .join(Face, Face.person_id == Person.id).join(Media, Media.id == Face.media_id)
                .where(Media.status == STATUS_OK).group_by(Person.id, Person.name, Person.hidden)
                .order_by(Person.name.is_(None), func.count(Face.id.distinct()).desc(), Person.id))
        if not include_hidden:
            stmt = stmt.where(Person.hidden == 0)
        with self.db.read() as s:
            return [{"id": r.id, "name": r.name, "hidden": bool(r.hidden), "faces": r.faces, "files": r.files}
                    for r in s.execute(stmt)]

    def faces_of(self, person_id: int | None = None, media_ids: list[int] | None = None,
                 limit: int | None = None, face_ids: list[int] | None = None) -> list[dict]:
        """Faces of a person (best first), of some files, or by id, with the file."""
        stmt = (select(Face.id, Face.media_id, Face.t.label("at"), Face.x, Face.y, Face.w, Face.h, Face.size,
                       Face.landmarks, Face.quality,
                       Face.good, Face.person_id, Face.how, Media.path, Person.name)
                .join(Media, Media.id == Face.media_id).outerjoin(Person, Person.id == Face.person_id)
                .where(Media.status == STATUS_OK))
        if person_id is not None:
            stmt = stmt.where(Face.person_id == person_id)
        if media_ids is not None:
            stmt = stmt.where(Face.media_id.in_(media_ids))
        if face_ids is not None:
            stmt = stmt.where(Face.id.in_(face_ids))
        stmt = stmt.order_by(Face.quality.desc(), Face.id).limit(limit)
        with self.db.read() as s:
            return [{"id": r.id, "media_id": r.media_id, "t": r.at, "box": [r.x, r.y, r.w, r.h], "size": r.size,
                     "landmarks": json.loads(r.landmarks) if r.landmarks else None,
                     "quality": round(r.quality, 3), "good": bool(r.good), "person_id": r.person_id,
                     "person": r.name, "how": json.loads(r.how) if r.how else None, "path": r.path}
                    for r in s.execute(stmt)]

    def named(self) -> dict[str, int]:
        """Names given -> person id (hidden people included: a name is a name)."""
        with self.db.read() as s:
            return {name: pid for pid, name in s.execute(select(Person.id, Person.name)
                                                         .where(Person.name.is_not(None)))}

    def face_counts(self, media_ids: list[int]) -> dict[int, int]:
        """How many faces each of these files holds (files without any left out)."""
        out: dict[int, int] = {}
        with self.db.read() as s:
            for part in chunks([int(i) for i in media_ids]):
                stmt = select(Face.media_id, func.count(Face.id)).where(Face.media_id.in_(part)).group_by(Face.media_id)
                out.update((media, n) for media, n in s.execute(stmt))
        return out

    def has_faces(self) -> bool:
        """Whether any face was found (one row read, not a count of all:
        every search asks)."""
        with self.db.read() as s:
            return s.scalar(select(Face.id).limit(1)) is not None

    def face_count(self) -> int:
        with self.db.read() as s:
            return s.scalar(select(func.count(Face.id))) or 0


def _require(s, person_id: int) -> Person:
    person = s.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"no person {person_id}")
    return person


def _update_centres(s, person_ids: set[int]) -> None:
    """A person's centre: the mean of its faces' descriptors (unchanged when
    it has none left, so a named person is still found after a rebuild)."""
    for pid in person_ids:
        blobs = s.scalars(select(Face.descriptor).where(Face.person_id == pid)).all()
        if blobs:
            centre = np.mean([_vec(b) for b in blobs], axis=0).astype(np.float32)
            s.execute(update(Person).where(Person.id == pid).values(centre=centre.tobytes()))
