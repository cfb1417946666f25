"""Where each subcommand module attaches itself to the `measure` app (one name per module)."""

from __future__ import annotations

import importlib

import typer

# Order is the order of `measure --help`; each module has `register(app)` and imports nothing heavy.
COMMAND_MODULES: tuple[str, ...] = ("photos_cmd", "batch_cmd", "parse_cmd", "parser_cmd", "synth_cmd")


def register(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"cli.{name}").register(app)
