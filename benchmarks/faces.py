"""Faces found and people grouped, on photos written outside the project.

  python benchmarks/faces.py [--lfw ../shared/data/faces-lfw-dev] [--pd ../shared/data/faces-pd]

Prints JSON:
- ``lfw``: faces-lfw-dev (30 people with 4-12 photos, 150 one-photo
  distractors; research licence: measured here, never in the repo or the
  tests). The labelled face of a photo is the one found nearest its middle.
  Grouping runs as the product runs it (indexer/people.py), in three
  incremental runs over the photos; pair precision and recall of the
  people made, on the tuned half of the identities (every other one, by
  name; the thresholds were chosen there) and on the held-out half.
  ``two_of_one_photo``: people holding two faces of one photo (must be 0).
- ``pd``: faces-pd (public domain): faces found against the people the
  manifest names (unnamed bystanders can be there too), photos without a
  face where one was found.
- ``named_queries``: through the product on faces-pd: one photo's person
  named per identity, then the name searched.
- ``index_cost`` (``--index-cost``): indexing with faces on against off,
  bundled model, fresh data dirs, on faces-pd and 150 Flickr8k thumbnails.
- ``seconds``: detection + description per photo at 640 px and at
  4032x3024 (a faces-pd portrait enlarged), decoding included.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))  # the checkout as the mediasearch package's parent

from mediasearch.indexer import faces, people  # noqa: E402
from mediasearch.indexer.media.images import load_image  # noqa: E402
from mediasearch.store.catalog.faces import FaceSet  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
LIMIT = 400_000_000


def look(path: Path):
    got = load_image(path, LIMIT, max_side=faces.LOOK_SIDE)
    return faces.find_faces(got.image, (got.width, got.height))


def labelled(path: Path):
    """The face nearest the photo's middle (LFW photos are centred on theirs)."""
    found = look(path)
    if not found:
        return None
    return min(found, key=lambda f: abs(f.x + f.w / 2 - 0.5) + abs(f.y + f.h / 2 - 0.5))


def incremental(descriptors: np.ndarray, media: np.ndarray, good: np.ndarray, runs: int = 3) -> np.ndarray:
    """Person of each face after ``runs`` grouping runs, each seeing a third more photos."""
    person = np.full(len(descriptors), -1, np.int64)
    next_id = 1
    for r in range(1, runs + 1):
        seen = np.arange(len(descriptors)) < round(len(descriptors) * r / runs)
        idx = np.flatnonzero(seen)
        fs = FaceSet(ids=idx.astype(np.int64), frames=media[idx], descriptors=descriptors[idx], good=good[idx],
                     person_ids=person[idx], not_people={}, by_user=np.zeros(len(idx), bool),
                     forgotten=np.zeros(len(idx), bool))
        g = people.group(fs, {})
        made = list(range(next_id, next_id + len(g.new_people)))
        for (ids, _), pid in zip(g.new_people, made):
            person[ids] = pid
        for face_id, pid, _ in g.joins:
            person[face_id] = made[-pid - 1] if pid < 0 else pid
        next_id += len(made)
    return person


def pair_scores(truth: list[str], person: np.ndarray, keep: np.ndarray) -> dict:
    idx = np.flatnonzero(keep)
    tp = fp = fn = 0
    for a, b in combinations(idx, 2):
        same, grouped = truth[a] == truth[b], person[a] >= 0 and person[a] == person[b]
        tp += same and grouped
        fp += grouped and not same
        fn += same and not grouped
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None, "pairs_true": tp + fn, "pairs_made": tp + fp}


def lfw(folder: Path) -> dict:
    rows = json.loads((folder / "manifest.json").read_text())
    rng = np.random.default_rng(0)
    rows = [rows[i] for i in rng.permutation(len(rows))]  # photos arrive in no particular order
    found, truth, desc, good, media = 0, [], [], [], []
    for n, row in enumerate(rows):
        f = labelled(folder / row["file"])
        if f is None:
            continue
        found += 1
        truth.append(row["identity"])
        desc.append(f.descriptor)
        good.append(f.good)
        media.append(n)
    person = incremental(np.asarray(desc, np.float32), np.asarray(media, np.int64), np.asarray(good, bool))
    names = sorted({r["identity"] for r in rows})
    tuned = {name for i, name in enumerate(names) if i % 2 == 0}
    halves = {h: pair_scores(truth, person, np.asarray([(t in tuned) == (h == "tuned") for t in truth]))
              for h in ("tuned", "held_out")}
    return {"photos": len(rows), "faces_found": found, **halves,
            "people_made": int(len(set(person[person >= 0].tolist()))),
            "faces_grouped": int((person >= 0).sum()), "good_faces": int(np.sum(good))}


def pd(folder: Path) -> dict:
    rows = json.loads((folder / "manifest.json").read_text())
    named = found = noface_false = 0
    per_photo = {}
    for row in rows:
        n = len(look(folder / row["file"]))
        there = len(row.get("people", []))
        per_photo[row["file"]] = {"found": n, "named": there}
        if row["file"].startswith("_noface/"):
            noface_false += n > 0
        named += there
        found += min(n, there)
    return {"photos": len(rows), "named_people": named, "found_up_to_named": found,
            "noface_photos_with_a_face": noface_false, "per_photo": per_photo}


def named_queries(folder: Path) -> dict:
    """Through the product: faces-pd indexed (faces on), the person holding
    each identity's first photo named, then the name searched: the share of
    that identity's photos (the manifest's people) in the answer, and the
    answer's photos that are not theirs."""
    import shutil
    import tempfile

    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    from mediasearch.search.service import SearchRequest, SearchService
    from mediasearch.store.settings import Settings

    folder = folder.resolve()
    rows = json.loads((folder / "manifest.json").read_text())
    home = Path(tempfile.mkdtemp())
    lib = Library(Settings(home=home, model="fake", faces="auto", ocr="off", network_timeout=0))
    try:
        Indexer(lib).run([folder])
        fs = lib.catalog.face_set()
        held = [(int(p), int(f)) for p, f in zip(fs.person_ids, fs.frames) if p >= 0]
        out = {"two_faces_of_one_photo_in_one_person": len(held) - len(set(held))}
        for name in sorted({r["identity"] for r in rows if not r["file"].startswith("_")}):
            theirs = {str(folder / r["file"]) for r in rows if name in r.get("people", [])}
            first = str(folder / next(r["file"] for r in rows if r.get("identity") == name))
            media = lib.catalog.known_at([first])[first].id
            held = [f for f in lib.catalog.faces_of(media_ids=[media]) if f["person_id"]]
            if not held:
                out[name] = {"named": False, "photos": len(theirs)}
                continue
            lib.catalog.name_person(max(held, key=lambda f: f["quality"])["person_id"], name)
            got = {r.path for r in SearchService(lib).search(SearchRequest(texts=[name], k=100)).results}
            out[name] = {"photos": len(theirs), "found": len(got & theirs), "not_theirs": len(got - theirs)}
        return out
    finally:
        lib.close()
        shutil.rmtree(home, ignore_errors=True)


def seconds(folder: Path) -> dict:
    portrait = Image.open(folder / "Joe_Biden" / "2.jpg").convert("RGB")
    out = {}
    for label, size in (("640px", (640, 480)), ("4032x3024", (4032, 3024))):
        buf = io.BytesIO()
        portrait.resize(size).save(buf, "JPEG", quality=90)
        path = Path(f"/tmp/faces-bench-{label}.jpg")
        path.write_bytes(buf.getvalue())
        look(path)  # models loaded
        t = time.perf_counter()
        for _ in range(5):
            look(path)
        out[label] = round((time.perf_counter() - t) / 5, 3)
    return out


def index_seconds(folder: Path, faces_mode: str) -> float:
    """Indexing ``folder`` into a fresh data dir with the bundled model, whole."""
    import shutil
    import tempfile

    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    from mediasearch.store.settings import Settings

    home = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    lib = Library(Settings(home=home, model="bundled", faces=faces_mode, network_timeout=0))
    try:
        Indexer(lib).run([folder])
    finally:
        lib.close()
        shutil.rmtree(home, ignore_errors=True)
    return time.perf_counter() - t


def index_cost(pd_folder: Path, flickr: Path, n: int = 150) -> dict:
    """Indexing with faces on over off: faces-pd (real-size photos) and the
    first ``n`` Flickr8k-1000 photos (200-px thumbnails)."""
    import shutil
    import tempfile

    small = Path(tempfile.mkdtemp())
    for f in sorted(flickr.glob("*.jpg"))[:n]:
        shutil.copy(f, small / f.name)
    out = {}
    for label, folder in (("faces_pd", pd_folder), (f"flickr_{n}", small)):
        # Alternated, the faster of two each (the first run of a process
        # also pays one-time loads; this machine is noisy).
        runs = [(index_seconds(folder, "off"), index_seconds(folder, "auto")) for _ in range(2)]
        off, on = min(r[0] for r in runs), min(r[1] for r in runs)
        out[label] = {"off_s": round(off, 1), "on_s": round(on, 1), "ratio": round(on / off, 2)}
    shutil.rmtree(small, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lfw", default=str(DATA / "faces-lfw-dev"))
    ap.add_argument("--pd", default=str(DATA / "faces-pd"))
    ap.add_argument("--skip-pd", action="store_true")
    ap.add_argument("--index-cost", action="store_true", help="also time indexing with faces off and on (minutes)")
    ap.add_argument("--flickr", default=str(DATA / "flickr8k-1000" / "images"))
    a = ap.parse_args()
    out = {"lfw": lfw(Path(a.lfw)), "seconds": seconds(Path(a.pd)),
           "thresholds": {k: getattr(people, k) for k in ("JOIN", "JOIN_POOR", "MARGIN", "START", "START_MAX",
                                                          "MIN_NEW", "COMPARED")}}
    if not a.skip_pd:
        out["pd"] = pd(Path(a.pd))
        out["named_queries"] = named_queries(Path(a.pd))
    if a.index_cost:
        out["index_cost"] = index_cost(Path(a.pd), Path(a.flickr))
    print(json.dumps(out, indent=1, default=int))


if __name__ == "__main__":
    main()
