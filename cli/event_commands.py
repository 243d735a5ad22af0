"""`mediasearch events`: the library's trips, days out and evenings, found
from when and where the files were taken."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from mediasearch.indexer.library import Library
from mediasearch.search.service import SearchService
from mediasearch.store.paths import one_line
from mediasearch.web.envelope import result_dict

from .common import DataDirOpt, JsonOpt, emit_json, require_index, say, settings_from

events_app = typer.Typer(help="Trips, days out and evenings, found from when and where files were taken.")


@contextmanager
def _opened(data_dir) -> Iterator[SearchService]:
    """A search service over the data dir, its library closed after the command."""
    settings = settings_from(data_dir)
    require_index(settings)
    lib = Library(settings)
    try:
        yield SearchService(lib)
    finally:
        lib.close()


@events_app.callback(invoke_without_command=True)
def events_command(ctx: typer.Context, data_dir: DataDirOpt = None, as_json: JsonOpt = False,
                   limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many, newest first.")) -> None:
    """List the events, newest first: name (place and dates), files, id."""
    if ctx.invoked_subcommand is not None:
        return
    with _opened(data_dir) as service:
        events = service.events()
    if as_json:
        emit_json({"events": [e.to_dict() for e in events[:limit]], "total": len(events)})
        return
    if not events:
        say("no events: nothing indexed has a date yet")
        return
    for e in events[:limit]:
        typer.echo(one_line(f"{e.id:>7}  {e.name:<44} {len(e.media_ids):>5} files" + ("  away" if e.away else "")))
    if len(events) > limit:
        say(f"{len(events) - limit} older events (--limit)")


@events_app.command("show")
def show_command(event: int, data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """One event's files, in the order they were taken."""
    with _opened(data_dir) as service:
        found, files = service.event(event)
    if as_json:
        emit_json({"event": found.to_dict(), "results": [result_dict(r) for r in files]})
        return
    say(f"{found.name}: {len(files)} files")
    for r in files:
        typer.echo(one_line(r.path))


@events_app.command("find")
def find_command(text: list[str], data_dir: DataDirOpt = None, as_json: JsonOpt = False,
                 limit: int = typer.Option(10, "--limit", "-n", min=1)) -> None:
    """Events found by what happened in them: "the beach trip", "our weekend in Porto"."""
    with _opened(data_dir) as service:
        answer, ranked = service.events_matching(" ".join(text), limit)
    if as_json:
        emit_json({"events": [{**e.to_dict(), "score": round(score, 4),
                               "matched": [result_dict(h) for h in hits[:5]]} for e, score, hits in ranked]})
        return
    if not ranked:
        say("no event matches")
        return
    for e, score, hits in ranked:
        typer.echo(one_line(f"{e.id:>7}  {e.name:<44} {len(hits):>3} of {len(e.media_ids)} files match"))


@events_app.command("rename")
def rename_command(event: int, name: list[str], data_dir: DataDirOpt = None) -> None:
    """Name an event ("Grandma's 80th"); an empty name gives back the place and dates."""
    _edit(data_dir, "name", event, name=" ".join(name).strip())
    say(f"event {event} renamed")


@events_app.command("merge")
def merge_command(event: int, other: int, data_dir: DataDirOpt = None) -> None:
    """Two events that are one (a trip with a day at home in it)."""
    _edit(data_dir, "merge", event, other=other)
    say(f"event {other} merged into {event}")


@events_app.command("split")
def split_command(event: int, file: int, data_dir: DataDirOpt = None) -> None:
    """Split an event before a file (its id: `events show --json`)."""
    _edit(data_dir, "split", event, other=file)
    say(f"event {event} split before file {file}")


def _edit(data_dir, kind: str, event: int, other: int | None = None, name: str | None = None) -> None:
    with _opened(data_dir) as service:
        service.edit_event(kind, event, other, name)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
