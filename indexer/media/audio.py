"""Decode audio with PyAV to 16 kHz mono float32, and read its tags."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from store.errors import MediaDecodeError

RATE = 16_000
TAG_KEYS = ("title", "artist", "album", "comment", "description")


def read_audio(path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, dict[str, str]]:
    """(samples at 16 kHz mono, tags). Raises MediaDecodeError with the reason."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise MediaDecodeError(f"cannot open audio: {e}") from e
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
                raise MediaDecodeError(f"cannot decode audio: {e}") from e
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return samples, {k: v for k, v in tags.items() if k in TAG_KEYS and v.strip()}
