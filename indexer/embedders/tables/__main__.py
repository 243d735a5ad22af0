"""``python -m indexer.embedders.tables``: regenerate the shipped tables
(a script, apart from the package the embedders read them through)."""
import hashlib
import json

import numpy as np

from ..bundled import BundledEmbedder, class_labels
from ..colour import COLOURS
from ..crosslingual import fit_map, training_texts
from ..multilingual import MultilingualEmbedder
from . import HERE, STAMP


def _save(stamp: dict, key: str, name: str, vecs: np.ndarray, kind: str) -> None:
    np.save(HERE / name, np.ascontiguousarray(vecs, dtype=np.float32))
    stamp[key] = {"file": name, "kind": kind, "rows": len(vecs),
                  "sha1": hashlib.sha1((HERE / name).read_bytes()).hexdigest()}


def build() -> dict:
    """Compute every table of the bundled models and write them here: the
    MiniLM and the multilingual (USE v3) class and colour tables, and the map
    that carries USE queries into MiniLM's space (crosslingual.py)."""
    stamp: dict = {}
    english, multilingual = BundledEmbedder(), MultilingualEmbedder()
    for prefix, emb in (("bundled", english), ("multilingual", multilingual)):
        for kind, (key, names, templates) in emb.table_specs().items():
            _save(stamp, key, f"{prefix}_{kind}.npy", emb.compute_table(names, templates), kind)
    texts = training_texts(class_labels(), english.templates, list(COLOURS))
    multilingual.ensure_loaded()
    english.ensure_loaded()
    w = fit_map(multilingual._encode_texts(texts), english._encode_texts(texts))
    _save(stamp, english.crosslingual_key(), "use_to_minilm.npy", w, "use-to-minilm")
    STAMP.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
    return stamp


if __name__ == "__main__":
    print(json.dumps(build(), indent=1))
