"""Issue 32.1: any answer shown by relevance or by date. By date, the
matches are re-ordered (the cut-off kept: nothing else is listed), each
with the day it was taken; the CLI prints day headers, the API takes
``order``, a list of filters alone can be oldest first."""
import json

import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.errors import QueryError
from mediasearch.web.envelope import answer_dict

from ..media_factory import geotagged, pattern

TAKEN = {"cat_2019.jpg": "2019:07:14 10:00:00", "cat_2023.jpg": "2023:01:02 09:00:00",
         "cat_2021.jpg": "2021:07:14 10:00:00", "cat_2016.jpg": "2016:05:30 18:00:00"}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from mediasearch.store.settings import Settings

    tmp = tmp_path_factory.mktemp("order")
    root = tmp / "pics"
    root.mkdir()
    for i in range(20):
        pattern(root / f"DSC{i:04d}.png", i)
    for name, taken in TAKEN.items():
        geotagged(root / name, (200, 120, 40), 38.7223, -9.1393, taken=taken)
    settings = Settings(home=tmp / "data", model="fake", network_timeout=0)
    lib = Library(settings)
    Indexer(lib).run([root])
    yield settings, lib
    lib.close()


def ask(lib, text, **kw):
    return answer_dict(SearchService(lib).search(SearchRequest(texts=[text], **kw)))


def test_by_date_reorders_the_same_matches_newest_or_oldest_first(library):
    _, lib = library
    best = ask(lib, "cat", k=10)
    newest = ask(lib, "cat", k=10, order="newest")
    oldest = ask(lib, "cat", k=10, order="oldest")
    names = {r["name"] for r in best["results"]}
    assert names == set(TAKEN)  # the matches: the cut-off holds the patterns back
    assert [r["name"] for r in newest["results"]] == ["cat_2023.jpg", "cat_2021.jpg", "cat_2019.jpg", "cat_2016.jpg"]
    assert [r["name"] for r in oldest["results"]] == ["cat_2016.jpg", "cat_2019.jpg", "cat_2021.jpg", "cat_2023.jpg"]
    assert [r["when"] for r in newest["results"]] == ["2023-01-02", "2021-07-14", "2019-07-14", "2016-05-30"]
    assert newest["order"] == {"by": "newest", "of": 4, "capped": False}
    # Pages of a list by date follow on from each other.
    page2 = ask(lib, "cat", k=2, offset=2, order="newest")
    assert [r["name"] for r in page2["results"]] == ["cat_2019.jpg", "cat_2016.jpg"]


def test_a_list_of_filters_alone_can_be_oldest_first_and_a_bad_order_is_refused(library):
    _, lib = library
    listed = ask(lib, "photos from Lisbon", k=10, order="oldest")
    assert [r["name"] for r in listed["results"]][:2] == ["cat_2016.jpg", "cat_2019.jpg"]
    with pytest.raises(QueryError, match="order"):
        ask(lib, "cat", order="sideways")


def test_the_terminal_prints_day_headers_and_the_api_takes_the_order(library, cli):
    settings, lib = library
    code, out, err = cli("search", "cat", "--by", "date", "--data-dir", settings.home)
    assert code == 0, err
    assert "4 matches by date, newest first" in err
    assert "-- Monday 02 January 2023" in err and out.index("cat_2023.jpg") < out.index("cat_2016.jpg")
    code, out, _ = cli("search", "cat", "--by", "oldest", "--json", "--data-dir", settings.home)
    assert [r["name"] for r in json.loads(out)["results"]][0] == "cat_2016.jpg"
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        got = client.get("/api/search", params={"q": "cat", "order": "oldest"}).json()
        assert [r["name"] for r in got["results"]][-1] == "cat_2023.jpg" and got["order"]["by"] == "oldest"
        assert client.get("/api/search", params={"q": "cat", "order": "sideways"}).status_code in (400, 422)
