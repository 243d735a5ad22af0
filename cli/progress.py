"""The one progress helper of every command: a rich bar on stderr, or a
no-op taking the same arguments (so `--json` or a stderr that is not a
terminal never changes how callers call it)."""
from __future__ import annotations

from mediasearch.indexer.pipeline import Progress


def _no_progress(p: Progress, stage: str | None = None, unit: str = "files") -> None:
    """The disabled bar: takes what the enabled one takes."""


def progress_bar(enabled: bool):
    """A rich progress bar on stderr: count, rate and ETA; (None, a no-op
    with the same signature) when disabled."""
    if not enabled:
        return None, _no_progress
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    class RateColumn(TextColumn):
        def render(self, task):  # items per second
            speed = task.finished_speed or task.speed
            from rich.text import Text
            unit = task.fields.get("unit", "files")
            return Text(f"{speed:.1f} {unit}/s" if speed else f"-- {unit}/s")

    bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
              RateColumn(""), TextColumn("ETA"), TimeRemainingColumn(),
              console=Console(stderr=True), transient=False)
    tasks: dict[str, int] = {}

    def update(p: Progress, stage: str | None = None, unit: str = "files") -> None:
        # One line per stage (indexing, reading words; eval: indexing, then scoring queries).
        stage = stage or p.stage
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=p.total, unit=unit)
        bar.update(tasks[stage], completed=p.done, total=p.total)

    return bar, update
