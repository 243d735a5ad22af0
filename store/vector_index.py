"""The FAISS vector index: a derived, rebuildable view of the catalog's vectors.

The file holds a small JSON header (generation, model id, count, checksum)
followed by the serialised FAISS index. It is written atomically (temp file,
fsync, rename, fsync of the folder), so a crash during a save leaves either the
old file or the new one. A file whose header does not match the catalog
(generation, model, count) or whose checksum fails is rebuilt from SQLite.
"""
from __future__ import annotations

import json
import logging
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from .catalog import Applied, Catalog, is_disk_full
from .errors import ConfigError, IndexCorruptError, StorageFullError
from .files import write_atomically
from .gpu_index import Backend, GpuMirror
from .index_plan import IndexPlan, make_index, search_params, tune

log = logging.getLogger(__name__)

MAGIC = b"MSVI1\n"
# 2: IVF-PQ indexes hold our ids in their lists (layout 1 wrapped them in an
# IDMap, which could not remove ids); files of an older layout are rebuilt.
LAYOUT = 2
STALE_GRAPH = 0.2  # deleted share of an HNSW graph past which it is rebuilt


class VectorIndex:
    """Inner-product search over L2-normalised vectors, keyed by segment id.

    Flat (exact), HNSW or IVF-PQ (see index_plan). HNSW graphs cannot drop
    points, so removals there become tombstones, excluded inside the search
    and cleared by the next rebuild."""

    def __init__(self, dim: int, generation: int = 0, index: faiss.Index | None = None,
                 plan: IndexPlan | None = None, tombstones: set[int] | None = None):
        self.dim = dim
        self.generation = generation
        self.plan = plan or IndexPlan("flat")
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.tombstones: set[int] = set(tombstones or ())
        # ids -> exact vectors (the catalog's), for refining compressed (PQ) candidates.
        self.fetch: Callable[[np.ndarray], np.ndarray] | None = None
        self.mirror: GpuMirror | None = None  # a copy on a GPU (see gpu_index)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        """Live vectors (tombstoned ones excluded)."""
        return int(self.index.ntotal) - len(self.tombstones)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, generation: int,
              plan: IndexPlan | None = None, recall_target: float = 0.95) -> "VectorIndex":
        plan = plan or IndexPlan("flat")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        train = None
        if plan.kind == "ivfpq":
            rng = np.random.default_rng(0)
            train = vectors[rng.choice(len(vectors), size=min(len(vectors), max(100_000, 64 * plan.params["nlist"])), replace=False)] \
                if len(vectors) else np.zeros((0, dim), np.float32)
        vi = cls(dim, generation, make_index(plan, dim, train), plan)
        if len(ids):
            vi.index.add_with_ids(vectors, ids.astype(np.int64))
            row = {int(i): n for n, i in enumerate(ids)}
            vi.fetch = lambda wanted: vectors[[row[int(i)] for i in wanted]]
            tune(vi, vectors, ids.astype(np.int64), recall_target)
            vi.fetch = None  # the caller points it at the catalog
        return vi

    def apply(self, applied: Applied) -> bool:
        """Follow one committed generation. Applied once whichever thread
        brings it (the indexing thread and a web request catching up from the
        change log may both hold it): an older or repeated generation is a
        no-op; a gap returns False and the caller reloads from the catalog."""
        with self._lock:
            if applied.generation <= self.generation:
                return True
            if applied.generation != self.generation + 1:
                return False
            if len(applied.removed_ids):
                removed = np.ascontiguousarray(applied.removed_ids, dtype=np.int64)
                if self.plan.kind == "hnsw":
                    self.tombstones.update(int(i) for i in removed)
                elif self.plan.kind == "ivfpq":
                    # An IVF direct map (hashtable) removes by an id array only.
                    self.index.remove_ids(faiss.IDSelectorArray(removed))
                else:
                    self.index.remove_ids(removed)
                if self.mirror is not None:
                    self.mirror.invalidate()
            if len(applied.added_ids):
                added = np.ascontiguousarray(applied.added_vectors, dtype=np.float32)
                self.index.add_with_ids(added, applied.added_ids)
                if self.mirror is not None:
                    self.mirror.add(applied.added_ids, added)
            self.generation = applied.generation
            return True

    def ids(self) -> np.ndarray:
        """Every id held (tombstoned ones included), for checks and tests."""
        with self._lock:
            if isinstance(self.index, faiss.IndexIDMap2):
                return faiss.vector_to_array(self.index.id_map).astype(np.int64)
            lists = self.index.invlists
            out = [faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).copy()
                   for n in range(self.index.nlist) if lists.list_size(n)]
            return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)

    # -- GPU ------------------------------------------------------------
    def use_gpu(self, backend: Backend, required: bool = False) -> bool:
        """Mirror the index on a GPU for searches; False (with the reason
        logged) where it cannot be, unless ``required``, which raises."""
        if self.plan.kind == "hnsw":
            reason = "HNSW has no GPU form in faiss-gpu; it is searched on the CPU"
        else:
            mirror = GpuMirror(backend)
            try:
                with self._lock:
                    mirror.sync(self.index)
                self.mirror = mirror
                return True
            except Exception as e:  # out of GPU memory, unsupported code size...
                reason = f"could not copy the {self.plan.kind} index to {backend.name}: {e}"
        if required:
            raise ConfigError(reason)
        log.warning("%s", reason)
        return False

    def _mirror_search(self, q: np.ndarray, want: int, plan: IndexPlan):
        """(scores, ids) of the ``want`` best from the GPU copy, or None when
        the copy cannot answer (too deep, or a device error: then the CPU does)."""
        mirror = self.mirror
        if mirror is None or want > mirror.backend.max_k:
            return None
        try:
            mirror.sync(self.index)
            return mirror.search(q, want, plan.params.get("nprobe") if plan.kind == "ivfpq" else None)
        except Exception as e:
            log.warning("GPU search failed (%s); searching on the CPU from now on", e)
            self.mirror = None
            return None

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, ids) for one query vector, restricted to ``allowed`` ids.

        The restriction is applied inside the search (an id selector), so a
        filtered query still returns ``k`` results when that many match.
        """
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with self._lock:
            k = min(k, len(self))
            if k <= 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            sel = None
            plan = self.plan
            total = max(1, int(self.index.ntotal))
            refine = plan.params.get("refine") if self.fetch is not None else None
            if allowed is not None:
                if self.tombstones:
                    allowed = np.setdiff1d(allowed, np.fromiter(self.tombstones, np.int64))
                if len(allowed) == 0:
                    return np.zeros(0, np.float32), np.zeros(0, np.int64)
                k = min(k, len(allowed))
                if plan.kind != "flat" and self.fetch is not None and len(allowed) <= max(4096, total // 50):
                    # A selective filter: a graph walk or a few IVF lists may
                    # never reach the allowed points; score them all instead.
                    return self._exact_subset(q[0], k, allowed)
                # A filter skips candidates: widen the search in proportion.
                widen = min(16.0, total / len(allowed))
                if plan.kind == "hnsw":
                    plan = IndexPlan("hnsw", {**plan.params, "efSearch": int(min(4096, plan.params["efSearch"] * widen))})
                elif plan.kind == "ivfpq":
                    plan = IndexPlan("ivfpq", {**plan.params, "nprobe": int(min(plan.params["nlist"], plan.params["nprobe"] * widen))})
                need = k * refine if refine else k
                if self.mirror is not None:
                    # GPU indexes ignore id selectors: over-fetch there, filter
                    # here; the same answer as the selector as long as enough
                    # allowed results survive (else the CPU index answers).
                    got = self._mirror_search(q, min(total, int(need * widen * 2) + k), plan)
                    if got is not None:
                        mask = np.isin(got[1], allowed)
                        if mask.sum() >= need or len(got[1]) >= total:
                            return self._finish(got[0][mask][:need], got[1][mask][:need], q[0], k, refine)
                sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            elif self.tombstones:
                dead = faiss.IDSelectorBatch(np.fromiter(self.tombstones, np.int64))
                sel = faiss.IDSelectorNot(dead)
            fetch_k = min(int(self.index.ntotal), k * refine) if refine else k
            got = self._mirror_search(q, fetch_k, plan) if sel is None else None
            if got is None:
                scores, ids = self.index.search(q, fetch_k, params=search_params(plan, sel))
                keep = ids[0] >= 0
                got = scores[0][keep], ids[0][keep]
        return self._finish(got[0], got[1], q[0], k, refine)

    def best_scores(self, queries: np.ndarray) -> np.ndarray:
        """Each query's best score over the whole index: one batched call on
        a flat index (128 single searches of 100k vectors took seconds, the
        batch a fraction of it); other kinds search one by one (each fast)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if self.plan.kind != "flat" or self.mirror is not None or self.fetch is not None and \
                self.plan.params.get("refine"):
            return np.array([got[0][0] for got in (self.search(v, 1) for v in q) if len(got[0])], np.float32)
        with self._lock:
            if len(self) == 0:
                return np.zeros(0, np.float32)
            dead = faiss.IDSelectorBatch(np.fromiter(self.tombstones, np.int64)) if self.tombstones else None
            sel = faiss.IDSelectorNot(dead) if dead is not None else None  # `dead` kept alive for FAISS
            scores, ids = self.index.search(q, 1, params=search_params(self.plan, sel))
        return scores[ids[:, 0] >= 0, 0]

    def outgrown(self, planned: IndexPlan) -> bool:
        """Another index type suits the collection now, or HNSW carries
        deletions for over a fifth of its graph."""
        return planned.kind != self.plan.kind or len(self.tombstones) > STALE_GRAPH * max(1, self.index.ntotal)

    def _finish(self, scores: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int, refine):
        """The best ``k``; compressed (PQ) candidates re-scored with exact vectors."""
        if refine and len(ids):
            exact = self.fetch(ids) @ q
            top = np.argsort(-exact)[:k]
            return exact[top].astype(np.float32), ids[top]
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top], ids[top]

    def _exact_subset(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vecs = self.fetch(allowed)  # the catalog's exact vectors
        sims = vecs @ q
        top = np.argsort(-sims)[:k]
        return sims[top].astype(np.float32), allowed[top].astype(np.int64)

    def close(self) -> None:
        """Nothing to release (the Milvus store has a client to close)."""

    # -- persistence ----------------------------------------------------
    def save(self, path: Path, model_id: str) -> None:
        with self._lock:
            payload = faiss.serialize_index(self.index).tobytes()
            header = {
                "generation": self.generation, "model_id": model_id, "dim": self.dim,
                "count": len(self), "crc32": zlib.crc32(payload),
                "index_type": self.plan.kind, "params": self.plan.params,
                "tombstones": sorted(self.tombstones), "layout": LAYOUT,
            }
        head = json.dumps(header).encode()
        path = Path(path)

        def write(f) -> None:
            f.write(MAGIC + struct.pack("<I", len(head)) + head)
            f.write(payload)

        try:
            write_atomically(path, write, durable=True)
        except OSError as e:
            if is_disk_full(e):
                raise StorageFullError(f"no space left to save the vector index ({path}); the "
                                       "previous file is kept and it is rebuilt from the catalog "
                                       "when needed") from e
            raise

    @classmethod
    def load(cls, path: Path) -> tuple["VectorIndex", dict]:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise
        except OSError as e:
            raise IndexCorruptError(f"cannot read {path}: {e}") from e
        try:
            if not data.startswith(MAGIC):
                raise ValueError("bad magic")
            (n,) = struct.unpack_from("<I", data, len(MAGIC))
            start = len(MAGIC) + 4
            header = json.loads(data[start:start + n])
            payload = data[start + n:]
            if zlib.crc32(payload) != header["crc32"]:
                raise ValueError("checksum mismatch")
            index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        except Exception as e:  # any damage means: rebuild from the catalog
            raise IndexCorruptError(f"{path} is damaged ({e})") from e
        plan = IndexPlan(header.get("index_type", "flat"), header.get("params", {}))
        vi = cls(header["dim"], header["generation"], index, plan, set(header.get("tombstones", [])))
        return vi, header


def read_header(path: Path) -> dict | None:
    """The saved index's header alone (type, params, recall, count) for status."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + 4)
            if not head.startswith(MAGIC):
                return None
            (n,) = struct.unpack_from("<I", head, len(MAGIC))
            return json.loads(f.read(n))
    except (OSError, ValueError):
        return None




def _repeats(vi: "VectorIndex") -> bool:
    ids = vi.ids()
    return len(np.unique(ids)) != len(ids)


def open_vector_index(catalog: Catalog, path: Path, model_id: str, dim: int,
                      save_if_rebuilt: bool = True, planner=None, recall_target: float = 0.95) -> VectorIndex:
    """Load the index file if it matches the catalog, else rebuild it from SQLite.

    ``planner(n) -> IndexPlan`` picks the index type for n vectors; a file of
    another type than the planner wants now (the collection grew past a
    threshold) or with too many tombstones is rebuilt too."""
    planner = planner or (lambda n: IndexPlan("flat"))
    generation = catalog.generation()
    reason = None
    try:
        vi, header = VectorIndex.load(path)
        wanted = planner(len(vi))
        if header.get("model_id") != model_id or header.get("dim") != dim:
            reason = "it was built with another model"
        elif header.get("layout", 1) != LAYOUT:
            reason = "it was saved in an older layout"
        elif header.get("generation") != generation:
            reason = f"it is stale (generation {header.get('generation')} != {generation})"
        elif wanted.kind != vi.plan.kind:
            reason = f"the collection now wants a {wanted.kind} index, not {vi.plan.kind}"
        elif len(vi.tombstones) > 0.2 * max(1, vi.index.ntotal):
            reason = "too many deleted vectors linger in the graph"
        elif (count := catalog.segment_count()) != len(vi) or _repeats(vi):
            # A file saved after a change was applied twice would carry
            # duplicates forever: the catalog is the truth.
            reason = f"its vectors disagree with the catalog ({len(vi)} held, {count} in the catalog, or repeated ids)"
        else:
            vi.fetch = lambda wanted: catalog.vectors_by_id(wanted, dim)
            return vi
    except FileNotFoundError:
        reason = "it is missing"
    except IndexCorruptError as e:
        reason = str(e)
    ids, vecs, gen = catalog.all_vectors(dim)
    log.info("rebuilding vector index from the catalog: %s (%d vectors)", reason, len(ids))
    vi = VectorIndex.build(ids, vecs, dim, gen, planner(len(ids)), recall_target)
    vi.fetch = lambda wanted: catalog.vectors_by_id(wanted, dim)
    if save_if_rebuilt:
        try:
            vi.save(path, model_id)
        except (OSError, StorageFullError) as e:  # a read-only or full data dir still answers searches
            log.warning("could not save the rebuilt vector index: %s", e)
    return vi
