"""FAISS on a GPU: the device choice, the mirror's bookkeeping (through a CPU
copy backend on machines without a GPU), and, where a GPU is present, the same
answers as the CPU. Also IVF-PQ removals, which the mirror relies on."""
import json
import struct

import numpy as np
import pytest

from mediasearch.store.catalog import Applied
from mediasearch.store.errors import ConfigError
from mediasearch.store.gpu_index import cpu_copy_backend, gpu_backend, gpu_count, resolve_index_device
from mediasearch.store.index_plan import plan_index
from mediasearch.store.vector_index import MAGIC, VectorIndex

from .test_index_types import DIM, clustered

NO_VECTORS = np.zeros((0, DIM), np.float32)
NO_IDS = np.zeros(0, np.int64)


def build(kind, n=3000, seed=0):
    vecs = clustered(n, seed)
    ids = np.arange(100, 100 + n, dtype=np.int64)
    vi = VectorIndex.build(ids, vecs, DIM, 1, plan_index(n, DIM, kind=kind))
    table = dict(zip(ids.tolist(), vecs))
    vi.fetch = lambda wanted: np.stack([table[int(i)] for i in wanted])
    return vi, ids, vecs, table


def test_ivfpq_removals_leave_the_index_and_survive_a_save(tmp_path):
    vi, ids, vecs, _ = build("ivfpq")
    assert vi.search(vecs[40], 1)[1][0] == ids[40]
    gone = ids[:1500]
    vi.apply(Applied(NO_IDS, NO_VECTORS, gone, 2))
    assert len(vi) == 1500 and set(vi.ids().tolist()) == set(ids[1500:].tolist())
    for row in (40, 700, 1499):
        assert not set(vi.search(vecs[row], 10)[1]) & set(gone.tolist())
    assert vi.search(vecs[2000], 1)[1][0] == ids[2000]  # the others keep their own ids
    vi.save(tmp_path / "v.faiss", "m")
    loaded, header = VectorIndex.load(tmp_path / "v.faiss")
    assert header["layout"] == 2 and len(loaded) == 1500
    assert loaded.search(vecs[2000], 1)[1][0] == ids[2000]


@pytest.mark.parametrize("kind", ["flat", pytest.param("ivfpq", marks=pytest.mark.slow)])
def test_mirror_answers_like_the_cpu_index_through_adds_removals_and_filters(kind):
    n = 3000 if kind == "flat" else 10_000  # IVF-PQ filters over 4,096 ids are searched, not scored
    vi, ids, vecs, table = build(kind, n)
    plain, *_, plain_table = build(kind, n)
    assert vi.use_gpu(cpu_copy_backend()) and vi.mirror.copies == 1
    depths = []
    search = vi.mirror.search
    vi.mirror.search = lambda *a: depths.append(a[1]) or search(*a)
    queries = clustered(20, seed=9)

    def same(allowed=None, k=10):
        for q in queries:
            a, b = vi.search(q, k, allowed), plain.search(q, k, allowed)
            assert a[1].tolist() == b[1].tolist()
            np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-5)

    same()
    assert len(depths) == len(queries)
    same(allowed=ids[::2])          # broad filter: over-fetched on the copy, filtered here
    assert len(depths) == 2 * len(queries) and min(depths[len(queries):]) > max(depths[:len(queries)])
    same(allowed=ids[::40])         # narrow: not enough survive (or scored exactly): the CPU answers
    new_ids = np.arange(10_000, 10_200, dtype=np.int64)
    new_vecs = clustered(200, seed=5)
    table.update(zip(new_ids.tolist(), new_vecs))
    plain_table.update(zip(new_ids.tolist(), new_vecs))
    for index in (vi, plain):
        index.apply(Applied(new_ids, new_vecs, NO_IDS, 2))
    same()
    assert vi.mirror.copies == 1    # additions follow without a new copy
    assert vi.search(new_vecs[3], 1)[1][0] == new_ids[3]
    for index in (vi, plain):
        index.apply(Applied(NO_IDS, NO_VECTORS, ids[:300], 3))
    same()
    assert vi.mirror.copies == 2    # removals: copied again once, at the next search
    vi.mirror.search = search
    assert not set(vi.search(vecs[5], 10)[1]) & set(ids[:300].tolist())


def test_searches_deeper_than_the_gpu_selection_limit_go_to_the_cpu():
    vi, ids, vecs, _ = build("flat", n=500)
    backend = cpu_copy_backend()
    backend.max_k = 16
    vi.use_gpu(backend)
    calls = []
    search = vi.mirror.search
    vi.mirror.search = lambda *a: calls.append(a[1]) or search(*a)
    assert len(vi.search(vecs[0], 10)[1]) == 10 and calls == [10]
    assert len(vi.search(vecs[0], 100)[1]) == 100 and calls == [10]  # the CPU answered


def test_a_failing_device_falls_back_to_the_cpu_with_the_same_answer(caplog):
    vi, ids, vecs, _ = build("flat", n=500)
    vi.use_gpu(cpu_copy_backend())
    vi.mirror.copy = object()  # as after a device error: searching it raises
    with caplog.at_level("WARNING"):
        got = vi.search(vecs[9], 5)[1]
    assert got[0] == ids[9] and vi.mirror is None and "GPU search failed" in caplog.text


def test_hnsw_stays_on_the_cpu_and_says_why(caplog):
    vi, *_ = build("hnsw", n=500)
    with caplog.at_level("WARNING"):
        assert not vi.use_gpu(cpu_copy_backend())
    assert "HNSW" in caplog.text and vi.mirror is None
    with pytest.raises(ConfigError, match="HNSW"):
        vi.use_gpu(cpu_copy_backend(), required=True)


def test_device_setting():
    assert resolve_index_device("cpu") is None
    assert resolve_index_device("auto") == (0 if gpu_count() else None)
    with pytest.raises(ConfigError, match="auto, cpu, gpu"):
        resolve_index_device("tpu")
    if not gpu_count():
        with pytest.raises(ConfigError, match="faiss-gpu|GPU"):
            resolve_index_device("gpu")


def test_with_a_gpu_the_planner_prefers_exact_flat_then_ivfpq():
    assert plan_index(1_000_000, 512, memory_mb=4096, gpu=True).kind == "flat"
    assert plan_index(1_000_000, 512, memory_mb=4096).kind == "hnsw"
    assert plan_index(5_000_000, 512, memory_mb=4096, gpu=True).kind == "ivfpq"


@pytest.mark.skipif(gpu_count() > 0, reason="checks the message on machines without a GPU")
def test_asking_for_a_gpu_without_one_is_a_clear_error(settings, photos, cli, monkeypatch):
    monkeypatch.setenv("MEDIASEARCH_INDEX_DEVICE", "gpu")
    code, out, err = cli("index", str(photos), "--data-dir", settings.home, "--model", "fake")
    assert code != 0 and ("faiss-gpu" in err + out or "GPU" in err + out)
    assert "Traceback" not in err + out


def test_an_index_file_of_the_older_layout_is_rebuilt(settings, photos):
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer

    lib = Library(settings)
    Indexer(lib).run([photos])
    lib.close()
    path = settings.vector_index_path
    data = path.read_bytes()
    (n,) = struct.unpack_from("<I", data, len(MAGIC))
    header = json.loads(data[len(MAGIC) + 4:len(MAGIC) + 4 + n])
    del header["layout"]
    head = json.dumps(header).encode()
    path.write_bytes(MAGIC + struct.pack("<I", len(head)) + head + data[len(MAGIC) + 4 + n:])
    lib = Library(settings)
    try:
        assert len(lib.vector_index()) == 3
    finally:
        lib.close()
    assert VectorIndex.load(path)[1]["layout"] == 2


@pytest.mark.skipif(gpu_count() == 0, reason="needs faiss-gpu and a GPU")
@pytest.mark.parametrize("kind", ["flat", "ivfpq"])
def test_on_a_real_gpu_the_answers_match_the_cpu(kind):
    vi, ids, vecs, _ = build(kind, n=20_000)
    plain, *_ = build(kind, n=20_000)
    assert vi.use_gpu(gpu_backend(0), required=True)
    assert "Gpu" in type(vi.mirror.copy).__name__
    agree = []
    for q in clustered(50, seed=3):
        a, b = vi.search(q, 10)[1], plain.search(q, 10)[1]
        agree.append(len(set(a) & set(b)) / 10)
        fa = vi.search(q, 10, ids[::3])[1]
        assert set(fa) <= set(ids[::3].tolist()) and len(fa) == 10
    # flat is exact on both; IVF-PQ's float16 tables may swap a near tie
    assert np.mean(agree) >= (1.0 if kind == "flat" else 0.97)
