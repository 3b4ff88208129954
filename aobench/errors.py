"""User-facing errors: one line, exit code 2, no traceback."""

from __future__ import annotations

EXIT_USER_ERROR = 2


class AobenchError(Exception):
    """An error the user caused and can fix: bad input, a missing file, a refused overwrite."""


def format_error(exc: BaseException) -> str:
    """Render an error as the single line the CLI prints."""
    text = " ".join(str(exc).split())
    return f"error: {text}" if text else f"error: {type(exc).__name__}"


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty), for one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
