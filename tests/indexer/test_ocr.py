"""Issue 15: words in pictures are searchable. Real RapidOCR models (inside
the rapidocr-onnxruntime wheel), real generated pictures with text, the real
pipeline and word index."""
import json

import pytest
from PIL import Image, ImageDraw, ImageFont

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService, answer_dict

from ..media_factory import pattern

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
pytest.importorskip("rapidocr_onnxruntime")
pytestmark = pytest.mark.slow  # the OCR models load per test process (~10 s on 2 cores)


def text_picture(path, lines, angle=0):
    try:
        font = ImageFont.truetype(FONT, 44)
    except OSError:
        font = ImageFont.load_default(size=44)
    im = Image.new("RGB", (640, 80 + 90 * len(lines)), "white")
    d = ImageDraw.Draw(im)
    for i, line in enumerate(lines):
        d.text((30, 40 + 90 * i), line, fill="black", font=font)
    im.rotate(angle, expand=True, fillcolor="white").save(path, quality=90)
    return path


@pytest.fixture
def library(settings, tmp_path):
    settings.ocr = "on"
    root = tmp_path / "pics"
    root.mkdir()
    text_picture(root / "scan_0041.jpg", ["INVOICE", "ACME Corporation"])
    text_picture(root / "car.jpg", ["RE16TGK"], angle=180)  # upside down, a plate written as one word
    for i in range(3):
        pattern(root / f"photo_{i}.png", i)
    lib = Library(settings)
    report = Indexer(lib).run([root])
    yield lib, report
    lib.close()


def test_words_in_pictures_are_found_with_the_reason(library):
    lib, report = library
    assert report.failed == 0
    service = SearchService(lib)
    a = answer_dict(service.search(SearchRequest(texts=["invoice from ACME"], k=3)))
    assert a["results"][0]["name"] == "scan_0041.jpg"
    words = [w for w in a["results"][0]["why"] if w["signal"] == "words"][0]
    assert words["fields"][0]["field"] == "text in the picture" and "ACME" in words["fields"][0]["text"]
    # A code, read upside down, found by its first part.
    a = answer_dict(service.search(SearchRequest(texts=["RE16"], k=3)))
    assert a["results"][0]["name"] == "car.jpg"
    # The boxes and confidences are kept with the text.
    seg = [s for s in lib.catalog.media(a["results"][0]["id"])["segments"] if s["source"] == "ocr"][0]
    assert "RE16" in seg["text"]


def test_ocr_off_reads_nothing(settings, tmp_path):
    settings.ocr = "off"
    root = tmp_path / "pics"
    root.mkdir()
    text_picture(root / "scan.jpg", ["INVOICE"])
    lib = Library(settings)
    Indexer(lib).run([root])
    try:
        m = lib.catalog.media(1)
        assert [s["source"] for s in m["segments"]] == ["image"]
    finally:
        lib.close()
