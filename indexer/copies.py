"""New pictures that look like copies of ones already indexed, found while
indexing: each new picture's signature is looked up in a binary index of
every picture's eight orientations (FAISS range search), so the check costs
one lookup per new file, not a scan of all pairs. The run's report lists
them; `mediasearch duplicates` groups the whole library. Nothing is acted on.
"""
from __future__ import annotations

from .media.signature import FLAT, as_array, hash_bytes, orientation_index

# The duplicate finder's rules (search/duplicates.py uses these): a copy
# within 8 bits, or within 16 when the model also sees the same content.
SAME_BITS = 8
EDIT_BITS = 16
EDIT_COSINE = 0.98


def copies_of_new(catalog, new_paths: set[str], dim: int, limit: int = 100) -> list[dict]:
    """[{"path", "like", "bits"}] for new pictures that copy a picture
    indexed before them, by the duplicate finder's rules."""
    if not new_paths:
        return []
    pics = [p for p in catalog.pictures() if p["signature"] and p["signature"] != FLAT]
    new = [i for i, p in enumerate(pics) if p["path"] in new_paths]
    if not new or len(pics) < 2:
        return []
    sigs = as_array([p["signature"] for p in pics])
    index = orientation_index(sigs)
    lims, dist, ids = index.range_search(hash_bytes(sigs[new, 0]), EDIT_BITS + 1)  # the radius is exclusive
    out = []
    for q, i in enumerate(new):
        best: dict[int, int] = {}
        for d, row in zip(dist[lims[q]:lims[q + 1]], ids[lims[q]:lims[q + 1]]):
            j = int(row) // 8
            if j != i and pics[j]["path"] not in new_paths:  # a copy of something already there
                best[j] = min(best.get(j, 64), int(d))
        edited = [j for j, d in best.items() if d > SAME_BITS]
        if edited:  # a crop or an edit: only when the model sees the same content too
            vecs = catalog.picture_vectors([pics[i]["media_id"]] + [pics[j]["media_id"] for j in edited], dim)
            for j, cos in zip(edited, vecs[1:] @ vecs[0]):
                if cos < EDIT_COSINE:
                    del best[j]
        if best:
            j = min(best, key=lambda k: (best[k], pics[k]["media_id"]))
            out.append({"path": pics[i]["path"], "like": pics[j]["path"], "bits": best[j]})
        if len(out) >= limit:
            break
    return out
