"""What every vector store offers the layers above: the FAISS index kept in
a file beside the catalog (vector_index.py: flat, HNSW or IVF-PQ, with an
optional GPU mirror) and a Milvus collection (milvus_store.py). Callers use
these and nothing else; neither asks which one it holds."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .catalog import Applied
from .index_plan import IndexPlan


@runtime_checkable
class VectorStore(Protocol):
    generation: int   # the catalog generation the store reflects
    plan: IndexPlan   # what kind of index it is, shown by `status`

    def __len__(self) -> int: ...

    def apply(self, applied: Applied) -> bool:
        """One committed catalog change; False when it cannot follow (a gap)."""

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """The best ``k`` (scores, segment ids), only among ``allowed`` ids if given."""

    def best_scores(self, queries: np.ndarray) -> np.ndarray:
        """The best score of each query row over the whole store."""

    def outgrown(self, planned: IndexPlan) -> bool:
        """Whether a rebuild would serve better: the collection outgrew its
        index type, or deletions left too much behind."""

    def save(self, path: Path, model_id: str) -> None: ...

    def close(self) -> None: ...
