"""Shared fixtures: settings pointed at a temporary data dir, generated media,
a CLI runner, and a guard that fails a test which leaks threads."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from mediasearch.store.settings import Settings  # noqa: E402

from .media_factory import solid  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaked_threads():
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                  and not t.daemon]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test leaked threads: {[t.name for t in leaked]}"


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    """One ONNX export cache per test process: the bundled network is
    exported once, as on a person's machine, never into the user's cache."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch, onnx_cache):
    for key in list(os.environ):
        if key.startswith("MEDIASEARCH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("MEDIASEARCH_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("MEDIASEARCH_NETWORK_TIMEOUT", "0")
    # OCR reads every generated picture: on only in the tests about it (tests/indexer/test_ocr.py).
    monkeypatch.setenv("MEDIASEARCH_OCR", "off")
    # Faces likewise: on in tests/indexer/test_faces.py and the people tests.
    monkeypatch.setenv("MEDIASEARCH_FACES", "off")
    monkeypatch.setenv("MEDIASEARCH_ONNX_CACHE", str(onnx_cache))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "data", model="fake", network_timeout=0, decode_workers=2,
                    batch_size=4, commit_every=3)


@pytest.fixture
def photos(tmp_path) -> Path:
    """A folder with a red, a green and a blue picture."""
    folder = tmp_path / "photos"
    folder.mkdir()
    solid(folder / "red.png", (230, 20, 20))
    solid(folder / "green.jpg", (20, 200, 30))
    solid(folder / "blue.png", (20, 30, 220))
    return folder


@pytest.fixture
def cli(capsys):
    """Run `mediasearch ARGS...` in-process; returns (exit code, stdout, stderr)."""
    from mediasearch.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


# A PostgreSQL server for the catalog tests that run on both databases:
# MEDIASEARCH_TEST_PG is an admin URL (e.g. postgresql+psycopg://ms:ms@127.0.0.1/postgres);
# .ci/run installs and starts a real server and sets it.
PG_ADMIN = os.environ.get("MEDIASEARCH_TEST_PG")


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test; dropped afterwards."""
    if not PG_ADMIN:
        pytest.skip("no PostgreSQL server (set MEDIASEARCH_TEST_PG to an admin URL)")
    import uuid

    from sqlalchemy import create_engine

    name = f"ms_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_target(request, tmp_path):
    """Where a test's catalog lives: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "c.sqlite"
    return request.getfixturevalue("pg_url")
