"""Where the Hugging Face cache keeps a model's downloaded snapshots, found
the way huggingface_hub finds it (HF_HUB_CACHE, else HF_HOME/hub, else
~/.cache/huggingface/hub), read when asked so a changed environment counts,
without importing the hub library: asking whether weights are here must
cost nothing and never reach the network."""
from __future__ import annotations

import os
from pathlib import Path


def snapshots(model: str) -> Path:
    hub = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface"), "hub")
    return Path(hub, "models--" + model.replace("/", "--"), "snapshots")
