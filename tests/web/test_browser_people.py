"""Issue 31: the People view in real headless Chromium: faces found on real
public-domain photos (tests/data/faces), a person named on the page, the
name then searched, a face taken out with "Not this person"."""
import shutil
from pathlib import Path

import pytest

from .test_browser import CHROMIUM, served_page, wait_js

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)"),
              pytest.mark.slow]
pytest.importorskip("dlib")
FACES = Path(__file__).resolve().parent.parent / "data" / "faces"


@pytest.fixture
def people_page(settings, tmp_path):
    root = tmp_path / "family"
    shutil.copytree(FACES, root, ignore=shutil.ignore_patterns("*.md"))
    settings.faces = "auto"
    yield from served_page(settings, root)


def test_people_are_shown_named_searched_and_corrected(people_page, tmp_path):
    page = people_page
    page.click("#people-btn")
    page.wait_for_selector(".person")
    assert page.locator(".person").count() == 2
    wait_js(page, "[...document.querySelectorAll('.person img')].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(tmp_path / "people.png"))
    # Name the person whose faces include obama-1.jpg.
    for card in page.locator(".person").all():
        card.locator("img").click()
        page.wait_for_selector(".face")
        if any("obama-1.jpg" in (t or "") for t in page.locator(".face img").evaluate_all(
                "imgs => imgs.map(i => i.title)")):
            break
        page.click("text=All people")
        page.wait_for_selector(".person")
    faces_before = page.locator(".face").count()
    why = page.inner_text(".face .why")
    assert faces_before == 4 and ("started" in why or "joined" in why), why
    page.screenshot(path=str(tmp_path / "person.png"))
    # "Not this person" on the group photo's face: it leaves at once.
    group_face = page.locator(".face", has=page.locator("img[title$='obama-and-biden.jpg']"))
    group_face.locator("text=Not this person").click()
    wait_js(page, f"document.querySelectorAll('.face').length === {faces_before - 1}")
    page.click("text=All people")
    page.wait_for_selector(".person")
    card = page.locator(".person").filter(has=page.locator("text=3 photos"))
    card.locator("input").fill("Barack Obama")
    card.locator("input").press("Enter")
    wait_js(page, "document.getElementById('message').textContent.startsWith('Named Barack Obama')")
    page.fill("#q", "Barack Obama")
    page.click("#go")
    page.wait_for_selector("#results .card")
    wait_js(page, "document.querySelectorAll('#results .card').length === 3")
    names = page.locator("#results .card").all_inner_texts()
    assert all("obama-" in n and "biden" not in n for n in names), names
    assert "with Barack Obama" in page.inner_text("#understood")
    badges = page.locator("#results .card .why-badge[data-signal=people]").all_inner_texts()
    assert badges == ["with Barack Obama"] * 3, badges
    page.screenshot(path=str(tmp_path / "searched.png"))
