"""Generator backends by name, in the shared lazy `Registry` (other packages add theirs through the `aobench.backends` entry point group).

Each is a class following `aobench.generate.backend.Backend`.
"""

from __future__ import annotations

from typing import Any

from aobench.registry import Registry

BACKENDS: Registry = Registry("generator backend", entry_point_group="aobench.backends")
BACKENDS.register("diffusers", "aobench.generate.diffusers_backend:DiffusersBackend", "any text-to-image pipeline by Hub id or local path")
BACKENDS.register("procedural", "aobench.generate.procedural:ProceduralBackend", "weight-free renderer of shapes with colours, patterns and sizes")


def create_backend(name: str, spec: Any, **kwargs: Any):
    """Instantiate the backend `name` with the recipe's generator spec."""
    return BACKENDS.get(name)(spec, **kwargs)
