"""New pictures that look like copies, found while indexing: of pictures
indexed before, or of each other when several arrive in one run. Each new
picture's signature is looked up both ways in binary indexes of every
picture's eight orientations (FAISS range search), so the check costs two
lookups per new file, not a scan of all pairs. The pair rule is the
duplicate finder's (`signature.pair_distance`), so the run's report and
`mediasearch duplicates` never disagree. Nothing is acted on.
"""
from __future__ import annotations

from .media.signature import FLAT, as_array, close_pairs, pair_distance

# The duplicate finder's rules (search/duplicates.py uses these): a copy
# within 8 bits, or within 16 when the model also sees the same content.
SAME_BITS = 8
EDIT_BITS = 16
EDIT_COSINE = 0.98


def copies_of_new(catalog, new_paths: set[str], dim: int, limit: int = 100) -> list[dict]:
    """[{"path", "like", "bits", "earlier"}] for new pictures that copy
    another: ``earlier`` when that one was indexed before this run. Copies
    made of each other in this run are named against one of them (the
    first by id), which is not itself listed."""
    if not new_paths:
        return []
    pics = [p for p in catalog.pictures() if p["signature"] and p["signature"] != FLAT]
    new = [i for i, p in enumerate(pics) if p["path"] in new_paths]
    if not new or len(pics) < 2:
        return []
    sigs = as_array([p["signature"] for p in pics])
    pairs = close_pairs(sigs, EDIT_BITS, involving=new)
    edited = [pair for pair, d in pairs.items() if d > SAME_BITS]
    if edited:  # a crop or an edit: only when the model also sees the same content
        rows = sorted({i for pair in edited for i in pair})
        vecs = catalog.picture_vectors([pics[i]["media_id"] for i in rows], dim)
        at = {i: k for k, i in enumerate(rows)}
        for i, j in edited:
            if float(vecs[at[i]] @ vecs[at[j]]) < EDIT_COSINE:
                del pairs[(i, j)]
    is_new = set(new)
    first = _first_of_new_groups(pairs, is_new, pics)
    out = []
    for i in sorted(new, key=lambda k: pics[k]["path"]):
        like = {j: d for (a, b), d in pairs.items() if i in (a, b) for j in (a, b) if j != i}
        older = {j: d for j, d in like.items() if j not in is_new}
        if older:
            j = min(older, key=lambda k: (older[k], pics[k]["media_id"]))
        elif like and first.get(i, i) != i:
            j = first[i]
            like[j] = like.get(j, pair_distance(sigs[i], sigs[j]))
        else:
            continue
        out.append({"path": pics[i]["path"], "like": pics[j]["path"], "bits": like[j],
                    "earlier": j not in is_new})
        if len(out) >= limit:
            break
    return out


def _first_of_new_groups(pairs: dict[tuple[int, int], int], is_new: set[int], pics: list[dict]) -> dict[int, int]:
    """For each new picture joined only to new ones: the group's first by id."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    for a, b in pairs:
        if a in is_new and b in is_new:
            ra, rb = find(a), find(b)
            if ra != rb:
                keep, drop = sorted((ra, rb), key=lambda k: pics[k]["media_id"])
                parent[drop] = keep
    return {i: find(i) for i in is_new}
