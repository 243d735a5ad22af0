"""Thumbnails, generated once and cached on disk in a fixed set of sizes.

Keyed by content hash, so a renamed file keeps its cached thumbnail. A video's
thumbnail is the keyframe of the moment asked for; audio gets a drawn tile.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from store.errors import MediaDecodeError

from ..extract import keyframe_path
from .images import load_image

SIZES = (128, 256, 512)


def pick_size(size: int) -> int:
    return min(SIZES, key=lambda s: (s < size, abs(s - size)))


def save_atomically(img: Image.Image, dest: Path, fmt: str = "JPEG") -> Path:
    """Write via a unique temp file and rename: concurrent requests for the
    same thumbnail (two duplicate files share one) never see a half file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            img.save(f, fmt, quality=85) if fmt == "JPEG" else img.save(f, fmt)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return dest


def _frame_at(path: Path, t: float) -> Image.Image:
    import av

    try:
        with av.open(str(path)) as c:
            vs = c.streams.video[0]
            if t > 0 and vs.time_base:
                c.seek(int(t / vs.time_base), stream=vs, backward=True, any_frame=False)
            for frame in c.decode(vs):
                if frame.time is None or frame.time >= t - 0.05:
                    return frame.to_image()
    except (av.error.FFmpegError, IndexError, OSError) as e:
        raise MediaDecodeError(f"cannot decode a frame: {e}") from e
    raise MediaDecodeError("no frame at that time")


def audio_tile(home: Path, size: int) -> Path:
    dest = home / "thumbs" / str(size) / "audio.png"
    if dest.exists():
        return dest
    img = Image.new("RGB", (size, size), (44, 62, 80))
    d = ImageDraw.Draw(img)
    # A simple waveform glyph: bars of varying height.
    n = 9
    for i in range(n):
        h = size * (0.15 + 0.5 * abs(((i * 37) % 11) / 10 - 0.5) + 0.1 * (i % 3))
        x = size * (0.2 + 0.6 * i / (n - 1))
        d.line([x, size / 2 - h / 2, x, size / 2 + h / 2], fill=(236, 240, 241), width=max(2, size // 40))
    return save_atomically(img, dest, "PNG")


def thumbnail(home: Path, media: dict, size: int, t: float | None = None, max_pixels: int = 200_000_000) -> Path:
    """The cached thumbnail of ``media`` (a catalog row as dict) at ``size``."""
    size = pick_size(size)
    if media["kind"] == "audio":
        return audio_tile(home, size)
    key = re.sub(r"[^A-Za-z0-9]", "_", media.get("content_hash") or f"id{media['id']}")
    folder = home / "thumbs" / str(size) / key[-2:]
    if media["kind"] == "video":
        frames = [s for s in media["segments"] if s["source"] == "frame"]
        start = 0.0
        if frames:
            chosen = frames[0]
            if t is not None:
                for s in frames:
                    if s["start"] is not None and s["start"] <= t + 1e-6:
                        chosen = s
            start = chosen["start"] or 0.0
        dest = folder / f"{key}_{int(round(start * 1000))}.jpg"
        if dest.exists():
            return dest
        kf = keyframe_path(home, media.get("content_hash") or "", start)
        img = Image.open(kf).convert("RGB") if kf.exists() else _frame_at(Path(media["path"]), start)
    else:
        dest = folder / f"{key}.jpg"
        if dest.exists():
            return dest
        img = load_image(Path(media["path"]), max_pixels, max_side=size * 2).image
    img = img.copy()
    img.thumbnail((size, size), Image.BICUBIC)
    return save_atomically(img.convert("RGB"), dest)
