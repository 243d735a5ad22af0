"""Issue 32.2: events found by themselves from the EXIF dates and GPS of
real generated photos, through the real pipeline and catalog: a trip with
photos that lack GPS is one event named by its place and dates; days at
home are events of their own; the CLI and the API list and open them."""
import json

import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.events import dates, find_events
from mediasearch.search.service import SearchService
from mediasearch.store.errors import NotFoundError, QueryError

from ..media_factory import geotagged

LISBON, PORTO = (38.7223, -9.1393), (41.1496, -8.6109)
TRIP = ["2023:07:12 10:00:00", "2023:07:12 18:30:00", "2023:07:13 11:00:00", "2023:07:14 09:15:00"]
HOME = ["2023:06:01 19:00:00", "2023:06:01 21:00:00", "2023:06:02 08:00:00", "2023:06:20 12:00:00",
        "2023:08:03 10:00:00"]


def build(tmp):
    from PIL import Image

    from mediasearch.store.settings import Settings

    root = tmp / "pics"
    root.mkdir()
    for i, taken in enumerate(TRIP):
        geotagged(root / f"beach_{i}.jpg", (30 + 40 * i, 120, 200), *LISBON, taken=taken)
    # On the trip too, from a phone that wrote no GPS: its time puts it there.
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2023:07:13 15:00:00"
    Image.new("RGB", (64, 48), (10, 200, 10)).save(root / "beach_nogps.jpg", exif=exif)
    for i, taken in enumerate(HOME):
        geotagged(root / f"home_{i}.jpg", (200, 30 + 40 * i, 30), *PORTO, taken=taken)
    settings = Settings(home=tmp / "data", model="fake", network_timeout=0)
    lib = Library(settings)
    Indexer(lib).run([root])
    return settings, lib, root


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    settings, lib, _ = build(tmp_path_factory.mktemp("events"))
    yield settings, lib
    lib.close()


def files(lib, event) -> set[str]:
    return {m["path"].rsplit("/", 1)[-1] for m in lib.catalog.hits_of_media(event.media_ids).values()}


def test_a_trip_is_one_event_and_days_at_home_are_their_own(library):
    _, lib = library
    events = SearchService(lib).events()
    by_files = {frozenset(files(lib, e)): e for e in events}
    trip = by_files[frozenset({f"beach_{i}.jpg" for i in range(4)} | {"beach_nogps.jpg"})]
    assert trip.name == "Lisbon, Portugal, 12-14 July 2023" and trip.away
    assert frozenset({"home_0.jpg", "home_1.jpg"}) in by_files  # an evening: one event
    assert frozenset({"home_2.jpg"}) in by_files                 # the next morning: another
    assert len(events) == 5 and [e.start for e in events] == sorted((e.start for e in events), reverse=True)
    # Stable ids: the smallest file id, so files added later leave the id as it is.
    assert trip.id == min(trip.media_ids)


def test_the_cli_and_the_api_list_and_open_events(library, cli):
    settings, lib = library
    code, out, _ = cli("events", "--json", "--data-dir", settings.home)
    listed = json.loads(out)
    trip = next(e for e in listed["events"] if e["away"])
    assert code == 0 and listed["total"] == 5 and trip["name"].startswith("Lisbon, Portugal")
    code, out, _ = cli("events", "show", str(trip["id"]), "--json", "--data-dir", settings.home)
    assert [r["name"] for r in json.loads(out)["results"]][0] == "beach_0.jpg"
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        got = client.get("/api/events").json()
        assert got["total"] == 5 and got["events"][0]["cover"].startswith("/thumb/")
        one = client.get(f"/api/events/{trip['id']}").json()
        assert one["event"]["files"] == 5 and len(one["results"]) == 5
        assert client.get("/api/events/999999").status_code == 404
    with pytest.raises(NotFoundError):
        SearchService(lib).event(999999)


def test_event_names_and_rules_on_rows():
    assert dates(1688976000, 1688976000 + 3 * 86400).endswith("July 2023")
    day = 1700000000.0
    rows = [(1, day, "Porto, Portugal"), (2, day + 3600, None), (3, day + 12 * 3600, "Porto, Portugal")]
    assert [sorted(e.media_ids) for e in find_events(rows)] == [[3], [1, 2]]  # a night apart: two


def test_an_event_is_found_by_what_happened_in_it(library, cli):
    """ "our trip" finds the trip (its files' words match), the event words
    themselves say nothing of what is in the pictures."""
    settings, lib = library
    _, ranked = SearchService(lib).events_matching("our beach trip")
    assert ranked and ranked[0][0].away and len(ranked[0][2]) >= 4
    code, out, _ = cli("events", "find", "the", "evening", "at", "home", "--json", "--data-dir", settings.home)
    found = json.loads(out)["events"]
    assert code == 0 and found and not found[0]["away"] and found[0]["matched"][0]["name"].startswith("home_")


def test_renames_merges_and_splits_outlive_a_rebuild(tmp_path, cli):
    settings, lib, root = build(tmp_path)
    try:
        service = SearchService(lib)

        def by_name():
            return {e.name: sorted(files(lib, e)) for e in service.events()}

        trip = next(e for e in service.events() if e.away)
        service.edit_event("name", trip.id, name="Lisbon with Ana")
        evening = next(e for e in service.events() if files(lib, e) == {"home_0.jpg", "home_1.jpg"})
        morning = next(e for e in service.events() if files(lib, e) == {"home_2.jpg"})
        service.edit_event("merge", evening.id, other=morning.id)  # one birthday, evening to morning
        beach_3 = next(m for m, h in lib.catalog.hits_of_media(trip.media_ids).items() if h["path"].endswith("beach_3.jpg"))
        service.edit_event("split", trip.id, other=beach_3)  # the last day was another trip
        names = by_name()
        assert names["Lisbon with Ana"] == ["beach_0.jpg", "beach_1.jpg", "beach_2.jpg", "beach_nogps.jpg"]
        assert names["Lisbon, Portugal, 14 July 2023"] == ["beach_3.jpg"]
        assert ["home_0.jpg", "home_1.jpg", "home_2.jpg"] in names.values()
        lib.catalog.clear()  # --rebuild: every file gets a new id; the edits are kept by content
        Indexer(lib).run([root])
        assert by_name() == names
        with pytest.raises(QueryError):
            service.edit_event("split", trip.id, other=999999)
    finally:
        lib.close()
    code, _, err = cli("events", "rename", "999999", "x", "--data-dir", settings.home)
    assert code != 0 and "no event 999999" in err


def test_the_map_clusters_files_by_position_and_counts_those_without(library):
    _, lib = library
    m = SearchService(lib).map(5.0)
    assert sorted((c["count"], c["place"]) for c in m["clusters"]) == [(4, "Lisbon, Portugal"), (5, "Porto, Portugal")]
    assert m["unplaced"] == 1 and m["placed"] == 9  # the phone photo without GPS: counted, not guessed
    fine = SearchService(lib).map(0.01)
    assert sum(c["count"] for c in fine["clusters"]) == 9
