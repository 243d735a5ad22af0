"""Issue 27.4: a file marked "Not this" (and any near copy of it) is never
shown again in that answer, and the push away from it is bounded: the
query keeps its subject; "Good" pulls up what looks like the file marked,
still within the subject. A real library (generated photos, SQLite, FAISS),
searched through the service as the page and the API do."""

import numpy as np
import pytest
from PIL import Image

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search import marks
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.web.envelope import answer_dict

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
    (its first ``marks.DEPTH``), so one mark never turns it into another subject."""
    candidates = {r["media_id"] for r in ask(library, k=marks.DEPTH)["results"]}
    first = ask(library)["results"][0]["media_id"]
    again = {r["media_id"] for r in ask(library, unlike=[first])["results"]}
    assert again <= candidates and first not in again


def shaded(path, colour, left: bool, seed: int):
    """A picture of one colour, brighter on one side, with its own grain: to
    the test model, pictures of one colour and side look alike (cosine
    0.9999), yet none is a copy of another (signatures 30 bits apart)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(1.0, 0.35, 96) if left else np.linspace(0.35, 1.0, 96)
    px = np.asarray(colour, np.float32)[None, None, :] * ramp[None, :, None] + rng.normal(0, 40, (96, 96, 1))
    Image.fromarray(np.clip(px, 0, 255).astype(np.uint8)).save(path)


@pytest.fixture(scope="module")
def alike(tmp_path_factory):
    """Six red pictures bright on the left, six on the right, and the same
    in blue: distinct photos, pairs of which the model scores 0.98-0.9999."""
    from mediasearch.store.settings import Settings

    tmp = tmp_path_factory.mktemp("alike")
    root = tmp / "pics"
    root.mkdir()
    for n, (name, colour) in enumerate((("red", (220, 30, 30)), ("blue", (30, 30, 220)))):
        for i in range(6):
            shaded(root / f"{name}_left_{i}.png", colour, True, 100 * n + i)
            shaded(root / f"{name}_right_{i}.png", colour, False, 100 * n + 50 + i)
    lib = Library(Settings(home=tmp / "data", model="fake", network_timeout=0))
    Indexer(lib).run([root])
    yield lib
    lib.close()


def red(lib, k=6, **kw):
    ans = answer_dict(SearchService(lib).search(SearchRequest(texts=["red"], k=k, all=True, **kw)))
    return [r["name"] for r in ans["results"]], {r["name"]: r["media_id"] for r in ans["results"]}


def test_not_this_takes_away_copies_only_not_every_photo_that_looks_alike(alike):
    """The bundled model scores two beach photos 0.95; "Not this" on one
    took every photo that alike off the page (the marks regression: one
    round lowered the relevant photos shown). Only copies go with it."""
    names, ids = red(alike, k=12)
    assert all(n.startswith("red") for n in names)
    marked = names[0]
    again, _ = red(alike, k=11, unlike=[ids[marked]])
    assert marked not in again
    assert sorted(again) == sorted(n for n in names if n != marked)  # its look-alikes all stay


def test_good_pulls_up_what_looks_like_it_within_the_subject(alike):
    names, ids = red(alike, k=12)
    good = next(n for n in names if "_left_" in n)
    again, _ = red(alike, k=6, like=[ids[good]])
    assert again[0] == good
    assert sorted(again) == [f"red_left_{i}.png" for i in range(6)]  # not the blue ones shaded the same way
