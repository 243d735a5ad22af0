"""Index types that fit memory: plans by size and budget, recall tuned to the
target on held-out queries, filters inside the search, HNSW tombstones."""
import numpy as np
import pytest

from mediasearch.store.catalog import Applied
from mediasearch.store.index_plan import plan_index
from mediasearch.store.vector_index import VectorIndex

DIM = 32


def clustered(n, seed=0, centers=40):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, DIM))
    x = c[rng.integers(0, centers, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_plans_follow_size_and_memory():
    assert plan_index(1_000, 512).kind == "flat"
    assert plan_index(500_000, 512, memory_mb=4096).kind == "hnsw"
    ivf = plan_index(5_000_000, 512, memory_mb=2048)
    assert ivf.kind == "ivfpq" and ivf.params["m"] == 64 and ivf.params["nlist"] >= 1024
    assert plan_index(10, 512, kind="hnsw").kind == "hnsw"
    with pytest.raises(ValueError):
        plan_index(10, 512, kind="annoy")


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_approximate_indexes_reach_the_recall_target_and_filter_inside(kind):
    vecs = clustered(6000)
    ids = np.arange(10, 6010, dtype=np.int64)
    vi = VectorIndex.build(ids, vecs, DIM, 1, plan_index(len(ids), DIM, kind=kind), recall_target=0.95)
    assert vi.plan.kind == kind and vi.plan.params["recall_at_10"] >= 0.95
    vi.fetch = lambda wanted: vecs[wanted - 10]  # as open_vector_index points it at the catalog
    for step in (300, 3):  # a selective filter (20 ids) and a broad one (2,000)
        allowed = ids[::step]
        _, got = vi.search(vecs[5], 10, allowed)
        assert len(got) == 10 and set(got) <= set(allowed)


def test_hnsw_removals_are_tombstones_excluded_from_results(tmp_path):
    vecs = clustered(500)
    ids = np.arange(500, dtype=np.int64)
    vi = VectorIndex.build(ids, vecs, DIM, 1, plan_index(500, DIM, kind="hnsw"))
    _, top = vi.search(vecs[7], 5)
    assert top[0] == 7
    vi.apply(Applied(np.zeros(0, np.int64), np.zeros((0, DIM), np.float32), np.asarray([7]), 2))
    _, top = vi.search(vecs[7], 5)
    assert 7 not in top and len(top) == 5 and len(vi) == 499
    vi.save(tmp_path / "v.faiss", "m")
    loaded, header = VectorIndex.load(tmp_path / "v.faiss")
    assert header["index_type"] == "hnsw" and loaded.tombstones == {7}
    assert loaded.plan.params["efSearch"] == vi.plan.params["efSearch"]
    assert 7 not in loaded.search(vecs[7], 5)[1]


def test_collection_outgrowing_flat_switches_type(settings, tmp_path, cli):
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.pipeline import Indexer

    from ..media_factory import pattern
    folder = tmp_path / "grow"
    folder.mkdir()
    for i in range(30):
        pattern(folder / f"{i}.png", i)
    settings.index_flat_max = 40
    lib = Library(settings)
    Indexer(lib).run([folder])
    assert lib.vector_index().plan.kind == "flat"
    for i in range(30, 60):
        pattern(folder / f"{i}.png", i)
    Indexer(lib).run([folder])
    vi = lib.vector_index()
    assert vi.plan.kind == "hnsw" and len(vi) == 60
    lib.close()
    code, out, _ = cli("status", "--data-dir", settings.home)
    assert "index    : hnsw, recall@10" in out
