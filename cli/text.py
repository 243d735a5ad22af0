"""Terminal output without typer: JSON on stdout, messages on stderr, times
and sizes for people. The quick search (quick.py) prints through these
before typer is imported; every command uses the same."""
from __future__ import annotations

import json
import sys
from typing import Any

from mediasearch.store.paths import display


def emit_json(obj: Any) -> None:
    # Valid UTF-8 even for file names with undecodable bytes (shown as U+FFFD).
    sys.stdout.write(display(json.dumps(obj, indent=2, ensure_ascii=False, default=str)) + "\n")


def say(message: str) -> None:
    """A message for the person at the terminal (stderr keeps stdout clean)."""
    print(message, file=sys.stderr, flush=True)


def out(line: str) -> None:
    """One line of results on stdout."""
    print(line, flush=True)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
