"""Issue 26.3: every extension the walk takes is indexed from a real file
made in that format (camcorder MPEG-TS/AVCHD, Flash video, ADTS AAC, AMR,
WMA...), never recorded as 'not a recognised format'."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.media.detect import AUDIO_EXTS, IMAGE_EXTS, VIDEO_EXTS

from ..media_factory import _encode_audio, pattern

# extension -> (container format, video codec, muxer options)
VIDEOS = {".mp4": ("mp4", "mpeg4", {}), ".m4v": ("mp4", "mpeg4", {}), ".mov": ("mov", "mpeg4", {}),
          ".mkv": ("matroska", "mpeg4", {}), ".webm": ("webm", "libvpx", {}), ".avi": ("avi", "mpeg4", {}),
          ".wmv": ("asf", "wmv2", {}), ".mpg": ("mpeg", "mpeg1video", {}), ".mpeg": ("mpeg", "mpeg2video", {}),
          ".3gp": ("3gp", "mpeg4", {}), ".ts": ("mpegts", "mpeg2video", {}),
          ".mts": ("mpegts", "h264", {"mpegts_m2ts_mode": "1"}), ".m2ts": ("mpegts", "h264", {"mpegts_m2ts_mode": "1"}),
          ".ogv": ("ogg", "libvpx", {}), ".flv": ("flv", "flv", {})}
# extension -> (container format, audio codec, sample rate)
AUDIOS = {".mp3": ("mp3", "libmp3lame", 16000), ".m4a": ("ipod", "aac", 16000), ".aac": ("adts", "aac", 16000),
          ".wav": ("wav", "pcm_s16le", 16000), ".flac": ("flac", "flac", 16000), ".ogg": ("ogg", "libopus", 48000),
          ".oga": ("ogg", "flac", 16000), ".opus": ("opus", "libopus", 48000), ".wma": ("asf", "wmav2", 16000),
          ".aiff": ("aiff", "pcm_s16be", 16000), ".aif": ("aiff", "pcm_s16be", 16000),
          ".amr": ("amr", "libopencore_amrnb", 8000)}
IMAGES = {".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG", ".png": "PNG", ".gif": "GIF",
          ".bmp": "BMP", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF", ".heic": "HEIF", ".heif": "HEIF",
          ".avif": "AVIF", ".ico": "ICO"}


def make_video(path, fmt, codec, options, seconds=2, fps=25):
    import av

    with av.open(str(path), "w", format=fmt, options=options) as c:
        vs = c.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = 96, 64, "yuv420p"
        rng = np.random.default_rng(len(path.name))
        for n in range(seconds * fps):
            arr = np.full((64, 96, 3), (n * 9) % 255, np.uint8)
            arr[: 8 + n % 40] = rng.integers(0, 255, 3)
            frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = n
            for pkt in vs.encode(frame):
                c.mux(pkt)
        for pkt in vs.encode():
            c.mux(pkt)


def make_audio(path, fmt, codec, rate, seconds=2):
    import av

    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with av.open(str(path), "w", format=fmt) as c:
        st = c.add_stream(codec, rate=rate)
        st.layout = "mono"
        st.bit_rate = 32000  # wmav2 will not open without one
        sample_fmt = st.codec_context.format.name
        _encode_audio(c, st, samples, rate, "s16" if sample_fmt.startswith("s16") else "fltp")


def make_image(path, fmt):
    from mediasearch.indexer.media.images import register_heif

    register_heif()
    img = Image.open(pattern(path.with_suffix(".src.png"), len(path.name), size=(64, 48))).convert("RGB")
    path.with_suffix(".src.png").unlink()
    img.save(path, format=fmt, **({"sizes": [(48, 48)]} if fmt == "ICO" else {}))


def test_the_tables_cover_every_extension():
    assert set(VIDEOS) == VIDEO_EXTS and set(AUDIOS) == AUDIO_EXTS and set(IMAGES) == IMAGE_EXTS


@pytest.mark.parametrize("kind", ["video", "audio", "image"])
def test_every_extension_is_indexed_from_a_real_file(cli, tmp_path, monkeypatch, kind):
    monkeypatch.setenv("MEDIASEARCH_AUDIO_EVENTS", "off")
    monkeypatch.setenv("MEDIASEARCH_WHISPER_MODEL", "off")
    folder = tmp_path / kind
    folder.mkdir()
    table = {"video": VIDEOS, "audio": AUDIOS, "image": IMAGES}[kind]
    for ext, spec in table.items():
        path = folder / f"sample{ext}"
        {"video": make_video, "audio": make_audio, "image": make_image}[kind](path, *spec if kind != "image" else (spec,))
    code, out, err = cli("index", folder, "--data-dir", tmp_path / "d", "--model", "fake", "--json")
    report = json.loads(out)
    assert code == 0, err
    assert report["errors"] == [], report["errors"]
    assert report["new"] + report["duplicates"] == len(table)
    code, out, err = cli("status", "--data-dir", tmp_path / "d", "--json")
    assert json.loads(out)["media"] == {"ok": {kind: len(table)}}
