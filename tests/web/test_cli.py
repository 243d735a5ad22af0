"""The command line end to end: real files, a real SQLite file, a real FAISS index."""
import json
import os

import pytest

from ..media_factory import solid


def test_index_search_status_json(cli, photos, tmp_path):
    data = tmp_path / "d"
    code, out, err = cli("index", photos, "--data-dir", data, "--model", "fake", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 3 and report["model"] == "fake"
    assert "using fake" in err
    code, out, _ = cli("search", "red", "--data-dir", data, "--json", "-k", "2")
    hits = json.loads(out)["results"]
    assert code == 0 and hits[0]["path"] == str(photos / "red.png")
    assert {"path", "kind", "score", "start", "end"} <= set(hits[0])
    code, out, _ = cli("status", "--data-dir", data, "--json")
    status = json.loads(out)
    assert status["media"]["ok"]["image"] == 3 and status["model"]["spec"] == "fake"
    assert status["index_bytes"] > 0 and status["segments"] == 3
    assert status["runtime"] == "numpy"  # what ran the model in the last index run (issue 20)
    assert status["device"] == "cpu"     # and where (issue 30.5)


def test_human_output_and_failures(cli, photos, tmp_path):
    data = tmp_path / "d"
    (photos / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    code, _, err = cli("index", photos, "--data-dir", data, "--model", "fake", "--no-progress")
    assert code == 0 and "1 failed" in err and "bad.png" in err
    code, out, _ = cli("search", "blue", "--data-dir", data, "-k", "1")
    assert code == 0 and out.split()[1:3] == ["image", str(photos / "blue.png")]
    assert "<- picture" in out  # the reason column
    code, out, _ = cli("status", "--data-dir", data)
    assert "bad.png" in out and "3 image" in out


def test_environment_variables_configure_the_commands(cli, photos, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIASEARCH_HOME", str(tmp_path / "envhome"))
    monkeypatch.setenv("MEDIASEARCH_MODEL", "fake")
    code, _, err = cli("index", photos, "--no-progress")
    assert code == 0, err
    assert (tmp_path / "envhome" / "catalog.sqlite").exists()


def test_errors_have_messages_and_exit_codes(cli, photos, tmp_path):
    data = tmp_path / "d"
    # Issue 26.5: a data dir that does not exist is a bad path (3), not a bad query (2).
    code, _, err = cli("search", "red", "--data-dir", data, "--model", "fake")
    assert code == 3 and "does not exist" in err and "mediasearch index" in err
    assert not data.exists()  # a read command never creates a data dir (a typo stays a typo)
    for command in (["status"], ["duplicates"]):
        code, _, err = cli(*command, "--data-dir", data)
        assert code == 3 and "does not exist" in err and not data.exists()
    code, _, err = cli("index", tmp_path / "nowhere", "--data-dir", data, "--model", "fake")
    assert code == 3 and "does not exist" in err
    assert not data.exists()  # nor does an index of a path that is not there
    data.mkdir()
    code, _, err = cli("search", "red", "--data-dir", data, "--model", "fake")
    assert code == 3 and "no index" in err
    cli("index", photos, "--data-dir", data, "--model", "fake")
    code, _, err = cli("search", "red", "--data-dir", data, "--model", "bundled")
    assert code == 6 and "--rebuild" in err
    code, _, err = cli("search", "--data-dir", data)
    assert code == 2
    code, _, err = cli("search", "red", "--kind", "sculpture", "--data-dir", data)
    assert code == 2 and "unknown kind" in err


def test_rename_add_delete_cycle_is_visible_in_search(cli, photos, tmp_path):
    data = tmp_path / "d"
    cli("index", photos, "--data-dir", data, "--model", "fake")
    os.rename(photos / "red.png", photos / "crimson.png")
    solid(photos / "yellow.png", (240, 240, 0))
    (photos / "blue.png").unlink()
    code, out, _ = cli("index", photos, "--data-dir", data, "--json")
    r = json.loads(out)
    assert (r["renamed"], r["new"], r["removed"]) == (1, 1, 1)
    _, out, _ = cli("search", "red", "--data-dir", data, "--json")
    paths = [h["path"] for h in json.loads(out)["results"]]
    assert paths[0] == str(photos / "crimson.png")
    assert str(photos / "blue.png") not in paths and str(photos / "yellow.png") in paths


def test_serve_refuses_the_network_without_an_api_key(cli, tmp_path):
    code, _, err = cli("serve", "--host", "0.0.0.0", "--data-dir", tmp_path / "d", "--model", "fake")
    assert code == 4 and "API key" in err


def test_index_says_what_it_waits_for(cli, photos, tmp_path):
    """Issue 20: the model loads before the bar starts (said so), and a run
    with nothing to read loads no model at all."""
    data = tmp_path / "d"
    code, _, err = cli("index", photos, "--data-dir", data, "--model", "fake")
    assert code == 0
    assert err.index("scanning") < err.index("loading the model") < err.index("model ready") < err.index("files seen")
    assert "model loaded in" in err
    assert "" not in err.rstrip("\n").split("\n")  # no empty line when stderr is not a TTY (14.20)
    code, _, err = cli("index", photos, "--data-dir", data, "--model", "fake")
    assert code == 0 and "loading the model" not in err and "3 unchanged" in err


@pytest.mark.parametrize("command", ["index", "search", "watch", "serve", "status", "caption"])
def test_help_shows_plain_value_hints(cli, command, monkeypatch):
    """Issue 14.20: `<bool>` and `<list[Path]>` in the help looked like values to type."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = cli(command, "--help")
    assert code == 0 and "Usage" in out
    assert "<bool>" not in out and "<list[" not in out and "<str>" not in out


def test_serve_loads_its_model_before_it_says_it_serves(cli, photos, tmp_path):
    """Issue 14.9: the first search or upload waited 40 s for the model; serve
    loads it at start and says so, and answers as soon as it says "serving"."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    data = tmp_path / "d"
    assert cli("index", photos, "--data-dir", data, "--model", "fake")[0] == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mediasearch.cli", "serve", "--data-dir", str(data),
                             "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        said = ""
        deadline = time.monotonic() + 60
        while "serving" not in said and time.monotonic() < deadline:
            line = proc.stderr.readline()  # blocks until the server says something
            if not line:
                break
            said += line
        assert said.index("loading the model") < said.index("model ready") < said.index("serving"), said
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=red&k=1", timeout=10) as r:
            assert json.loads(r.read())["results"][0]["name"] == "red.png"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_ctrl_c_inside_the_database_pool_prints_no_second_traceback():
    """The run says what an interruption kept; SQLAlchemy's pool, which logs
    a KeyboardInterrupt that lands while it hands a connection back, does not
    add a traceback (seen once in CI); its other errors still show."""
    import logging
    import sys

    from mediasearch.cli.main import _not_an_interruption

    def record(exc):
        try:
            raise exc
        except BaseException:
            return logging.LogRecord("sqlalchemy.pool.impl.QueuePool", logging.ERROR, __file__, 1,
                                     "Exception during reset or similar", None, sys.exc_info())
    assert not _not_an_interruption(record(KeyboardInterrupt()))
    assert _not_an_interruption(record(ValueError("a real pool error")))


def test_messages_say_what_happened_in_one_line_each(cli, tmp_path):
    """Issue 34.5: a link loop was "a broken symbolic link"; a 200-byte WebM
    "cannot open video: Input/output error"; a newline or undecodable bytes
    in a name broke a hit across lines; `status` showed 4 KB while the data
    sat in the WAL."""
    import sqlite3

    from ..media_factory import video

    folder = tmp_path / "lib"
    folder.mkdir()
    os.symlink(folder / "b_link", folder / "a_link")
    os.symlink(folder / "a_link", folder / "b_link")
    os.symlink(folder / "nowhere.png", folder / "gone_link")
    whole = video(tmp_path / "whole.webm", [(2, (200, 10, 10))], codec="libvpx")
    (folder / "cut.webm").write_bytes(whole.read_bytes()[:200])
    odd = os.fsencode(str(folder)) + b"/two\nlines \xff.png"
    solid(os.fsdecode(odd), (230, 20, 20))
    data = tmp_path / "d"
    code, out, err = cli("index", folder, "--data-dir", data, "--model", "fake", "--json")
    report = json.loads(out)
    why = {os.path.basename(s["path"]): s["reason"] for s in report["special"]}
    assert "loop" in why["a_link"] and "broken" not in why["a_link"]
    assert "truncated" in report["errors"][0]["reason"] and "Input/output" not in report["errors"][0]["reason"]
    code, out, err = cli("search", "red", "--data-dir", data, "--all")
    hits = [line for line in out.splitlines() if "lines" in line]
    assert len(hits) == 1 and "two\\nlines \\xff.png" in hits[0], out
    con = sqlite3.connect(data / "catalog.sqlite")  # a reader in a transaction: the next commits stay in the WAL
    try:
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM media").fetchone()
        more = tmp_path / "more"
        more.mkdir()
        for i in range(40):
            solid(more / f"{i}.png", (i * 5, 100, 200))
        assert cli("index", more, "--data-dir", data, "--model", "fake")[0] == 0
        wal = data / "catalog.sqlite-wal"
        assert wal.stat().st_size > 0
        code, out, err = cli("status", "--data-dir", data, "--json")
        assert json.loads(out)["catalog_bytes"] == (data / "catalog.sqlite").stat().st_size + wal.stat().st_size
    finally:
        con.close()
