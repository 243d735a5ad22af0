"""Defects the renovation (issue 13) fixed, each seen by a user: duplicate
vectors under `serve --watch`, settings that crashed with a traceback, a
silent transcription failure, an index file that disagreed with the catalog,
an older database."""
import threading

import numpy as np
import pytest

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.search.service import SearchRequest, SearchService
from mediasearch.store.catalog import Batch, Catalog, MediaRecord, NewSegment
from mediasearch.store.migrations import MIGRATIONS, applied

from ..media_factory import audio_file, pattern, speech


def test_concurrent_searchers_beside_a_writer_never_duplicate_vectors(settings, tmp_path):
    """The indexing thread and web requests catching up from the change log
    may bring the same generation: it is applied once (8 searchers, a writer)."""
    folder = tmp_path / "lib"
    folder.mkdir()
    settings.commit_every = 2
    lib = Library(settings)
    lib.claim_identity()
    service = SearchService(lib, live=True)
    stop = threading.Event()
    errors = []

    def searcher():
        while not stop.is_set():
            try:
                service.search(SearchRequest(texts=["red"], k=5))
            except Exception as e:  # noqa: BLE001 - any failure fails the test
                errors.append(e)

    threads = [threading.Thread(target=searcher) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for round_ in range(6):
            for i in range(5):
                pattern(folder / f"{round_}_{i}.png", round_ * 10 + i, size=(16, 16))
            Indexer(lib).run([folder])
            ids = lib.vector_index().ids()
            assert len(ids) == len(np.unique(ids)) == (round_ + 1) * 5
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    lib.save_vector_index()
    lib.close()
    again = Library(settings)  # and after a restart
    try:
        ids = again.vector_index().ids()
        assert len(ids) == len(np.unique(ids)) == 30
    finally:
        again.close()


def test_a_saved_index_that_disagrees_with_the_catalog_is_rebuilt(settings, photos):
    lib = Library(settings)
    Indexer(lib).run([photos])
    vi = lib.vector_index()
    # What the race used to leave on disk: one vector twice.
    ids = vi.ids()
    vi.index.add_with_ids(lib.catalog.vectors_by_id(ids[:1], lib.embedder.dim), ids[:1])
    lib.save_vector_index()
    lib.close()
    lib = Library(settings)
    try:
        ids = lib.vector_index().ids()
        assert sorted(ids) == sorted(set(ids)) and len(ids) == 3
    finally:
        lib.close()


@pytest.mark.parametrize("env, value, accepts", [("MEDIASEARCH_BATCH_SIZE", "abc", "integer"),
                                                 ("MEDIASEARCH_INDEX_TYPE", "annoy", "flat"),
                                                 ("MEDIASEARCH_LOG", "loud", "WARNING")])
def test_a_bad_setting_exits_4_with_one_line(cli, monkeypatch, photos, settings, env, value, accepts):
    monkeypatch.setenv(env, value)
    code, out, err = cli("index", photos, "--data-dir", settings.home, "--model", "fake")
    assert code == 4 and env in err and accepts in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_another_writer_has_its_own_exit_code(cli, settings, photos):
    from mediasearch.store.lock import WriterLock

    settings.ensure_home()
    with WriterLock(settings.home, "a test"):
        code, _, err = cli("index", photos, "--data-dir", settings.home, "--model", "fake")
    assert code == 8 and "a test" in err


def test_a_broken_transcriber_is_recorded_per_file(cli, settings, tmp_path, monkeypatch):
    """A broken Whisper model used to drop every transcript silently."""
    broken = tmp_path / "whisper"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model")
    (broken / "config.json").write_text("{}")
    monkeypatch.setenv("MEDIASEARCH_WHISPER_MODEL", str(broken))
    folder = tmp_path / "memos"
    folder.mkdir()
    # Speech (a tone is music: no voice, so Whisper would not be asked).
    audio_file(folder / "memo.wav", speech("This is a voice memo about the meeting on Friday."))
    code, _, err = cli("index", folder, "--data-dir", settings.home, "--model", "fake", "--no-progress")
    assert code == 0, err
    code, out, _ = cli("status", "--data-dir", settings.home)
    assert "indexed with a problem" in out and "memo.wav: speech not transcribed" in out


def test_a_database_made_by_an_older_schema_is_upgraded(tmp_path):
    """A catalog written before m006 (missing files) opens, migrates and keeps its rows."""
    path = tmp_path / "old.sqlite"
    from mediasearch.store.db import make_engine

    engine = make_engine(path)  # the product's engine: its SQL functions registered
    with engine.begin() as conn:
        applied(conn)
        for name, fn in MIGRATIONS:
            if name.startswith("m006"):
                break
            fn(conn)
            conn.exec_driver_sql("INSERT INTO _migrations (name, applied_at) VALUES (?, 0)", (name,))
    engine.dispose()
    cat = Catalog(path)
    try:
        vec = np.ones(4, np.float32) / 2
        cat.apply(Batch(upserts=[MediaRecord("/r/a.png", "/r", 1, 1, 1, "image", "h",
                                             segments=[NewSegment(vec, "image")])]))
        k = cat.known_files()["/r/a.png"]
        cat.take_offline([k.id], "gone", held=True)
        assert cat.known_files()["/r/a.png"].status == "offline"
    finally:
        cat.close()
