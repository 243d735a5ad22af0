"""What the index holds, for `mediasearch status` and the web status view."""
from __future__ import annotations

import json
import os
from pathlib import Path

from mediasearch.store.catalog import Catalog
from mediasearch.store.errors import ConfigError
from mediasearch.store.gpu_index import resolve_index_device
from mediasearch.store.settings import Settings
from mediasearch.store.vector_index import read_header


def watcher_state(home: Path) -> dict | None:
    """The daemon's last published state, and whether it is still alive."""
    try:
        state = json.loads((home / "watcher.json").read_text())
    except (OSError, ValueError):
        return None
    alive = False
    try:
        os.kill(int(state.get("pid", -1)), 0)
        alive = state.get("mode") != "stopped"
    except (OSError, ValueError):
        pass
    state["running"] = alive
    return state


def index_device(settings: Settings, index_type: str) -> str:
    """Where searches of this index run: cpu, or gpu:N (HNSW always on the CPU)."""
    try:
        gpu = resolve_index_device(settings.index_device)
    except ConfigError as e:
        return f"cpu ({e})"
    return f"gpu:{gpu}" if gpu is not None and index_type != "hnsw" else "cpu"


def gather_status(settings: Settings, failures: int = 20, catalog: Catalog | None = None) -> dict:
    info = {"data_dir": str(settings.home), "model": None, "media": {}, "segments": 0, "roots": [],
            "generation": 0, "index_bytes": 0, "catalog_bytes": 0, "failures": [], "incomplete": []}
    if catalog is None and not settings.catalog_url and not settings.catalog_path.exists():
        info["watcher"] = watcher_state(settings.home)
        return info
    own = catalog is None
    cat = catalog or Catalog(settings.catalog_target)
    try:
        info.update(cat.stats())
        info["model"] = cat.model_identity()
        info["runtime"] = cat.get_meta("runtime")  # what ran the image network in the last index run
        info["device"] = cat.get_meta("device")    # and on which device (ONNX Runtime's provider, torch's)
        info["failures"] = cat.failures(limit=failures or None)
        info["incomplete"] = cat.incomplete(limit=failures or None)
        try:  # FIFOs, sockets, links not followed, from the last full run
            info["skipped"] = json.loads(cat.get_meta("skipped_special") or '{"count": 0, "examples": []}')
        except ValueError:
            info["skipped"] = {"count": 0, "examples": []}
        # With WAL, recent commits live in catalog.sqlite-wal until a checkpoint.
        info["catalog_bytes"] = sum(p.stat().st_size for p in (
            settings.catalog_path, settings.catalog_path.with_name(settings.catalog_path.name + "-wal")) if p.exists())
        info["catalog"] = "sqlite" if not settings.catalog_url else settings.catalog_url.split("://")[0]
        if settings.vector_index_path.exists():
            info["index_bytes"] = settings.vector_index_path.stat().st_size
            header = read_header(settings.vector_index_path) or {}
            info["index"] = {"type": header.get("index_type", "flat"), "params": header.get("params", {}),
                             "vectors": header.get("count"), "generation": header.get("generation"),
                             "fresh": header.get("generation") == info.get("generation"),
                             "device": index_device(settings, header.get("index_type", "flat"))}
    finally:
        if own:
            cat.close()
    info["watcher"] = watcher_state(settings.home)
    return info
