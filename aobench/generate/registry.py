"""Registry of generation backends, by name → "module:Class" (imported only when used)."""

from __future__ import annotations

import importlib
from typing import Any

from aobench.errors import AobenchError

_BACKENDS: dict[str, str] = {
    "diffusers": "aobench.generate.diffusers_backend:DiffusersBackend",
    "procedural": "aobench.generate.procedural:ProceduralBackend",
}


def list_backends() -> list[str]:
    """Names of the registered backends."""
    return sorted(_BACKENDS)


def register_backend(name: str, target: str) -> None:
    """Register a backend class given as "package.module:ClassName"."""
    _BACKENDS[name] = target


def create_backend(name: str, spec: Any, **kwargs: Any):
    """Instantiate the backend `name` with the recipe's generator spec."""
    if name not in _BACKENDS:
        raise AobenchError(f"unknown generator backend {name!r}; allowed: {', '.join(list_backends())}")
    module, cls = _BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)(spec, **kwargs)
