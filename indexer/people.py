"""Grouping faces into people, a run at a time.

Each run looks at the faces nobody holds yet:
1. A face joins the person whose faces it is nearest (the mean distance to
   that person's ``COMPARED`` nearest faces, or to the person's centre when
   the faces are gone after a rebuild) when that distance is under ``JOIN``
   (``JOIN_POOR`` for a small, blurred or turned face) and no other person is
   nearly as near (twins, siblings and babies are where grouping goes wrong:
   a face that could be either waits).
2. The good faces still waiting form new people: a face and the waiting
   faces near it (each within ``START`` of the group on average and
   ``START_MAX`` of every member) become a person once there are
   ``MIN_NEW`` of them. Poor faces never start a person.
3. The faces still waiting get a second look, against the people just
   made (so a person's other photos join in the run that found them).
Never: two faces of one picture (or one moment of a video) in one person, a face back with a person the
user took it out of, a face the user placed moved. People are never merged
by grouping (only by the user). Each decision is written with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mediasearch.store.catalog.faces import FaceSet

# Chosen on the tuned half of faces-lfw-dev (benchmarks/faces.py; figures in the README).
JOIN = 0.52
JOIN_POOR = 0.50
MARGIN = 0.03     # the nearest person must be this much nearer than the next
START = 0.54
START_MAX = 0.62
MIN_NEW = 2
COMPARED = 5
BLOCK = 3000      # waiting faces compared pairwise at once (36 MB of distances)


@dataclass
class Grouping:
    joins: list[tuple[int, int, dict]] = field(default_factory=list)   # face id, person id, why
    new_people: list[tuple[list[int], dict]] = field(default_factory=list)  # face ids, why


def group(fs: FaceSet, centres: dict[int, np.ndarray]) -> Grouping:
    """What this run decides for the waiting faces of ``fs``."""
    out = Grouping()
    waiting = np.flatnonzero((fs.person_ids < 0) & ~fs.forgotten)
    if waiting.size == 0:
        return out
    members: dict[int, list[int]] = {}
    for i in np.flatnonzero(fs.person_ids >= 0):
        members.setdefault(int(fs.person_ids[i]), []).append(int(i))
    files = {p: {int(fs.frames[i]) for i in idx} for p, idx in members.items()}
    people = sorted(set(members) | set(centres))
    joined = set()
    if people:
        for i in _best_first(fs, waiting):
            choice = _nearest_person(fs, int(i), people, members, centres, files)
            if choice is None:
                continue
            person, distance, compared = choice
            out.joins.append((int(fs.ids[i]), person, {"by": "distance", "distance": round(distance, 3),
                                                       "compared": compared}))
            joined.add(int(i))
            files.setdefault(person, set()).add(int(fs.frames[i]))
    rest = np.asarray([i for i in waiting if fs.good[i] and int(i) not in joined], np.int64)
    # In blocks, so the distances held stay bounded (faces left over wait
    # for the next run, where the people made here can take them).
    for start in range(0, rest.size, BLOCK):
        out.new_people += _start_people(fs, rest[start:start + BLOCK])
    if out.new_people:  # the faces still waiting may join the people just made, in this same run
        _join_new(fs, waiting, joined, out, members, files)
    return out


def _join_new(fs: FaceSet, waiting: np.ndarray, joined: set[int], out: Grouping,
              members: dict[int, list[int]], files: dict[int, set[int]]) -> None:
    """A second look at the waiting faces once new people exist (numbered
    here -1, -2...: ``FaceTable.group`` gives them their ids)."""
    pos = {int(fid): i for i, fid in enumerate(fs.ids)}
    started = set()
    for n, (face_ids, _) in enumerate(out.new_people):
        key = -(n + 1)
        members[key] = [pos[f] for f in face_ids]
        files[key] = {int(fs.frames[i]) for i in members[key]}
        started |= set(members[key])
    people = sorted(members)
    for i in _best_first(fs, waiting):
        if int(i) in joined or int(i) in started:
            continue
        choice = _nearest_person(fs, int(i), people, members, {}, files)
        if choice is None or choice[0] >= 0:
            continue  # (an old person already had its chance in the first look)
        person, distance, compared = choice
        out.joins.append((int(fs.ids[i]), person, {"by": "distance", "distance": round(distance, 3),
                                                   "compared": compared}))
        joined.add(int(i))
        files[person].add(int(fs.frames[i]))


def _best_first(fs: FaceSet, idx: np.ndarray) -> np.ndarray:
    return idx[np.argsort(~fs.good[idx], kind="stable")]


def _nearest_person(fs: FaceSet, i: int, people: list[int], members: dict[int, list[int]],
                    centres: dict[int, np.ndarray], files: dict[int, set[int]]):
    """(person, distance, faces compared) this face joins, or None."""
    refused = fs.not_people.get(int(fs.ids[i]), set())
    scores = []
    for p in people:
        if p in refused or int(fs.frames[i]) in files.get(p, ()):
            continue
        idx = members.get(p)
        if idx:
            d = np.linalg.norm(fs.descriptors[idx] - fs.descriptors[i], axis=1)
            near = np.sort(d)[:COMPARED]
            scores.append((float(near.mean()), p, len(near)))
        elif p in centres:
            scores.append((float(np.linalg.norm(centres[p] - fs.descriptors[i])), p, 0))
    if not scores:
        return None
    scores.sort()
    best, person, compared = scores[0]
    if best >= (JOIN if fs.good[i] else JOIN_POOR):
        return None
    if len(scores) > 1 and scores[1][0] - best < MARGIN:
        return None  # as near to two people: it waits (or the user decides)
    return person, best, compared


def _start_people(fs: FaceSet, rest: np.ndarray) -> list[tuple[list[int], dict]]:
    """New people from good waiting faces, tightest groups first."""
    if rest.size < MIN_NEW:
        return []
    vecs = fs.descriptors[rest]
    dist = _pairwise(vecs)
    taken = np.zeros(rest.size, bool)
    # Seeds with the most close neighbours first: the densest groups start people.
    order = np.argsort(-(dist < START).sum(1), kind="stable")
    made = []
    for seed in order:
        if taken[seed]:
            continue
        group = [int(seed)]
        media = {int(fs.frames[rest[seed]])}
        for j in np.argsort(dist[seed]):
            j = int(j)
            if taken[j] or j in group or dist[seed, j] >= START_MAX:
                continue
            if int(fs.frames[rest[j]]) in media:
                continue
            d = dist[j, group]
            if d.mean() < START and d.max() < START_MAX:
                group.append(j)
                media.add(int(fs.frames[rest[j]]))
        if len(group) >= MIN_NEW:
            taken[group] = True
            spread = float(dist[np.ix_(group, group)].max())
            made.append(([int(fs.ids[rest[g]]) for g in group],
                         {"by": "new", "faces": len(group), "spread": round(spread, 3)}))
    return made


def _pairwise(v: np.ndarray) -> np.ndarray:
    sq = (v * v).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * (v @ v.T), 0.0)
    return np.sqrt(d2)


def explain(how: dict | None, person: str | None) -> str:
    """Why a face is where it is, in words."""
    who = person or "this person"
    if not how:
        return "not grouped yet"
    if how.get("merged_from") is not None:
        return f"merged into {who} by you (`people unmerge` undoes it)"
    if how.get("by") == "user":
        return f"put with {who} by you"
    if how.get("by") == "new":
        return f"started {who}: {how['faces']} faces within {how['spread']:.2f} of each other"
    if how.get("compared"):
        return f"joined {who}: distance {how['distance']:.2f} to {how['compared']} of their faces"
    return f"joined {who}: distance {how['distance']:.2f} to their usual face"
