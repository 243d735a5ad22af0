"""Where a video moment's keyframe thumbnail is cached, and writing one."""
from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from mediasearch.store.files import write_atomically

KEYFRAME_SIDE = 320


def keyframe_path(home: Path, content_hash: str, t_start: float) -> Path:
    """Where the keyframe of the segment starting at ``t_start`` is cached."""
    safe = re.sub(r"[^A-Za-z0-9]", "_", content_hash)
    return home / "keyframes" / safe[-2:] / safe / f"{int(round(t_start * 1000))}.jpg"


def save_keyframe(image: Image.Image, dest: Path) -> None:
    """A missing keyframe is decoded again on demand: never fail indexing for it."""
    import io

    try:
        im = image.copy()
        im.thumbnail((KEYFRAME_SIDE, KEYFRAME_SIDE))
        buf = io.BytesIO()
        im.convert("RGB").save(buf, "JPEG", quality=85)
        write_atomically(dest, buf.getvalue())
    except OSError:
        pass
