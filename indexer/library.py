"""An opened data directory: the catalog, the embedder it was built with, and
its vector index. The one place that enforces "never mix vectors of two
models"."""
from __future__ import annotations

import logging
import threading

from mediasearch.store.catalog import Catalog
from mediasearch.store.errors import ConfigError, ModelMismatchError
from mediasearch.store.gpu_index import gpu_backend, resolve_index_device
from mediasearch.store.index_plan import IndexPlan, plan_index
from mediasearch.store.settings import Settings
from mediasearch.store.side_build import SideBuild
from mediasearch.store.vector_index import VectorIndex, open_vector_index
from mediasearch.store.vector_store import VectorStore

from .embedders import Choice, Embedder, resolve_embedder

log = logging.getLogger(__name__)

IDENTITY_KEYS = ("backend", "architecture", "weights", "dim")


def same_model(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in IDENTITY_KEYS)


class Library:
    def __init__(self, settings: Settings, model: str | None = None, rebuild: bool = False,
                 embedder: Embedder | None = None):
        self.settings = settings
        settings.ensure_home()
        # A rebuild writes beside the index people search and swaps in at the end.
        self.side = (SideBuild.beside(settings.catalog_path, settings.vector_index_path)
                     if rebuild and not settings.catalog_url else None)
        self.vector_path = self.side.vectors if self.side else settings.vector_index_path
        try:
            self._open(settings, model, rebuild, embedder)
        except BaseException:  # Ctrl-C while the model loads, a model refused: the copy goes
            if self.side is not None:
                if getattr(self, "catalog", None) is not None:
                    self.catalog.close()
                self.side.discard()
            raise

    def _open(self, settings: Settings, model: str | None, rebuild: bool, embedder: Embedder | None) -> None:
        self.catalog = Catalog(self.side.catalog if self.side else settings.catalog_target)
        stored = self.catalog.model_identity()
        # ``embedder`` is for programmatic use (benchmarks, tests with tiny models).
        self.choice: Choice = (Choice(embedder, f"using {embedder.model_id}") if embedder is not None
                               else resolve_embedder(settings, model, None if rebuild else stored))
        self.embedder: Embedder = self.choice.embedder
        identity = self.identity()
        if rebuild:
            self.catalog.clear()
            stored = None
        self._check_model(stored, identity)
        self._vi: VectorStore | None = None
        self._vi_lock = threading.Lock()
        # FAISS on a GPU when one is there (or asked for: then an error if not).
        self.index_gpu: int | None = (resolve_index_device(settings.index_device)
                                      if settings.vector_store == "faiss" else None)

    def _check_model(self, stored: dict | None, identity: dict) -> None:
        settings = self.settings
        if stored and not same_model(stored, identity):
            was, now = stored.get("spec"), identity["spec"]
            if was == now:  # same name, other weights or settings (e.g. after an upgrade)
                was = f"{was} [{stored.get('weights')}]"
                now = f"{now} [{identity.get('weights')}]"
            raise ModelMismatchError(
                f"the index in {settings.home} was built with {was} "
                f"({stored.get('architecture')}, {stored.get('dim')}-d) but {now} was "
                "asked for. Re-embed everything with `mediasearch index --rebuild --model "
                f"{identity['spec']} PATH...`, or keep a separate index with --data-dir DIR.")

    def identity(self) -> dict:
        return {**self.embedder.identity(), "spec": self.embedder.spec}

    def warm_up(self, pictures: bool = True) -> float:
        """Load the model now (both towers, and the vector index), so the first
        search or the first new photo does not wait for it; seconds spent.
        ``serve`` and ``watch`` call it at start."""
        import time

        from PIL import Image

        t0 = time.perf_counter()
        self.embedder.embed_texts(["warm up"])
        if pictures:
            self.embedder.embed_images([Image.new("RGB", (64, 64), (128, 128, 128))])
        if self.catalog.model_identity() is not None:
            self.vector_index()
        return time.perf_counter() - t0

    def claim_identity(self) -> None:
        """Record the model before the first vector is written."""
        if self.catalog.model_identity() is None:
            # Another worker may record its model at the same moment: the
            # one recorded is checked like one found at start.
            self._check_model(self.catalog.claim_model_identity(self.identity()), self.identity())

    def _check_rebuilt(self) -> None:
        """A long-lived reader (``serve``) whose index was rebuilt with another
        model meanwhile (``index --rebuild --model M``) says so: its model's
        vectors cannot be compared with the new ones."""
        stored = self.catalog.model_identity()
        if stored and not same_model(stored, self.identity()):
            raise ModelMismatchError(
                f"the index in {self.settings.home} was rebuilt with {stored.get('spec')} while this process runs "
                f"{self.identity()['spec']}: restart it (e.g. `mediasearch serve`) to search the new index")

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def vector_index(self, refresh: bool = False) -> VectorStore:
        """The vector store (the FAISS index, loaded or rebuilt, or Milvus);
        ``refresh`` re-checks the catalog's generation (for long-lived
        readers while a writer works)."""
        with self._vi_lock:
            # One read of the catalog's generation per search (it was read up to three times).
            stale = refresh and self._vi is not None and self._vi.generation != self.catalog.generation()
            if stale:
                self._check_rebuilt()
                if self.settings.vector_store == "faiss" and self._catch_up():
                    return self._vi
            if self._vi is None or stale:
                if self.settings.vector_store == "milvus":
                    from mediasearch.store.milvus_store import open_milvus_index

                    if self._vi is not None:
                        self._vi.close()
                    self._vi = open_milvus_index(self.catalog, self.milvus_uri(), self.settings.milvus_collection,
                                                 self.embedder.dim, self.model_id)
                    return self._vi
                if self.settings.vector_store != "faiss":
                    raise ConfigError(f"unknown vector store {self.settings.vector_store!r}: use faiss or milvus")
                self._vi = self._accelerate(open_vector_index(
                    self.catalog, self.vector_path, self.model_id, self.embedder.dim,
                    planner=self.plan_for, recall_target=self.settings.recall_target))
            return self._vi

    def _accelerate(self, vi: VectorIndex) -> VectorIndex:
        if self.index_gpu is not None:
            explicit = self.settings.index_device.strip().lower() != "auto"
            vi.use_gpu(gpu_backend(self.index_gpu), required=explicit)
        return vi

    def follow(self, applied) -> None:
        """Bring the in-memory vector index to a generation this process just
        committed (reloading from the catalog when another writer came between)."""
        if not self.vector_index().apply(applied):
            self.vector_index(refresh=True)

    def _catch_up(self) -> bool:
        """Apply another process's commits from the change log; False when the
        log does not cover the gap (then the index is reloaded)."""
        changes = self.catalog.changes_since(self._vi.generation, self.embedder.dim)
        if changes is None:
            return False
        return all(self._vi.apply(applied) for applied in changes)

    def milvus_uri(self) -> str:
        return self.settings.milvus_uri or str(self.settings.home / "milvus.db")

    def plan_for(self, n: int) -> IndexPlan:
        s = self.settings
        return plan_index(n, self.embedder.dim, s.index_type, s.index_memory_mb, s.index_flat_max,
                          gpu=self.index_gpu is not None)

    def replan(self) -> bool:
        """Rebuild the vector index from the catalog when the collection has
        outgrown its index type (or HNSW carries too many tombstones). The new
        index is built beside the old one, which keeps answering searches
        until the swap; commits made meanwhile are caught up from the change
        log before it takes over. Saved atomically. True if rebuilt."""
        with self._vi_lock:
            vi = self._vi
            if vi is None or not vi.outgrown(self.plan_for(len(vi))):
                return False
        ids, vecs, gen = self.catalog.all_vectors(self.embedder.dim)
        new = VectorIndex.build(ids, vecs, self.embedder.dim, gen, self.plan_for(len(ids)),
                                self.settings.recall_target)
        dim = self.embedder.dim
        new.fetch = lambda wanted: self.catalog.vectors_by_id(wanted, dim)
        with self._vi_lock:
            old, self._vi = self._vi, self._accelerate(new)
            if new.generation != self.catalog.generation() and not self._catch_up():
                self._vi = old  # the log no longer covers the gap: keep the old one, retry later
                return False
        self.save_vector_index()
        return True

    def save_vector_index(self) -> None:
        if self._vi is None:
            return
        # An interruption (Ctrl-C, SIGTERM) can land between a batch's commit
        # and its follow(): the file would be saved a batch behind the
        # catalog, stamped with the older generation. The change log brings
        # it level first (else it is reloaded whole).
        if self._vi.generation != self.catalog.generation() and not self._catch_up():
            self.vector_index(refresh=True)
        self._vi.save(self.vector_path, self.model_id)

    def close(self, completed: bool = True) -> None:
        """``completed``: a rebuild ran to its end and replaces the old index
        (else its copy is dropped and the old index stays as it was)."""
        if self._vi is not None:
            self._vi.close()
        self.catalog.close()
        if self.side is not None:
            side, self.side = self.side, None
            if completed:
                side.swap_in()
                log.info("rebuild swapped in: %s", self.settings.catalog_path)
            else:
                side.discard()
