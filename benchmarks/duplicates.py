"""Near-duplicate groups on a generated set, through the product's index and
its duplicate finder. Prints JSON.

    python benchmarks/duplicates.py [--families 150] [--negatives 300] [--model bundled] [--scan 20000]

Each family is a dev photo and its copies: JPEG q=30, 50% size, rotated
90/180/270, mirrored, 10% crop, +20% brightness, and a 2x enlargement with a
text banner added; the negatives are other dev photos, untouched, and
"shots": two frames of one photo moved 5% and 15% apart (a second shot of
the scene: similar, never the same picture). Precision and recall count
pairs in same-picture groups (a family of 10 is 45 true pairs; a shot pair
grouped as the same picture is a false pair); keeper = the family's
original. --scan times the signature pass alone on that many random
signatures (the all-pairs part of a full scan).
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from _common import DEFAULT_FLICKR, emit
from PIL import Image, ImageEnhance, ImageOps

from mediasearch.indexer.library import Library
from mediasearch.indexer.media.signature import close_pairs
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.duplicates import find_groups
from mediasearch.store.settings import Settings


def _jpeg(im: Image.Image, q: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=q)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


COPIES = {
    "q30": lambda im: _jpeg(im, 30),
    "half": lambda im: im.resize((im.width // 2, im.height // 2)),
    "rot90": lambda im: im.rotate(90, expand=True),
    "rot180": lambda im: im.rotate(180),
    "rot270": lambda im: im.rotate(270, expand=True),
    "mirror": ImageOps.mirror,
    "crop10": lambda im: im.crop((int(im.width * .05), int(im.height * .05),
                                  int(im.width * .95), int(im.height * .95))),
    "bright20": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "banner_up2": lambda im: _banner(im.resize((im.width * 2, im.height * 2), Image.BICUBIC)),
}


def _banner(im: Image.Image) -> Image.Image:
    from PIL import ImageDraw

    out = Image.new("RGB", (im.width, int(im.height * 1.12)), "white")
    out.paste(im, (0, 0))
    ImageDraw.Draw(out).text((20, im.height + 10), "Happy holidays 2026!", fill="black")
    return out


def _incremental_lookup(rng) -> float:
    """What checking 100 new pictures against a 100k library costs while
    indexing (the binary index of every orientation, one range search per
    new file), without the catalog read."""
    from mediasearch.indexer.media.signature import hash_bytes, orientation_index

    sigs = rng.integers(0, 2**63, size=(100_000, 8), dtype=np.uint64)
    t = time.time()
    orientation_index(sigs).range_search(hash_bytes(sigs[:100, 0]), 17)
    return round(time.time() - t, 2)


def video_part(photos: list[Path], n: int, work: Path, model: str) -> dict:
    """``n`` clips (2 s of black, then 4 dev photos for 2 s each), each with a
    smaller WebM copy and a re-encoded MP4 copy, plus ``n`` other clips that
    open with the same black: video pair precision and recall."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mediasearch.search.video_duplicates import find_video_groups
    from tests.media_factory import video

    folder = work / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    frames = [np.asarray(Image.open(p).convert("RGB").resize((320, 240))) for p in photos[:8 * n]]
    black = (0, 0, 0)
    family: dict[str, int] = {}
    for i in range(n):
        clip = [(2.0, black)] + [(2.0, f) for f in frames[4 * i:4 * i + 4]]
        other = [(2.0, black)] + [(2.0, f) for f in frames[4 * (n + i):4 * (n + i) + 4]]
        for name, kw in ((f"v{i:03d}.mp4", {}), (f"v{i:03d}_small.webm", {"size": (160, 120), "codec": "libvpx"}),
                         (f"v{i:03d}_fps.mp4", {"fps": 15})):
            out = folder / name
            if not out.exists():
                video(out, clip, **{"size": (320, 240), **kw})
            family[str(out)] = i
        if not (folder / f"other{i:03d}.mp4").exists():
            video(folder / f"other{i:03d}.mp4", other, size=(320, 240))
    settings = Settings(home=work / "video-data", model=model)
    lib = Library(settings, model)
    Indexer(lib).run([folder])
    t0 = time.time()
    groups = find_video_groups(lib.catalog, lib.embedder.dim, settings.home)
    seconds = time.time() - t0
    lib.close()
    predicted = {tuple(sorted((a["path"], b["path"]))) for g in groups for a, b in combinations(g.items, 2)}
    truth = {tuple(sorted(p)) for p in combinations(family, 2) if family[p[0]] == family[p[1]]}
    hit = predicted & truth
    return {"videos": 4 * n, "groups": len(groups), "pair_precision": round(len(hit) / max(len(predicted), 1), 4),
            "pair_recall": round(len(hit) / max(len(truth), 1), 4), "seconds": round(seconds, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(DEFAULT_FLICKR))
    ap.add_argument("--families", type=int, default=150)
    ap.add_argument("--negatives", type=int, default=300)
    ap.add_argument("--model", default="bundled")
    ap.add_argument("--scan", type=int, default=20000)
    ap.add_argument("--shots", type=int, default=100, help="photos cut into two shots moved 5%% and 15%% apart")
    ap.add_argument("--videos", type=int, default=0, help="also this many video families (with black openings)")
    ap.add_argument("--work", default=None, help="keep the generated set and its index here (reused when present)")
    args = ap.parse_args()
    photos = sorted((Path(args.data) / "images").glob("*.jpg"))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ms-dups-"))
    lib_dir = work / "library"
    reuse = lib_dir.is_dir()
    lib_dir.mkdir(parents=True, exist_ok=True)
    family_of: dict[str, int] = {}
    for f, src in enumerate(photos[:args.families]):
        if reuse:
            family_of.update({str(lib_dir / f"f{f:04d}{s}.jpg"): f for s in ["", *(f"_{n}" for n in COPIES)]})
            continue
        im = Image.open(src).convert("RGB")
        im.save(lib_dir / f"f{f:04d}.jpg", quality=95)
        family_of[str(lib_dir / f"f{f:04d}.jpg")] = f
        for name, make in COPIES.items():
            out = lib_dir / f"f{f:04d}_{name}.jpg"
            make(im).save(out, quality=90)
            family_of[str(out)] = f
    for n, src in enumerate(photos[args.families:args.families + args.negatives] if not reuse else []):
        Image.open(src).convert("RGB").save(lib_dir / f"n{n:04d}.jpg", quality=95)
    shots = photos[args.families + args.negatives:args.families + args.negatives + args.shots]
    for n, src in enumerate(shots if not reuse else []):
        im = Image.open(src).convert("RGB")
        w, h = im.size
        for shift in (0.05, 0.15):
            im.crop((0, 0, int(w * (1 - shift)), h)).save(lib_dir / f"s{n:04d}_{int(shift * 100)}a.jpg", quality=95)
            im.crop((int(w * shift), 0, w, h)).save(lib_dir / f"s{n:04d}_{int(shift * 100)}b.jpg", quality=95)
    settings = Settings(home=work / "data", model=args.model)
    lib = Library(settings, args.model)
    Indexer(lib).run([lib_dir])
    items = len(list(lib_dir.iterdir()))
    t0 = time.time()
    groups = find_groups(lib.catalog, lib.embedder.dim, settings.max_image_pixels)
    seconds = time.time() - t0
    same = [g for g in groups if not g.reasons.get("similar")]

    def crop_of_a_shot(pair) -> bool:  # s0001_5a holds s0001_15a: a real crop, neither asked for nor wrong
        a, b = (p.rsplit("/", 1)[1] for p in pair)
        return a.startswith("s") and a[:5] == b[:5] and a[-5] == b[-5]

    predicted = {tuple(sorted((a["path"], b["path"]))) for g in same for a, b in combinations(g.items, 2)}
    predicted = {p for p in predicted if not crop_of_a_shot(p)}
    truth = {tuple(sorted(p)) for p in combinations(family_of, 2) if family_of[p[0]] == family_of[p[1]]}
    hit = predicted & truth
    shot_pairs_same = sum(1 for a, b in predicted if a.rsplit("/", 1)[1].startswith("s")
                          and a.rsplit("/", 1)[1][:5] == b.rsplit("/", 1)[1][:5])
    keepers = [next(i["path"] for i in g.items if i["keep"]) for g in same
               if any(i["path"] in family_of for i in g.items)]
    keeper_right = sum(1 for k in keepers if k.rsplit("/", 1)[1][:5].startswith("f") and "_" not in k.rsplit("/", 1)[1])
    missed: dict[str, int] = {}
    for a, b in truth - predicted:
        for name in COPIES:
            if a.endswith(f"_{name}.jpg") or b.endswith(f"_{name}.jpg"):
                missed[name] = missed.get(name, 0) + 1
    rng = np.random.default_rng(0)
    incremental_s = _incremental_lookup(rng)
    sigs = rng.integers(0, 2**63, size=(args.scan, 8), dtype=np.uint64)
    t1 = time.time()
    close_pairs(sigs, 8)
    scan_s = time.time() - t1
    out = ({"model": args.model, "items": items, "families": args.families, "negatives": args.negatives,
          "groups": len(groups), "pair_precision": round(len(hit) / max(len(predicted), 1), 4),
          "pair_recall": round(len(hit) / max(len(truth), 1), 4), "missed_pairs_by_copy": missed,
          "shot_pairs_grouped_as_same": shot_pairs_same, "similar_groups": len(groups) - len(same),
          "keeper_is_original": f"{keeper_right}/{len(keepers)}",
          "seconds": round(seconds, 2), "seconds_per_1000_items": round(1000 * seconds / items, 2),
          f"signature_pass_{args.scan}_seconds": round(scan_s, 1),
          "signature_pass_100k_projected_seconds": round(scan_s * (100_000 / args.scan) ** 2, 0),
          "new_files_check_100_in_100k_seconds": incremental_s})
    lib.close()
    if args.videos:
        out["video"] = video_part(photos[args.families + args.negatives:], args.videos, work, args.model)
    emit(out)


if __name__ == "__main__":
    main()
