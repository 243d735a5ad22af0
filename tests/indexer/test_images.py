import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.media.detect import sniff
from mediasearch.indexer.media.images import load_image
from mediasearch.store.errors import MediaDecodeError

from ..media_factory import split

LIMIT = 50_000_000


def px(img, x, y):
    return np.asarray(img)[y, x]


def test_exif_orientation_is_applied(tmp_path):
    src = split(tmp_path / "src.png", (255, 0, 0), (0, 0, 255), size=(80, 40))
    img = Image.open(src)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW when displayed
    img.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    loaded = load_image(tmp_path / "rot.jpg", LIMIT)
    assert (loaded.width, loaded.height) == (40, 80)
    top, bottom = px(loaded.image, 20, 5), px(loaded.image, 20, 75)
    assert top[0] > 200 and bottom[2] > 200  # red on top, blue below after rotation


def test_palette_with_transparency_on_white(tmp_path):
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0] + [255, 0, 0] * 255)
    img.info["transparency"] = 0
    img.save(tmp_path / "p.gif", transparency=0)
    loaded = load_image(tmp_path / "p.gif", LIMIT)
    assert loaded.image.mode == "RGB" and tuple(px(loaded.image, 5, 5)) == (255, 255, 255)


def test_rgba_alpha_composited_on_white(tmp_path):
    Image.new("RGBA", (8, 8), (0, 0, 255, 0)).save(tmp_path / "a.png")
    assert tuple(px(load_image(tmp_path / "a.png", LIMIT).image, 1, 1)) == (255, 255, 255)


def test_cmyk_jpeg(tmp_path):
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    r, g, b = px(load_image(tmp_path / "c.jpg", LIMIT).image, 8, 8)
    assert r > 200 and g < 60 and b < 60


def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    a = np.full((8, 8), 32768, np.uint16)  # mid grey in 16 bits
    Image.fromarray(a).save(tmp_path / "g16.png")
    value = px(load_image(tmp_path / "g16.png", LIMIT).image, 4, 4)[0]
    assert 120 <= value <= 135


def test_pixel_limit_refuses_bombs_before_decoding(tmp_path):
    Image.new("L", (3000, 3000)).save(tmp_path / "big.png")
    with pytest.raises(MediaDecodeError, match="above the limit"):
        load_image(tmp_path / "big.png", max_pixels=1_000_000)


def test_pillows_guard_is_raised_for_one_opening_and_stays_on_for_the_rest(tmp_path):
    """Issue 29: a 200 MP picture within the user's limit is not refused by
    Pillow's own 89 MP guard, which stays on for every other use of Pillow
    (it was turned off for the whole process at import)."""
    import struct

    Image.new("RGB", (16, 16), (90, 90, 90)).save(tmp_path / "small.jpg")
    data = bytearray((tmp_path / "small.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")  # height and width follow the marker, length and precision
    data[sof + 5:sof + 9] = struct.pack(">HH", 10_000, 20_000)
    (tmp_path / "claims-200mp.jpg").write_bytes(bytes(data))
    pillow_default = Image.MAX_IMAGE_PIXELS
    assert pillow_default is not None
    try:  # the pixels are not there: decoded as grey or refused as broken, never as a bomb
        got = load_image(tmp_path / "claims-200mp.jpg", max_pixels=10**9)
        assert got.width * got.height == 200_000_000
    except MediaDecodeError as e:
        assert "bomb" not in str(e)
    with pytest.raises(MediaDecodeError, match="above the limit of 100,000,000"):
        load_image(tmp_path / "claims-200mp.jpg", max_pixels=100_000_000)
    assert Image.MAX_IMAGE_PIXELS == pillow_default
    with pytest.raises(Image.DecompressionBombError):
        Image.open(tmp_path / "claims-200mp.jpg")


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "cannot decode|not a readable"),
])
def test_broken_files_say_why(tmp_path, content, reason):
    (tmp_path / "x.jpg").write_bytes(content)
    with pytest.raises(MediaDecodeError, match=reason):
        load_image(tmp_path / "x.jpg", LIMIT)


def test_truncated_jpeg(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)).save(tmp_path / "f.jpg")
    data = (tmp_path / "f.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaDecodeError, match="truncated"):
        load_image(tmp_path / "t.jpg", LIMIT)


def test_large_jpeg_is_decoded_small(tmp_path):
    Image.new("RGB", (4000, 3000), (10, 200, 10)).save(tmp_path / "big.jpg")
    loaded = load_image(tmp_path / "big.jpg", LIMIT, max_side=512)
    assert (loaded.width, loaded.height) == (4000, 3000) and max(loaded.image.size) <= 512


def test_sniff_by_content():
    assert sniff(b"\x89PNG\r\n\x1a\n....")[0] == "image"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ")[1] == "webp"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ")[0] == "audio"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00")[0] == "video"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00")[1] == "heif"
    assert sniff(b"\x00\x00\x00\x18ftypM4A \x00\x00")[0] == "audio"
    assert sniff(b"hello world") == (None, None)


def test_large_decodes_take_turns_small_ones_do_not(tmp_path, monkeypatch):
    """Pictures too big to decode at reduced scale are decoded one at a time,
    so the decode threads never hold several of them in memory at once
    (TIFF here: a huge PNG is shrunk while decoded instead, test_huge_png.py)."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import mediasearch.indexer.media.images as images

    paths = []
    for i in range(4):
        p = tmp_path / f"big{i}.tiff"
        Image.new("RGB", (120, 100), (i * 50, 0, 0)).save(p)
        paths.append(p)
    inside, most = 0, 0
    lock = threading.Lock()
    real = images._decode

    def counting(img, max_side):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.1)
        try:
            return real(img, max_side)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(images, "_decode", counting)
    for limit, expected in ((5_000, 1), (10**9, 4)):  # 12,000 px: "large", then not
        monkeypatch.setattr(images, "LARGE_DECODE_PIXELS", limit)
        most = 0
        with ThreadPoolExecutor(4) as pool:
            sizes = list(pool.map(lambda p: images.load_image(p, 10**9).image.size, paths))
        assert sizes == [(120, 100)] * 4 and most == expected


def test_iphone_heic_photos_are_indexed_upright_and_found(settings, tmp_path):
    """HEIC is what iPhones take by default: decoded (pillow-heif), turned
    upright by its orientation, found by colour like any photo."""
    pillow_heif = pytest.importorskip("pillow_heif")
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    from mediasearch.search.engine import SearchEngine
    from mediasearch.search.query import Query, build_terms

    pillow_heif.register_heif_opener()
    folder = tmp_path / "iphone"
    folder.mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # taken holding the phone upright: stored sideways
    Image.new("RGB", (64, 48), (200, 30, 30)).save(folder / "IMG_0001.HEIC", exif=exif.tobytes())
    Image.new("RGB", (64, 48), (30, 30, 200)).save(folder / "IMG_0002.HEIC")
    lib = Library(settings)
    report = Indexer(lib).run([folder])
    assert report.new == 2 and report.failed == 0
    hit = SearchEngine(lib).search(Query(build_terms(["red"]), k=1))[0]
    assert hit.path.endswith("IMG_0001.HEIC")
    media = lib.catalog.media(hit.media_id)
    assert (media["width"], media["height"]) == (48, 64)  # upright, as the phone showed it
    lib.close()
