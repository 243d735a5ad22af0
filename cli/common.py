"""Pieces shared by every layer's CLI commands: common options, settings
from options, JSON output, human formatting."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .text import emit_json, fmt_bytes, fmt_time, say  # noqa: F401 (the commands' one import)

if TYPE_CHECKING:  # the settings (pydantic) load only when a command needs them
    from mediasearch.store.settings import Settings

DataDirOpt = Annotated[Path | None, typer.Option(
    "--data-dir", envvar="MEDIASEARCH_HOME", help="Where the index lives (default: the user data dir).",
    show_default=False)]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", envvar="MEDIASEARCH_MODEL",
    help="auto | bundled | openclip | openclip:ARCH/TAG | openclip:ARCH/path/to/checkpoint",
    show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def settings_from(data_dir: Path | None = None, model: str | None = None, **overrides: Any) -> Settings:
    """The settings of a command (its options over the environment); the log
    level is set from them here, the first time, not at start-up, so a
    search a running server answers never loads them."""
    from mediasearch.store.settings import load_settings

    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["home"] = Path(data_dir).expanduser()
    if model:
        values["model"] = model
    settings = load_settings(**values)
    logging.basicConfig(level=settings.log.upper(), format="%(levelname)s %(name)s: %(message)s")
    return settings


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


