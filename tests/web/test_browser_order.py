"""Issue 32.1: the page shows an answer by date with month and day headers,
the order kept in the address bar, at desktop and phone widths."""
import pytest

from ..media_factory import geotagged
from .test_browser import CHROMIUM, served_page, wait_js

pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (.ci/run installs it)"),
              pytest.mark.slow]
TAKEN = {"cat_2019.jpg": "2019:07:14 10:00:00", "cat_2023.jpg": "2023:01:02 09:00:00",
         "cat_2023b.jpg": "2023:01:02 13:00:00", "cat_2021.jpg": "2021:07:14 10:00:00"}


@pytest.fixture
def dated_page(settings, tmp_path):
    root = tmp_path / "dated"
    root.mkdir()
    for name, taken in TAKEN.items():
        geotagged(root / name, (200, 120, 40), 38.7223, -9.1393, taken=taken)
    yield from served_page(settings, root)


def test_newest_first_with_month_and_day_headers_kept_in_the_url(dated_page, tmp_path):
    page = dated_page
    page.fill("#q", "cat")
    page.click("#go")
    page.wait_for_selector("#results .card")
    assert page.locator(".month-header").count() == 0  # best match first: no headers
    page.select_option("#order", "newest")
    wait_js(page, "document.querySelectorAll('.month-header').length === 3")
    assert "order=newest" in page.url
    headers = page.locator(".month-header").all_inner_texts()
    assert headers == ["January 2023", "July 2021", "July 2019"], headers
    assert page.locator(".day-header").count() == 3  # two cats on 2 January 2023 share a day
    names = page.locator("#results .card .name").all_inner_texts()
    assert names[-1] == "cat_2019.jpg" and set(names[:2]) == {"cat_2023.jpg", "cat_2023b.jpg"}
    page.screenshot(path=str(tmp_path / "by-date.png"))
    page.reload()  # the order comes back from the address bar
    wait_js(page, "document.querySelectorAll('.month-header').length === 3")
    assert page.input_value("#order") == "newest"
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "by-date-phone.png"))


def test_the_events_view_shows_a_trip_and_opens_it(dated_page, tmp_path):
    """Issue 32.2: the cats of 2 January 2023 are one event; it opens with its files."""
    page = dated_page
    page.click("#events-btn")
    page.wait_for_selector(".event")
    names = page.locator(".event-name").all_inner_texts()
    assert len(names) == 3 and names[0].endswith("2 January 2023"), names
    page.screenshot(path=str(tmp_path / "events.png"))
    page.fill(".events-find input", "our trip in 2021")  # the year read as a date: that trip alone
    page.click(".events-find button")
    wait_js(page, "document.getElementById('message').textContent.includes('happened')")
    assert page.locator(".event-name").all_inner_texts()[0].endswith("14 July 2021")
    page.click("#events-btn")
    page.wait_for_selector(".event")
    page.locator(".event").first.click()
    page.wait_for_selector("#results .card")
    assert sorted(page.locator("#results .card .name").all_inner_texts()) == ["cat_2023.jpg", "cat_2023b.jpg"]
    assert page.locator(".day-header").count() == 1
    assert page.locator("#results .card .score").count() == 0  # listed, not scored
    page.fill(".event-rename", "New Year at the lake")
    page.press(".event-rename", "Enter")
    wait_js(page, "document.getElementById('message').textContent === 'Renamed.'")
    page.click("text=All events")
    page.wait_for_selector(".event")
    assert page.locator(".event-name").all_inner_texts()[0] == "New Year at the lake"
    page.screenshot(path=str(tmp_path / "event.png"))


def test_the_timeline_scrolls_by_month_and_a_month_lists_its_files(dated_page, tmp_path):
    """Issue 32.4: months newest first with counts and their events; a year
    to jump to; a month's title lists that month's files."""
    page = dated_page
    page.click("#timeline-btn")
    page.wait_for_selector("[data-month]")
    months = page.locator(".month-header").all_inner_texts()
    assert months == ["January 2023 2 files", "July 2021 1 file", "July 2019 1 file"], months
    assert page.locator(".year-jump option").all_inner_texts() == ["Jump to a year", "2023", "2021", "2019"]
    page.screenshot(path=str(tmp_path / "timeline.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.querySelector('.event').getBoundingClientRect().right") <= 390
    page.screenshot(path=str(tmp_path / "timeline-phone.png"))
    page.set_viewport_size({"width": 1000, "height": 900})
    page.click("text=July 2021")
    page.wait_for_selector("#results .card")
    assert page.locator("#results .card .name").all_inner_texts() == ["cat_2021.jpg"]


def test_the_map_shows_where_files_were_taken_offline_and_a_click_searches_there(dated_page, tmp_path):
    """Issue 32.3: country outlines from a file served by the app (no tile
    server), the Lisbon cats as one cluster, a click searching Lisbon."""
    page = dated_page
    page.click("#map-btn")
    page.wait_for_selector(".map .cluster")
    assert page.locator(".map .land").count() > 100
    assert page.locator(".map .cluster").get_attribute("data-count") == "4"
    assert "4 files on the map" in page.inner_text("#message")
    page.screenshot(path=str(tmp_path / "map.png"))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the map fits the width
    assert page.evaluate("document.querySelector('.map').getBoundingClientRect().right") <= 390
    page.screenshot(path=str(tmp_path / "map-phone.png"))
    page.set_viewport_size({"width": 1000, "height": 900})
    page.locator(".map .cluster").click()
    page.wait_for_selector("#results .card")
    assert page.input_value("#q") == "Lisbon" and page.locator("#results .card").count() == 4
