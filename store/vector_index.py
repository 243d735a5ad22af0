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
import os
import struct
import tempfile
import threading
import zlib
from pathlib import Path

import faiss
import numpy as np

from .catalog import Applied, Catalog
from .errors import IndexCorruptError

log = logging.getLogger(__name__)

MAGIC = b"MSVI1\n"


class VectorIndex:
    """Inner-product search over L2-normalised vectors, keyed by segment id."""

    def __init__(self, dim: int, generation: int = 0, index: faiss.Index | None = None):
        self.dim = dim
        self.generation = generation
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int, generation: int) -> "VectorIndex":
        vi = cls(dim, generation)
        if len(ids):
            vi.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
        return vi

    def apply(self, applied: Applied) -> None:
        with self._lock:
            if len(applied.removed_ids):
                self.index.remove_ids(applied.removed_ids.astype(np.int64))
            if len(applied.added_ids):
                self.index.add_with_ids(
                    np.ascontiguousarray(applied.added_vectors, dtype=np.float32),
                    applied.added_ids)
            self.generation = applied.generation

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
            params = None
            if allowed is not None:
                if len(allowed) == 0:
                    return np.zeros(0, np.float32), np.zeros(0, np.int64)
                sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
                params = faiss.SearchParameters(sel=sel)
                k = min(k, len(allowed))
            scores, ids = self.index.search(q, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    # -- persistence ----------------------------------------------------
    def save(self, path: Path, model_id: str) -> None:
        with self._lock:
            payload = faiss.serialize_index(self.index).tobytes()
            header = {
                "generation": self.generation, "model_id": model_id, "dim": self.dim,
                "count": len(self), "crc32": zlib.crc32(payload),
            }
        head = json.dumps(header).encode()
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + struct.pack("<I", len(head)) + head)
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(path.parent)

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
        vi = cls(header["dim"], header["generation"], index)
        return vi, header


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_vector_index(catalog: Catalog, path: Path, model_id: str, dim: int,
                      save_if_rebuilt: bool = True) -> VectorIndex:
    """Load the index file if it matches the catalog, else rebuild it from SQLite."""
    generation = catalog.generation()
    reason = None
    try:
        vi, header = VectorIndex.load(path)
        if header.get("model_id") != model_id or header.get("dim") != dim:
            reason = "it was built with another model"
        elif header.get("generation") != generation:
            reason = f"it is stale (generation {header.get('generation')} != {generation})"
        else:
            return vi
    except FileNotFoundError:
        reason = "it is missing"
    except IndexCorruptError as e:
        reason = str(e)
    ids, vecs, gen = catalog.all_vectors(dim)
    log.info("rebuilding vector index from the catalog: %s (%d vectors)", reason, len(ids))
    vi = VectorIndex.build(ids, vecs, dim, gen)
    if save_if_rebuilt:
        try:
            vi.save(path, model_id)
        except OSError as e:  # a read-only data dir still answers searches
            log.warning("could not save the rebuilt vector index: %s", e)
    return vi
