"""Issue 27.4: a file marked "Not this" (and any near copy of it) is never
shown again in that answer, and the push away from it is bounded: the
query keeps its subject. A real library (generated photos, SQLite, FAISS),
searched through the service as the page and the API do."""

import pytest
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService, answer_dict

from ..media_factory import pattern


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from mediasearch.store.settings import Settings

    tmp = tmp_path_factory.mktemp("marks")
    root = tmp / "pics"
    root.mkdir()
    for i in range(40):
        pattern(root / f"DSC{i:04d}.png", i)
    # A near copy of every picture the answer may show: re-saved as JPEG, smaller.
    for i in range(40):
        Image.open(root / f"DSC{i:04d}.png").convert("RGB").resize((200, 150)).save(root / f"copy{i:04d}.jpg",
                                                                                    quality=80)
    lib = Library(Settings(home=tmp / "data", model="fake", network_timeout=0))
    Indexer(lib).run([root])
    yield lib
    lib.close()


def ask(lib, k=10, **kw):
    return answer_dict(SearchService(lib).search(SearchRequest(texts=["a striped pattern"], k=k, all=True, **kw)))


def test_not_this_never_shows_the_file_or_its_copy_again(library):
    first = ask(library)
    top = first["results"][0]
    twin = ("copy" + top["name"][3:7] + ".jpg") if top["name"].startswith("DSC") else "DSC" + top["name"][4:8] + ".png"
    again = ask(library, unlike=[top["media_id"]])
    shown = [r["name"] for r in again["results"]]
    assert top["name"] not in shown and twin not in shown
    assert len(again["results"]) == 10  # nothing left a gap


def test_not_this_shows_only_what_the_query_itself_found(library):
    """The answer after "Not this" is drawn from the query's own candidates
    (its first 30), so one mark never turns it into another subject."""
    candidates = {r["media_id"] for r in ask(library, k=30)["results"]}
    first = ask(library)["results"][0]["media_id"]
    again = {r["media_id"] for r in ask(library, unlike=[first])["results"]}
    assert again <= candidates and first not in again
