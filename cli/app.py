"""The typer command tree: only the module of the command asked for is
imported (a search does not import the evaluation, the indexer or the web
server); `--help` with no command imports them all. Also `serve`."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from mediasearch.store.errors import ConfigError

from . import help_types, serving
from .common import DataDirOpt, ModelOpt, settings_from

# Which module registers each command (tests/web/test_quick_search.py checks it against the modules).
COMMANDS = {"index": "index_commands", "migrate-vectors": "index_commands", "watch": "index_commands",
            "search": "search_commands", "duplicates": "search_commands", "caption": "search_commands",
            "status": "search_commands", "eval": "eval_commands", "people": "people_commands",
            "events": "event_commands"}
MODULES = ("index_commands", "search_commands", "eval_commands", "people_commands", "event_commands")


def build_app(command: str | None = None) -> typer.Typer:
    """The command tree: only ``command``'s module when it is one of ours
    (its own --help is whole), else every module (the root's --help lists all)."""
    help_types.install()
    app = typer.Typer(
        name="mediasearch", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
        help="Semantic search for your own photos, offline: index folders, search by text or by example.")
    wanted = (COMMANDS[command],) if command in COMMANDS else MODULES
    for name in wanted:
        importlib.import_module(f"{__package__}.{name}").register(app)
    app.command("serve")(serve_command)
    return app


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8765,
    watch: Annotated[list[Path] | None, typer.Option("--watch", help="Also keep these folders indexed (repeatable).")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="MEDIASEARCH_API_KEY", help="Required when binding beyond loopback.", show_default=False)] = None,
    allow_host: Annotated[list[str] | None, typer.Option("--allow-host", help="Extra Host header names to accept (DNS-rebinding guard).")] = None,
    cors_origin: Annotated[list[str] | None, typer.Option("--cors-origin", help="Allow cross-origin requests from this origin (off by default).")] = None,
    data_dir: DataDirOpt = None,
    model: ModelOpt = None,
) -> None:
    """Start the web search page and API, and print its address."""
    from mediasearch.indexer.library import Library
    from mediasearch.indexer.watch import Watcher
    from mediasearch.store.lock import WriterLock
    from mediasearch.web.app import create_app
    from mediasearch.web.security import is_loopback
    from mediasearch.web.server import allowed_hosts, check_address, run

    if not is_loopback(host) and not api_key:
        raise ConfigError(f"binding to {host} exposes your files to the network: set an API key "
                          "with --api-key or MEDIASEARCH_API_KEY (clients send it as X-API-Key)")
    check_address(host, port)
    settings = settings_from(data_dir, model)
    hosts = allowed_hosts(host, allow_host)
    watch_roots = [str(Path(w).expanduser().resolve()) for w in watch or []]
    lock = watcher = wlib = None
    if watch_roots:
        settings.ensure_home()
        lock = WriterLock(settings.home, "mediasearch serve --watch").acquire()
        wlib = Library(settings, model)
        wlib.claim_identity()
        watcher = Watcher(wlib, watch_roots).start()
    try:
        typer.echo("mediasearch: loading the model (so the first search and upload answer at once)...", err=True)
        web = create_app(settings, model, api_key=api_key,
                         allowed_hosts=hosts,
                         cors_origins=cors_origin, watch_roots=watch_roots, library=wlib)
        seconds = web.state.ms.lib.warm_up()
        seconds += web.state.ms.service.warm_up()  # every reader a query may need, before "serving"
        typer.echo(f"mediasearch: model ready in {seconds:.1f}s", err=True)
        shown = f"[{host}]" if ":" in host else host

        def listening(bound: int) -> None:
            serving.announce(settings.ensure_home(), host, bound, keyed=api_key is not None, model=settings.model)
            typer.echo(f"mediasearch: serving http://{shown}:{bound}/  (API docs at /docs; Ctrl-C stops)", err=True)

        run(web, host, port, on_listening=listening)
    finally:
        serving.withdraw(settings.home)
        if watcher is not None:
            watcher.stop()
            wlib.close()
        if lock is not None:
            lock.release()
