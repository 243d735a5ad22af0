"""New pictures that look like copies, found while indexing: of pictures
indexed before, or of each other when several arrive in one run. Each new
picture's signature is looked up both ways in binary indexes of every
picture's eight orientations (FAISS range search), so the check costs two
lookups per new file, not a scan of all pairs. The pair rule is the
duplicate finder's (`signature.pair_distance`), so the run's report and
`mediasearch duplicates` never disagree. Nothing is acted on.
"""
from __future__ import annotations

from .media.containment import CONTAINED, containment
from .media.images import load_image
from .media.signature import FLAT, as_array, best_turn, close_pairs, pair_distance

# The duplicate finder's rules (search/duplicates.py uses these): a copy
# within 8 bits; within 16 when the model also sees the same content and one
# picture lies whole inside the other (media/containment.py): a crop, a
# banner or border added. Without that, a near pair is only "similar" (a
# second shot, another dog on another shore) and never offered for clean-up.
SAME_BITS = 8
EDIT_BITS = 16     # nearer than this, alike to the model, not held: "similar"
CONTAINED_BITS = 24  # an edit (a banner added to a 2x enlargement: 18-26 bits) counts when one holds the other
EDIT_COSINE = 0.98
LOOK_SIDE = 256  # the pictures compared for containment are decoded this small


class Looks:
    """Pictures decoded small for the containment check, once each per scan."""

    def __init__(self, max_pixels: int):
        self.max_pixels = max_pixels
        self._seen: dict[str, object] = {}

    def __call__(self, path: str):
        if path not in self._seen:
            try:
                self._seen[path] = load_image(path, self.max_pixels, max_side=LOOK_SIDE).image
            except Exception:  # unreadable now (gone, changed, corrupt): no evidence
                self._seen[path] = None
        return self._seen[path]


def edited_copy(path_a: str, path_b: str, sig_a, sig_b, looks: Looks) -> bool:
    """Whether a near pair (beyond SAME_BITS) is one picture edited: one of
    them lies whole inside the other."""
    a, b = looks(path_a), looks(path_b)
    return a is not None and b is not None and containment(a, b, best_turn(sig_a, sig_b)) >= CONTAINED


def copies_of_new(catalog, new_paths: set[str], dim: int, limit: int = 100,
                  max_pixels: int = 100_000_000) -> list[dict]:
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
    pairs = close_pairs(sigs, CONTAINED_BITS, involving=new)
    looks = Looks(max_pixels)
    for (i, j), d in list(pairs.items()):  # near signatures: unless identical, one must hold the other
        if 0 < d <= SAME_BITS and not edited_copy(pics[i]["path"], pics[j]["path"], sigs[i], sigs[j], looks):
            del pairs[(i, j)]
    edited = [pair for pair, d in pairs.items() if d > SAME_BITS]
    if edited:  # a crop or an edit: only when the model also sees the same content
        rows = sorted({i for pair in edited for i in pair})
        vecs = catalog.picture_vectors([pics[i]["media_id"] for i in rows], dim)
        at = {i: k for k, i in enumerate(rows)}
        for i, j in edited:
            if float(vecs[at[i]] @ vecs[at[j]]) < EDIT_COSINE or not edited_copy(
                    pics[i]["path"], pics[j]["path"], sigs[i], sigs[j], looks):
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
    union = Union(len(pics))
    for a, b in pairs:
        if a in is_new and b in is_new:
            union.join(a, b)
    first: dict[int, int] = {}
    for i in sorted(is_new, key=lambda k: pics[k]["media_id"]):
        first.setdefault(union.find(i), i)
    return {i: first[union.find(i)] for i in is_new}


class Union:
    """Disjoint sets of rows (path halving): copies joined into groups, here
    and in the duplicate finder."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)
