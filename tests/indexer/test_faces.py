"""Issue 31: faces are found while indexing and grouped into people; the
user names, merges, splits and forgets them; queries name people. Real
dlib models on real public-domain photos (tests/data/faces, credits in
CREDITS.md), the real pipeline, a real SQLite catalog."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediasearch.indexer import faces_stage
from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.web.envelope import answer_dict

pytest.importorskip("dlib")
FACES = Path(__file__).resolve().parent.parent / "data" / "faces"
OBAMA = {"obama-1.jpg", "obama-2.jpg", "obama-3.jpg"}
BIDEN = {"biden-1.jpg", "biden-2.jpg", "biden-3.jpg"}


@pytest.fixture
def library(settings, tmp_path):
    settings.faces = "auto"
    root = tmp_path / "pics"
    shutil.copytree(FACES, root, ignore=shutil.ignore_patterns("*.md"))
    lib = Library(settings)
    report = Indexer(lib).run([root])
    yield lib, report, root
    lib.close()


def people_files(lib) -> dict[int, set[str]]:
    return {p["id"]: {Path(f["path"]).name for f in lib.catalog.faces_of(p["id"])} for p in lib.catalog.people()}


def person_of(lib, name: str) -> int:
    return next(pid for pid, files in people_files(lib).items() if name in files)


def listed(lib, text: str) -> set[str]:
    ans = SearchService(lib).search(SearchRequest(texts=[text], k=50))
    return {Path(r.path).name for r in ans.results}


def test_faces_are_grouped_into_one_person_each_and_the_group_photo_is_both(library):
    lib, report, root = library
    assert report.faces_found >= 8 and report.people_made == 2
    groups = sorted(people_files(lib).values(), key=sorted)
    assert groups == [BIDEN | {"obama-and-biden.jpg"}, OBAMA | {"obama-and-biden.jpg"}]
    nobody = lib.catalog.known_at([str(root / "no-face.jpg")])[str(root / "no-face.jpg")]
    assert lib.catalog.faces_of(media_ids=[nobody.id]) == []
    # Every face says why it is with its person.
    face = lib.catalog.faces_of(person_of(lib, "obama-1.jpg"))[0]
    assert face["how"]["by"] in ("new", "distance") and len(face["landmarks"]) == 5


def test_a_name_finds_the_person_and_survives_a_rebuild_and_a_move(library, settings, tmp_path):
    lib, _, root = library
    obama, biden = person_of(lib, "obama-1.jpg"), person_of(lib, "biden-1.jpg")
    lib.catalog.name_person(obama, "Barack Obama")
    lib.catalog.name_person(biden, "Joe Biden")
    assert listed(lib, "Barack Obama") == OBAMA | {"obama-and-biden.jpg"}
    # Each hit's reason names the people in it.
    reasons = {Path(r["path"]).name: r["reason"] for r in answer_dict(
        SearchService(lib).search(SearchRequest(texts=["Joe Biden"], k=10)))["results"]}
    assert reasons["obama-and-biden.jpg"] == "with Barack Obama and Joe Biden"
    assert reasons["biden-1.jpg"] == "with Joe Biden"
    assert listed(lib, "barack obama and joe biden") == {"obama-and-biden.jpg"}
    assert listed(lib, "Joe Biden without Barack Obama") == BIDEN
    assert listed(lib, "just Barack Obama") == OBAMA
    assert "no-face.jpg" in listed(lib, "no people") and not listed(lib, "no people") & (OBAMA | BIDEN)
    # A move keeps the faces and their person; a rebuild finds them again and
    # they rejoin the named person by its centre.
    (root / "moved").mkdir()
    (root / "obama-2.jpg").rename(root / "moved" / "obama-2.jpg")
    Indexer(lib).run([root])
    assert "obama-2.jpg" in listed(lib, "Barack Obama")
    lib.catalog.clear()
    Indexer(lib).run([root])
    assert listed(lib, "Barack Obama") == OBAMA | {"obama-and-biden.jpg"}
    assert {p["name"] for p in lib.catalog.people()} == {"Barack Obama", "Joe Biden"}


def test_not_this_person_takes_a_face_out_for_good_and_merge_and_forget_work(library):
    lib, _, _ = library
    obama, biden = person_of(lib, "obama-1.jpg"), person_of(lib, "biden-1.jpg")
    face = next(f for f in lib.catalog.faces_of(obama) if Path(f["path"]).name == "obama-3.jpg")
    assert lib.catalog.take_out(face["id"]) == obama
    faces_stage.regroup(lib.catalog)
    assert "obama-3.jpg" not in people_files(lib)[obama]  # never back with the person it was taken from
    lib.catalog.name_person(biden, "Joe Biden")
    lib.catalog.merge_people(obama, biden)  # the user's word: one person now
    assert len(lib.catalog.people()) == 1 and lib.catalog.people()[0]["name"] == "Joe Biden"
    before = people_files(lib)[obama]
    (back,) = lib.catalog.unmerge(obama)  # a bad merge is undone: Biden comes back, named
    assert {p["name"] for p in lib.catalog.people()} == {None, "Joe Biden"}
    assert people_files(lib)[back] == BIDEN | {"obama-and-biden.jpg"}
    assert people_files(lib)[obama] | people_files(lib)[back] == before
    lib.catalog.merge_people(obama, back)
    lib.catalog.forget_person(obama)
    faces_stage.regroup(lib.catalog)
    assert lib.catalog.people() == []  # forgotten faces do not make the same person again
    assert lib.catalog.forget_all() > 0 and lib.catalog.face_count() == 0


def test_the_people_command_lists_names_and_forgets(library, cli, settings):
    lib, _, _ = library
    obama = person_of(lib, "obama-1.jpg")
    lib.close()
    home = ["--data-dir", str(settings.home)]
    code, out, _ = cli("people", "name", str(obama), "Barack", "Obama", *home)
    assert code == 0
    code, out, _ = cli("people", "--json", *home)
    people = json.loads(out)["people"]
    assert {p["name"] for p in people} == {"Barack Obama", None} and all(p["files"] == 4 for p in people)
    code, out, _ = cli("people", "show", str(obama), *home)
    assert "obama-1.jpg" in out and ("started Barack Obama" in out or "joined Barack Obama" in out)
    code, _, err = cli("people", "merge", str(obama), "9999", *home)
    assert code != 0 and "no person 9999" in err
    code, _, err = cli("people", "--forget-all", *home)
    assert code == 0 and "forgot" in err
    code, out, _ = cli("people", "--json", *home)
    assert json.loads(out)["people"] == []


def test_a_video_found_by_who_is_in_it_opens_where_they_are(settings, tmp_path):
    """Faces are found at a video's moments; "Barack Obama" lists the video
    opened at his first moment, not at its start."""
    import numpy as np
    from PIL import Image

    from ..media_factory import video

    settings.faces = "auto"
    root = tmp_path / "clips"
    shutil.copytree(FACES, root, ignore=shutil.ignore_patterns("*.md", "no-face.jpg"))
    face = np.asarray(Image.open(FACES / "obama-1.jpg").convert("RGB").resize((320, 400)))
    video(root / "speech.mp4", [(4, (90, 90, 90)), (4, face)], size=(320, 400))
    lib = Library(settings)
    try:
        Indexer(lib).run([root])
        lib.catalog.name_person(person_of(lib, "obama-1.jpg"), "Barack Obama")
        hits = SearchService(lib).search(SearchRequest(texts=["Barack Obama"], k=20)).results
        clip = next(r for r in hits if r.path.endswith("speech.mp4"))
        assert 3.5 <= clip.start <= 4.5, clip.start
        assert clip.people == ["Barack Obama"]
    finally:
        lib.close()

