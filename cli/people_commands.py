"""`mediasearch people`: the people found in the library, named, merged,
corrected and forgotten by the person who owns the photos."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from mediasearch.indexer.people import explain
from mediasearch.store.catalog import Catalog
from mediasearch.store.paths import one_line

from .common import DataDirOpt, JsonOpt, emit_json, require_index, say, settings_from

people_app = typer.Typer(help="The people whose faces were found: list, name, merge, split, forget.")


@contextmanager
def _opened(data_dir) -> Iterator[Catalog]:
    """The data dir's catalog, closed after the command."""
    settings = settings_from(data_dir)
    require_index(settings)
    cat = Catalog(settings.catalog_url or settings.catalog_path)
    try:
        yield cat
    finally:
        cat.close()


@people_app.callback(invoke_without_command=True)
def people_command(ctx: typer.Context, data_dir: DataDirOpt = None, as_json: JsonOpt = False,
                   hidden: Annotated[bool, typer.Option("--hidden", help="List hidden people too.")] = False,
                   forget_all: Annotated[bool, typer.Option(
                       "--forget-all", help="Delete every face and person found (set MEDIASEARCH_FACES=off "
                                            "to keep it so).")] = False) -> None:
    """List the people found (named first, then by how often they appear)."""
    if ctx.invoked_subcommand is not None:
        return
    with _opened(data_dir) as cat:
        if forget_all:
            n = cat.forget_all()
            say(f"forgot {n} faces and every person; with MEDIASEARCH_FACES=off no face is looked for again")
            return
        people = cat.people(include_hidden=hidden)
        if as_json:
            emit_json({"people": people})
            return
        if not people:
            say("no people yet: faces are grouped once two or more of one person are found "
                "(`mediasearch index` looks for them)")
            return
        for p in people:
            first = cat.faces_of(p["id"], limit=1)
            name = p["name"] or "(no name)"
            shown = f"{p['id']:>5}  {name:<24} {p['files']:>4} files" + ("  hidden" if p["hidden"] else "")
            typer.echo(one_line(shown + (f"  e.g. {first[0]['path']}" if first else "")))


@people_app.command("show")
def show_command(person: int, data_dir: DataDirOpt = None, as_json: JsonOpt = False) -> None:
    """One person's faces, best first, with why each is theirs."""
    with _opened(data_dir) as cat:
        faces = cat.faces_of(person)
        if as_json:
            emit_json({"faces": faces})
            return
        for f in faces:
            when = f" @ {f['t']:.1f}s" if f["t"] is not None else ""
            typer.echo(one_line(f"face {f['id']:>6}  {f['path']}{when}  ({explain(f['how'], f['person'])})"))


@people_app.command("name")
def name_command(person: int, name: Annotated[list[str], typer.Argument(help="The name (several words allowed).")],
                 data_dir: DataDirOpt = None) -> None:
    """Name a person (an empty name takes it away); searches find them by it."""
    with _opened(data_dir) as cat:
        cat.name_person(person, " ".join(name))
        say(f"person {person} is now {' '.join(name)!r}")


@people_app.command("merge")
def merge_command(into: int, other: int, data_dir: DataDirOpt = None) -> None:
    """The same person found twice: OTHER's faces become INTO's."""
    with _opened(data_dir) as cat:
        cat.merge_people(into, other)
        say(f"person {other} merged into {into}")


@people_app.command("unmerge")
def unmerge_command(person: int, data_dir: DataDirOpt = None) -> None:
    """Undo merges into a person: each merged person comes back with its faces and name."""
    with _opened(data_dir) as cat:
        made = cat.unmerge(person)
        say(f"{len(made)} people back: {', '.join(map(str, made))}" if made else "nothing was merged into it")


@people_app.command("split")
def split_command(faces: Annotated[list[int], typer.Argument(help="Face ids (`people show`).")],
                  data_dir: DataDirOpt = None) -> None:
    """Not this person: these faces leave their person and never rejoin it."""
    with _opened(data_dir) as cat:
        for face in faces:
            cat.take_out(face)
        say(f"{len(faces)} faces taken out; they wait to be grouped again")


@people_app.command("move")
def move_command(face: int, person: int, data_dir: DataDirOpt = None) -> None:
    """Put a face with a person (grouping never moves it again)."""
    with _opened(data_dir) as cat:
        cat.move_face(face, person)
        say(f"face {face} is now with person {person}")


@people_app.command("hide")
def hide_command(person: int, data_dir: DataDirOpt = None,
                 show: Annotated[bool, typer.Option("--show", help="Show a hidden person again.")] = False) -> None:
    """Keep a person out of the people list (strangers, posters)."""
    with _opened(data_dir) as cat:
        cat.hide_person(person, not show)
        say(f"person {person} {'shown' if show else 'hidden'}")


@people_app.command("forget")
def forget_command(person: int, data_dir: DataDirOpt = None) -> None:
    """Forget a person: its name goes, its faces wait and never rejoin it."""
    with _opened(data_dir) as cat:
        cat.forget_person(person)
        say(f"person {person} forgotten")


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
