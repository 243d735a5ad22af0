"""Huge PNGs shrunk while they are decoded, in bounded memory.

Pillow decodes a PNG whole (width x height x 3 bytes: 588 MB for a 196-MP
picture) before it can be made small; JPEG's ``draft`` has no PNG
counterpart. libvips (``pyvips`` with ``pyvips-binary``: LGPL, inside the
wheel) streams a PNG line by line into its thumbnail, so a huge PNG costs a
fraction of the memory at the same speed (figures: README,
benchmarks/huge_images.py).
The EXIF block (date, place, orientation) is read from the file's eXIf chunk
without decoding anything.
"""
from __future__ import annotations

import functools
import logging
import struct
import zlib

import numpy as np
from PIL import Image

from mediasearch.store.errors import MediaDecodeError

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
# EXIF orientation -> the transpose that shows the picture upright.
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


@functools.lru_cache(maxsize=1)
def available() -> bool:
    try:
        import pyvips
    except (ImportError, OSError) as e:  # OSError: the wheel's libvips cannot load here
        log.debug("no libvips (%s): huge PNGs are decoded whole by Pillow", e)
        return False
    # libvips caches operations by file name, and the name here is
    # /proc/self/fd/N (safe_open.py): the next file with that descriptor
    # number must never get this one's picture.
    pyvips.cache_set_max(0)
    return True


def png_exif(path: str) -> Image.Exif:
    """The EXIF of a PNG's eXIf chunk (before or after the pixels), found by
    walking the chunk headers: nothing is decompressed. Empty when none."""
    exif = Image.Exif()
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            return exif
        while True:
            head = f.read(8)
            if len(head) < 8:
                return exif
            length, kind = struct.unpack(">I4s", head)
            if kind == b"eXIf":
                data = f.read(length)
                if zlib.crc32(kind + data) == struct.unpack(">I", f.read(4))[0]:
                    exif.load(data)
                return exif
            if kind == b"IEND":
                return exif
            f.seek(length + 4, 1)  # the chunk and its CRC


def shrink_on_load(path: str, max_side: int, exif: Image.Exif) -> Image.Image:
    """The picture at most ``max_side`` on its long side, upright, 8 bits per
    channel (L, LA, RGB or RGBA); decoded by libvips in strips."""
    import pyvips

    try:
        # no_rotate: the orientation is applied here from ``exif``, as Pillow's path does.
        small = pyvips.Image.thumbnail(path, max_side, height=max_side, no_rotate=True, size="down",
                                       fail_on="truncated")  # as Pillow refuses a cut file
        if small.format != "uchar":  # 16-bit PNGs
            small = small.colourspace("srgb" if small.bands >= 3 else "b-w")
        if small.bands not in MODES:
            small = small.extract_band(0, n=3 if small.bands > 3 else 1)
        arr = np.asarray(small.numpy(), dtype=np.uint8)
    except pyvips.Error as e:  # a damaged or truncated file: said like Pillow's errors
        detail = " ".join(str(e).split()) or "unreadable"
        if "read error" in detail or "truncated" in detail or "premature" in detail:
            detail = "truncated or damaged PNG (the file ends before the picture does)"
        raise MediaDecodeError(f"cannot decode image: {detail}") from e
    picture = Image.fromarray(arr if arr.ndim == 3 and arr.shape[2] > 1 else arr.reshape(arr.shape[:2]),
                              MODES[small.bands])
    turn = UPRIGHT.get(exif.get(0x0112))
    return picture.transpose(turn) if turn is not None else picture
