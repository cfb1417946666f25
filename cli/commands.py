"""Where each subcommand module attaches itself to the `measure` app (one line per module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from cli import photos_cmd

    photos_cmd.register(app)
    from cli import batch_cmd

    batch_cmd.register(app)
    from cli import parse_cmd, parser_cmd

    parse_cmd.register(app)
    parser_cmd.register(app)
    from cli import synth_cmd

    synth_cmd.register(app)
