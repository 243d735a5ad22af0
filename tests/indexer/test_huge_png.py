"""Issue 34.6: a huge PNG is shrunk while it is decoded (libvips, in strips),
never held whole in memory; its date, place and orientation still count."""
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mediasearch.indexer.media import images
from mediasearch.indexer.media.images import load_image

pytest.importorskip("pyvips")


def huge_png(path, w=6000, h=4200, orientation=None):
    """A 25-MP PNG (above the one-at-a-time threshold): a red left half, a
    blue right half, with EXIF date, GPS and (optionally) orientation."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = (220, 30, 30)
    a[:, w // 2:] = (30, 40, 210)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2019:07:14 10:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (38.0, 42.0, 0.0), 3: "W", 4: (9.0, 8.0, 0.0)})
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(a).save(path, exif=exif.tobytes(), compress_level=1)
    return path


def test_a_huge_png_is_never_decoded_whole_by_pillow(tmp_path, monkeypatch):
    assert 6000 * 4200 > images.LARGE_DECODE_PIXELS
    path = huge_png(tmp_path / "huge.png")

    def whole(self, *a, **k):
        raise AssertionError("Pillow decoded the whole huge PNG")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", whole)
    got = load_image(path, 10**9)
    assert max(got.image.size) == 512 and got.image.mode == "RGB"
    assert (got.width, got.height) == (6000, 4200)
    left, right = np.asarray(got.image)[200, 50], np.asarray(got.image)[200, -50]
    assert left[0] > 200 and right[2] > 190  # the red half left, the blue half right
    assert got.gps == pytest.approx((38.7, -9.1333), abs=1e-3)
    import datetime as dt
    assert dt.datetime.fromtimestamp(got.taken_at) == dt.datetime(2019, 7, 14, 10, 30)


def test_a_huge_png_is_shown_upright(tmp_path):
    """Orientation 6 (the camera held upright): the red half ends up on top."""
    got = load_image(huge_png(tmp_path / "turned.png", orientation=6), 10**9)
    assert (got.width, got.height) == (4200, 6000) and got.image.size[1] == 512
    top, bottom = np.asarray(got.image)[20, 150], np.asarray(got.image)[-20, 150]
    assert top[0] > 200 and bottom[2] > 190


def test_a_truncated_huge_png_is_a_clear_error(tmp_path):
    from mediasearch.store.errors import MediaDecodeError

    path = huge_png(tmp_path / "cut.png")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaDecodeError, match="truncated or damaged"):
        load_image(path, 10**9)
