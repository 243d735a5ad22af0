"""The daemon under the situations that used to lose, duplicate or stall
(issue 12): files vanishing gradually, small roots on unmounted disks, files
arriving in new folders, moves split across batches, FIFOs, roots renamed
away or remounted, symlinks. Waits are on conditions with deadlines."""
import os
import shutil
import subprocess
import threading
import time
import uuid

import numpy as np
import pytest
from sqlalchemy import text

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.indexer.plan import Job
from mediasearch.indexer.prepare import Outcome
from mediasearch.indexer.walk import FileInfo
from mediasearch.indexer.watch import Watcher
from mediasearch.store.catalog import Batch, MediaRecord, NewSegment

from ..media_factory import pattern, solid
from .test_watch import known, wait_for


def segments_per_file(lib) -> dict[str, int]:
    with lib.catalog.engine.connect() as c:
        rows = c.execute(text("SELECT m.path, count(s.id) FROM media m LEFT JOIN segment s "
                              "ON s.media_id = m.id GROUP BY m.id")).all()
    return {p: n for p, n in rows}


def held(lib) -> int:
    with lib.catalog.engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM media WHERE missing_since IS NOT NULL")).scalar()


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "watched"
    d.mkdir()
    return d


def start(lib, folder, **kw):
    kw = {"settle": 0.2, "poll_interval": 0.2, "save_every": 0.5, "delete_grace": 1.0, **kw}
    w = Watcher(lib, [folder], **kw).start()
    wait_for(lambda: w.state.last_reconcile is not None, w, what="first reconciliation")
    return w


@pytest.mark.slow
def test_files_vanishing_gradually_are_held_offline_not_deleted(settings, folder, tmp_path):
    """2,000 files deleted at ~50 files/s used to be deleted for good, batch by
    batch; now the whole disappearance is judged and nothing is lost."""
    for g in range(4):
        (folder / f"g{g}").mkdir()
        for i in range(40):
            pattern(folder / f"g{g}" / f"{i}.png", g * 100 + i, size=(16, 16))
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder, delete_grace=1.5)
    try:
        wait_for(lambda: len(known(lib)) == 160, w, what="indexed")
        ids = {p: k.id for p, k in known(lib).items()}
        parked = tmp_path / "parked"
        shutil.copytree(folder, parked)
        for g in range(4):  # a slow rm -rf: ~200 files/s in small steps
            for i in range(40):
                (folder / f"g{g}" / f"{i}.png").unlink()
                if i % 10 == 9:
                    time.sleep(0.05)
        wait_for(lambda: all(k.status == "offline" for k in known(lib).values()) and held(lib) == 0,
                 w, timeout=60, what="all judged")
        assert len(known(lib)) == 160  # nothing deleted for good
        assert any("marked offline, not deleted" in e for e in w.state.errors)
        for g in range(4):  # the same bytes copied back: the same rows, no re-embedding
            shutil.copytree(parked / f"g{g}", folder / f"g{g}", dirs_exist_ok=True)
        wait_for(lambda: all(k.status == "ok" for k in known(lib).values()), w, timeout=60, what="back")
        assert {p: k.id for p, k in known(lib).items()} == ids
    finally:
        w.stop()
        lib.close()


def test_an_ordinary_deletion_is_held_then_deleted(settings, folder):
    for i in range(30):
        pattern(folder / f"{i}.png", i, size=(16, 16))
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder)
    try:
        wait_for(lambda: len(known(lib)) == 30, w)
        for i in range(3):
            (folder / f"{i}.png").unlink()
        wait_for(lambda: len(known(lib)) == 27, w, what="three deleted after the grace period")
        assert all(k.status == "ok" for k in known(lib).values())
    finally:
        w.stop()
        lib.close()


def test_an_emptied_small_root_is_offline_for_index_and_watch(settings, folder, cli):
    for i in range(5):
        pattern(folder / f"{i}.png", i, size=(16, 16))
    code, _, err = cli("index", folder, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0, err
    parked = folder.parent / "parked"
    shutil.move(str(folder), str(parked))
    folder.mkdir()  # the empty mount point of an unplugged disk
    code, out, err = cli("index", folder, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0 and "0 removed, 5 offline" in err and "the folder is empty" in err
    lib = Library(settings)
    try:
        assert [k.status for k in known(lib).values()] == ["offline"] * 5
        w = start(lib, folder)
        try:
            wait_for(lambda: w.state.reconciles >= 1 and held(lib) == 0, w)
            assert len(known(lib)) == 5
        finally:
            w.stop()
    finally:
        lib.close()
    code, out, err = cli("index", folder, "--data-dir", settings.home, "--model", "fake", "--no-progress",
                         "--allow-mass-delete")
    assert code == 0 and "5 removed" in err


@pytest.fixture
def mount_point(tmp_path):
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a filesystem here: {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_unmount_and_remount_under_the_daemon(settings, mount_point):
    """A disk unmounted under the daemon: its files go offline (not deleted,
    however few); mounted again, the watcher sees events again at once."""
    for i in range(5):
        pattern(mount_point / f"{i}.png", i, size=(16, 16))
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, mount_point, delete_grace=0.3)
    try:
        wait_for(lambda: len(known(lib)) == 5, w)
        ids = {p: k.id for p, k in known(lib).items()}
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
        wait_for(lambda: all(k.status == "offline" for k in known(lib).values()), w, what="offline")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], check=True)
        for i in range(5):  # the disk comes back with the same files
            pattern(mount_point / f"{i}.png", i, size=(16, 16))
        new = pattern(mount_point / "new.png", 99, size=(16, 16))
        wait_for(lambda: str(new) in known(lib) and all(k.status == "ok" for k in known(lib).values()),
                 w, what="remounted: back online and new files seen")
        assert {p: k.id for p, k in known(lib).items() if p != str(new)} == ids
    finally:
        w.stop()
        lib.close()


def test_a_root_renamed_away_is_noticed_and_rewatched(settings, folder, tmp_path):
    for i in range(25):
        pattern(folder / f"{i}.png", i, size=(16, 16))
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder, reconcile_every=3600)
    try:
        wait_for(lambda: len(known(lib)) == 25, w)
        away = tmp_path / "away"
        os.rename(folder, away)  # no request_reconcile: the daemon must notice by itself
        wait_for(lambda: all(k.status == "offline" for k in known(lib).values()), w, what="noticed")
        os.rename(away, folder)
        wait_for(lambda: all(k.status == "ok" for k in known(lib).values()), w, what="back")
        new = pattern(folder / "after.png", 77, size=(16, 16))
        wait_for(lambda: str(new) in known(lib), w, what="events after the root came back")
        assert len(known(lib)) == 26
    finally:
        w.stop()
        lib.close()


def test_files_created_in_a_new_folder_are_stored_once(settings, folder):
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder)
    try:
        (folder / "newdir").mkdir()
        for i in range(5):
            solid(folder / "newdir" / f"{i}.png", (i * 40, 10, 10))
        wait_for(lambda: len(known(lib)) == 5, w)
        assert set(segments_per_file(lib).values()) == {1}
        assert len(lib.vector_index()) == 5 and len(set(lib.vector_index().ids())) == 5
    finally:
        w.stop()
        lib.close()


def test_a_batch_with_one_path_twice_stores_one_set_of_segments(settings):
    lib = Library(settings)
    try:
        seg = NewSegment(np.ones(lib.embedder.dim, np.float32), "image")
        rec = MediaRecord("/r/a.png", "/r", 1, 1, 1, "image", "h", segments=[seg])
        lib.catalog.apply(Batch(upserts=[rec, rec]))
        assert segments_per_file(lib) == {"/r/a.png": 1}
    finally:
        lib.close()


def test_index_repairs_repeated_segments_left_by_an_older_version(settings, photos, cli):
    code, _, _ = cli("index", photos, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0
    with Library(settings).catalog.engine.begin() as c:  # what the old watcher bug left
        c.execute(text("INSERT INTO segment (media_id, t_start, t_end, source, text, vector) "
                       "SELECT media_id, t_start, t_end, source, text, vector FROM segment"))
    code, _, err = cli("index", photos, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0 and "repaired: 3 repeated segments" in err
    lib = Library(settings)
    try:
        assert set(segments_per_file(lib).values()) == {1}
        assert len(lib.vector_index()) == 3
    finally:
        lib.close()


def test_a_move_split_across_batches_keeps_ids(settings, folder, tmp_path):
    (folder / "g09" / "s05").mkdir(parents=True)
    for i in range(10):
        pattern(folder / "g09" / "s05" / f"{i}.png", i, size=(16, 16))
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder, delete_grace=30)
    try:
        wait_for(lambda: len(known(lib)) == 10, w)
        ids = {os.path.basename(p): k.id for p, k in known(lib).items()}
        limbo = tmp_path / "limbo"
        shutil.move(str(folder / "g09" / "s05"), str(limbo))  # one side of the move...
        wait_for(lambda: all(k.status == "offline" for k in known(lib).values()), w, what="held")
        (folder / "moved").mkdir()
        shutil.move(str(limbo), str(folder / "moved" / "s05"))  # ...the other, in a later batch
        wait_for(lambda: len([p for p in known(lib) if "/moved/s05/" in p]) == 10, w, what="moved")
        after = {os.path.basename(p): k.id for p, k in known(lib).items()}
        assert after == ids and len(known(lib)) == 10
    finally:
        w.stop()
        lib.close()


def test_a_file_that_becomes_a_fifo_never_hangs(settings, folder, cli):
    good = pattern(folder / "good.png", 1, size=(16, 16))
    fifo = folder / "trap.png"
    os.mkfifo(fifo)
    code, _, err = cli("index", folder, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0 and "trap.png: a FIFO" in err
    code, out, _ = cli("status", "--data-dir", settings.home)
    assert "skipped  : 1 not regular files" in out
    # A FIFO where the walk saw a file: the decode thread must not block in open().
    lib = Library(settings)
    try:
        job = Job(FileInfo(str(fifo), 10, 1, 1), str(folder), None)
        out = {}
        t = threading.Thread(target=lambda: out.update(p=Indexer(lib).prepare(job, set())), daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), "opening a FIFO blocked"
        assert out["p"].outcome is Outcome.SKIPPED and "FIFO" in out["p"].special
        assert str(good) in known(lib)
    finally:
        lib.close()


def test_watch_follows_no_links_out_of_a_root(settings, folder, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for i in range(3):
        pattern(outside / f"{i}.png", i, size=(16, 16))
    pattern(folder / "mine.png", 9, size=(16, 16))
    settings.follow_symlinks = True
    lib = Library(settings)
    lib.claim_identity()
    w = start(lib, folder)
    try:
        os.symlink(outside, folder / "link")
        os.symlink("..", folder / "up")  # dir -> .. : the corpus must not be indexed twice
        pattern(folder / "later.png", 10, size=(16, 16))
        wait_for(lambda: str(folder / "later.png") in known(lib), w)
        w.request_reconcile()
        n = w.state.reconciles
        wait_for(lambda: w.state.reconciles > n, w)
        assert set(known(lib)) == {str(folder / "mine.png"), str(folder / "later.png")}
    finally:
        w.stop()
        lib.close()


def test_folder_lookups_use_the_path_index(settings):
    lib = Library(settings)
    try:
        from sqlalchemy import select

        from mediasearch.store.catalog.base import below_folder
        from mediasearch.store.schema import Media

        stmt = select(Media.id).where(below_folder("/some/folder"))
        sql = str(stmt.compile(lib.catalog.engine, compile_kwargs={"literal_binds": True}))
        with lib.catalog.engine.connect() as c:
            plan = " ".join(str(r[-1]) for r in c.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "USING" in plan and "INDEX" in plan and "SCAN media" not in plan.replace("USING", "")
    finally:
        lib.close()


def test_failed_files_come_back_failed_after_their_root_was_offline(cli, settings, tmp_path):
    """Issue 14.1: a truncated JPEG, an empty PNG and a text file named .mp4
    came back 'ok' with no segments after the root went offline and returned."""
    root = tmp_path / "lib"
    root.mkdir()
    for i in range(3):
        pattern(root / f"{i}.png", i, size=(16, 16))
    good = (root / "0.png").read_bytes()
    (root / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0" + good[:40])
    (root / "empty.png").write_bytes(b"")
    (root / "notes.mp4").write_text("not a video")
    args = ("--data-dir", settings.home, "--model", "fake", "--no-progress")
    code, out, _ = cli("index", root, *args)
    code, out, _ = cli("status", "--data-dir", settings.home)
    failed_before = {line.split(":")[0].strip() for line in out.splitlines() if line.startswith("  /")}
    assert len(failed_before) == 3
    away = tmp_path / "away"
    root.rename(away)
    root.mkdir()  # an empty mount point
    code, _, err = cli("index", root, *args)
    assert "6 offline" in err
    root.rmdir()
    away.rename(root)
    code, _, err = cli("index", root, *args)
    assert code == 0 and "6 back online" in err
    code, out, _ = cli("status", "--data-dir", settings.home)
    failed_after = {line.split(":")[0].strip() for line in out.splitlines() if line.startswith("  /")}
    assert failed_after == failed_before
