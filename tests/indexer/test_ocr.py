"""Issue 15: words in pictures are searchable. Real RapidOCR models (inside
the rapidocr-onnxruntime wheel), real generated pictures with text, the real
pipeline and word index."""
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.web.envelope import answer_dict

from ..media_factory import pattern, video

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
pytest.importorskip("rapidocr_onnxruntime")
pytestmark = pytest.mark.slow  # the OCR models load per test process (~10 s on 2 cores)


def text_image(lines, angle=0, size=44, scale=1):
    try:
        font = ImageFont.truetype(FONT, size * scale)
    except OSError:
        font = ImageFont.load_default(size=size * scale)
    im = Image.new("RGB", (640 * scale, (80 + 90 * len(lines)) * scale), "white")
    d = ImageDraw.Draw(im)
    for i, line in enumerate(lines):
        d.text((30 * scale, (40 + 90 * i) * scale), line, fill="black", font=font)
    return im.rotate(angle, expand=True, fillcolor="white")


def text_picture(path, lines, angle=0, scale=1):
    text_image(lines, angle, scale=scale).save(path, quality=90)
    return path


def search(service, text, k=3):
    return answer_dict(service.search(SearchRequest(texts=[text], k=k, all=True)))


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
    # Its likeness is the words read (their text vector), named so, not "picture" (issue 27.6).
    likeness = [w for w in a["results"][0]["why"] if w["signal"] == "picture"][0]
    assert a["results"][0]["source"] == "ocr" and likeness["label"] == "words read"
    assert a["results"][0]["reason"].startswith("words read ")
    # A code, read upside down, found by its first part.
    a = answer_dict(service.search(SearchRequest(texts=["RE16"], k=3)))
    assert a["results"][0]["name"] == "car.jpg"
    # The boxes and confidences are kept with the text.
    seg = [s for s in lib.catalog.media(a["results"][0]["id"])["segments"] if s["source"] == "ocr"][0]
    assert "RE16" in seg["text"]
    # ... and by a part in its middle, with the box it was read in.
    a = answer_dict(service.search(SearchRequest(texts=["16TG"], k=3, all=True)))
    assert a["results"][0]["name"] == "car.jpg"
    field = [w for w in a["results"][0]["why"] if w["signal"] == "words"][0]["fields"][0]
    assert field["matched"] == ["re16tgk"] and len(field["boxes"]) == 1


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


def test_auto_reads_only_pictures_with_text_and_marks_all_as_looked_at(settings, tmp_path):
    settings.ocr = "auto"
    root = tmp_path / "pics"
    root.mkdir()
    text_picture(root / "receipt.jpg", ["TOTAL 42.50", "Thank you"])
    pattern(root / "photo.png", 1, size=(320, 240))
    lib = Library(settings)
    try:
        Indexer(lib).run([root])
        by_name = {m["path"].rsplit("/", 1)[1]: lib.catalog.media(m["media_id"]) for m in lib.catalog.pictures()}
        assert [s["source"] for s in by_name["photo.png"]["segments"]] == ["image"]
        ocr_seg = [s for s in by_name["receipt.jpg"]["segments"] if s["source"] == "ocr"][0]
        assert "TOTAL" in ocr_seg["text"]
        # Boxes are fractions of the picture (the page draws them at any size).
        box = json.loads(ocr_seg["spans"])[0]["box"]
        assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in box)
        # Both were looked at: no catch-up is owed for either.
        assert lib.catalog.owing("ocr", ("image", "video")) == []
    finally:
        lib.close()


def test_a_library_indexed_without_ocr_catches_up_without_re_embedding(settings, tmp_path):
    settings.ocr = "off"
    root = tmp_path / "pics"
    root.mkdir()
    text_picture(root / "poster.jpg", ["CONCERT", "Saturday"])
    pattern(root / "photo.png", 2)
    lib = Library(settings)
    Indexer(lib).run([root])
    image_segments = {s["id"] for m in lib.catalog.pictures() for s in lib.catalog.media(m["media_id"])["segments"]}
    assert len(lib.catalog.owing("ocr", ("image", "video"))) == 2
    lib.close()

    settings.ocr = "auto"
    lib = Library(settings)
    try:
        seen = []
        report = Indexer(lib, progress=seen.append).run([root])
        assert report.words_read == 2 and report.new == 0 and report.unchanged == 2
        assert any(p.stage == "reading words" for p in seen)
        a = search(SearchService(lib), "concert")
        assert a["results"][0]["name"] == "poster.jpg"
        # The pictures' own vectors were kept, not made again.
        now = {s["id"] for m in lib.catalog.pictures() for s in lib.catalog.media(m["media_id"])["segments"]
               if s["source"] == "image"}
        assert now == image_segments
        # Nothing is owed any more: the next run reads nothing.
        assert Indexer(lib).run([root]).words_read == 0
    finally:
        lib.close()


def test_a_copy_is_never_read_twice(settings, tmp_path):
    settings.ocr = "on"
    root = tmp_path / "pics"
    (root / "backup").mkdir(parents=True)
    text_picture(root / "slide.jpg", ["Budget review"])
    lib = Library(settings)
    try:
        Indexer(lib).run([root])
        (root / "backup" / "slide copy.jpg").write_bytes((root / "slide.jpg").read_bytes())
        report = Indexer(lib).run([root])
        assert report.duplicates == 1 and report.words_read == 0
        names = {r["name"] for r in search(SearchService(lib), "budget", k=5)["results"]}
        assert names == {"slide.jpg", "slide copy.jpg"}
    finally:
        lib.close()


def test_a_screenshot_is_read_at_full_size(settings, tmp_path):
    # 16 px words in a 2,560 px wide screenshot: the model's 512 px copy
    # would make them 3 px; the words are read from the full picture.
    settings.ocr = "auto"
    root = tmp_path / "pics"
    root.mkdir()
    im = Image.new("RGB", (2560, 1440), (240, 240, 240))
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, 20)
    d.text((200, 700), "Quarterly invoice 7731 approved", fill="black", font=font)
    im.save(root / "Screenshot 2026-03-01.png")
    lib = Library(settings)
    try:
        Indexer(lib).run([root])
        hit = search(SearchService(lib), "7731")["results"][0]
        assert hit["name"] == "Screenshot 2026-03-01.png"
        assert "7731" in [w for w in hit["why"] if w["signal"] == "words"][0]["fields"][0]["text"]
    finally:
        lib.close()


def test_words_on_screen_in_a_video_are_found_at_their_moment(settings, tmp_path):
    settings.ocr = "auto"
    root = tmp_path / "videos"
    root.mkdir()
    blank = np.full((360, 640, 3), 90, np.uint8)
    slide = np.asarray(text_image(["Roadmap 2027", "Launch plan"]).resize((640, 360)))
    video(root / "talk.mp4", [(4.0, blank), (4.0, slide), (4.0, blank)], size=(640, 360))
    lib = Library(settings)
    try:
        Indexer(lib).run([root])
        hit = search(SearchService(lib), "roadmap")["results"][0]
        assert hit["name"] == "talk.mp4"
        assert 3.0 <= hit["start"] <= 5.0
        field = [w for w in hit["why"] if w["signal"] == "words"][0]["fields"][0]
        assert field["field"] == "words on screen" and field["boxes"]
    finally:
        lib.close()


def test_every_file_is_searchable_before_words_are_read_and_a_stop_keeps_both(settings, tmp_path):
    # Two passes (issue 33.2): the pictures' vectors first, the slow reading
    # of words after, so a text-heavy library never holds the model back.
    settings.ocr = "on"
    root = tmp_path / "pics"
    root.mkdir()
    for i, word in enumerate(["CONCERT", "INVOICE", "MENU", "TICKET"]):
        text_picture(root / f"text_{i}.jpg", [word, "Saturday"])
    pattern(root / "photo.png", 1)
    lib = Library(settings)
    try:
        at_second_pass = {}

        def seen(p):
            if p.stage == "reading words" and not at_second_pass:
                at_second_pass["owing"] = len(lib.catalog.owing("ocr", ("image",)))
                at_second_pass["indexed"] = lib.catalog.stats()
                at_second_pass["by_picture"] = search(SearchService(lib), "a striped pattern", k=5)["results"]

        report = Indexer(lib, progress=seen, should_stop=lambda: bool(at_second_pass)).run([root])
        # When the second pass began, all five were committed and searchable; no word was read yet.
        assert at_second_pass["owing"] == 5 and at_second_pass["indexed"]["media"]["ok"]["image"] == 5
        assert len(at_second_pass["by_picture"]) == 5
        # Stopped in the second pass: the first is whole, the words read so far kept.
        assert report.interrupted and report.new == 5 and report.words_read == 1
        assert len(lib.catalog.owing("ocr", ("image",))) == 4
        lib.close()

        lib = Library(settings)
        report = Indexer(lib).run([root])
        assert report.new == 0 and report.words_read == 4  # nothing embedded again, the rest read
        assert search(SearchService(lib), "invoice")["results"][0]["name"] == "text_1.jpg"
    finally:
        lib.close()
