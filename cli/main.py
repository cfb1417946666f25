"""The `measure` command: the main job (`measure FRONT BACK --height CM`) plus subcommands.

`measure FRONT BACK ...` and `measure batch ...` share one command line, so the group below routes
any first argument that is not a subcommand name to the main job. Heavy imports (torch, anny,
mediapipe) happen inside the commands so `measure --help` stays instant.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from cli import commands

MAIN_JOB = "photos"


class MeasureGroup(TyperGroup):
    """A typer group with a default command: unknown first words are the main job's photos."""

    def parse_args(self, ctx, args):  # type: ignore[override]
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = [MAIN_JOB, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):  # main job first in --help
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: (n != MAIN_JOB, n))


app = typer.Typer(
    cls=MeasureGroup,
    help="Body measurements and a clothing size from a front and a back photo.\n\n"
    "Main job: measure FRONT BACK --height CM",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"measure {version('bodymeasure')}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Body measurements and a clothing size from a front and a back photo."""


commands.register(app)
