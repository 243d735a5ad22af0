"""kill -9 at random moments of a real `mediasearch index` process, many times;
after each, the catalog and the vector index agree and SQLite is intact."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.slow  # kill -9 loops and real mounts: the full suite runs them

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.engine import SearchEngine
from mediasearch.search.query import Query, build_terms
from mediasearch.store.errors import IndexCorruptError
from mediasearch.store.vector_index import VectorIndex

from ..media_factory import pattern

N_FILES = 300


def spawn(folder, data, *extra):
    env = {**os.environ, "MEDIASEARCH_COMMIT_EVERY": "16", "MEDIASEARCH_BATCH_SIZE": "8"}
    return subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "index", str(folder), "--data-dir", str(data),
                             "--model", "fake", "--no-progress", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def committed(data) -> int:
    try:
        con = sqlite3.connect(f"file:{data / 'catalog.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM media").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:  # not created yet
        return 0


def wait_committed(data, n: int, proc, timeout: float = 60.0) -> bool:
    """Wait until another process has committed ``n`` files (or has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if committed(data) >= n:
            return True
        time.sleep(0.02)  # polling another process's commits: no event crosses processes
    return False


def check_invariants(data, settings_factory):
    con = sqlite3.connect(data / "catalog.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    paths = [r[0] for r in con.execute("SELECT path FROM media")]
    assert len(paths) == len(set(paths))  # no file twice
    orphans = con.execute("SELECT count(*) FROM segment s LEFT JOIN media m ON m.id = s.media_id "
                          "WHERE m.id IS NULL").fetchone()[0]
    assert orphans == 0
    con.close()
    vf = data / "vectors.faiss"
    if vf.exists():
        try:
            VectorIndex.load(vf)  # never left unreadable: old or new, whole
        except IndexCorruptError as e:
            pytest.fail(f"vector index file damaged by a kill: {e}")
    lib = Library(settings_factory())
    try:
        vi = lib.vector_index()
        ids, _, gen = lib.catalog.all_vectors(lib.embedder.dim)
        assert len(vi) == len(ids) and vi.generation == gen
        assert set(vi.ids().tolist()) == set(ids.tolist())
    finally:
        lib.close()


def test_kill_9_at_random_points_then_resume(tmp_path, settings):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(N_FILES):
        pattern(folder / f"{i:03d}.png", i, size=(96, 96))
    data = settings.home
    rng = random.Random(1234)
    kills = 0
    for _ in range(8):
        before = committed(data)
        proc = spawn(folder, data)
        # Killed mid-run: once it has committed a few more files (a random
        # number), so every kill lands inside the work, never after it.
        reached = wait_committed(data, before + rng.randint(1, 40), proc)
        if reached and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        check_invariants(data, lambda: settings.model_copy())
        # Some of the files move between runs, so renames are crash-tested too.
        victim = folder / f"{rng.randrange(N_FILES):03d}.png"
        if victim.exists():
            victim.rename(victim.with_name("moved_" + victim.name))
    assert kills >= 6  # the runs that had not finished by then were all killed
    proc = spawn(folder, data)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    check_invariants(data, lambda: settings.model_copy())
    lib = Library(settings)
    assert len(lib.catalog.known_files()) == N_FILES
    lib.close()


def test_sigterm_stops_the_daemon_cleanly(tmp_path, settings):
    folder = tmp_path / "w"
    folder.mkdir()
    for i in range(5):
        pattern(folder / f"{i}.png", i)
    proc = subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "watch", str(folder), "--data-dir",
                             str(settings.home), "--model", "fake", "--settle", "0.3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        state = settings.home / "watcher.json"
        import json
        while time.monotonic() < deadline:
            if state.exists() and json.loads(state.read_text()).get("last_reconcile"):
                break
            time.sleep(0.1)  # polling another process's published state
        else:
            pytest.fail("watcher never reconciled")
        # While it runs, a second daemon refuses and status shows it.
        second = subprocess.run([sys.executable, "-m", "mediasearch.cli", "watch", str(folder), "--data-dir",
                                 str(settings.home)], capture_output=True, timeout=60)
        assert second.returncode != 0 and b"already writing" in second.stderr
        st = subprocess.run([sys.executable, "-m", "mediasearch.cli", "status", "--data-dir", str(settings.home)],
                            capture_output=True, timeout=60, text=True)
        assert "watcher  : running" in st.stdout and "mode native" in st.stdout
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(state.read_text())["mode"] == "stopped"
    _, header = VectorIndex.load(settings.home / "vectors.faiss")
    assert header["count"] == 5


def test_readers_keep_working_while_a_writer_commits(settings, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(200):
        pattern(folder / f"{i}.png", i)
    seed = tmp_path / "seed"
    seed.mkdir()
    pattern(seed / "s.png", 999)
    settings.commit_every = 4
    lib = Library(settings)
    Indexer(lib).run([seed])
    errors, searches = [], [0]
    done = threading.Event()

    def reader():
        rlib = Library(settings)
        engine = SearchEngine(rlib, live=True)
        try:
            while not done.is_set():
                engine.search(Query(build_terms(["red"]), k=5))
                searches[0] += 1
        except Exception as e:  # "database is locked" would land here
            errors.append(repr(e))
        finally:
            rlib.close()

    t = threading.Thread(target=reader)
    t.start()
    try:
        Indexer(lib).run([folder])
    finally:
        done.set()
        t.join(30)
        lib.close()
    assert errors == [] and searches[0] > 0


def test_ctrl_c_while_the_model_loads_says_what_was_kept(tmp_path):
    """Issue 14.10: Ctrl-C during the warm-up never printed the promised line.
    The child starts with SIGINT at its default: something earlier in the
    suite leaves SIGINT ignored in the test process, a child inherits that,
    and then (rightly, like any program started in the background) it never
    hears Ctrl-C."""
    import signal
    import time

    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(30):
        pattern(folder / f"{i}.png", i)
    data = tmp_path / "d"
    proc = subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "index", str(folder), "--data-dir",
                             str(data), "--model", "bundled"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not (data / "catalog.sqlite").exists():  # a file, not an event: poll it
            assert proc.poll() is None and time.monotonic() < deadline, "the run never created its catalog"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in rest
    assert proc.returncode == 130 and "interrupted: what was indexed so far is kept" in rest, rest[-400:]

def test_sigterm_stops_index_like_ctrl_c(tmp_path, settings):
    """Issue 34.1: `index` on SIGTERM (systemd stop, docker stop, timeout) died
    with 143, no message, the batch in flight lost and vectors.faiss stale.
    It stops like Ctrl-C: exit 130, says what was kept, index saved whole."""
    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(N_FILES):
        pattern(folder / f"{i:04d}.png", i, size=(256, 256))
    data = tmp_path / "d"
    proc = spawn(folder, data)
    try:
        assert wait_committed(data, 40, proc), "the run never committed 40 files"
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=120)[1].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted: what was indexed so far is kept" in err, (proc.returncode, err[-400:])
    assert "Traceback" not in err
    header = VectorIndex.load(data / "vectors.faiss")[1]
    con = sqlite3.connect(data / "catalog.sqlite")
    kept = con.execute("SELECT count(*) FROM media").fetchone()[0]
    con.close()
    assert 40 <= kept < N_FILES and header["count"] == kept  # the index file holds what was committed
    check_invariants(data, lambda: settings.model_copy(update={"home": data}))
