"""Issue 27.5: "red -blue" and "red without blue" are drawn from what "red"
finds, reordered by likeness to blue; a file whose own words name blue is
not shown. A real library (generated pictures, SQLite, FAISS) searched
through the service, as the page, the API and the terminal do."""
import pytest
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.web.envelope import answer_dict

COLOURS = {"red": (230, 20, 20), "purple": (200, 20, 200), "green": (20, 200, 20), "blue": (20, 20, 230)}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    from mediasearch.store.settings import Settings

    tmp = tmp_path_factory.mktemp("negatives")
    root = tmp / "pics"
    root.mkdir()
    for name, rgb in COLOURS.items():
        for i in range(5):  # 21 files: enough for the cut-off without a model prior
            Image.new("RGB", (64, 48), tuple(min(255, v + 8 * i) for v in rgb)).save(root / f"{name}{i}.png")
    # A red picture whose name says it is about blue.
    Image.new("RGB", (64, 48), (235, 25, 25)).save(root / "blue paint sign.png")
    lib = Library(Settings(home=tmp / "data", model="fake", network_timeout=0))
    Indexer(lib).run([root])
    yield lib
    lib.close()


def ask(lib, text, k=8, **kw):
    return answer_dict(SearchService(lib).search(SearchRequest(texts=[text], k=k, **kw)))


@pytest.mark.parametrize("text", ["red -blue", "red without blue"])
def test_a_file_whose_words_name_the_negated_thing_is_not_shown(library, text):
    # Subtracting "blue" from the query vector ranked this red picture first.
    a = ask(library, text)
    assert a["query"]["not"] == ["blue"]
    assert "blue paint sign.png" not in [r["name"] for r in a["results"]]
    every = ask(library, text, k=30, all=True)["results"]
    named = next(r for r in every if r["name"] == "blue paint sign.png")
    assert named["match"] is False
    assert any(w["signal"] == "not" and "listed last" in w["text"] for w in named["why"])


def test_the_answer_keeps_the_subject(library):
    """Only what "red" itself finds is reordered: nothing of the positive
    query's weaker hits is shown as a match because it is unlike blue."""
    red = {r["name"] for r in ask(library, "red")["results"]}
    without = ask(library, "red -blue")["results"]
    assert without and {r["name"] for r in without} <= red | {"blue paint sign.png"}
    assert all(any(w["signal"] == "not" for w in r["why"]) for r in without)
