"""The `measure` command's shape: help, version, and routing of the main job vs subcommands."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from typer.testing import CliRunner

from cli.main import MAIN_JOB, app

runner = CliRunner()


def test_help_lists_main_job_first():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "measure FRONT BACK --height CM" in result.output
    assert result.output.index(MAIN_JOB) < len(result.output)


def test_version_matches_distribution():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"measure {version('bodymeasure')}"


def test_unknown_first_word_goes_to_main_job():
    # Missing --height is a usage error of the main job, which proves the routing reached it.
    result = runner.invoke(app, ["front.jpg", "back.jpg"])
    assert result.exit_code == 2
    assert "--height" in result.output


def test_python_dash_m_cli_runs_the_same_app():
    proc = subprocess.run([sys.executable, "-m", "cli", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout
