"""FAISS on a GPU: a mirror of the CPU index that answers searches faster.

The CPU index stays the source of truth (it is saved, it takes filters and
tombstones); the mirror is a copy on the GPU, kept in step on additions and
copied again lazily after removals. Why not move the index itself:

- GPU indexes silently ignore FAISS id selectors (faiss#3114, #3924), so a
  filtered search on the GPU would return forbidden ids. Filtered searches are
  over-fetched on the GPU and filtered here; when too few allowed results
  survive, the CPU index answers (exact either way).
- HNSW has no GPU form in the faiss-gpu wheels (CAGRA needs cuVS), so HNSW
  stays on the CPU; with a GPU the planner prefers a flat index instead
  (exact, and a brute-force scan of a million vectors takes about a millisecond).
- GPU selection is limited to k <= 2048 results; deeper searches use the CPU.

The device part (clone to GPU, set nprobe) is a small ``Backend``, so the
bookkeeping (position -> id translation, lazy re-copies, fallbacks) is tested
on machines without a GPU through a CPU copy backend.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import faiss
import numpy as np

from .errors import ConfigError

log = logging.getLogger(__name__)

MAX_K = 2048  # GPU k-selection limit in the faiss-gpu wheels


@dataclass
class Backend:
    name: str
    clone: Callable[[faiss.Index], faiss.Index]
    set_nprobe: Callable[[faiss.Index, int], None]
    max_k: int = MAX_K


def gpu_count() -> int:
    """GPUs that FAISS can use: 0 with the faiss-cpu wheel or without a GPU."""
    if not hasattr(faiss, "StandardGpuResources"):
        return 0
    try:
        return int(faiss.get_num_gpus())
    except Exception:  # a broken driver counts as no GPU
        return 0


def resolve_index_device(setting: str) -> int | None:
    """The GPU number to mirror the index on, or None for the CPU.

    ``auto`` uses GPU 0 when FAISS sees one; ``gpu`` / ``gpu:N`` require it
    (a clear error instead of a silent CPU fallback); ``cpu`` never uses one."""
    setting = (setting or "auto").strip().lower()
    if setting == "cpu":
        return None
    if setting == "auto":
        return 0 if gpu_count() else None
    if setting == "gpu" or setting.startswith("gpu:") or setting.startswith("cuda"):
        number = setting.partition(":")[2] or "0"
        if not number.isdigit():
            raise ConfigError(f"index device {setting!r}: use auto, cpu, gpu or gpu:N")
        count = gpu_count()
        if not hasattr(faiss, "StandardGpuResources"):
            raise ConfigError(
                "index device 'gpu' needs the GPU build of FAISS: "
                "pip uninstall -y faiss-cpu && pip install faiss-gpu-cu12")
        if int(number) >= count:
            raise ConfigError(f"index device {setting!r}: FAISS sees {count} GPU(s)")
        return int(number)
    raise ConfigError(f"index device {setting!r}: use auto, cpu, gpu or gpu:N")


_resources: dict[int, object] = {}


def gpu_backend(device: int) -> Backend:
    if device not in _resources:  # one set of scratch memory per GPU for the process
        _resources[device] = faiss.StandardGpuResources()
    res = _resources[device]

    def clone(index: faiss.Index) -> faiss.Index:
        opts = faiss.GpuClonerOptions()
        # IVF-PQ lookup tables in float16 fit shared memory for 64-byte codes;
        # the final order comes from exact re-scoring with the catalog's vectors.
        opts.useFloat16 = True
        if hasattr(opts, "use_cuvs"):
            opts.use_cuvs = False  # plain FAISS kernels: the same code paths everywhere
        return faiss.index_cpu_to_gpu(res, device, index, opts)

    def set_nprobe(index: faiss.Index, nprobe: int) -> None:
        faiss.GpuParameterSpace().set_index_parameter(index, "nprobe", nprobe)

    return Backend(f"gpu:{device}", clone, set_nprobe)


def cpu_copy_backend() -> Backend:
    """The mirror's bookkeeping without a GPU: the copy is a CPU clone."""
    def set_nprobe(index: faiss.Index, nprobe: int) -> None:
        faiss.ParameterSpace().set_index_parameter(index, "nprobe", nprobe)

    return Backend("cpu-copy", faiss.clone_index, set_nprobe)


class GpuMirror:
    """A searchable copy of a flat (IndexIDMap2 over IndexFlatIP) or IVF-PQ index."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.copy: faiss.Index | None = None
        self.id_map: np.ndarray | None = None  # flat: copy positions -> our ids
        self.stale = True
        self.copies = 0  # full copies made (for tests and logs)

    def sync(self, cpu_index: faiss.Index) -> None:
        """Copy the whole index to the device when removals made the copy stale."""
        if not self.stale:
            return
        if isinstance(cpu_index, faiss.IndexIDMap2):
            inner = faiss.downcast_index(cpu_index.index)
            self.copy = self.backend.clone(inner)
            self.id_map = faiss.vector_to_array(cpu_index.id_map).astype(np.int64)
        else:
            self.copy = self.backend.clone(cpu_index)
            self.id_map = None
        self.stale = False
        self.copies += 1

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self.stale or self.copy is None:
            return  # the next sync copies everything anyway
        try:
            if self.id_map is not None:
                self.copy.add(vectors)
                self.id_map = np.concatenate([self.id_map, ids.astype(np.int64)])
            else:
                self.copy.add_with_ids(vectors, ids.astype(np.int64))
        except Exception as e:
            log.warning("GPU index copy out of step (%s); copying it again", e)
            self.stale = True

    def invalidate(self) -> None:
        self.stale = True

    def search(self, q: np.ndarray, k: int, nprobe: int | None) -> tuple[np.ndarray, np.ndarray]:
        if nprobe is not None:
            self.backend.set_nprobe(self.copy, int(nprobe))
        scores, found = self.copy.search(q, k)
        scores, found = scores[0], found[0]
        keep = found >= 0
        scores, found = scores[keep], found[keep]
        if self.id_map is not None:
            found = self.id_map[found]
        return scores, found
