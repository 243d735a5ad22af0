"""The `mediasearch` command's entry point: a plain search goes to a running
server first (quick.py, before typer is imported); everything else through
the typer command tree (app.py). Domain errors become messages and exit
codes here."""
from __future__ import annotations

import logging
import sys

from mediasearch.store.errors import MediaSearchError, exit_code

from .text import say


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
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        if args[:1] == ["search"]:
            from .quick import search

            code = search(args[1:])
            if code is not None:
                return code
        logging.getLogger("sqlalchemy.pool").addFilter(_not_an_interruption)
        if argv is None:  # the installed command, not a test calling main() in its own process
            _terminate_as_interrupt()
        from .app import build_app

        build_app(args[0] if args else None)(args=args, standalone_mode=True)
    except SystemExit as e:
        code = int(e.code or 0) if not isinstance(e.code, str) else 1
        if code == 130:  # typer turns Ctrl-C into exit 130, silently: say what was kept
            say("interrupted: what was indexed so far is kept")
        return code
    except MediaSearchError as e:
        say(f"error: {e}")
        return exit_code(e)
    except KeyboardInterrupt:
        say("interrupted: what was indexed so far is kept")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
