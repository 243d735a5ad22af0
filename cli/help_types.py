"""Plain value hints in `--help`: typer 0.29 prints Python types beside
every option (`<bool>` for a flag that takes no value, `<list[Path]>` for a
repeatable one), which reads like something to type. Here a flag shows no
hint, and values show the usual words (TEXT, PATH, INTEGER, NUMBER), with
"..." when repeatable."""
from __future__ import annotations

import re

from typer import core

WORDS = {"str": "TEXT", "Path": "PATH", "int": "INTEGER", "float": "NUMBER", "bool": ""}


def _plain(label: str | None) -> str | None:
    if not label:
        return label
    inner = label.strip("<>")
    repeat = inner.startswith("list[")
    inner = re.sub(r"^list\[(.*)\]$", r"\1", inner)
    if inner.endswith(" range"):
        inner = inner[:-len(" range")]
    word = WORDS.get(inner, inner.upper())
    return (word + "..." if repeat else word) or None


def install() -> None:
    if not hasattr(core.TyperOption, "display_type_rich"):
        return  # typer before 0.2x prints no such hints: nothing to plain
    option_rich = core.TyperOption.display_type_rich
    argument_rich = core.TyperArgument.display_type_rich

    def option_type(self, ctx):
        if self.is_flag:
            return None
        return _plain(option_rich(self, ctx))

    def argument_type(self, ctx):
        return _plain(argument_rich(self, ctx))

    core.TyperOption.display_type_rich = option_type
    core.TyperArgument.display_type_rich = argument_type
