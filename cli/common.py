"""Pieces shared by every layer's CLI commands: common options, settings
from options, JSON output, human formatting."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mediasearch.store.paths import display
from mediasearch.store.settings import Settings, load_settings

DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="MEDIASEARCH_HOME", help="Where the index lives (default: the user data dir).",
    show_default=False)]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", envvar="MEDIASEARCH_MODEL",
    help="auto | bundled | openclip | openclip:ARCH/TAG | openclip:ARCH/path/to/checkpoint",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def settings_from(data_dir: Path | None = None, model: str | None = None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["home"] = Path(data_dir).expanduser()
    if model:
        values["model"] = model
    return load_settings(**values)


def require_index(settings: Settings) -> None:
    """Read commands create nothing: a data dir without an index is a bad
    path (exit 3), said plainly, whether the folder or only the index is missing."""
    from mediasearch.store.errors import PathError

    if settings.catalog_url or settings.catalog_path.exists():
        return
    if not settings.home.exists():
        raise PathError(f"the data dir {settings.home} does not exist: check --data-dir / MEDIASEARCH_HOME, "
                        "or run `mediasearch index FOLDER` to make one")
    raise PathError(f"there is no index in {settings.home}: run `mediasearch index FOLDER` first")


def emit_json(obj: Any) -> None:
    # Valid UTF-8 even for file names with undecodable bytes (shown as U+FFFD).
    sys.stdout.write(display(json.dumps(obj, indent=2, ensure_ascii=False, default=str)) + "\n")


def say(message: str) -> None:
    """A message for the person at the terminal (stderr keeps stdout clean)."""
    typer.echo(message, err=True)


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
