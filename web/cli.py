"""The `mediasearch` command: assembles each layer's subcommands and turns
domain errors into messages and exit codes."""
from __future__ import annotations

import logging
import os
import sys

import typer

from indexer import cli as indexer_cli
from search import cli as search_cli
from search import eval_cli
from store.errors import ConfigError, MediaSearchError, ModelMismatchError, ModelUnavailableError, PathError, QueryError

app = typer.Typer(
    name="mediasearch", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Semantic search for your own photos, offline: index folders, search by text or by example.")
indexer_cli.register(app)
search_cli.register(app)
eval_cli.register(app)

EXIT_CODES = {QueryError: 2, PathError: 3, ConfigError: 4, ModelUnavailableError: 5, ModelMismatchError: 6}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("MEDIASEARCH_LOG", "WARNING").upper(),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    except MediaSearchError as e:
        typer.echo(f"error: {e}", err=True)
        return next((c for t, c in EXIT_CODES.items() if isinstance(e, t)), 1)
    except KeyboardInterrupt:
        typer.echo("interrupted: what was indexed so far is kept", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
