"""Media files made by the tests themselves (Pillow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def geotagged(path: Path, rgb: tuple[int, int, int], lat: float, lon: float, taken: str | None = None) -> Path:
    """A JPEG whose EXIF GPS tags say where it was taken (degrees, minutes,
    seconds), and, given ``taken`` ("2023:07:01 12:00:00"), when."""
    def dms(x: float) -> tuple[float, float, float]:
        x = abs(x)
        d, m = int(x), int((x - int(x)) * 60)
        return float(d), float(m), round((x - d - m / 60) * 3600, 2)

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)})
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    Image.new("RGB", (64, 48), rgb).save(path, "JPEG", exif=exif)
    return path


def solid(path: Path, rgb: tuple[int, int, int], size=(64, 48), **save_kw) -> Path:
    Image.new("RGB", size, rgb).save(path, **save_kw)
    return path


def split(path: Path, left: tuple[int, int, int], right: tuple[int, int, int], size=(64, 64)) -> Path:
    """Left half one colour, right half another (orientation-sensitive)."""
    a = np.zeros((size[1], size[0], 3), np.uint8)
    a[:, : size[0] // 2] = left
    a[:, size[0] // 2:] = right
    Image.fromarray(a).save(path)
    return path


def pattern(path: Path, seed: int, size=(64, 64)) -> Path:
    """A distinct textured picture per seed."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
    Image.fromarray(base).resize(size, Image.NEAREST).save(path)
    return path


def video(path: Path, segments: list[tuple[float, tuple[int, int, int] | np.ndarray]], fps: int = 10,
          size=(96, 64), codec: str = "mpeg4", audio: np.ndarray | None = None, rate: int = 16000,
          tags: dict[str, str] | None = None, bit_rate: int | None = None) -> Path:
    """A video showing each picture (an RGB colour or an HxWx3 array) for its
    duration (seconds); ``tags`` are container metadata (creation_time, location...)."""
    import av

    with av.open(str(path), "w") as c:
        for k, v in (tags or {}).items():
            c.metadata[k] = v
        vs = c.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        if bit_rate:
            vs.bit_rate = bit_rate
        ast = None
        if audio is not None:
            ast = c.add_stream("aac", rate=rate)
            ast.layout = "mono"
        n = 0
        for seconds, pic in segments:
            arr = pic if isinstance(pic, np.ndarray) else np.full((size[1], size[0], 3), pic, np.uint8)
            if arr.shape[:2] != (size[1], size[0]):
                arr = np.asarray(Image.fromarray(arr).resize(size))
            for _ in range(int(round(seconds * fps))):
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
                frame.pts = n
                n += 1
                for pkt in vs.encode(frame):
                    c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)
        if ast is not None:
            _encode_audio(c, ast, audio, rate)
    return path


def _encode_audio(c, stream, samples: np.ndarray, rate: int, fmt: str = "fltp") -> None:
    import av

    frame_size = stream.codec_context.frame_size or 1024
    pts = 0
    for start in range(0, len(samples), frame_size):
        chunk = samples[start:start + frame_size].astype(np.float32)
        if fmt == "s16":
            data = (np.clip(chunk, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        else:
            data = chunk.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
        frame.sample_rate = rate
        frame.pts = pts
        pts += len(chunk)
        for pkt in stream.encode(frame):
            c.mux(pkt)
    for pkt in stream.encode():
        c.mux(pkt)


def speech(text: str, rate: int = 16000, voice: str | None = None, speed: int | None = None,
           pitch: int | None = None) -> np.ndarray:
    """Spoken ``text`` (espeak-ng: its voice, words a minute, pitch 0-99) as
    float32 samples at ``rate``."""
    import subprocess
    import tempfile

    import av

    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "s.wav"
        opts = [*(["-v", voice] if voice else []), *(["-s", str(speed)] if speed else []),
                *(["-p", str(pitch)] if pitch is not None else [])]
        subprocess.run(["espeak-ng", *opts, "-w", str(wav), text], check=True, capture_output=True)
        with av.open(str(wav)) as c:
            r = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = [o.to_ndarray().reshape(-1) for f in c.decode(c.streams.audio[0]) for o in r.resample(f)]
            chunks += [o.to_ndarray().reshape(-1) for o in r.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def audio_file(path: Path, samples: np.ndarray, rate: int = 16000, codec: str | None = None,
               tags: dict[str, str] | None = None) -> Path:
    """Write samples in the format the extension implies (wav, mp3, m4a, flac, ogg/opus)."""
    import av

    ext = path.suffix.lower()
    codec = codec or {".wav": "pcm_s16le", ".mp3": "libmp3lame", ".m4a": "aac", ".flac": "flac",
                      ".ogg": "libopus", ".opus": "libopus"}[ext]
    fmt = {"pcm_s16le": "s16", "flac": "s16"}.get(codec)
    out_rate = 48000 if codec == "libopus" else rate
    with av.open(str(path), "w") as c:
        for k, v in (tags or {}).items():
            c.metadata[k] = v
        st = c.add_stream(codec, rate=out_rate)
        st.layout = "mono"
        if out_rate != rate:
            samples = np.interp(np.arange(0, len(samples), rate / out_rate), np.arange(len(samples)), samples)
        _encode_audio(c, st, samples, out_rate, fmt or "fltp")
    return path


def audio_with_cover(path: Path, samples: np.ndarray, cover_rgb: tuple[int, int, int], rate: int = 16000) -> Path:
    """An MP4 audio file (brand isom, so it sniffs as video) carrying cover
    art as an attached-picture stream, as music from a store does."""
    import io

    import av
    from av.stream import Disposition

    png = io.BytesIO()
    Image.new("RGB", (64, 64), cover_rgb).save(png, "PNG")
    with av.open(str(path), "w", format="mp4") as c:
        st = c.add_stream("aac", rate=rate)
        st.layout = "mono"
        art = c.add_stream("png")
        art.width = art.height = 64
        art.pix_fmt = "rgb24"
        art.disposition = Disposition.attached_pic.value  # older PyAV takes only an int
        pkt = av.Packet(png.getvalue())
        pkt.stream, pkt.pts, pkt.dts = art, 0, 0
        c.mux(pkt)
        _encode_audio(c, st, samples, rate, "fltp")
    return path


# -- sounds that are not speech (issue 17): music, a sung-like voice, noise --
def _note(f: float, seconds: float, rate: int, harmonics: int = 8) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return sum(np.sin(2 * np.pi * f * k * t) / k ** 1.2 for k in range(1, harmonics + 1)) * np.exp(-3.0 * t)


def music(seconds: float, rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Chords of plucked, decaying notes on a C major scale (a piano-like tune)."""
    rng = np.random.default_rng(seed)
    scale = [261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3]
    parts, n = [], 0
    while n < seconds * rate:
        f, d = scale[rng.integers(len(scale))], float(rng.choice([0.25, 0.5]))
        parts.append(_note(f, d, rate) + 0.6 * _note(f * 1.26, d, rate) + 0.5 * _note(f / 2, d, rate))
        n += len(parts[-1])
    x = np.concatenate(parts)[:int(seconds * rate)]
    return (0.25 * x / np.abs(x).max()).astype(np.float32)


def sung(seconds: float, rate: int = 16000) -> np.ndarray:
    """A voice singing "aah" on a melody: harmonics shaped by the formants of
    /a/, with vibrato, one note every 0.6 s."""
    melody = [220, 247, 262, 294, 330, 294, 262, 247]
    formants = [(730, 90), (1090, 110), (2440, 170)]
    notes = []
    for i in range(int(seconds / 0.6)):
        f0 = melody[i % len(melody)]
        t = np.arange(int(0.6 * rate)) / rate
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.02 * np.sin(2 * np.pi * 5.5 * t))) / rate
        x = sum((sum(np.exp(-((k * f0 - fc) / bw) ** 2 / 2) for fc, bw in formants) + 0.02) * np.sin(k * phase)
                for k in range(1, int(4000 / f0)))
        notes.append(x * np.minimum(1, np.minimum(t / 0.05, (0.6 - t) / 0.05)))
    x = np.concatenate(notes)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def noise(seconds: float, rate: int = 16000, level: float = 0.1, seed: int = 2) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal(int(seconds * rate))).astype(np.float32)
