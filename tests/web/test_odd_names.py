"""File names that are not valid UTF-8 (Latin-1 names from old archives),
with newlines or emoji: indexed, found, shown, served, renamed and removed
like any other file."""
import json
import os

import pytest
from fastapi.testclient import TestClient

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.web.app import create_app

from ..media_factory import solid

LATIN1 = b"caf\xe9 cr\xe8me.png"  # not UTF-8


def test_undecodable_names_go_all_the_way_through(settings, tmp_path, cli):
    folder = tmp_path / "odd"
    folder.mkdir()
    solid(folder / "tmp.png", (230, 20, 20))
    try:
        os.rename(folder / "tmp.png", os.path.join(os.fsencode(folder), LATIN1))
    except OSError as e:  # e.g. ZFS with utf8only, some network file systems
        pytest.skip(f"this file system refuses non-UTF-8 names: {e}")
    solid(folder / "new\nline.png", (20, 200, 30))
    solid(folder / "party \U0001F389.png", (20, 30, 220))
    code, out, err = cli("index", str(folder), "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0 and "3 new" in err + out and "0 failed" in err + out

    code, out, _ = cli("search", "red", "--data-dir", settings.home, "--json", "-k", "1")
    hit = json.loads(out)["results"][0]  # valid JSON, the bad bytes shown as U+FFFD
    assert hit["path"].endswith("caf\ufffd cr\ufffdme.png")

    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        r = client.get("/api/search", params={"q": "red", "k": 3})
        assert r.status_code == 200
        top = r.json()["results"][0]
        assert top["name"] == "caf\ufffd cr\ufffdme.png"
        served = client.get(top["url"])
        assert served.status_code == 200
        assert served.content == open(os.path.join(os.fsencode(folder), LATIN1), "rb").read()
        assert client.get(top["thumb"]).status_code == 200
        words = client.get("/api/search", params={"q": "crème", "k": 1})  # a name part, by words
        assert words.status_code == 200
        assert client.get("/api/search", params={"q": "party", "k": 1}).json()["results"][0]["name"].startswith("party")

    # Renamed (still Latin-1) keeps its id and vectors; removed is swept.
    lib = Library(settings)
    before = {p: k.id for p, k in lib.catalog.known_files().items()}
    old = os.fsdecode(os.path.join(os.fsencode(folder), LATIN1))
    new = os.fsdecode(os.path.join(os.fsencode(folder), b"na\xefve.png"))
    os.rename(old, new)
    report = Indexer(lib).run([folder])
    assert report.renamed == 1 and lib.catalog.known_files()[new].id == before[old]
    os.remove(new)
    report = Indexer(lib).run([folder])
    assert report.removed == 1 and new not in lib.catalog.known_files()
    lib.close()
