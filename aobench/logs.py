"""Logging: library code logs to `logging.getLogger(__name__)` and never prints; the CLI picks the level and renders with rich.

Default: warnings and errors only (what a command prints is its own output); `--verbose`: what the
library does (`-vv`: debug detail); `--quiet`: errors only, third-party warnings included.
"""

from __future__ import annotations

import logging

_HANDLER_NAME = "aobench-cli"
_root_level_before_quiet: list[int] = []  # the root level --quiet replaced, restored by the next call without it


def level_for(verbose: int = 0, quiet: bool = False) -> int:
    """The `aobench` logger's level for the CLI flags."""
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Send `aobench.*` log records to stderr through rich (beside the progress bars), at the flags' level; idempotent."""
    from rich.logging import RichHandler

    from aobench.progress import console

    logger = logging.getLogger("aobench")
    for h in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(h)
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False, rich_tracebacks=False)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level_for(verbose, quiet))
    logger.propagate = False
    # --quiet also mutes other libraries' warnings (open_clip's "no pretrained weights", ...)
    root = logging.getLogger()
    if quiet and not _root_level_before_quiet:
        _root_level_before_quiet.append(root.level)
        root.setLevel(logging.ERROR)
    elif not quiet and _root_level_before_quiet:
        root.setLevel(_root_level_before_quiet.pop())
