"""The page in real headless Chromium (Debian's), driven by Playwright:
type a query, see the expected thumbnail first, open a video hit at its moment."""
import shutil
import socket
import threading

import pytest
import uvicorn

from mediasearch.web.app import create_app

from ..media_factory import video
from .conftest import XSS_NAME

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)"),
              pytest.mark.slow]
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def server(settings, library_dir):
    # A WebM clip too: the codecs every Chromium build can play.
    video(library_dir / "beach.webm", [(3, (200, 200, 200)), (3, (230, 230, 20)), (2, (20, 20, 20))],
          codec="libvpx", fps=10)
    # An iPhone photo: Chromium cannot show HEIC itself.
    import pillow_heif
    from PIL import Image
    pillow_heif.register_heif_opener()
    Image.new("RGB", (64, 48), (250, 120, 10)).save(library_dir / "IMG_0042.HEIC")
    # A rotated, recompressed copy of one picture: the duplicates view groups them.
    Image.open(library_dir / "pattern_05.png").rotate(90).convert("RGB").save(library_dir / "pattern_05 copy.jpg",
                                                                               quality=60)
    # A scanned receipt: its words are read (OCR) and outlined in the viewer.
    from PIL import ImageDraw, ImageFont
    scan = Image.new("RGB", (900, 600), "white")
    ImageDraw.Draw(scan).text((120, 260), "ACME INVOICE 2291", fill="black",
                              font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 48))
    scan.save(library_dir / "receipt.jpg", quality=90)
    # An untagged tune after 4 s of quiet: its sound event makes it findable.
    import numpy as np

    from ..media_factory import audio_file, music
    audio_file(library_dir / "rec_0007.wav", np.concatenate([np.zeros(64000, np.float32), music(8)]))
    settings.ocr = "auto"
    yield from indexed_and_served(settings, library_dir)


def indexed_and_served(settings, library_dir):
    """Index the folder, then serve the page on a free port until the test ends."""
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer
    lib = Library(settings)
    Indexer(lib).run([library_dir])
    lib.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run)
    t.start()
    import time
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for our own server thread to bind
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(20)


def served_page(settings, root):
    """Index ``root``, serve it, and yield a Chromium page on it (1000x900)."""
    from playwright.sync_api import sync_playwright

    for url in indexed_and_served(settings, root):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            pg = browser.new_page(viewport={"width": 1000, "height": 900})
            pg.goto(url)
            yield pg
            browser.close()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.goto(server)
        yield pg
        browser.close()


def wait_js(page, expr, timeout=15.0):
    """Poll a JS expression (Playwright's wait_for_function evaluates strings,
    which our Content-Security-Policy rightly forbids)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expr):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {expr}")


def search(page, text):
    page.fill("#q", text)
    page.click("#go")
    page.wait_for_selector("#results .card")


def test_query_shows_the_expected_thumbnail_first(page):
    search(page, "red")
    first = page.locator("#results .card").first
    assert first.locator(".name").inner_text() == "red.png"
    wait_js(page, "document.querySelector('#results .card img').naturalWidth > 0")
    # A full page offers "Load more"; the last page does not (30 files named "pattern").
    search(page, "pattern")
    assert page.locator("#results .card").count() == 24 and page.locator("#more").is_visible()
    page.click("#more")
    wait_js(page, "document.querySelectorAll('#results .card').length > 24")
    wait_js(page, "document.getElementById('more').hidden === true")
    assert not page.locator("#more").is_visible()
    names = page.locator("#results .card .name").all_inner_texts()
    assert len(names) == len(set(names))  # pages do not repeat files


def test_video_hit_opens_at_its_moment(page):
    search(page, "yellow")
    card = page.locator('#results .card[data-kind="video"]').first
    assert "beach.webm" in card.locator(".name").inner_text()
    assert "00:03" in card.locator(".badge").inner_text()
    card.locator("img").click()
    page.wait_for_selector("#viewer[open] video")
    wait_js(page, "document.getElementById('player').readyState >= 1 && "
                  "document.getElementById('player').currentTime >= 2.9")
    t = page.evaluate("document.getElementById('player').currentTime")
    assert 2.9 <= t < 6.0


def test_a_heic_photo_opens_in_the_viewer(page):
    search(page, "orange")
    card = page.locator("#results .card").first
    assert card.locator(".name").inner_text() == "IMG_0042.HEIC"
    card.locator("img").click()
    page.wait_for_selector("#viewer[open] img")
    # The browser cannot decode the original; the viewer falls back to our thumbnail.
    wait_js(page, "document.querySelector('#viewer img').naturalWidth > 0")
    assert "/thumb/" in page.evaluate("document.querySelector('#viewer img').src")


def test_hostile_names_run_no_script(page):
    search(page, "yellow")
    names = page.locator("#results .card .name").all_inner_texts()
    assert XSS_NAME in names
    page.wait_for_timeout(300)  # give a would-be onerror handler its chance to fire
    assert page.dialogs == []
    assert page.locator("#results img[src='x']").count() == 0


def test_empty_results_and_status_view(page):
    page.click("#filters summary")
    page.select_option("#kind", "audio")
    page.fill("#under", "/nowhere/at/all")  # a folder nothing was indexed in
    page.fill("#q", "anything")
    page.click("#go")
    wait_js(page, "document.getElementById('message').textContent.includes('No results')")
    page.click("#status-btn")
    page.wait_for_selector("#status table")
    assert "fake" in page.inner_text("#status")


def test_the_api_docs_page_works_offline(page, server):
    """Issue 14.12: /docs was blank (assets from a CDN, blocked by our CSP)."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/docs")
    wait_js(page, "document.querySelectorAll('.opblock').length >= 5", 20)
    text = page.inner_text("body")
    assert "/api/search" in text and "/thumb/{media_id}" in text
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert page.request.get(server + "/favicon.ico").status == 200


def test_the_landing_page_shows_the_library(page):
    """Issue 14.15: the landing page was an empty grey page."""
    wait_js(page, "document.getElementById('message').textContent.includes('Your library')")
    text = page.inner_text("#message")
    assert "images" in text and "video" in text
    # The files added last, as cards, without a score (nothing was asked).
    wait_js(page, "document.querySelectorAll('#results .card').length >= 5")
    assert page.locator("#results .card .score").count() == 0
    names = page.locator("#results .card .name").all_inner_texts()
    assert len(names) == len(set(names)) and "beach.webm" in names


def test_status_opens_where_it_is_seen(page):
    """Issue 14.16: status opened below 24 results, off-screen."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(page.url.split("?")[0] + "?q=pattern")
    wait_js(page, "document.querySelectorAll('#results .card').length === 24")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.click("#status-btn")
    page.wait_for_selector("#status table")
    box = page.locator("#status").bounding_box()
    scrolled = page.evaluate("window.scrollY")
    assert box is not None and 0 <= box["y"] < 1000 - 50, (box, scrolled)  # its top is on screen


def test_the_search_is_in_the_address_bar_and_back_works(page, server):
    """Issue 14.14 and 14.13: bookmarkable searches, Back, and a typed query
    that leaves "more like this" behind."""
    search(page, "red")
    assert "q=red" in page.url
    page.locator("#results .card .like").first.click()
    wait_js(page, "location.search.includes('like=')")
    page.fill("#q", "green")
    page.click("#go")
    wait_js(page, "location.search === '?q=green'")
    wait_js(page, "(document.querySelector('#results .card .name') || {}).textContent === 'green.jpg'")
    assert page.locator("#example").is_hidden()  # nothing hidden lingers
    page.go_back()
    wait_js(page, "location.search.includes('like=')")
    page.go_back()
    wait_js(page, "document.getElementById('q').value === 'red' && "
                  "(document.querySelector('#results .card .name') || {}).textContent === 'red.png'")
    assert page.locator("#rerank-label").is_hidden()  # no captioner installed here: not offered
    page.goto(server + "/?q=pattern")
    wait_js(page, "document.querySelectorAll('#results .card').length === 24")
    page.click("#more")
    wait_js(page, "location.search.includes('n=')")
    page.reload()  # the page of results comes back whole
    wait_js(page, "document.querySelectorAll('#results .card').length > 24")
    page.goto(server + "/?q=green&kind=image")  # a bookmark
    wait_js(page, "document.querySelector('#results .card .name') && "
                  "document.querySelector('#results .card .name').textContent === 'green.jpg'")
    assert page.inner_text("#filters-summary") == "Filters (1)"


def test_screenshots_at_desktop_and_phone_sizes(page, tmp_path):
    """Issue 14.17: the page at 1400x1000 and 390x844, filters open; the
    header keeps the search box on one row and badges on one line."""
    for w, h in ((1400, 1000), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        search(page, "yellow")
        page.click("#filters summary")
        page.screenshot(path=str(tmp_path / f"page-{w}x{h}.png"))
        badge = page.locator("#results .card .badge").first
        assert badge.bounding_box()["height"] < 22  # one line
        q = page.locator("#q").bounding_box()
        assert q["width"] > min(250, w * 0.5)
        page.click("#filters summary")


def test_the_page_shows_what_it_understood_and_says_when_nothing_matches(page, tmp_path):
    """Issue 19: readings as removable chips, "no good match" with the weaker
    hits one click away, why badges and marked words on every card, good/bad
    marks refine the query."""
    search(page, "red this year")
    wait_js(page, "document.querySelectorAll('#understood .chip[data-type=date]').length === 1")
    assert "taken this year" in page.inner_text("#understood")
    assert page.locator("#results .card").first.locator(".why-badge").count() >= 1
    assert page.inner_text("#results .card .name >> nth=0") == "red.png"
    page.click("#understood .chip[data-type=date] .chip-x")  # read "this year" as words again
    wait_js(page, "location.search.includes('plain=date')")
    wait_js(page, "document.querySelectorAll('#understood .chip[data-type=date]').length === 0")
    assert "date read as words" in page.inner_text("#understood")
    # Nonsense: no good match, the weaker hits behind a button.
    page.fill("#q", "qwxz zzkv plorf")
    page.click("#go")
    wait_js(page, "document.getElementById('message').textContent.includes('No good match')")
    assert page.locator("#results .card").count() == 0
    page.click("#show-weaker")
    wait_js(page, "document.querySelectorAll('#results .card.weaker').length > 0")
    assert "all=true" in page.url
    # Words that matched are marked; good/bad marks go into the query.
    search(page, "pattern")
    wait_js(page, "document.querySelectorAll('#results .card mark').length > 0 || "
                  "document.querySelectorAll('#results .why-badge[data-signal=words]').length > 0")
    page.locator("#results .card .mark.good").first.click()
    wait_js(page, "location.search.includes('good=')")
    wait_js(page, "document.querySelector('#understood .chip.feedback') !== null")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.screenshot(path=str(tmp_path / "understood.png"))


def test_the_duplicates_view_groups_copies_and_suggests_a_keeper(page, tmp_path):
    """Issue 16: the page lists the group, marks the keeper, deletes nothing."""
    page.click("#dups-btn")
    page.wait_for_selector(".dup-group")
    # The copy's group; two of the 30 synthetic 4x4-block patterns may also
    # hash alike (few distinct values: seen once), which real photos do not.
    groups = [g for g in page.locator(".dup-group").all() if "pattern_05 copy.jpg" in g.inner_text()]
    assert len(groups) == 1
    names = groups[0].locator("figcaption").all_inner_texts()
    assert len(names) == 2 and any(n.startswith("keep · pattern_05.png") for n in names), names
    assert "Nothing is deleted" in page.inner_text("#message")
    page.screenshot(path=str(tmp_path / "duplicates.png"))


def test_words_read_in_a_picture_are_the_reason_and_outlined_in_the_viewer(page, tmp_path):
    """Issue 15: a word on a scan finds it, the card says "text in the
    picture", and the viewer outlines the line it was read in."""
    search(page, "invoice")
    wait_js(page, "document.querySelectorAll('#results .card').length > 0")
    first = page.locator("#results .card").first
    assert first.locator(".name").inner_text() == "receipt.jpg"
    assert "text in the picture" in first.inner_text()
    first.locator("img").click()
    wait_js(page, "document.querySelector('#viewer-body .text-boxes polygon') !== null")
    wait_js(page, "document.querySelector('#viewer-body img').complete")
    page.wait_for_timeout(100)
    box = page.locator("#viewer-body .text-boxes polygon").first.bounding_box()
    img = page.locator("#viewer-body img").bounding_box()
    # The line sits in the picture's middle band, well inside it (drawn at 120-700 x 260-320 of 900 x 600).
    assert img["x"] < box["x"] < box["x"] + box["width"] < img["x"] + img["width"]
    assert img["y"] + 0.35 * img["height"] < box["y"] < img["y"] + 0.6 * img["height"]
    page.screenshot(path=str(tmp_path / "viewer-boxes.png"))
    import shutil as _sh
    _sh.copy(tmp_path / "viewer-boxes.png", "/tmp/viewer-boxes.png")


def test_an_untagged_tune_is_found_as_music_and_plays_from_its_moment(page):
    """Issue 17: "music" finds a recording named rec_0007 by its sound; the
    card says when the music plays, the viewer lights that span on the
    waveform and the player starts there."""
    search(page, "music")
    wait_js(page, "document.querySelectorAll('#results .card').length > 0")
    card = page.locator('#results .card[data-kind="audio"]').first
    assert card.locator(".name").inner_text() == "rec_0007.wav"
    assert "music 00:04-00:12" in card.inner_text()
    card.locator("img").click()
    page.wait_for_selector("#viewer[open] audio")
    start = float(page.locator("#viewer-body img.wave").get_attribute("src").split("t=")[1])
    assert 3.5 <= start <= 4.5
    wait_js(page, "document.querySelector('#viewer-body img.wave').naturalWidth > 0")
    wait_js(page, f"document.getElementById('player').currentTime >= {start - 0.05}")
    page.screenshot(path="/tmp/viewer-audio.png")


@pytest.fixture
def card_page(settings, tmp_path):
    """A library with what the cards got wrong: a dated video with a long name,
    a tall scanned page whose title is at the top, plain pictures."""
    from PIL import Image, ImageDraw, ImageFont

    from ..media_factory import pattern

    root = tmp_path / "cards"
    root.mkdir()
    video(root / "family holiday at the lake, part one.mp4", [(4, (120, 120, 120)), (2, (20, 30, 220))],
          tags={"creation_time": "2026-07-18T10:00:00Z"})
    page_scan = Image.new("RGB", (600, 1800), "white")
    ImageDraw.Draw(page_scan).text((40, 40), "INVOICE 4471", fill="black",
                                   font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 40))
    page_scan.save(root / "Screenshot_invoice.png")
    for i in range(4):
        pattern(root / f"p{i}.png", i)
    from ..search.test_duplicates import _shots_and_copies
    _shots_and_copies(root)  # two shots of one scene: similar, not the same picture
    Image.open(root / "p1.png").rotate(90).save(root / "p1 (1).png")  # a copy: the name's differing part is marked
    yield from served_page(settings, root)


def test_cards_keep_everything_inside_and_tall_pictures_show_their_top(card_page, tmp_path):
    """Issue 26.8: on video cards the score was cut at the right edge, the date
    wrapped as "2026-/07-18", the snippet's last line was cut through; a tall
    screenshot was centre-cropped (its title lost); the Duplicates view kept
    the banner of a search by example."""
    page = card_page
    search(page, "blue invoice")
    wait_js(page, "[...document.querySelectorAll('#results .card img')].every(i => i.complete)")
    page.screenshot(path=str(tmp_path / "cards.png"), full_page=True)
    overflow = page.evaluate("""[...document.querySelectorAll('#results .card')].flatMap(c => {
        const edge = c.getBoundingClientRect().right;
        return [...c.querySelectorAll('.meta *')].filter(e => e.getBoundingClientRect().right > edge + 0.5)
            .map(e => c.dataset.id + ':' + e.className + ':' + e.textContent); })""")
    assert overflow == []
    taken = page.locator("#results .card .taken").first
    assert taken.inner_text() == "2026-07-18" and taken.bounding_box()["height"] < 22  # one line
    scan = page.locator("#results .card img[alt='Screenshot_invoice.png']")
    assert "tall" in scan.get_attribute("class")
    assert page.evaluate("getComputedStyle(document.querySelector(\"img[alt='Screenshot_invoice.png']\")).objectPosition"
                         ).startswith("50% 0%")
    page.set_input_files("#file", str(next(iter(sorted((tmp_path / "cards").glob("p0.png"))))))
    wait_js(page, "!document.getElementById('example').hidden")
    page.click("#dups-btn")
    wait_js(page, "document.getElementById('message').textContent.includes('near-duplicates')")
    assert page.locator("#example").is_hidden()


def test_the_duplicates_view_tells_similar_from_the_same_and_marks_what_differs(card_page, tmp_path):
    """Issue 28.4: similar pictures are shown apart, with no keeper and not
    counted as files that could go; the part of names that differs is marked."""
    page = card_page
    page.click("#dups-btn")
    page.wait_for_selector(".dup-group")
    page.screenshot(path=str(tmp_path / "duplicates.png"), full_page=True)
    similar = page.locator(".dup-group.similar")
    assert similar.count() == 1 and "keep both" in similar.inner_text()
    assert similar.locator(".dup.keep").count() == 0
    same = [g for g in page.locator(".dup-group:not(.similar)").all() if "p1 (1).png" in g.inner_text()]
    assert len(same) == 1 and same[0].locator("mark").all_inner_texts() == [" (1)"]
    assert "1 group of similar pictures to keep" in page.inner_text("#message")
