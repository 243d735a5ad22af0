"""Load an image file into an RGB picture a model can take, or say why not.

Handles EXIF orientation, palette/alpha/CMYK/16-bit modes, HEIC/AVIF when
pillow-heif is installed, and refuses decompression bombs before decoding.
Large JPEGs are decoded at reduced scale (``draft``), since the models look at
a few hundred pixels anyway.
"""
from __future__ import annotations

import datetime as dt
import stat
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from mediasearch.store.errors import MediaDecodeError

from ..places import valid as valid_position
from ..safe_open import NotARegularFile, decodable
from ..walk import special_kind
from . import huge_png

ImageFile.LOAD_TRUNCATED_IMAGES = False

_heif_registered: bool | None = None

# Pillow's bomb guard is a module global read while a file is opened: it is
# lifted for that one opening, under a lock, and put back (every other use of
# Pillow in the process keeps Pillow's own limit). The caller checks its own
# limit on the size the header gives, before anything is decoded.
_PILLOW_LIMIT = threading.Lock()


@contextmanager
def opened_unguarded(name) -> Iterator[Image.Image]:
    """``Image.open(name)`` (the header read) without Pillow's 89 MP guard:
    the caller's own limit (MEDIASEARCH_MAX_IMAGE_PIXELS) applies instead,
    with a message that names it."""
    with _PILLOW_LIMIT:
        before = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            img = Image.open(name)
        finally:
            Image.MAX_IMAGE_PIXELS = before
    with img:
        yield img

# Pictures whose decode is large (PNG, TIFF, WebP cannot be decoded at reduced
# scale as JPEG can) are decoded one at a time: N decode threads never hold N
# of them in memory at once (4 x 150 MP would be 1.8 GB).
LARGE_DECODE_PIXELS = 24_000_000
_large_decode = threading.Lock()

EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_DATETIME = 0x0132
EXIF_IFD = 0x8769


def register_heif() -> bool:
    """Teach Pillow HEIC/AVIF when pillow-heif is installed (once)."""
    global _heif_registered
    if _heif_registered is None:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
            _heif_registered = True
        except ImportError:
            _heif_registered = False
    return _heif_registered


@dataclass
class LoadedImage:
    image: Image.Image  # RGB, at most ``max_side`` on its long side
    width: int          # full-size dimensions, after orientation
    height: int
    taken_at: float | None
    gps: tuple[float, float] | None = None  # (latitude, longitude) from EXIF


def _taken_at(img: Image.Image | Image.Exif) -> float | None:
    try:
        exif = img if isinstance(img, Image.Exif) else img.getexif()
    except Exception:  # malformed EXIF must not fail the image
        return None
    raw = None
    try:
        raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL)
    except Exception:
        pass
    raw = raw or exif.get(EXIF_DATETIME)
    if not raw or not isinstance(raw, str):
        return None
    try:
        return dt.datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S").timestamp()
    except ValueError:
        return None


GPS_IFD = 0x8825


def _degrees(value) -> float:
    d, m, s = (float(x) for x in value)
    return d + m / 60 + s / 3600


def _gps(img: Image.Image | Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) from EXIF GPS tags, or None (absent or malformed)."""
    try:
        gps = (img if isinstance(img, Image.Exif) else img.getexif()).get_ifd(GPS_IFD)
        if not gps or 2 not in gps or 4 not in gps:
            return None
        lat, lon = _degrees(gps[2]), _degrees(gps[4])
    except Exception:  # malformed GPS data must not fail the image
        return None
    if str(gps.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).upper().startswith("W"):
        lon = -lon
    return (lat, lon) if valid_position(lat, lon) else None


# Modes Pillow resamples well as they are: shrink those first, so orienting
# and converting never copy the full-size picture.
SHRINK_FIRST = ("RGB", "RGBA", "L", "LA", "CMYK")


def _decode(img: Image.Image, max_side: int) -> Image.Image:
    """Decode, shrink to ``max_side``, orient, convert to RGB: a small copy."""
    img.load()
    if img.mode in SHRINK_FIRST and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.BICUBIC)  # in place, EXIF kept
    img = ImageOps.exif_transpose(img)
    img = to_rgb(img)
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.BICUBIC)
    return img.copy()


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB the way a person would see it."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit / float greyscale: scale to the used range, not a clip at 255.
        a = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if mode.startswith("I;16") else max(float(a.max()), 1.0)
        if mode in ("I", "F") and a.max() <= 255:
            hi = 255.0
        a = np.clip(a / hi * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(a, "L").convert("RGB")
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        # Transparent pixels are shown on white, as viewers do.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "CMYK":
        # JPEG CMYK from Adobe apps is stored inverted; Pillow handles the
        # common case, and the ICC profile when present.
        return img.convert("RGB")
    return img.convert("RGB")


def load_image(path: Path | str, max_pixels: int, max_side: int = 512,
               head: bytes | None = None, limit_name: str = "MEDIASEARCH_MAX_IMAGE_PIXELS") -> LoadedImage:
    """``limit_name``: the setting that set ``max_pixels``, named when it refuses."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as e:
        raise MediaDecodeError(f"cannot read file: {e.strerror or e}") from e
    if not stat.S_ISREG(st.st_mode):
        raise MediaDecodeError(NotARegularFile(special_kind(st.st_mode)).reason())
    if st.st_size == 0:
        raise MediaDecodeError("empty file (0 bytes)")
    if head is not None and head[4:8] == b"ftyp" and not register_heif():
        raise MediaDecodeError(
            "HEIC/AVIF image, but pillow-heif is not installed (pip install pillow-heif)")
    register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with decodable(path) as name, opened_unguarded(name) as img:
                w, h = img.size
                if w * h > max_pixels:
                    raise MediaDecodeError(
                        f"image is {w}x{h} = {w * h:,} pixels, above the limit of {max_pixels:,} "
                        f"(a decompression bomb guard; raise {limit_name} to allow it)")
                if img.format == "JPEG":
                    img.draft("RGB", (max_side, max_side))
                if img.format == "PNG" and w * h > LARGE_DECODE_PIXELS and huge_png.available():
                    exif = huge_png.png_exif(name)  # libvips shrinks it while decoding, in strips
                    small = to_rgb(huge_png.shrink_on_load(name, max_side, exif))
                    taken, gps = _taken_at(exif), _gps(exif)
                # (Reading a PNG's EXIF decodes the whole picture: it is inside the turn.)
                elif img.size[0] * img.size[1] > LARGE_DECODE_PIXELS:  # after draft: what decoding costs
                    with _large_decode:
                        taken, gps, small = _taken_at(img), _gps(img), _decode(img, max_side)
                else:
                    taken, gps, small = _taken_at(img), _gps(img), _decode(img, max_side)
                # The full-size dimensions, as the viewer will display them.
                if small.size != (w, h) and (small.size[0] > small.size[1]) != (w > h):
                    w, h = h, w
                return LoadedImage(small, w, h, taken, gps)
    except MediaDecodeError:
        raise
    except NotARegularFile as e:
        raise MediaDecodeError(e.reason()) from e
    except UnidentifiedImageError as e:
        raise MediaDecodeError("not a readable image (unrecognised or corrupt data)") from e
    except Image.DecompressionBombError as e:
        raise MediaDecodeError(f"decompression bomb refused: {e}") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = str(e) or type(e).__name__
        if "truncated" in msg:
            msg = "truncated image (the file ends before the picture does)"
        raise MediaDecodeError(f"cannot decode image: {msg}") from e
    except MemoryError as e:
        raise MediaDecodeError("image too large to decode in memory") from e
