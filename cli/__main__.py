"""`python -m cli` runs the same app as the `measure` console script."""

from cli.main import app

app(prog_name="measure")
