"""`mediasearch index`: add folders (or files) to the index, incrementally."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from mediasearch.indexer.library import Library
from mediasearch.indexer.pipeline import Indexer
from mediasearch.store.lock import WriterLock
from mediasearch.store.paths import one_line, without_secrets

from .common import DataDirOpt, JsonOpt, ModelOpt, emit_json, say, settings_from
from .progress import progress_bar


def _require_paths(paths: list[Path]) -> None:
    from mediasearch.store.errors import PathError

    for p in paths:
        if not Path(p).expanduser().exists():
            raise PathError(f"{Path(p).expanduser().absolute()} does not exist")


def index_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to index.", show_default=False)],
    data_dir: DataDirOpt = None,
    model: ModelOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Forget all vectors and re-embed everything (e.g. with another --model).")] = False,
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help="Follow symbolic links while walking.")] = False,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Glob of file/folder names to skip (repeatable).")] = None,
    allow_mass_delete: Annotated[bool, typer.Option("--allow-mass-delete", help="Delete files that vanished even when most of a folder is gone (default: mark them offline).")] = False,
    as_json: JsonOpt = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")] = True,
) -> None:
    """Index folders of photos: new and changed files are embedded, renamed ones
    keep their vectors, deleted ones leave the index."""
    overrides = {"follow_symlinks": follow_symlinks or None}
    settings = settings_from(data_dir, model, **overrides)
    if ignore:
        settings.ignore = list(settings.ignore) + list(ignore)
    _require_paths(paths)  # before anything is made: a typo leaves no data dir behind
    settings.ensure_home()
    with WriterLock(settings.home, "mediasearch index"):
        lib = Library(settings, model, rebuild=rebuild)
        say(f"mediasearch: {lib.choice.reason}")
        bar, update = progress_bar(progress)
        indexer = Indexer(lib, update, allow_mass_delete=allow_mass_delete, phase=say if not as_json else None)
        completed = False
        try:
            if bar is not None:
                with bar:
                    report = indexer.run(paths)
            else:
                report = indexer.run(paths)
            completed = True
        finally:
            if lib.side is not None and not completed:
                say("rebuild stopped: the index as it was before --rebuild is kept, unchanged")
            lib.close(completed=completed)
    if as_json:
        emit_json(report.to_dict())
        return
    busy = report.seconds - report.model_seconds
    rate = f", {(report.new + report.updated) / busy:.1f} files/s" if busy > 0 and report.new + report.updated else ""
    loaded = f" (model loaded in {report.model_seconds:.1f}s{rate})" if report.model_loaded else ""
    say(f"{report.seen} files seen in {report.seconds:.1f}s{loaded}: {report.new} new, {report.updated} changed, "
        f"{report.unchanged} unchanged, {report.renamed} renamed, {report.duplicates} duplicates, "
        f"{report.removed} removed, {report.offline + report.held} offline, {report.restored} back online, {report.failed} failed, {report.skipped} skipped (not media)"
        + (f", {report.elsewhere} done by other workers sharing the catalog" if report.elsewhere else ""))
    for e in report.errors[:20]:
        say(one_line(f"  failed: {e['path']}: {e['reason']}"))
    if len(report.errors) > 20:
        say(f"  ... and {len(report.errors) - 20} more (see `mediasearch status`)")
    for w in report.warnings:
        say(f"  warning: {w}")
    for n in report.notes[:20]:
        say(one_line(f"  note: {n['path']}: {n['note']}"))
    for c in report.changed_while_reading[:10]:
        say(one_line(f"  changed while being read, left for the next run: {c}"))
    for u in report.unreadable:
        say(one_line(f"  unreadable: {u['path']}: {u['reason']} (its files were left as they were)"))
    for sp in report.special[:10]:
        say(one_line(f"  skipped: {sp['path']}: {sp['reason']}"))
    if len(report.special) > 10:
        say(f"  ... and {len(report.special) - 10} more skipped (see `mediasearch status`)")
    if report.near_copies:
        _say_copies(report.near_copies)
    if report.words_read:
        say(f"  read words in {report.words_read} pictures and videos")
    if report.sounds_caught_up:
        say(f"  heard sounds in {report.sounds_caught_up} recordings and videos indexed before sound events")
    if report.faces_found or report.people_made:
        say(f"  {report.faces_found} faces found, {report.faces_grouped} grouped, {report.people_made} new people "
            "(`mediasearch people` lists and names them)")
    if report.repaired:
        say(f"  repaired: {report.repaired} repeated segments (left by an older version) dropped")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _say_copies(copies: list[dict]) -> None:
    earlier = sum(1 for c in copies if c["earlier"])
    parts = ([f"{earlier} of pictures indexed before"] if earlier else []) + (
        [f"{len(copies) - earlier} of others new in this run"] if len(copies) > earlier else [])
    say(f"  {_plural(len(copies), 'new picture looks', 'new pictures look')} like a copy: {', '.join(parts)} "
        "(`mediasearch duplicates` lists every group; nothing was deleted):")
    for c in copies[:10]:
        say(one_line(f"    {c['path']}  ~  {c['like']}" + ("" if c["earlier"] else "  (also new)")))
    if len(copies) > 10:
        say(f"    ... and {len(copies) - 10} more")


ACTIVITY_LINES = 20  # per batch; a first reconciliation of 30k files says the rest in counts


def _say_activity(report) -> None:
    """The daemon's log: one line per file added, changed, moved, held
    offline, removed, back or failed (stderr: a terminal or a journal)."""
    stamp = time.strftime("%H:%M:%S")
    for what, path, detail in report.activity[:ACTIVITY_LINES]:
        tail = f" (from {detail})" if what == "moved" and detail else f": {detail}" if detail else ""
        say(one_line(f"{stamp} {what}: {path}{tail}"))
    rest = report.activity[ACTIVITY_LINES:]
    if rest:
        counts: dict[str, int] = {}
        for what, _, _ in rest:
            counts[what] = counts.get(what, 0) + 1
        say(f"{stamp} ... and {len(rest)} more: " + ", ".join(f"{n} {w}" for w, n in counts.items()))


def watch_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders to keep indexed.", show_default=False)],
    data_dir: DataDirOpt = None,
    model: ModelOpt = None,
    polling: Annotated[bool, typer.Option("--polling", help="Poll instead of native events (network drives).")] = False,
    settle: Annotated[float, typer.Option("--settle", min=0.1, help="Seconds a file must stay unchanged before it is indexed.")] = 2.0,
    reconcile_every: Annotated[float, typer.Option("--reconcile-every", min=10, help="Seconds between full reconciliation scans.")] = 3600.0,
) -> None:
    """Watch folders and keep the index in step: new, changed, moved and deleted
    files, through bursts, crashes and unplugged disks. Stops cleanly on Ctrl-C / SIGTERM."""
    import signal
    import threading

    from mediasearch.indexer.watch import Watcher

    settings = settings_from(data_dir, model)
    settings.ensure_home()
    stop = threading.Event()
    with WriterLock(settings.home, "mediasearch watch"):
        lib = Library(settings, model)
        say(f"mediasearch: {lib.choice.reason}")
        say("loading the model (so the first new file is indexed at once)...")
        say(f"model ready in {lib.warm_up():.1f}s")
        lib.claim_identity()
        watcher = Watcher(lib, paths, settle=settle, reconcile_every=reconcile_every, force_polling=polling)
        watcher.on_report = _say_activity
        def on_signal(*_):
            if stop.is_set():  # asked twice: a read stuck in the kernel must not hold the daemon for ever
                say("stopping now: the batch in flight is dropped (what was committed is kept)")
                os._exit(130)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            watcher.start()
            say(f"watching {', '.join(watcher.roots)} ({watcher.state.mode}"
                f"{': ' + watcher.state.mode_reason if watcher.state.mode_reason else ''}); Ctrl-C stops")
            while not stop.wait(0.2):
                pass
            say("stopping: finishing the batch in flight (Ctrl-C again stops at once)")
        finally:
            watcher.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            lib.close()


def migrate_vectors_command(
    to: Annotated[str, typer.Option("--to", help="faiss | milvus")],
    milvus_uri: Annotated[str | None, typer.Option("--milvus-uri", envvar="MEDIASEARCH_MILVUS_URI", help="milvus-lite file or cluster URI (default: DATA_DIR/milvus.db).")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Copy every vector from the catalog into another vector store; then set
    MEDIASEARCH_VECTOR_STORE (and MEDIASEARCH_MILVUS_URI) to use it."""
    from mediasearch.store.errors import ConfigError

    if to not in ("faiss", "milvus"):
        raise ConfigError("--to must be faiss or milvus")
    settings = settings_from(data_dir, None, vector_store=to, milvus_uri=milvus_uri)
    with WriterLock(settings.home, "mediasearch migrate-vectors"):
        lib = Library(settings)
        try:
            if lib.catalog.model_identity() is None:
                raise ConfigError(f"the index in {settings.home} is empty: nothing to migrate")
            vi = lib.vector_index()
            if to == "milvus":
                n = vi.resync()
                where = lib.milvus_uri()
            else:
                lib.save_vector_index()
                n, where = len(vi), str(settings.vector_index_path)
        finally:
            lib.close()
    shown = without_secrets(where)  # a cluster URI can carry credentials: never echoed
    say(f"copied {n} vectors to {to} at {shown}; use it with MEDIASEARCH_VECTOR_STORE={to}"
        + (" and MEDIASEARCH_MILVUS_URI set to that URI" if to == "milvus" and shown != where
           else f" MEDIASEARCH_MILVUS_URI={where}" if to == "milvus" else ""))


def register(app: typer.Typer) -> None:
    app.command("index")(index_command)
    app.command("migrate-vectors")(migrate_vectors_command)
    app.command("watch")(watch_command)
