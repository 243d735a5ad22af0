"""The faces stage: pictures and videos not looked at for faces yet (new
ones and those indexed before the stage existed) are looked at, a batch per
commit, then the waiting faces are grouped into people (indexer/people.py).
A stop loses at most one batch; the next run goes on where it stopped."""
from __future__ import annotations

import logging
from collections.abc import Callable

from mediasearch.store.catalog import FoundFaces
from mediasearch.store.errors import MediaDecodeError

from . import faces, people
from .media.images import load_image
from .report import IndexReport, Progress

log = logging.getLogger(__name__)

BATCH = 16  # files per commit
VIDEO_SIDE = 800  # video moments are looked at this large (enlarged twice by find_faces)


def run(lib, report: IndexReport, progress: Callable[[Progress], None], should_stop: Callable[[], bool],
        phase: Callable[[str], None]) -> None:
    """Look at every file that owes faces, then group what waits."""
    catalog, s = lib.catalog, lib.settings
    todo = catalog.owing("faces", ("image", "video"))
    if todo:
        phase(f"looking for faces in {len(todo)} pictures and videos")
    done = 0
    for start in range(0, len(todo), BATCH):
        found = []
        for media_id, path, kind, content_hash in todo[start:start + BATCH]:
            found.append(look_at(media_id, path, kind, content_hash, s))
            done += 1
            progress(Progress(done, len(todo), path, stage="finding faces"))
            if should_stop():
                report.interrupted = True
                break
        catalog.add_faces(found)
        report.faces_found += sum(len(f.faces) for f in found)
        if report.interrupted:
            return
    if todo or catalog.has_faces():
        regroup(catalog, report)


def look_at(media_id: int, path: str, kind: str, content_hash: str | None, s) -> FoundFaces:
    """The faces of one file; one that cannot be read now is marked failed
    (its next change looks again)."""
    out = FoundFaces(media_id, content_hash)
    try:
        if kind == "image":
            got = load_image(path, s.max_image_pixels, max_side=faces.LOOK_SIDE)
            out.faces = faces.find_faces(got.image, (got.width, got.height))
        else:
            from .media.video import group_shots, probe, sample_frames

            info = probe(path)
            size = (info.width or VIDEO_SIDE, info.height or VIDEO_SIDE)
            for shot in group_shots(sample_frames(path, s.video_interval, s.scene_threshold,
                                                  max_side=VIDEO_SIDE), info.duration):
                out.faces += faces.find_faces(shot.image, size, t=round(shot.t_start, 3))
    except (MediaDecodeError, OSError) as e:
        log.info("faces: %s not looked at: %s", path, e)
        out.state = faces.FAILED
    return out


def regroup(catalog, report: IndexReport | None = None) -> people.Grouping:
    """Group the waiting faces and write the decisions."""
    grouping = people.group(catalog.face_set(), catalog.centres())
    if grouping.joins or grouping.new_people:
        catalog.group(grouping.joins, grouping.new_people)
    if report is not None:
        report.faces_grouped += len(grouping.joins) + sum(len(ids) for ids, _ in grouping.new_people)
        report.people_made += len(grouping.new_people)
    return grouping
