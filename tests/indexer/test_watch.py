"""The folder daemon, scenario by scenario, over temporary folders. Every wait
is on a condition with a deadline (woken by the watcher's own 'processed'
event), never a bare sleep."""
import logging
import os
import shutil
import time

import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.watch import Watcher
from mediasearch.store.lock import WriterBusyError, WriterLock

from ..media_factory import pattern, solid


def wait_for(pred, watcher, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        watcher.processed.wait(0.2)
        watcher.processed.clear()
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "watched"
    d.mkdir()
    return d


@pytest.fixture(params=["native", pytest.param("polling", marks=pytest.mark.slow)])
def mode(request):
    return request.param


@pytest.fixture
def daemon(settings, folder, mode):
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.3, force_polling=(mode == "polling"), poll_interval=0.2,
                save_every=0.5, delete_grace=0.5).start()
    wait_for(lambda: w.state.last_reconcile is not None, w, what="first reconciliation")
    yield w, lib
    w.stop()
    lib.close()


def known(lib):
    return lib.catalog.known_files()


def test_create_modify_delete(daemon, folder, mode):
    w, lib = daemon
    assert w.state.mode == mode  # a native-mode test must not pass by polling
    solid(folder / "stays.png", (0, 200, 0))  # an emptied root is held offline (see test_watch_roots)
    p = solid(folder / "a.png", (200, 0, 0))
    wait_for(lambda: str(p) in known(lib), w, what="create")
    first = lib.catalog.segment_vectors(str(p))
    solid(p, (0, 0, 200), size=(80, 60))
    wait_for(lambda: (lib.catalog.segment_vectors(str(p)) != first).any(), w, what="modify")
    p.unlink()
    # Out of search at once (held offline), deleted for good after the grace period.
    wait_for(lambda: str(p) not in known(lib) or known(lib)[str(p)].status == "offline", w, what="held")
    wait_for(lambda: str(p) not in known(lib), w, what="delete")


def test_rename_and_directory_rename_keep_ids(daemon, folder):
    w, lib = daemon
    (folder / "trip").mkdir()
    a = pattern(folder / "trip" / "a.png", 1)
    b = pattern(folder / "trip" / "b.png", 2)
    wait_for(lambda: {str(a), str(b)} <= set(known(lib)), w)
    ids = {p: known(lib)[str(p)].id for p in (a, b)}
    os.rename(a, folder / "trip" / "a renamed.png")
    wait_for(lambda: str(folder / "trip" / "a renamed.png") in known(lib), w, what="rename")
    assert known(lib)[str(folder / "trip" / "a renamed.png")].id == ids[a]
    os.rename(folder / "trip", folder / "Trip 2024")
    wait_for(lambda: str(folder / "Trip 2024" / "b.png") in known(lib), w, what="dir rename")
    k = known(lib)
    assert k[str(folder / "Trip 2024" / "b.png")].id == ids[b]
    assert k[str(folder / "Trip 2024" / "a renamed.png")].id == ids[a]
    assert not any("/trip/" in p for p in k)


def test_moves_into_and_out_of_a_root(daemon, folder, tmp_path):
    w, lib = daemon
    solid(folder / "stays.png", (0, 200, 0))
    outside = tmp_path / "outside"
    outside.mkdir()
    p = pattern(outside / "in.png", 3)
    shutil.move(p, folder / "in.png")
    wait_for(lambda: str(folder / "in.png") in known(lib), w, what="move in")
    shutil.move(folder / "in.png", outside / "back.png")
    wait_for(lambda: str(folder / "in.png") not in known(lib), w, what="move out")


def test_atomic_save_and_temporary_files(daemon, folder):
    w, lib = daemon
    p = solid(folder / "doc.png", (10, 200, 10))
    wait_for(lambda: str(p) in known(lib), w)
    old_id = known(lib)[str(p)].id
    tmp = folder / ".doc.png.tmp"
    solid(tmp, (200, 200, 10), format="PNG")
    (folder / "download.jpg.part").write_bytes(b"partial")
    os.replace(tmp, p)  # an editor's atomic save
    wait_for(lambda: known(lib)[str(p)].size == p.stat().st_size and
             known(lib)[str(p)].mtime_ns == p.stat().st_mtime_ns, w, what="atomic save")
    k = known(lib)
    assert set(k) == {str(p)} and k[str(p)].status == "ok"
    assert k[str(p)].id == old_id  # same path, same row


def test_slow_copy_is_indexed_once_complete(settings, folder):
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.6).start()
    try:
        wait_for(lambda: w.state.last_reconcile is not None, w)
        src = folder.parent / "big.png"
        pattern(src, 7, size=(400, 400))
        data = src.read_bytes()
        dest = folder / "copying.png"
        with open(dest, "wb") as f:
            for i in range(0, len(data), len(data) // 6 + 1):
                f.write(data[i:i + len(data) // 6 + 1])
                f.flush()
                time.sleep(0.15)  # a slow copy, not a wait on the watcher
        wait_for(lambda: str(dest) in known(lib), w, what="copy indexed")
        k = known(lib)[str(dest)]
        assert k.status == "ok" and k.size == len(data)
        assert lib.catalog.failures() == []
    finally:
        w.stop()
        lib.close()


def test_reconciliation_catches_what_happened_while_down(settings, folder):
    keep = pattern(folder / "keep.png", 1)
    gone = pattern(folder / "gone.png", 2)
    lib = Library(settings)
    from mediasearch.indexer.pipeline import Indexer
    Indexer(lib).run([folder])
    gone.unlink()
    new = pattern(folder / "new.png", 3)
    w = Watcher(lib, [folder], settle=0.3, delete_grace=0.3).start()
    try:
        wait_for(lambda: w.state.reconciles >= 1, w)
        wait_for(lambda: set(known(lib)) == {str(keep), str(new)}, w, what="gone file deleted after the grace")
        # Lost events (inotify overflow) trigger a reconciliation at once.
        n = w.state.reconciles
        logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
        wait_for(lambda: w.state.reconciles > n, w, what="overflow reconciliation")
    finally:
        w.stop()
        lib.close()


def test_mass_deletion_marks_offline_and_comes_back(settings, folder, tmp_path):
    for i in range(30):
        pattern(folder / f"{i}.png", i)
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.3, reconcile_every=3600).start()
    try:
        wait_for(lambda: len(known(lib)) == 30, w)
        ids_before, _, _ = lib.catalog.all_vectors(lib.embedder.dim)
        parked = tmp_path / "parked"
        shutil.move(str(folder), str(parked))  # the disk is unplugged
        w.request_reconcile()
        wait_for(lambda: all(k.status == "offline" for k in known(lib).values()), w, what="offline")
        assert len(known(lib)) == 30  # nothing deleted
        shutil.move(str(parked), str(folder))  # plugged back in
        w.request_reconcile()
        wait_for(lambda: all(k.status == "ok" for k in known(lib).values()), w, what="back online")
        ids_after, _, _ = lib.catalog.all_vectors(lib.embedder.dim)
        assert list(ids_after) == list(ids_before)  # no re-embedding
        assert w.state.errors and "offline" in w.state.errors[0]
    finally:
        w.stop()
        lib.close()


@pytest.mark.slow
def test_a_burst_of_files_is_all_indexed(settings, folder):
    lib = Library(settings)
    lib.claim_identity()
    settings.commit_every = 200
    settings.batch_size = 64
    w = Watcher(lib, [folder], settle=0.5).start()
    try:
        wait_for(lambda: w.state.last_reconcile is not None, w)
        src = solid(folder.parent / "src.png", (1, 2, 3))
        data = src.read_bytes()
        for i in range(1500):
            (folder / f"burst_{i:04d}.png").write_bytes(data)
        w.request_reconcile()
        wait_for(lambda: len(known(lib)) == 1500, w, timeout=120, what="burst indexed")
    finally:
        w.stop()
        lib.close()


def test_one_writer_per_data_dir(settings, cli, photos):
    settings.ensure_home()
    with WriterLock(settings.home, "test holder"):
        with pytest.raises(WriterBusyError, match="test holder"):
            WriterLock(settings.home).acquire()
        code, _, err = cli("index", photos, "--data-dir", settings.home, "--model", "fake")
        assert code != 0 and "already writing" in err
    code, _, err = cli("index", photos, "--data-dir", settings.home, "--model", "fake")
    assert code == 0, err


def test_falls_back_to_polling_when_native_events_fail(settings, folder, monkeypatch):
    """inotify's watch limit (ENOSPC) is reported once and polling takes over."""
    import errno

    import watchdog.observers as observers

    class LimitedObserver(observers.Observer):
        def schedule(self, *a, **kw):
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(observers, "Observer", LimitedObserver)
    lib = Library(settings)
    lib.claim_identity()
    w = Watcher(lib, [folder], settle=0.3, poll_interval=0.2).start()
    try:
        assert w.state.mode == "polling" and "inotify watch limit" in w.state.mode_reason
        p = pattern(folder / "x.png", 5)
        wait_for(lambda: str(p) in known(lib), w, what="indexed by polling")
    finally:
        w.stop()
        lib.close()


def test_watch_loads_its_model_first_says_what_it_does_and_stops_at_once(settings, folder):
    """Issues 14.9 / 14.11: the model loads at start (said so), and SIGTERM with
    nothing in flight stops the daemon without waiting on a batch. Issue 26.5:
    it says what it does, one line per file (added, moved...), and nothing
    from watchdog leaks. Every wait is on a line or a state, with a deadline;
    no wall-clock limit on how fast it stops (26.10: loaded machines differ)."""
    import json
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "watch", str(folder), "--model", "fake",
                             "--data-dir", str(settings.home), "--settle", "0.2"], stderr=subprocess.PIPE, text=True)
    lines = []

    def read_until(prefix_or_part):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stderr.readline()  # blocks until the daemon says something
            lines.append(line)
            if prefix_or_part in line or not line:
                return line
        raise AssertionError(f"never said {prefix_or_part!r}: {''.join(lines)}")

    try:
        read_until("watching")
        said = "".join(lines)
        assert "model ready" in said and said.index("model ready") < said.index("watching")
        state = settings.home / "watcher.json"

        def idle():  # the first reconcile is done: nothing in flight
            try:
                return json.loads(state.read_text()).get("reconciles", 0) >= 1
            except (OSError, ValueError):
                return False
        deadline = time.monotonic() + 30
        while not idle():  # a file the daemon writes: poll it, there is no event to wait on
            assert time.monotonic() < deadline, "the daemon never finished its first reconcile"
            time.sleep(0.05)
        p = pattern(folder / "new photo.png", 3)
        assert read_until("added:").rstrip().endswith(f"added: {p}")
        (folder / "kept").mkdir()
        os.rename(p, folder / "kept" / "new photo.png")
        line = read_until("moved:")
        assert f"moved: {folder / 'kept' / 'new photo.png'} (from {p})" in line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        rest = proc.stderr.read()
        assert "still finishing" not in rest and "Warning" not in "".join(lines) + rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_folder_moved_under_another_parent_keeps_its_ids_when_its_sides_arrive_apart(settings, folder):
    """Issue 26.4: `mkdir lib/Archive; mv "lib/Old scans" lib/Archive/`. When
    the vanished side is judged in one batch (41 of 44 files: a mass
    disappearance, so offline rather than held) and the arrived side in the
    next, the arrivals are the same files moved: same ids, no new rows."""
    old = folder / "Old scans"
    old.mkdir()
    for i in range(41):
        pattern(old / f"scan {i:02d}.png", 500 + i, size=(48, 36))
    for i in range(3):
        pattern(folder / f"top {i}.png", 600 + i, size=(48, 36))
    lib = Library(settings)
    try:
        w = Watcher(lib, [folder], delete_grace=60)
        w.reconcile()
        before = {p: k.id for p, k in known(lib).items()}
        assert len(before) == 44
        (folder / "Archive").mkdir()
        shutil.move(str(old), str(folder / "Archive"))
        w._run_indexer([str(old / f"scan {i:02d}.png") for i in range(41)], "batch")   # the vanished side
        w._run_indexer([str(folder / "Archive" / "Old scans")], "batch")               # the arrived side
        after = {p: k for p, k in known(lib).items()}
        assert len(after) == 44 and all(k.status == "ok" for k in after.values())
        moved = {p.replace(os.sep + "Archive", "", 1): k.id for p, k in after.items() if "Archive" in p}
        assert moved == {p: i for p, i in before.items() if "Old scans" in p}
    finally:
        lib.close()


@pytest.mark.parametrize("follow", [False, True])
def test_polling_over_symlink_loops_starts_and_indexes(settings, folder, follow):
    """Issue 26.12: watch --polling on a root with `ln -s . loop` and
    `ln -s .. sub/up` never said 'watching' and grew without bound: the
    polling snapshot followed the loops. It keeps the walk's link rule."""
    (folder / "sub").mkdir()
    os.symlink(".", folder / "loop")
    os.symlink("..", folder / "sub" / "up")
    pattern(folder / "sub" / "before.png", 1)
    settings.follow_symlinks = follow
    lib = Library(settings)
    w = Watcher(lib, [folder], settle=0.2, force_polling=True, poll_interval=0.2).start()
    try:
        assert w.state.mode == "polling"
        wait_for(lambda: str(folder / "sub" / "before.png") in known(lib), w, what="first reconciliation")
        p = pattern(folder / "sub" / "after.png", 2)
        wait_for(lambda: str(p) in known(lib), w, what="a new file seen by polling")
        inside = [os.path.relpath(k, folder) for k in known(lib)]
        assert sorted(inside) == [os.path.join("sub", "after.png"), os.path.join("sub", "before.png")]
    finally:
        w.stop()
        lib.close()
