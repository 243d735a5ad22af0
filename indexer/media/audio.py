"""Decode audio with PyAV to 16 kHz mono float32, and read its tags."""
from __future__ import annotations

import errno
from pathlib import Path

import numpy as np

from mediasearch.store.errors import MediaDecodeError

from ..safe_open import decodable

RATE = 16_000


def open_av(path: Path | str):
    """An FFmpeg container for the regular file at ``path``, opened by
    descriptor (safe_open.decodable): never blocks on a FIFO swapped in."""
    import av

    with decodable(path) as name:
        return av.open(name)


def av_reason(e: BaseException) -> str:
    """What went wrong, in words: PyAV's messages carry an errno number and
    the file's path ("[Errno 1094995529] Invalid data found...: '/x.mp3'").
    FFmpeg says "Input/output error" when a file ends inside its own header
    (a 200-byte WebM): that is a truncated file, not a disk fault."""
    if getattr(e, "errno", None) == errno.EIO or isinstance(e, EOFError):
        return "truncated, or not a media file (the data ends before its header does)"
    return getattr(e, "strerror", None) or str(e)

TAG_KEYS = ("title", "artist", "album", "comment", "description")


def read_audio(path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, dict[str, str]]:
    """(samples at 16 kHz mono, tags). Raises MediaDecodeError with the reason."""
    import av

    try:
        container = open_av(path)
    except (av.error.FFmpegError, OSError) as e:
        raise MediaDecodeError(f"cannot open audio: {av_reason(e)}") from e
    with container:
        if not container.streams.audio:
            raise MediaDecodeError("no audio stream in the file")
        tags = {k.lower(): str(v) for k, v in (container.metadata or {}).items()}
        stream = container.streams.audio[0]
        tags.update({k.lower(): str(v) for k, v in (stream.metadata or {}).items() if k.lower() not in tags})
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks: list[np.ndarray] = []
        total = 0
        limit = int(max_seconds * RATE) if max_seconds else None
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    a = out.to_ndarray().reshape(-1)
                    chunks.append(a)
                    total += len(a)
                if limit and total >= limit:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as e:
            if not chunks:
                raise MediaDecodeError(f"cannot decode audio: {av_reason(e)}") from e
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return samples, {k: v for k, v in tags.items() if k in TAG_KEYS and v.strip()}


def loudness_envelope(path: Path, bins: int = 256, max_seconds: float = 6 * 3600) -> tuple[np.ndarray, float]:
    """(peak level per time slice in [0, 1], duration in seconds), decoded in a
    stream (one number per decoded frame kept), for waveform thumbnails."""
    import av

    try:
        container = open_av(path)
    except (av.error.FFmpegError, OSError) as e:
        raise MediaDecodeError(f"cannot open audio: {av_reason(e)}") from e
    times: list[float] = []
    peaks: list[float] = []
    with container:
        if not container.streams.audio:
            raise MediaDecodeError("no audio stream in the file")
        stream = container.streams.audio[0]
        elapsed = 0.0
        try:
            for frame in container.decode(stream):
                a = frame.to_ndarray()
                if a.dtype.kind in "iu":  # integer samples: scale to [-1, 1]
                    a = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
                t = float(frame.time) if frame.time is not None else elapsed
                elapsed = t + frame.samples / float(frame.sample_rate or RATE)
                times.append(t)
                peaks.append(float(np.abs(a).max()) if a.size else 0.0)
                if elapsed >= max_seconds:
                    break
        except av.error.FFmpegError as e:
            if not peaks:
                raise MediaDecodeError(f"cannot decode audio: {av_reason(e)}") from e
    if not peaks:
        return np.zeros(bins, np.float32), 0.0
    duration = max(elapsed, 1e-6)
    slot = np.minimum((np.asarray(times) / duration * bins).astype(int), bins - 1)
    env = np.zeros(bins, np.float32)
    np.maximum.at(env, np.clip(slot, 0, bins - 1), np.asarray(peaks, np.float32))
    return np.clip(env, 0.0, 1.0), duration


def cover_art(path: Path):
    """The picture embedded in a music file (ID3 APIC, MP4 covr, FLAC
    picture), as a PIL image, or None."""
    import av

    try:
        with open_av(path) as container:
            for stream in container.streams.video:
                if stream.disposition & av.stream.Disposition.attached_pic:
                    for frame in container.decode(stream):
                        return frame.to_image()
    except (av.error.FFmpegError, OSError, AttributeError, ValueError):
        return None
    return None
