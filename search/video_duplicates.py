"""Near-duplicate videos: the same clip re-encoded, resized or trimmed a
little. Videos are compared by their moments, never by the first frame
alone: two videos are copies when nearly every moment of each (its stored
vector, and the perceptual signature of its keyframe) has a twin in the
other and their lengths agree. Black or uniform moments (fade-ins, title
cards of one colour) match nothing, so two different videos that open in
black are not copies (immich #27688).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.indexer.media.keyframes import keyframe_path
from mediasearch.indexer.media.signature import FLAT, as_array, distances, signature

from .duplicates import EDIT_BITS, SAME_BITS, Group, GroupUnion

MOMENT_COSINE = 0.9   # a moment's twin: the same keyframe by signature, or close by it and this close by vector ...
VECTOR_ONLY_COSINE = 0.95  # ... or, with no keyframes kept, this close by vector alone
COVERAGE = 0.8        # ... for this share of each video's moments
LENGTH_SLACK = 0.05   # lengths within 5% (or 2 s)


def find_video_groups(catalog, dim: int, home: Path) -> list[Group]:
    videos = sorted(catalog.videos(), key=lambda v: v["duration"] or 0.0)
    if len(videos) < 2:
        return []
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def moments(i: int):
        if i not in cache:
            cache[i] = _moments(catalog, videos[i], dim, home)
        return cache[i]

    union = GroupUnion(len(videos))
    why: dict[tuple[int, int], dict] = {}
    for i in range(len(videos)):
        for j in range(i + 1, len(videos)):
            if not _lengths_agree(videos[i]["duration"], videos[j]["duration"]):
                break  # sorted by length: no later one agrees either
            match = _same_clip(moments(i), moments(j))
            if match is not None:
                union.join(i, j)
                why[(i, j)] = match
    groups = []
    for items, pairs in union.groups(videos, _item, why):
        groups.append(Group(items, {"how": "same video (re-encoded, resized or trimmed)", "pairs": len(pairs),
                                    "moments_matched": min(p["moments_matched"] for p in pairs),
                                    "cosine": min(p["cosine"] for p in pairs)}))
    return groups


def _lengths_agree(a: float | None, b: float | None) -> bool:
    if not a or not b:
        return False
    return abs(a - b) <= max(2.0, LENGTH_SLACK * max(a, b))


def _moments(catalog, video: dict, dim: int, home: Path) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, signatures) of a video's moments that have structure; a
    moment whose keyframe is flat (black, one colour) is left out."""
    starts, vecs = catalog.moments(video["media_id"], dim)
    keep, sigs = [], []
    for k, t in enumerate(starts):
        path = keyframe_path(home, video["content_hash"] or "", t)
        try:
            with Image.open(path) as im:
                sig = signature(im.convert("RGB"))
        except OSError:
            sig = None  # no keyframe kept: the vector alone decides
        if sig == FLAT:
            continue
        keep.append(k)
        sigs.append(sig)
    known = [s for s in sigs if s is not None]
    return vecs[keep], (as_array(known) if len(known) == len(sigs) and sigs else None)


def _same_clip(a, b) -> dict | None:
    (va, sa), (vb, sb) = a, b
    if not len(va) or not len(vb):
        return None  # nothing but black or one colour: nothing to tell them apart by
    sims = va @ vb.T
    if sa is not None and sb is not None:
        # As for pictures: the same keyframe by signature, or a close one the model also sees alike.
        bits = distances(sa[:, 0], sb)
        twin = (bits <= SAME_BITS) | ((bits <= EDIT_BITS) & (sims >= MOMENT_COSINE))
    else:
        twin = sims >= VECTOR_ONLY_COSINE
    cover_a, cover_b = twin.any(1).mean(), twin.any(0).mean()
    if cover_a < COVERAGE or cover_b < COVERAGE:
        return None
    return {"moments_matched": f"{int(twin.any(1).sum())}/{len(va)}",
            "cosine": round(float(sims.max(1).min()), 4)}


def _item(v: dict) -> dict:
    return {"path": v["path"], "media_id": v["media_id"], "kind": "video", "width": v["width"],
            "height": v["height"], "taken_at": v["taken_at"], "duration": v["duration"], "size": v["size"],
            "keep": False}
