"""`mediasearch search`, answered by a running `serve` before typer, the
settings or the catalog are imported (they cost a cold process about a
second; the server has everything warm). Only a plain search is taken this
way: one text and the options below, which are the search command's own
(tests/cli/test_quick_search.py checks names, defaults and variables
against it). Anything else (an image, --rerank, --help, an option not
listed, a server that is not there or answers an error) returns None and
the command runs as it always did."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import serving
from .answer_text import show

# The variables the search command's typer options read (envvar=).
HOME_VARIABLE, MODEL_VARIABLE = "MEDIASEARCH_HOME", "MEDIASEARCH_MODEL"


def order_of(by: str) -> str:
    """``--by`` as the search's order: ``date`` is newest first."""
    return "newest" if by == "date" else by


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mediasearch search", add_help=False, allow_abbrev=False,
                                exit_on_error=False)
    p.add_argument("terms", nargs="*")
    p.add_argument("-k", "--top", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--kind", action="append", default=[])
    p.add_argument("--under", action="append", default=[])
    p.add_argument("--place", default=None)
    p.add_argument("--not", "-n", dest="nots", action="append", default=[])
    p.add_argument("--like", type=int, action="append", default=[])
    p.add_argument("--unlike", type=int, action="append", default=[])
    p.add_argument("--all", dest="show_all", action="store_true")
    p.add_argument("--plain", action="append", default=[])
    p.add_argument("--literal", action="store_true")
    p.add_argument("--lexical", dest="lexical", action="store_true", default=True)
    p.add_argument("--no-lexical", dest="lexical", action="store_false")
    p.add_argument("--by", default="relevance")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--model", "-m", default=None)
    p.add_argument("--json", dest="as_json", action="store_true")
    return p


def params(args: list[str]) -> tuple[Path, str | None, list[tuple[str, str]], argparse.Namespace] | None:
    """(data dir, model asked for, the API's query, the options) for a plain search, else None."""
    try:
        a, unknown = parser().parse_known_args(args)
    except (argparse.ArgumentError, SystemExit, ValueError):
        return None
    if unknown or len(a.terms) > 1 or not 1 <= a.top <= 200 or (a.terms and os.path.exists(a.terms[0])):
        return None
    data_dir = a.data_dir or os.environ.get(HOME_VARIABLE)
    if data_dir:
        home = Path(data_dir).expanduser()
    else:
        from mediasearch.store.home import default_home

        home = default_home()
    q = [("q", a.terms[0] if a.terms else ""), ("k", str(a.top)), ("offset", str(a.offset)),
         ("lexical", str(a.lexical).lower()), ("all", str(a.show_all).lower()),
         ("order", order_of(a.by))]
    q += [("not", n) for n in a.nots] + [("kind", kd) for kd in a.kind]
    q += [("under", str(Path(u).expanduser().resolve())) for u in a.under]
    q += [("like", str(i)) for i in a.like] + [("unlike", str(i)) for i in a.unlike]
    q += [("plain", p) for p in (["all"] if a.literal else a.plain)]
    q += [("place", a.place)] if a.place else []
    return home, a.model or os.environ.get(MODEL_VARIABLE) or None, q, a


def search(args: list[str]) -> int | None:
    """Exit code 0 once a running server answered and the answer was
    printed; None when this command must search by itself."""
    got = params(args)
    if got is None:
        return None
    home, model, q, a = got
    answer = serving.ask(home, q, model)
    if answer is None:
        return None
    show(answer, a.show_all, a.as_json)
    return 0
