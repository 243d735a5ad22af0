"""Tables derived from a dictionary file that pip put on this machine
(CC-CEDICT), read once per machine and kept in the user cache as JSON: the
pass over the dictionary costs 0.5-0.7 s, which a one-shot terminal search
must not pay each time. The key is the file (path, size, modification time)
and the reader's version, so a new dictionary or a new reader reads again;
a damaged copy is read again too."""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from mediasearch.store.files import write_atomically

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("mediasearch"))


def kept(name: str, source: Path, version: int, read: Callable[[], dict | list]):
    """``read()``'s result for ``source``, from the cache where it is there."""
    st = source.stat()
    what = f"{source}|{st.st_size}|{st.st_mtime_ns}|{version}"
    cache = cache_dir() / f"{name}-{hashlib.sha1(what.encode()).hexdigest()[:16]}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or damaged: read the source again
        pass
    out = read()
    try:
        write_atomically(cache, json.dumps(out, ensure_ascii=False).encode("utf-8"))
    except OSError as e:
        log.debug("%s not kept (%s): read again next time", name, e)
    return out
