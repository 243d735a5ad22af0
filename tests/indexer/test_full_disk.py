"""A full disk: a clear error, nothing lost, and the same command finishes the
job once there is room. The data dir is a real, small tmpfs (needs the right
to mount: root, as on the CI machine; skipped elsewhere)."""
import sqlite3
import subprocess
import time
import uuid

import pytest

pytestmark = pytest.mark.slow  # kill -9 loops and real mounts: the full suite runs them

from mediasearch.indexer.library import Library
from mediasearch.store.vector_index import VectorIndex

from ..media_factory import pattern


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / f"small-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk, leave_kb=40):
    """Take all but ``leave_kb`` of the disk's free space."""
    import os

    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "ab") as f:
        f.write(b"\0" * max(0, free - leave_kb * 1024))
    return disk / "filler"


def photos(folder, start, count):
    folder.mkdir(exist_ok=True)
    for i in range(start, start + count):
        pattern(folder / f"p{i:03d}.png", i, size=(256, 256))
    return folder


def test_indexing_onto_a_full_disk_fails_clearly_and_resumes(small_disk, tmp_path, cli, settings):
    data = small_disk / "data"
    first = photos(tmp_path / "first", 0, 5)
    code, _, _ = cli("index", str(first), "--data-dir", data, "--model", "fake", "--no-progress")
    assert code == 0
    filler = fill(small_disk)
    more = photos(tmp_path / "more", 5, 60)
    code, out, err = cli("index", str(first), str(more), "--data-dir", data, "--model", "fake", "--no-progress")
    assert code == 7 and "no space left" in err and "Traceback" not in err + out
    con = sqlite3.connect(data / "catalog.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = con.execute("SELECT count(*) FROM media").fetchone()[0]
    con.close()
    assert kept >= 5  # the first run's files are all still there
    VectorIndex.load(data / "vectors.faiss")  # the old index file is whole
    # The web page still shows pictures: thumbnails that cannot be cached are served anyway.
    from fastapi.testclient import TestClient

    from mediasearch.web.app import create_app

    settings.home = data
    with TestClient(create_app(settings, allowed_hosts=["testserver"])) as client:
        fill(small_disk, leave_kb=0)  # not a byte left now
        hit = client.get("/api/search", params={"q": "red", "k": 1}).json()["results"][0]
        thumb = client.get(hit["thumb"])
        assert thumb.status_code == 200 and thumb.headers["cache-control"] == "no-store"
        assert thumb.content[:3] == b"\xff\xd8\xff"  # a JPEG
    filler.unlink()
    code, out, err = cli("index", str(first), str(more), "--data-dir", data, "--model", "fake", "--no-progress")
    assert code == 0
    lib = Library(settings)
    try:
        ids, _, _ = lib.catalog.all_vectors(lib.embedder.dim)
        assert len(lib.catalog.known_files()) == 65 and len(lib.vector_index()) == len(ids) == 65
    finally:
        lib.close()


def test_the_daemon_waits_out_a_full_disk_and_loses_nothing(small_disk, tmp_path, settings, monkeypatch):
    import mediasearch.indexer.watch as watch
    from mediasearch.indexer.watch import Watcher

    monkeypatch.setattr(watch, "FULL_DISK_RETRY", 1.0)
    folder = photos(tmp_path / "watched", 0, 3)
    settings.home = small_disk / "data"
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.2, force_polling=True, poll_interval=0.2, save_every=0.3).start()
    try:
        deadline = time.monotonic() + 30
        while w.state.last_reconcile is None and time.monotonic() < deadline:
            w.processed.wait(0.2)
        filler = fill(small_disk)
        photos(folder, 3, 40)
        deadline = time.monotonic() + 30
        while not any("no space left" in e for e in w.state.errors) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any("no space left" in e for e in w.state.errors), w.state.errors
        assert w._thread.is_alive()  # still running, waiting for room
        filler.unlink()
        deadline = time.monotonic() + 30
        while len(lib.catalog.known_files()) < 43 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(lib.catalog.known_files()) == 43
    finally:
        w.stop()
        lib.close()


def test_search_answers_from_the_catalog_when_the_disk_is_full(small_disk, tmp_path, cli):
    """Issue 26.14: with the data dir full and the vector index file stale (or
    gone), `search` exited 7 trying to save the rebuilt index. A read answers
    from the catalog and leaves the file for a writer to save."""
    import json

    data = small_disk / "data"
    code, _, _ = cli("index", str(photos(tmp_path / "p", 0, 200)), "--data-dir", data, "--model", "fake",
                     "--no-progress")
    assert code == 0 and (data / "vectors.faiss").stat().st_size > 40_000
    (data / "vectors.faiss").unlink()
    fill(small_disk, leave_kb=40)  # room for SQLite's shared-memory file, not for the index
    code, out, err = cli("search", "red squares", "--data-dir", data, "--json", "-k", "5", "--all")
    assert code == 0, err
    assert len(json.loads(out)["results"]) == 5


def test_a_disk_mounted_inside_a_root_is_offline_when_unmounted_not_deleted(tmp_path, cli):
    """Issue 26.13: a disk mounted at R/disk and unmounted: `index R` deleted
    its 30 files for good, and brought them back as new files with new ids
    once remounted. A mount point inside a root is offline when unmounted,
    like a root, and its files come back with their ids."""
    import json
    import shutil

    root = tmp_path / "R"
    root.mkdir()
    for i in range(40):  # most of the library stays: no mass-disappearance rule saves the disk's files
        pattern(root / f"top{i}.png", 900 + i, size=(64, 64))
    disk = root / "disk"
    disk.mkdir()
    stash = photos(tmp_path / "stash", 0, 30)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a filesystem here")
    data = tmp_path / "data"
    try:
        for f in stash.iterdir():
            shutil.copy2(f, disk / f.name)  # copy2: the same bytes and times when it comes back
        code, out, _ = cli("index", root, "--data-dir", data, "--model", "fake", "--json", "--no-progress")
        assert json.loads(out)["new"] == 70
        con = sqlite3.connect(data / "catalog.sqlite")
        ids = dict(con.execute("SELECT path, id FROM media"))
        con.close()
        subprocess.run(["umount", str(disk)], check=True)
        code, out, err = cli("index", root, "--data-dir", data, "--model", "fake", "--json", "--no-progress")
        report = json.loads(out)
        assert (report["removed"], report["offline"]) == (0, 30), report
        assert any("no longer mounted" in w for w in report["warnings"])
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
        for f in stash.iterdir():
            shutil.copy2(f, disk / f.name)
        code, out, _ = cli("index", root, "--data-dir", data, "--model", "fake", "--json", "--no-progress")
        report = json.loads(out)
        assert report["new"] == 0 and report["restored"] == 30, report
        con = sqlite3.connect(data / "catalog.sqlite")
        assert dict(con.execute("SELECT path, id FROM media WHERE status = 'ok'")) == ids
        con.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_rebuild_without_room_for_its_copy_says_so_and_keeps_the_index(small_disk, tmp_path, cli):
    """Issue 34.2: a rebuild writes beside the index; with no room for that
    copy it says how much it needs (exit 7) and the index answers as before."""
    folder = photos(tmp_path / "photos", 0, 12)
    data = small_disk / "data"
    assert cli("index", folder, "--data-dir", data, "--model", "fake", "--no-progress")[0] == 0
    filler = fill(small_disk, leave_kb=8)
    code, _, err = cli("index", folder, "--data-dir", data, "--model", "fake", "--rebuild", "--no-progress")
    assert code == 7, err
    assert "no room to copy the catalog to rebuild beside it" in err and "the index is as it was" in err
    assert not (data / "catalog.rebuild.sqlite").exists()
    filler.unlink()
    code, out, err = cli("search", "red", "--data-dir", data, "--all", "-k", "50", "--json")
    assert code == 0 and len(__import__("json").loads(out)["results"]) == 12
