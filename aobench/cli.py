"""The `aobench` command: a thin typer layer; each command parses flags, calls one stage function, prints with rich.

User errors (AobenchError, bad flags) print one line and exit 2, with no traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aobench.errors import EXIT_USER_ERROR, AobenchError, format_error

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Benchmarks of compositional OOD generalisation for CLIP-style models.")
out = Console()
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """aobench: build, measure, publish and evaluate compositional OOD benchmarks."""


@app.command("recipes")
def recipes_cmd() -> None:
    """List built-in recipes with a one-line description."""
    from aobench.recipe import list_recipes

    table = Table("recipe", "description")
    for name, desc in list_recipes().items():
        table.add_row(name, escape(desc))
    out.print(table)


# Commands of later stages register below (one function each, calling one stage function).


def main(argv: Optional[List[str]] = None) -> None:
    """Console-script entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        app(args=argv, standalone_mode=False)
    except AobenchError as exc:
        err.print(format_error(exc), markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        err.print("interrupted; rerun the same command to resume")
        sys.exit(130)
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode (typer vendors click)
        kind = type(exc).__name__
        if hasattr(exc, "format_message"):
            err.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(EXIT_USER_ERROR)
        if kind == "Exit":
            sys.exit(getattr(exc, "exit_code", 0))
        if kind == "Abort":
            sys.exit(130)
        raise


if __name__ == "__main__":
    main()
