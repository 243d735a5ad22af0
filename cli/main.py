"""The `mediasearch` command's root: assembles the subcommands and turns
domain errors into messages and exit codes."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from mediasearch.store.errors import ConfigError, MediaSearchError, exit_code
from mediasearch.store.settings import load_settings

from . import eval_commands, event_commands, help_types, index_commands, people_commands, search_commands
from .common import DataDirOpt, ModelOpt, settings_from

help_types.install()
app = typer.Typer(
    name="mediasearch", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Semantic search for your own photos, offline: index folders, search by text or by example.")
index_commands.register(app)
search_commands.register(app)
eval_commands.register(app)
people_commands.register(app)
event_commands.register(app)

@app.command("serve")
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
        run(web, host, port, on_listening=lambda: typer.echo(
            f"mediasearch: serving http://{shown}:{port}/  (API docs at /docs; Ctrl-C stops)", err=True))
    finally:
        if watcher is not None:
            watcher.stop()
            wlib.close()
        if lock is not None:
            lock.release()


def _not_an_interruption(record: logging.LogRecord) -> bool:
    """A Ctrl-C that lands while SQLAlchemy hands a connection back is logged
    by its pool with a traceback, then raised on; the run says itself what
    an interruption kept, so the pool's copy is dropped."""
    return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


def _terminate_as_interrupt() -> None:
    """SIGTERM (systemd stop, docker stop, `timeout`) is a Ctrl-C: the run
    keeps what it committed, saves the index and exits 130 saying so (it
    died with 143 and a stale index). `watch` and `serve` install their own."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    # File names with undecodable bytes print as their bytes (as `ls` does)
    # instead of failing the command under a strict UTF-8 locale.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError):  # replaced streams (tests) keep theirs
            pass
    try:
        logging.basicConfig(level=load_settings().log.upper(), format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("sqlalchemy.pool").addFilter(_not_an_interruption)
        if argv is None:  # the installed command, not a test calling main() in its own process
            _terminate_as_interrupt()
        app(args=argv, standalone_mode=True)
    except SystemExit as e:
        code = int(e.code or 0) if not isinstance(e.code, str) else 1
        if code == 130:  # typer turns Ctrl-C into exit 130, silently: say what was kept
            typer.echo("interrupted: what was indexed so far is kept", err=True)
        return code
    except MediaSearchError as e:
        typer.echo(f"error: {e}", err=True)
        return exit_code(e)
    except KeyboardInterrupt:
        typer.echo("interrupted: what was indexed so far is kept", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
