"""One-line errors and documented exit codes for every command.

Commands raise typed exceptions (any exception with an `exit_code` attribute and a message that
names the file and the reason); `guarded` prints that line to stderr and exits with the code, never
a traceback. Codes are part of the CLI contract (README, section "Exit codes").
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FAILED = 1          # unexpected internal error
EXIT_USAGE = 2           # bad command line (typer/click's own code)
EXIT_NOT_READY = 3       # feature not available yet / missing optional component


def guarded(fn: F) -> F:
    """Run a command; turn expected failures into `error: ...` on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
            code = getattr(exc, "exit_code", None)
            if not isinstance(code, int):
                raise
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]
