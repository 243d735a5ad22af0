"""Thumbnails, generated once and cached on disk in a fixed set of sizes.

Keyed by content hash, so a renamed file keeps its cached thumbnail. A video's
thumbnail is the keyframe of the moment asked for. Audio shows its cover art
when the file carries one, else its own waveform with the moment asked for
(the transcript window that matched) highlighted; a file that cannot be
decoded gets a drawn tile.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mediasearch.store.errors import MediaDecodeError
from mediasearch.store.files import write_atomically

from .audio import av_reason, cover_art, loudness_envelope, open_av
from .images import load_image
from .keyframes import keyframe_path

SIZES = (128, 256, 512)


def pick_size(size: int) -> int:
    return min(SIZES, key=lambda s: (s < size, abs(s - size)))


class NotCached(OSError):
    """The thumbnail could not be written (full disk, read-only data dir):
    ``data`` holds it encoded, to be served anyway."""

    def __init__(self, reason: OSError, data: bytes, media_type: str):
        super().__init__(reason.errno, f"thumbnail not cached: {reason.strerror or reason}")
        self.data = data
        self.media_type = media_type


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, quality=85) if fmt == "JPEG" else img.save(buf, fmt)
    return buf.getvalue()


def save_atomically(img: Image.Image, dest: Path, fmt: str = "JPEG") -> Path:
    """A picture written atomically. Raises NotCached (an OSError) with the
    encoded picture when it cannot write."""
    data = _encode(img, fmt)
    try:
        return write_atomically(dest, data)
    except OSError as e:
        raise NotCached(e, data, "image/jpeg" if fmt == "JPEG" else "image/png") from e


def frame_at(path: Path, t: float) -> Image.Image:
    import av

    try:
        with open_av(path) as c:
            vs = c.streams.video[0]
            if t > 0 and vs.time_base:
                c.seek(int(t / vs.time_base), stream=vs, backward=True, any_frame=False)
            for frame in c.decode(vs):
                if frame.time is None or frame.time >= t - 0.05:
                    return frame.to_image()
    except (av.error.FFmpegError, IndexError, OSError) as e:
        raise MediaDecodeError(f"cannot decode a frame: {av_reason(e)}") from e
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


def _envelope(home: Path, key: str, path: Path) -> tuple[np.ndarray, float]:
    """A file's loudness envelope, decoded once and cached beside the thumbnails."""
    cache = home / "thumbs" / "wave" / key[-2:] / f"{key}.npz"
    try:
        with np.load(cache) as saved:
            return saved["env"], float(saved["duration"])
    except (OSError, ValueError, KeyError):
        pass
    env, duration = loudness_envelope(path)
    buf = io.BytesIO()
    np.savez(buf, env=env, duration=duration)
    try:
        write_atomically(cache, buf.getvalue())
    except OSError:
        pass  # a read-only data dir still draws the waveform
    return env, duration


def waveform(env: np.ndarray, duration: float, size: int,
             window: tuple[float, float] | None = None) -> Image.Image:
    """Mirrored bars of the loudness envelope; ``window`` (seconds) highlighted."""
    img = Image.new("RGB", (size, size), (44, 62, 80))
    d = ImageDraw.Draw(img)
    bars = max(16, min(len(env), size // 6))
    per = len(env) / bars
    level = np.array([env[int(i * per):max(int(i * per) + 1, int((i + 1) * per))].max() for i in range(bars)])
    level = level / max(float(level.max()), 1e-6)  # quiet recordings still show their shape
    step = size / bars
    for i, v in enumerate(level):
        t0 = duration * i / bars
        lit = window is not None and window[0] - 1e-6 <= t0 + duration / bars / 2 <= window[1] + 1e-6
        h = max(2.0, v * size * 0.7)
        x = step * (i + 0.5)
        d.line([x, size / 2 - h / 2, x, size / 2 + h / 2], width=max(1, int(step * 0.6)),
               fill=(241, 196, 15) if lit else (236, 240, 241))
    return img


def _window_at(media: dict, t: float) -> tuple[float, float] | None:
    """The timed part that holds ``t``: a spoken window or a sound event
    (tags span the whole file: nothing to point at); the one starting
    closest to ``t`` (the hit's moment) when several do."""
    best = None
    for s in media.get("segments", []):
        start, end = s.get("start"), s.get("end")
        if s.get("source") in ("transcript", "sound") and start is not None \
                and start - 1e-6 <= t <= (end if end is not None else start) + 1e-6:
            if best is None or abs(start - t) < abs(best[0] - t):
                best = (start, end if end is not None else start)
    return best


def _audio_thumbnail(home: Path, media: dict, size: int, key: str, folder: Path, t: float | None) -> Path:
    path = Path(media["path"])
    art = folder / f"{key}_art.jpg"
    if art.exists():
        return art
    window = _window_at(media, t) if t is not None else None
    dest = folder / (f"{key}_wave_{int(round(window[0] * 1000))}_{int(round(window[1] * 1000))}.png"
                     if window else f"{key}_wave.png")
    if dest.exists():
        return dest
    picture = cover_art(path)
    if picture is not None:
        picture.thumbnail((size, size), Image.BICUBIC)
        return save_atomically(picture.convert("RGB"), art)
    try:
        env, duration = _envelope(home, key, path)
    except MediaDecodeError:
        return audio_tile(home, size)
    return save_atomically(waveform(env, duration, size, window), dest, "PNG")


def thumbnail(home: Path, media: dict, size: int, t: float | None = None, max_pixels: int = 200_000_000) -> Path:
    """The cached thumbnail of ``media`` (a catalog row as dict) at ``size``."""
    size = pick_size(size)
    key = re.sub(r"[^A-Za-z0-9]", "_", media.get("content_hash") or f"id{media['id']}")
    folder = home / "thumbs" / str(size) / key[-2:]
    if media["kind"] == "audio":
        return _audio_thumbnail(home, media, size, key, folder, t)
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
        img = Image.open(kf).convert("RGB") if kf.exists() else frame_at(Path(media["path"]), start)
    else:
        dest = folder / f"{key}.jpg"
        if dest.exists():
            return dest
        img = load_image(Path(media["path"]), max_pixels, max_side=size * 2).image
    img = img.copy()
    img.thumbnail((size, size), Image.BICUBIC)
    return save_atomically(img.convert("RGB"), dest)
