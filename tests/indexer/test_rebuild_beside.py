"""Issue 34.2: `index --rebuild` writes beside the index people search and
swaps in when done: killed halfway, the old index answers as before."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # a real index process killed mid-run

from ..media_factory import pattern

N_FILES = 120


def spawn(folder, data, *extra):
    env = {**os.environ, "MEDIASEARCH_COMMIT_EVERY": "16", "MEDIASEARCH_BATCH_SIZE": "8", "MEDIASEARCH_OCR": "off"}
    return subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "index", str(folder), "--data-dir", str(data),
                             "--model", "fake", "--no-progress", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def query(db, sql: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute(sql).fetchone()[0] or 0)
        finally:
            con.close()
    except (sqlite3.Error, TypeError):  # not there yet
        return 0


def rows(db) -> int:
    return query(db, "SELECT count(*) FROM media")


def generation(db) -> int:
    return query(db, "SELECT value FROM meta WHERE key = 'generation'")


def wait_rebuilding(data, proc, timeout=60.0) -> bool:
    """Until the rebuild's copy was cleared and two batches were committed to
    it (the copy starts as the whole old catalog)."""
    target = generation(data / "catalog.sqlite") + 3
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if generation(data / "catalog.rebuild.sqlite") >= target:
            return True
        time.sleep(0.02)  # another process's commits: no event crosses processes
    return False


@pytest.fixture
def indexed(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("MEDIASEARCH_OCR", "off")
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(N_FILES):
        pattern(folder / f"p{i:03d}.png", seed=i)
    data = tmp_path / "data"
    assert cli("index", folder, "--data-dir", data, "--model", "fake", "--no-progress")[0] == 0
    return folder, data


def answers(cli, data) -> int:
    code, out, err = cli("search", "red", "--data-dir", data, "--all", "-k", "500", "--json")
    assert code == 0, err
    return len(__import__("json").loads(out)["results"])


def test_a_rebuild_killed_halfway_leaves_the_old_index_answering(indexed, cli):
    folder, data = indexed
    before = answers(cli, data)
    assert before == N_FILES
    proc = spawn(folder, data, "--rebuild")
    side = data / "catalog.rebuild.sqlite"
    assert wait_rebuilding(data, proc), "the rebuild never wrote its copy"
    assert 0 < rows(side) < N_FILES
    # While it works, the old index is whole and answers.
    assert rows(data / "catalog.sqlite") == N_FILES and answers(cli, data) == before
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert rows(data / "catalog.sqlite") == N_FILES and answers(cli, data) == before
    con = sqlite3.connect(data / "catalog.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    # The next rebuild starts its copy afresh, runs to the end and swaps in.
    code, out, err = cli("index", folder, "--data-dir", data, "--model", "fake", "--rebuild", "--no-progress")
    assert code == 0, err
    assert f"{N_FILES} new" in err and not side.exists() and not (data / "vectors.rebuild.faiss").exists()
    assert answers(cli, data) == N_FILES


def test_a_rebuild_stopped_by_sigterm_says_the_old_index_is_kept(indexed, cli):
    folder, data = indexed
    proc = spawn(folder, data, "--rebuild")
    assert wait_rebuilding(data, proc), "the rebuild never wrote its copy"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "the index as it was before --rebuild is kept" in err.decode()
    assert not (data / "catalog.rebuild.sqlite").exists()
    assert rows(data / "catalog.sqlite") == N_FILES and answers(cli, data) == N_FILES


def test_a_server_whose_index_was_rebuilt_with_another_model_says_so(cli, photos, tmp_path):
    """A rebuild with another model while `serve` runs: the server's searches
    answered a 500 (vectors of two sizes); now a 409 that says to restart."""
    from fastapi.testclient import TestClient

    from mediasearch.store.settings import Settings
    from mediasearch.web.app import create_app

    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "fake", "--no-progress")[0] == 0
    app = create_app(Settings(home=data, network_timeout=0), allowed_hosts=["testserver"])
    with TestClient(app) as client:
        assert client.get("/api/search", params={"q": "red", "all": "true"}).status_code == 200
        code, _, err = cli("index", photos, "--data-dir", data, "--model", "bundled", "--rebuild", "--no-progress")
        assert code == 0, err
        r = client.get("/api/search", params={"q": "red", "all": "true"})
        assert r.status_code == 409 and "rebuilt with bundled" in r.json()["detail"] and "restart" in r.json()["detail"]
