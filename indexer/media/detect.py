"""Detect a file's media kind from its first bytes, not its extension."""
from __future__ import annotations

from pathlib import Path

IMAGE_EXTS = {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff",
              ".heic", ".heif", ".avif", ".ico", ".jfif"}
VIDEO_EXTS = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".mpg", ".mpeg",
              ".3gp", ".ts", ".mts", ".m2ts", ".ogv", ".flv"}
AUDIO_EXTS = {".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".oga", ".opus", ".wma", ".aiff",
              ".aif", ".amr"}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
                b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
HEAD_BYTES = 512  # enough for three MPEG-TS packets (188 bytes; 192 in AVCHD's .m2ts/.mts)


def _mpeg_ts(head: bytes) -> bool:
    """MPEG transport stream: a 0x47 sync byte every 188 bytes (broadcast .ts)
    or every 192 after a 4-byte timestamp (AVCHD camcorders' .mts/.m2ts)."""
    for step, first in ((188, 0), (192, 4)):
        at = range(first, len(head), step)
        if len(at) >= 2 and all(head[i] == 0x47 for i in at):
            return True
    return False


def sniff(head: bytes) -> tuple[str | None, str | None]:
    """(kind, format) from a file's first bytes; (None, None) when unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "image", "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "image", "ico"
    if head[:4] == b"RIFF" and len(head) >= 12:
        sub = head[8:12]
        if sub == b"WEBP":
            return "image", "webp"
        if sub == b"WAVE":
            return "audio", "wav"
        if sub == b"AVI ":
            return "video", "avi"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image", "avif" if brand in (b"avif", b"avis") else "heif"
        if brand in _AUDIO_BRANDS:
            return "audio", "m4a"
        return "video", "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "webm" if b"webm" in head else "matroska"
    if head.startswith(b"OggS"):
        if b"\x80theora" in head or b"OVP80" in head:  # Theora or VP8 in Ogg
            return "video", "ogg"
        return "audio", "ogg"
    if head.startswith(b"fLaC"):
        return "audio", "flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06 != 0):
        return "audio", "mp3"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio", "aiff"
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return "video", "mpeg"
    if head.startswith(b"\x30\x26\xb2\x75"):
        return "video", "asf"
    if head.startswith(b"FLV\x01"):
        return "video", "flv"
    if head.startswith(b"#!AMR"):
        return "audio", "amr"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:  # ADTS: a raw AAC stream
        return "audio", "aac"
    if _mpeg_ts(head):
        return "video", "mpegts"
    return None, None


def kind_from_extension(path: Path | str) -> str | None:
    ext = Path(path).suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in VIDEO_EXTS:
        return "video"
    if ext in AUDIO_EXTS:
        return "audio"
    return None


def detect(path: Path | str, head: bytes | None = None) -> tuple[str | None, str | None]:
    if head is None:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    return sniff(head)
