"""Vectors in Milvus (pymilvus MilvusClient): a local milvus-lite file for
small set-ups and tests, or a Milvus cluster URI for libraries beyond one
machine. Same interface as the FAISS VectorIndex; the catalog stays the source
of truth: the collection is stamped with the catalog generation it matches
(kept in the catalog's meta) and resynchronised from the catalog when not."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from .catalog import Applied, Catalog
from .errors import ConfigError
from .index_plan import IndexPlan
from .paths import without_secrets

log = logging.getLogger(__name__)
META_KEY = "milvus_generation"
# Filters longer than this many ids are not sent as one "id in [...]"
# expression (which grows without bound): the search over-fetches and filters
# here, and falls back to id lists in chunks of this size when too few survive.
MAX_ID_FILTER = 4096
MAX_LIMIT = 16384  # Milvus's largest top-k


class MilvusIndex:
    def __init__(self, catalog: Catalog, uri: str, collection: str, dim: int, model_id: str):
        try:
            from pymilvus import MilvusClient
        except ImportError as e:
            raise ConfigError("the Milvus vector store needs pymilvus (pip install 'mediasearch[milvus]')") from e
        self.catalog = catalog
        self.uri = uri
        self.collection = collection
        self.dim = dim
        self.model_id = model_id
        # The plan is shown by `status` and /api/status: a cluster URI's password never is.
        self.plan = IndexPlan("milvus", {"uri": without_secrets(uri), "collection": collection})
        self._lock = threading.RLock()
        self.client = MilvusClient(uri)
        self.generation = -1
        stamp = catalog.get_meta(META_KEY)
        if stamp:
            gen, _, model = stamp.partition("|")
            if model == model_id and self.client.has_collection(collection):
                self.generation = int(gen)

    # -- the copy from the catalog (also the migration command) -------------
    def resync(self) -> int:
        """Replace the collection's contents with the catalog's vectors."""
        with self._lock:
            ids, vecs, gen = self.catalog.all_vectors(self.dim)
            if self.client.has_collection(self.collection):
                self.client.drop_collection(self.collection)
            self.client.create_collection(self.collection, dimension=self.dim, metric_type="IP",
                                          auto_id=False, id_type="int")
            for start in range(0, len(ids), 5000):
                self._insert(ids[start:start + 5000], vecs[start:start + 5000])
            self._stamp(gen)
            return len(ids)

    def _insert(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if len(ids):
            self.client.insert(self.collection, [{"id": int(i), "vector": v.tolist()} for i, v in zip(ids, vecs)])

    def _stamp(self, generation: int) -> None:
        self.generation = generation
        self.catalog.set_meta(META_KEY, f"{generation}|{self.model_id}")

    def apply(self, applied: Applied) -> bool:
        """As VectorIndex.apply: each generation once, a gap returns False."""
        with self._lock:
            if applied.generation <= self.generation:
                return True
            if applied.generation != self.generation + 1:
                return False
            if len(applied.removed_ids):
                self.client.delete(self.collection, ids=[int(i) for i in applied.removed_ids])
            self._insert(applied.added_ids, applied.added_vectors)
            self._stamp(applied.generation)
            return True

    def __len__(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"]) if res else 0

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(query, np.float32).tolist()
        if allowed is None:
            return self._search(q, k)
        if len(allowed) == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        allowed = np.asarray(allowed, np.int64)
        if len(allowed) <= MAX_ID_FILTER:
            # The filter runs inside Milvus's search, so k results still come back.
            return self._search(q, k, allowed)
        # A broad filter: the best of the whole collection usually hold k allowed ones.
        total = len(self)
        scores, ids = self._search(q, min(MAX_LIMIT, total))
        keep = np.isin(ids, allowed)
        if keep.sum() >= min(k, len(allowed)) or len(ids) >= total:
            return scores[keep][:k], ids[keep][:k]
        # Too few survived: search each chunk of allowed ids, keep the best k.
        parts = [self._search(q, k, allowed[i:i + MAX_ID_FILTER]) for i in range(0, len(allowed), MAX_ID_FILTER)]
        scores = np.concatenate([s for s, _ in parts])
        ids = np.concatenate([i for _, i in parts])
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top], ids[top]

    def _search(self, q: list, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        flt = "id in [" + ",".join(str(int(i)) for i in allowed) + "]" if allowed is not None else ""
        with self._lock:
            res = self.client.search(self.collection, [q], limit=int(k), filter=flt, output_fields=[])
        hits = res[0] if res else []
        return (np.asarray([h["distance"] for h in hits], np.float32),
                np.asarray([h["id"] for h in hits], np.int64))

    def best_scores(self, queries: np.ndarray) -> np.ndarray:
        """The best score of each query, in one request."""
        rows = np.asarray(queries, np.float32)
        with self._lock:
            res = self.client.search(self.collection, rows.tolist(), limit=1, output_fields=[])
        return np.asarray([hits[0]["distance"] if hits else -1.0 for hits in res], np.float32)

    def outgrown(self, planned: IndexPlan) -> bool:
        """Milvus builds and keeps its own index."""
        return False

    def save(self, path: Path, model_id: str) -> None:
        """Milvus persists its own data; nothing to write."""

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # pragma: no cover - best effort on shutdown
            pass


def open_milvus_index(catalog: Catalog, uri: str, collection: str, dim: int, model_id: str) -> MilvusIndex:
    mi = MilvusIndex(catalog, uri, collection, dim, model_id)
    if mi.generation != catalog.generation():
        log.info("resynchronising Milvus collection %s from the catalog", collection)
        mi.resync()
    return mi
