"""Where the data dir is by default, without loading the settings' validation
(pydantic): the terminal search asks a running server before anything heavy
is imported, and needs only this to find it."""
from __future__ import annotations

from pathlib import Path


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("mediasearch", appauthor=False))
