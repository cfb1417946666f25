"""The main job: `measure FRONT BACK --height CM`."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.errors import EXIT_NOT_READY


def register(app: typer.Typer) -> None:
    app.command(name="photos", help="Measure a person from a FRONT and a BACK photo (the default command).")(
        photos
    )


def photos(
    front: Path = typer.Argument(..., help="Front full-body photo."),
    back: Path = typer.Argument(..., help="Back full-body photo."),
    height: float = typer.Option(..., "--height", help="Stature in cm."),
) -> None:
    typer.echo("error: the measuring pipeline is not implemented yet", err=True)
    raise typer.Exit(EXIT_NOT_READY)
