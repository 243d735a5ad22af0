import numpy as np
import pytest

from mediasearch.store.catalog import Batch, Catalog, MediaRecord, NewSegment
from mediasearch.store.errors import IndexCorruptError
from mediasearch.store.vector_index import VectorIndex, open_vector_index


def unit(rng, n, d):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_search_matches_brute_force_and_filters_inside_the_search():
    rng = np.random.default_rng(0)
    vecs = unit(rng, 500, 16)
    ids = np.arange(1000, 1500, dtype=np.int64)
    vi = VectorIndex.build(ids, vecs, 16, generation=1)
    q = vecs[42]
    scores, got = vi.search(q, 5)
    expected = ids[np.argsort(-(vecs @ q))[:5]]
    assert list(got) == list(expected)
    allowed = ids[::50]  # 10 ids, none of them the best matches
    scores, got = vi.search(q, 10, allowed)
    assert len(got) == 10 and set(got) == set(allowed)  # k results, all allowed
    assert list(got) == list(allowed[np.argsort(-(vecs[::50] @ q))])


def test_save_load_roundtrip_and_damage_detected(tmp_path):
    rng = np.random.default_rng(1)
    vi = VectorIndex.build(np.arange(10, dtype=np.int64), unit(rng, 10, 8), 8, generation=7)
    path = tmp_path / "v.faiss"
    vi.save(path, "m")
    loaded, header = VectorIndex.load(path)
    assert header["generation"] == 7 and len(loaded) == 10
    assert not list(tmp_path.glob("*.tmp"))
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        VectorIndex.load(path)


@pytest.mark.parametrize("damage", ["missing", "garbage", "stale", "other-model"])
def test_open_rebuilds_from_the_catalog(tmp_path, damage):
    cat = Catalog(tmp_path / "c.sqlite")
    segs = [NewSegment(np.asarray([1, 0], np.float32), "image")]
    cat.apply(Batch(upserts=[MediaRecord("/r/a.jpg", "/r", 1, 1, 1, "image", "h", segments=segs)]))
    path = tmp_path / "v.faiss"
    vi = open_vector_index(cat, path, "m", 2)
    assert len(vi) == 1 and path.exists()
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not an index")
    elif damage == "stale":
        cat.apply(Batch(upserts=[MediaRecord("/r/b.jpg", "/r", 1, 1, 2, "image", "h2", segments=segs)]))
    model = "other" if damage == "other-model" else "m"
    vi = open_vector_index(cat, path, model, 2)
    assert len(vi) == (2 if damage == "stale" else 1)
    assert vi.generation == cat.generation()
    _, header = VectorIndex.load(path)
    assert header["generation"] == cat.generation() and header["model_id"] == model
    cat.close()
