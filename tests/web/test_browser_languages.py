"""Issue 19 on the page: with the offline default model, a Chinese query
finds the cat and the page says how it read the query."""
import pytest
from PIL import Image

from ..media_factory import pattern
from .test_browser import ARGS, CHROMIUM, indexed_and_served, search, wait_js

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)"),
              pytest.mark.slow]


@pytest.fixture
def server(settings, tmp_path):
    from skimage import data

    root = tmp_path / "pics"
    root.mkdir()
    for i, a in enumerate((data.chelsea(), data.coffee(), data.rocket(), data.astronaut())):
        Image.fromarray(a).save(root / f"IMG_{i:04d}.jpg")
    for i in range(20):  # enough of a library to calibrate the cut-off on
        pattern(root / f"DSC{i:04d}.png", i)
    settings.model = "bundled"
    yield from indexed_and_served(settings, root)


def test_a_chinese_query_finds_the_cat_and_the_page_says_how_it_was_read(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(server)
        search(page, "一只猫")
        wait_js(page, "document.getElementById('understood').textContent.includes('read as Chinese')")
        assert "read as Chinese: “cat”" in page.inner_text("#understood")
        assert page.inner_text("#results .card .name >> nth=0") == "IMG_0000.jpg"
        page.screenshot(path=str(tmp_path / "chinese.png"))
        search(page, "una taza de café")
        wait_js(page, "document.getElementById('understood').textContent.includes('read as Spanish')")
        assert page.inner_text("#results .card .name >> nth=0") == "IMG_0001.jpg"
        browser.close()
