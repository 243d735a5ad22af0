"""`mediasearch index`: add folders (or files) to the index, incrementally."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from store.cli_common import DataDirOpt, JsonOpt, ModelOpt, emit_json, say, settings_from

from .library import Library
from .pipeline import Indexer, Progress


def _progress_bar(enabled: bool):
    """A rich progress bar on stderr: count, rate and ETA."""
    if not enabled:
        return None, (lambda p: None)
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TaskProgressColumn,
                               TextColumn, TimeRemainingColumn)

    class RateColumn(TextColumn):
        def render(self, task):  # files per second
            speed = task.finished_speed or task.speed
            from rich.text import Text
            return Text(f"{speed:.1f} files/s" if speed else "-- files/s")

    bar = Bar(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
              RateColumn(""), TextColumn("ETA"), TimeRemainingColumn(),
              console=Console(stderr=True), transient=False)
    task = None

    def update(p: Progress) -> None:
        nonlocal task
        if task is None:
            task = bar.add_task("index", total=p.total)
        bar.update(task, completed=p.done, total=p.total)

    return bar, update


def index_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to index.", show_default=False)],
    data_dir: DataDirOpt = None,
    model: ModelOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Forget all vectors and re-embed everything (e.g. with another --model).")] = False,
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Follow symbolic links while walking.")] = False,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Glob of file/folder names to skip (repeatable).")] = None,
    as_json: JsonOpt = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")] = True,
) -> None:
    """Index folders of photos: new and changed files are embedded, renamed ones
    keep their vectors, deleted ones leave the index."""
    overrides = {"follow_symlinks": follow_symlinks or None}
    settings = settings_from(data_dir, model, **overrides)
    if ignore:
        settings.ignore = list(settings.ignore) + list(ignore)
    lib = Library(settings, model, rebuild=rebuild)
    say(f"mediasearch: {lib.choice.reason}")
    bar, update = _progress_bar(progress)
    try:
        if bar is not None:
            with bar:
                report = Indexer(lib, update).run(paths)
        else:
            report = Indexer(lib, update).run(paths)
    finally:
        lib.close()
    if as_json:
        emit_json(report.to_dict())
        return
    say(f"{report.seen} files seen in {report.seconds:.1f}s: {report.new} new, {report.updated} changed, "
        f"{report.unchanged} unchanged, {report.renamed} renamed, {report.duplicates} duplicates, "
        f"{report.removed} removed, {report.failed} failed, {report.skipped} skipped (not media)")
    for e in report.errors[:20]:
        say(f"  failed: {e['path']}: {e['reason']}")
    if len(report.errors) > 20:
        say(f"  ... and {len(report.errors) - 20} more (see `mediasearch status`)")
    for u in report.unreadable:
        say(f"  unreadable: {u['path']}: {u['reason']} (its files were left as they were)")


def register(app: typer.Typer) -> None:
    app.command("index")(index_command)
