"""Captions for picture segments, made once per (segment, captioner) and kept
in the catalog: in a background job (`mediasearch caption`) or lazily for the
top candidates of a query."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image

from mediasearch.store.catalog import Catalog
from mediasearch.store.errors import MediaDecodeError

from .captioners import Captioner
from .media.images import load_image
from .media.keyframes import keyframe_path
from .media.thumbs import frame_at


def segment_image(home: Path, row: dict, max_pixels: int) -> Image.Image | None:
    """The picture a segment stands for: the image, or the video keyframe."""
    try:
        if row["source"] == "image":
            return load_image(row["path"], max_pixels, max_side=768).image
        kf = keyframe_path(home, row["content_hash"] or "", row["t_start"] or 0.0)
        if kf.exists():
            return Image.open(kf).convert("RGB")
        return frame_at(Path(row["path"]), row["t_start"] or 0.0)
    except (MediaDecodeError, OSError):
        return None


def caption_rows(catalog: Catalog, home: Path, captioner: Captioner, rows: list[dict], max_pixels: int,
                 progress: Callable[[int, int], None] | None = None) -> dict[int, str]:
    """Caption ``rows`` (segment dicts), store and return {segment_id: caption}."""
    made: dict[int, str] = {}
    for start in range(0, len(rows), captioner.batch_size):
        chunk = rows[start:start + captioner.batch_size]
        pairs = [(r["id"], im) for r in chunk if (im := segment_image(home, r, max_pixels)) is not None]
        if pairs:
            texts = captioner.caption([im for _, im in pairs])
            stored = [(sid, t) for (sid, _), t in zip(pairs, texts)]
            catalog.add_captions(stored, captioner.name)
            made.update(stored)
        if progress:
            progress(min(start + len(chunk), len(rows)), len(rows))
    return made


def caption_missing(catalog: Catalog, home: Path, captioner: Captioner, max_pixels: int,
                    limit: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    rows = catalog.uncaptioned(captioner.name, limit)
    return len(caption_rows(catalog, home, captioner, rows, max_pixels, progress))
