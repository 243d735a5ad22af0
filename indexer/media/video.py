"""Sample a video's frames with PyAV: at scene changes plus at least one frame
every ``interval`` seconds, then merge consecutive near-identical samples into
one segment (a static shot is one vector, not thirty).

Frames are streamed: only a 12x12 colour signature of every decoded frame and
the samples of the current batch are held, so an hour-long file costs the same
memory as a short one. Non-reference frames are not decoded (they are never
needed to sample at a 2-second grain), which roughly halves decoding work.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mediasearch.store.errors import MediaDecodeError

from ..safe_open import NotARegularFile
from .audio import av_reason, open_av


@dataclass
class Sample:
    t: float
    image: Image.Image
    signature: np.ndarray  # 12x12 RGB, float32 0-255


@dataclass
class Shot:
    """Consecutive samples that look alike: one segment."""
    t_start: float
    t_end: float
    image: Image.Image
    signature: np.ndarray


def _open(path: Path):
    import av

    try:
        return open_av(path)
    except av.error.InvalidDataError as e:
        raise MediaDecodeError("not a readable video (invalid or corrupt data)") from e
    except NotARegularFile as e:
        raise MediaDecodeError(e.reason()) from e
    except (av.error.FFmpegError, OSError) as e:
        raise MediaDecodeError(f"cannot open video: {av_reason(e)}") from e


def _moving_picture(c):
    """The first video stream that is not a cover picture (music files in
    MP4/Matroska carry their artwork as a one-frame "attached picture" stream,
    which makes them audio files, not videos)."""
    import av

    for vs in c.streams.video:
        if not vs.disposition & av.stream.Disposition.attached_pic:
            return vs
    raise MediaDecodeError("no video stream in the file (only cover art)" if c.streams.video
                           else "no video stream in the file")


@dataclass
class Probe:
    duration: float | None
    width: int | None
    height: int | None
    has_audio: bool
    taken_at: float | None = None                  # when it was recorded
    location: tuple[float, float] | None = None    # (latitude, longitude)


def _recorded(c) -> tuple[float | None, tuple[float, float] | None]:
    """(when it was recorded, where) from container tags: creation_time and
    the ISO 6709 location phones write; (None, None) when absent."""
    import datetime as dt

    from ..places import parse_iso6709

    tags = {k.lower(): str(v) for k, v in (c.metadata or {}).items()}
    taken = None
    raw = tags.get("creation_time") or tags.get("com.apple.quicktime.creationdate")
    if raw:
        try:
            when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            # 1904/1970 epochs are what muxers write when they know nothing.
            taken = when.timestamp() if when.year > 1971 else None
        except ValueError:
            pass
    where = None
    for key in ("com.apple.quicktime.location.iso6709", "location", "location-eng"):
        if key in tags and (where := parse_iso6709(tags[key])):
            break
    return taken, where


def probe(path: Path) -> Probe:
    """Duration (seconds), size, whether there is sound, and when and where it
    was recorded, in one opening of the file."""
    with _open(path) as c:
        vs = _moving_picture(c)
        duration = None
        if c.duration:
            duration = c.duration / 1_000_000
        elif vs.duration and vs.time_base:
            duration = float(vs.duration * vs.time_base)
        return Probe(duration, vs.codec_context.width or None, vs.codec_context.height or None,
                     bool(c.streams.audio), *_recorded(c))


def sample_frames(path: Path, interval: float = 2.0, scene_threshold: float = 30.0,
                  max_side: int = 448) -> Iterator[Sample]:
    import av

    with _open(path) as c:
        vs = _moving_picture(c)
        vs.thread_type = "AUTO"
        try:
            vs.codec_context.skip_frame = "NONREF"
        except Exception:  # not every decoder supports it
            pass
        last_t: float | None = None
        prev: np.ndarray | None = None
        decoded = 0
        try:
            for frame in c.decode(vs):
                decoded += 1
                t = frame.time if frame.time is not None else (
                    float(frame.pts * vs.time_base) if frame.pts is not None else decoded / 25.0)
                # A colour signature: a cut between shots of equal brightness but
                # different colour (grey wall -> yellow sand) is still a cut.
                sig = frame.reformat(width=12, height=12, format="rgb24").to_ndarray().astype(np.float32)
                scene = prev is not None and float(np.abs(sig - prev).mean()) > scene_threshold
                prev = sig
                if last_t is None or t - last_t >= interval or scene:
                    w, h = frame.width, frame.height
                    scale = min(1.0, max_side / max(w, h))
                    img = frame.reformat(width=max(2, int(w * scale) // 2 * 2),
                                         height=max(2, int(h * scale) // 2 * 2), format="rgb24").to_image()
                    last_t = t
                    yield Sample(t, img, sig)
        except av.error.FFmpegError as e:
            if decoded == 0:
                raise MediaDecodeError(f"cannot decode video: {av_reason(e)}") from e
            # A truncated file: keep the frames before the damage.
        if decoded == 0:
            raise MediaDecodeError("the video has no decodable frames")


def query_frames(path: Path, count: int = 12, budget: float = 8.0, max_side: int = 448) -> list[Image.Image]:
    """Up to ``count`` frames spread evenly over a video, for a query by
    example: seeking to each point instead of decoding the whole file, and
    stopping when ``budget`` seconds are spent (a 20-minute upload must not
    hold a search slot for minutes). At least one frame, or MediaDecodeError."""
    import time

    import av

    deadline = time.monotonic() + budget
    frames: list[Image.Image] = []
    with _open(path) as c:
        vs = _moving_picture(c)
        duration = c.duration / 1_000_000 if c.duration else None
        times = [duration * (i + 0.5) / count for i in range(count)] if duration else [0.0]
        try:
            for t in times:
                if frames and time.monotonic() > deadline:
                    break
                if t > 0 and vs.time_base:
                    c.seek(int(t / vs.time_base), stream=vs, backward=True, any_frame=False)
                for frame in c.decode(vs):
                    if frame.time is None or frame.time >= t - 0.05:
                        scale = min(1.0, max_side / max(frame.width, frame.height))
                        frames.append(frame.reformat(width=max(2, int(frame.width * scale) // 2 * 2),
                                                     height=max(2, int(frame.height * scale) // 2 * 2),
                                                     format="rgb24").to_image())
                        break
        except av.error.FFmpegError as e:
            if not frames:
                raise MediaDecodeError(f"cannot decode video: {av_reason(e)}") from e
    if not frames:
        raise MediaDecodeError("the video has no decodable frames")
    return frames


def group_shots(samples: Iterator[Sample], duration: float | None,
                merge_threshold: float = 6.0) -> Iterator[Shot]:
    """Merge consecutive samples whose signature stays within ``merge_threshold``
    (mean per-channel difference, 0-255) of the shot's first frame."""
    current: Shot | None = None
    for s in samples:
        if current is not None and float(np.abs(s.signature - current.signature).mean()) <= merge_threshold:
            current.t_end = s.t
            continue
        if current is not None:
            current.t_end = s.t
            yield current
        current = Shot(s.t, s.t, s.image, s.signature)
    if current is not None:
        if duration and duration > current.t_end:
            current.t_end = duration
        yield current
