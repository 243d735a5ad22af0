"""A running `serve` answers the terminal's searches: it writes where it
listens into the data dir (serve.json), and `mediasearch search` asks it
before importing anything heavy (no settings validation, no catalog, no
model: the server has them warm). Asked only when nothing is lost by it:
one text, no file queries, no reranking, and a server that needs no key;
any doubt (no file, a dead server, an error answer) and the command searches
by itself, as it always did."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE = "serve.json"
WAIT = 120.0  # seconds for an answer once connected (a busy server still beats a cold start)


def announce(home: Path, host: str, port: int, keyed: bool, model: str) -> Path | None:
    """Say where this server listens (written whole: a reader never sees
    half). A data dir it cannot write to only loses the shortcut."""
    connect = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    path = Path(home) / FILE
    tmp = path.with_name(f".{FILE}.{os.getpid()}")
    try:
        tmp.write_text(json.dumps({"pid": os.getpid(), "host": connect, "port": port, "keyed": keyed,
                                   "model": model}))
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def withdraw(home: Path) -> None:
    """Remove the note when the server stops (only its own: another server
    may have started on the same data dir since)."""
    path = Path(home) / FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def ask(home: Path, params: list[tuple[str, str]], model: str | None = None) -> dict | None:
    """The server's answer to GET /api/search with ``params``, or None when
    no server of this data dir answers it (or it runs another model than
    the one asked for)."""
    try:
        note = json.loads((Path(home) / FILE).read_text())
        if note.get("keyed") or (model is not None and model != note.get("model")):
            return None
        os.kill(int(note["pid"]), 0)  # gone (killed -9): its note is stale
    except (OSError, ValueError, KeyError, TypeError):
        return None
    import http.client
    from urllib.parse import urlencode

    conn = http.client.HTTPConnection(note["host"], int(note["port"]), timeout=WAIT)
    try:
        conn.request("GET", "/api/search?" + urlencode(params), headers={"Host": _host_header(note)})
        resp = conn.getresponse()
        if resp.status != 200:
            return None
        body = json.loads(resp.read())
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return body if isinstance(body, dict) and "results" in body else None


def _host_header(note: dict) -> str:
    host = note["host"]
    return f"[{host}]:{note['port']}" if ":" in host else f"{host}:{note['port']}"
