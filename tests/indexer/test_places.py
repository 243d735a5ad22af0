"""Where a photo or video was taken becomes words: GPS positions (EXIF,
QuickTime location) named offline, and video recording dates from the container."""
import datetime as dt

from mediasearch.indexer.library import Library
from mediasearch.indexer.media.images import load_image
from mediasearch.indexer.pipeline import Indexer
from mediasearch.indexer.places import parse_iso6709, place_name
from mediasearch.search.engine import SearchEngine
from mediasearch.search.query import Query, build_terms

from ..media_factory import geotagged, solid, video


def test_positions_are_named_offline_and_nonsense_is_not():
    assert "Lisbon" in place_name(38.7223, -9.1393) and place_name(38.7223, -9.1393).endswith("Portugal")
    assert place_name(48.8566, 2.3522).startswith("Paris")
    assert place_name(0.0, 0.0) is None        # what cameras write without a fix
    assert place_name(0.0, -30.0) is None      # mid-Atlantic: the nearest town is 400 km away
    assert place_name(95.0, 10.0) is None
    assert parse_iso6709("+38.7223-009.1393+012.000/") == (38.7223, -9.1393)
    assert parse_iso6709("garbage") is None


def test_exif_gps_is_read_with_its_hemisphere(tmp_path):
    got = load_image(geotagged(tmp_path / "rio.jpg", (0, 0, 200), -22.9068, -43.1729), 10**8).gps
    assert abs(got[0] + 22.9068) < 1e-3 and abs(got[1] + 43.1729) < 1e-3
    assert load_image(solid(tmp_path / "plain.jpg", (0, 0, 200)), 10**8).gps is None


def test_photos_and_videos_are_found_by_where_and_when_they_were_taken(settings, tmp_path):
    d = tmp_path / "trip"
    d.mkdir()
    geotagged(d / "IMG_0001.jpg", (200, 30, 30), 38.7223, -9.1393)     # Lisbon
    geotagged(d / "IMG_0002.jpg", (30, 30, 200), 48.8566, 2.3522)      # Paris
    solid(d / "IMG_0003.jpg", (30, 200, 30))                           # no position
    video(d / "MOV_0004.mp4", [(2, (90, 90, 90))],
          tags={"location": "+41.1579-008.6291/", "creation_time": "2023-07-01T12:34:56.000000Z"})  # Porto
    lib = Library(settings)
    Indexer(lib).run([d])
    engine = SearchEngine(lib)

    def names(*words, **kw):
        return [r.path.rsplit("/", 1)[1] for r in engine.search(Query(build_terms(list(words)), k=10, **kw))]

    assert names("lisbon")[0] == "IMG_0001.jpg"
    assert names("paris")[0] == "IMG_0002.jpg"
    portugal = names("portugal")[:2]
    assert set(portugal) == {"IMG_0001.jpg", "MOV_0004.mp4"}
    hit = engine.search(Query(build_terms(["lisbon"]), k=1))[0]
    assert "Portugal" in hit.text  # shown with the hit: where it was taken
    video_hit = engine.search(Query(build_terms(["porto"]), k=1))[0]
    assert dt.datetime.fromtimestamp(video_hit.taken_at, dt.timezone.utc).date() == dt.date(2023, 7, 1)
    before = dt.datetime(2024, 1, 1).timestamp()  # the photos carry no date: their file time (now) counts
    assert names("green", before=before) == ["MOV_0004.mp4"]  # the video's recording date is known
    lib.close()


def test_a_place_filter_narrows_any_search(settings, tmp_path, cli):
    """"red" taken in Lisbon: the concept from the vectors, the place as a filter
    (the CLI's --place, the API's place=, the page's Place box)."""
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app

    d = tmp_path / "trips"
    d.mkdir()
    geotagged(d / "paris_red.jpg", (220, 20, 20), 48.8566, 2.3522)
    geotagged(d / "lisbon_blue.jpg", (20, 30, 220), 38.7223, -9.1393)
    geotagged(d / "lisbon_red.jpg", (200, 30, 30), 38.7223, -9.1393, taken="2022:08:14 18:30:00")
    code, _, err = cli("index", str(d), "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0, err
    code, out, _ = cli("search", "red", "--place", "lisbon", "--data-dir", settings.home, "-k", "5")
    lines = [line for line in out.splitlines() if line.strip()]
    assert code == 0 and "lisbon_red.jpg" in lines[0] and not any("paris" in line for line in lines)
    assert "2022-08-14" in lines[0] and "(Intendente, Lisbon, Portugal)" in lines[0]  # when and where
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        hits = client.get("/api/search", params={"q": "red", "place": "Portugal"}).json()["results"]
        names = [h["name"] for h in hits]
        taken = {h["name"]: h["taken"] for h in hits}
        assert taken == {"lisbon_red.jpg": "2022-08-14", "lisbon_blue.jpg": None}  # no date: none made up
        assert names[0] == "lisbon_red.jpg" and set(names) == {"lisbon_red.jpg", "lisbon_blue.jpg"}
        assert client.get("/api/search", params={"q": "red", "place": "Tokyo"}).json()["results"] == []
