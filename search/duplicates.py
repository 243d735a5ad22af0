"""Near-duplicates: the copies a person actually has (recompressed, resized,
rotated, mirrored, cropped, brightened), grouped, each group with a
suggested keeper and the reason its members were grouped. Nothing is ever
deleted or moved here: the list is for the person to act on.

Two pictures are the same picture when their perceptual signatures
(indexer/media/signature.py, all eight orientations) are within
``SAME_BITS``; a crop or an edit changes the signature more, so a pair
within ``EDIT_BITS`` counts too when the model also sees the same content
(vector cosine >= ``EDIT_COSINE`` with the pair among each other's nearest
neighbours). Signatures are compared exhaustively in blocks (popcount of
XOR in FAISS's binary index), vectors through a FAISS nearest-neighbour search, so a 100k
library is one pass of minutes, not a pair loop.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

# Copies lie within SAME_BITS (6 measured; distinct photos >= 14); crops
# within EDIT_BITS (p95 16, median 10) when the model also sees the same
# content (EDIT_COSINE); benchmarks/duplicates.py swept both. One set of
# rules for the full scan here and the check of new files while indexing.
from mediasearch.indexer.copies import CONTAINED_BITS, EDIT_BITS, EDIT_COSINE, SAME_BITS, Looks, Union, edited_copy
from mediasearch.indexer.media.images import load_image
from mediasearch.indexer.media.signature import FLAT, as_array, close_pairs, pair_distance, signature
from mediasearch.store.errors import MediaDecodeError

NEIGHBOURS = 8
COPY_NAME = re.compile(r"(copy|kopie|copia|\(\d+\)|[-_ ]\d{1,2}$|edited|bearbeitet|-min$|whatsapp)", re.I)


@dataclass
class Group:
    items: list[dict]
    reasons: dict = field(default_factory=dict)   # signature_bits (max), cosine (min), pairs

    def to_dict(self) -> dict:
        return {"items": self.items, "reason": self.reasons}


class GroupUnion(Union):
    def groups(self, records: list[dict], make_item, why: dict[tuple[int, int], dict], keep: bool = True,
               max_pixels: int = 100_000_000):
        """Each group of two or more: (its items, with the keeper marked when
        ``keep``, the reasons of the pairs that joined it)."""
        members: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            members.setdefault(self.find(i), []).append(i)
        for idx in (m for m in members.values() if len(m) > 1):
            items = [make_item(records[i]) for i in idx]
            if keep:
                items[keeper([records[i] for i in idx], max_pixels)]["keep"] = True
            yield items, [w for (a, b), w in why.items() if a in idx and b in idx]


def _signatures(pics: list[dict], max_pixels: int) -> np.ndarray:
    """Stored signatures; pictures indexed before signatures existed get
    theirs from the file now (kept in memory only: this is a read)."""
    blobs = []
    for p in pics:
        sig = p["signature"]
        if sig is None:
            try:
                sig = signature(load_image(p["path"], max_pixels).image)
            except (MediaDecodeError, OSError):
                sig = FLAT  # unreadable now: matches nothing
        blobs.append(sig)
    return as_array(blobs) if blobs else np.zeros((0, 8), np.uint64)


def neighbour_pairs(vectors: np.ndarray, cosine: float) -> dict[tuple[int, int], float]:
    import faiss

    if len(vectors) < 2:
        return {}
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    sims, ids = index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(NEIGHBOURS + 1, len(vectors)))
    out = {}
    for i in range(len(vectors)):
        for s, j in zip(sims[i], ids[i]):
            if j >= 0 and j != i and s >= cosine:
                out[(min(i, int(j)), max(i, int(j)))] = float(s)
    return out


def keeper(items: list[dict], max_pixels: int = 100_000_000) -> int:
    """The suggested keeper, the original: the largest picture unless it was
    enlarged from a smaller one (an upscaled copy has more pixels, not more
    picture), then the earliest, then the name that does not look like a copy."""
    blown = _upscaled(items, max_pixels)

    def rank(i):
        p = items[i]
        stem = os.path.splitext(os.path.basename(p["path"]))[0]
        return (i in blown, -(p["width"] or 0) * (p["height"] or 0), p["taken_at"] or p["mtime"],
                bool(COPY_NAME.search(stem)), len(stem), p["path"])
    return min(range(len(items)), key=rank)


UPSCALED = 0.5  # detail per pixel against a smaller copy: 2x enlargements <= 0.46, originals >= 0.57 (benchmarks/duplicates.py)


def _upscaled(items: list[dict], max_pixels: int) -> set[int]:
    """Members enlarged from a smaller member: halving and re-enlarging them
    loses almost nothing, which a picture taken at that size never allows."""
    area = [(p["width"] or 0) * (p["height"] or 0) for p in items]
    sized = [a for a in area if a]
    if len(sized) < 2 or max(sized) < 1.25 * min(sized):  # no member much larger than another
        return set()
    soft: dict[int, float | None] = {}

    def softness(i: int) -> float | None:
        if i not in soft:
            soft[i] = _softness(items[i]["path"], max_pixels)
        return soft[i]

    # Largest first, until one is not enlarged (the keeper needs no more);
    # each against the two largest members clearly smaller than it.
    out = set()
    for i in sorted(range(len(items)), key=lambda k: -area[k]):
        smaller = sorted((j for j in range(len(items)) if area[j] and area[j] <= 0.8 * area[i]),
                         key=lambda k: -area[k])[:2]
        mine = softness(i) if smaller else None
        if mine is None or not any((s := softness(j)) and mine / s < UPSCALED for j in smaller):
            break
        out.add(i)
    return out


def _softness(path: str, max_pixels: int) -> float | None:
    """Mean change when the picture's centre is halved and enlarged again."""
    from PIL import Image

    try:
        g = load_image(path, max_pixels, max_side=4096).image.convert("L")
    except (MediaDecodeError, OSError):
        return None
    # The middle 60% (at most 768 px): a banner or border added at an edge
    # brings sharp edges of its own, which say nothing of the picture.
    w, h = min(768, max(8, int(g.width * 0.6))), min(768, max(8, int(g.height * 0.6)))
    x, y = (g.width - w) // 2, (g.height - h) // 2
    g = g.crop((x, y, x + w, y + h))
    a = np.asarray(g, np.float32)
    back = g.resize((max(1, g.width // 2), max(1, g.height // 2)), Image.BILINEAR).resize(g.size, Image.BICUBIC)
    value = float(np.abs(a - np.asarray(back, np.float32)).mean())
    return value or None


def find_groups(catalog, dim: int, max_pixels: int) -> list[Group]:
    pics = catalog.pictures()
    if len(pics) < 2:
        return []
    sigs = _signatures(pics, max_pixels)
    vectors = catalog.picture_vectors([p["media_id"] for p in pics], dim)
    union, alike = GroupUnion(len(pics)), GroupUnion(len(pics))
    why: dict[tuple[int, int], dict] = {}
    near: dict[tuple[int, int], dict] = {}
    flat = {i for i in range(len(pics)) if _is_flat(sigs[i])}  # no structure: matches nothing
    looks = Looks(max_pixels)
    # Nearest first; a pair already joined through others needs no pictures
    # decoded (a family of 10 copies: 9 checks, not 45).
    for (i, j), d in sorted(close_pairs(sigs, SAME_BITS).items(), key=lambda kv: kv[1]):
        if i in flat or j in flat:
            continue
        # Near signatures, yet two shots of one scene moved 5% can be this near:
        # unless they are identical, one must hold the other.
        if d and union.find(i) != union.find(j) and not edited_copy(
                pics[i]["path"], pics[j]["path"], sigs[i], sigs[j], looks):
            alike.join(i, j)
            near[(i, j)] = {"signature_bits": d}
            continue
        union.join(i, j)
        why[(i, j)] = {"signature_bits": d}
    for (i, j), cos in neighbour_pairs(vectors, EDIT_COSINE).items():
        if i in flat or j in flat or (i, j) in why or union.find(i) == union.find(j):  # already the same picture
            continue
        d = pair_distance(sigs[i], sigs[j])
        if d > CONTAINED_BITS:
            continue
        if edited_copy(pics[i]["path"], pics[j]["path"], sigs[i], sigs[j], looks):
            union.join(i, j)
            why[(i, j)] = {"signature_bits": d, "cosine": round(cos, 4)}
        elif d <= EDIT_BITS:  # alike to the model and the signature, yet neither holds the other: two photos
            alike.join(i, j)
            near[(i, j)] = {"signature_bits": d, "cosine": round(cos, 4)}
    groups = _same_groups(pics, union, why, looks)
    groups += _similar_groups(pics, alike, near, union)
    groups.sort(key=lambda g: (bool(g.reasons.get("similar")), -len(g.items), g.items[0]["path"]))
    return groups


def _same_groups(pics: list[dict], union: GroupUnion, why: dict, looks: Looks) -> list[Group]:
    groups = []
    for items, pairs in union.groups(pics, _item, why, max_pixels=looks.max_pixels):
        reasons = {"pairs": len(pairs), "signature_bits": max(w["signature_bits"] for w in pairs),
                   "how": "same picture (resized, recompressed, rotated or mirrored)"
                   if all("cosine" not in w for w in pairs) else "same picture, cropped or edited"}
        cos = [w["cosine"] for w in pairs if "cosine" in w]
        if cos:
            reasons["cosine"] = min(cos)
        groups.append(Group(items, reasons))
    return groups


def _similar_groups(pics: list[dict], alike: GroupUnion, near: dict, same: GroupUnion) -> list[Group]:
    """Pictures alike but not the same picture (a second shot, another dog
    on another shore): shown as similar, with no keeper, never offered for
    clean-up. A pair already in one same-picture group is not repeated."""
    groups = []
    for items, pairs in alike.groups(pics, _item, near, keep=False):
        ids = {it["media_id"] for it in items}
        if len({same.find(i) for i, p in enumerate(pics) if p["media_id"] in ids}) < 2:
            continue
        for it in items:
            it["keep"] = None
        cos = [w["cosine"] for w in pairs if "cosine" in w]
        groups.append(Group(items, {"how": "similar pictures, not the same picture: keep both", "similar": True,
                                    "pairs": len(pairs), "signature_bits": min(w["signature_bits"] for w in pairs),
                                    **({"cosine": min(cos)} if cos else {})}))
    return groups


def _is_flat(sig: np.ndarray) -> bool:
    return bool((sig == np.uint64(0xFFFFFFFFFFFFFFFF)).all())


def _item(p: dict) -> dict:
    return {"path": p["path"], "media_id": p["media_id"], "kind": "image", "width": p["width"],
            "height": p["height"], "taken_at": p["taken_at"], "size": p["size"], "keep": False}
