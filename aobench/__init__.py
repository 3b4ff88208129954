"""aobench: benchmarks of compositional out-of-distribution generalisation for vision-language models.

The library surface is the functions the CLI calls, imported on first use so `import aobench` stays light:

    from aobench import build, evaluate, measure_nmi, make_foils, push, export_webdataset, make_spectrum

`build(recipe, out)` makes a benchmark (`aobench build`); `evaluate(data, models, out)` scores model
specs or models in memory (`aobench eval`); `measure_nmi(sources, out)` measures attribute–object
co-occurrence (`aobench nmi`); `make_foils(input, out)` writes foil captions (`aobench foils`);
`push(build_dir, repo_id)` and `export_webdataset(build_dir, out)` publish a build; `make_spectrum(result_dirs,
out)` joins many models' results (aobench's and CLIP_benchmark's) into compositionality vs recognition (`aobench spectrum`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from aobench.version import __version__

# name → "module:attr"; each is the function the matching CLI command calls
_API = {
    "build": "aobench.build:build",
    "evaluate": "aobench.evaluate.runner:evaluate",
    "measure_nmi": "aobench.text.analyze:run_nmi",
    "make_foils": "aobench.foils.pipeline:run_foils",
    "push": "aobench.dataset.hub:push",
    "export_webdataset": "aobench.dataset.webdataset:export_webdataset",
    "make_spectrum": "aobench.spectrum.run:make_spectrum",
    "LoadedModel": "aobench.evaluate.models:LoadedModel",
    "AobenchError": "aobench.errors:AobenchError",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # static tools see the real signatures
    from aobench.build import build
    from aobench.dataset.hub import push
    from aobench.dataset.webdataset import export_webdataset
    from aobench.errors import AobenchError
    from aobench.evaluate.models import LoadedModel
    from aobench.evaluate.runner import evaluate
    from aobench.foils.pipeline import run_foils as make_foils
    from aobench.spectrum.run import make_spectrum
    from aobench.text.analyze import run_nmi as measure_nmi


# `build` and `evaluate` are also modules (aobench/build.py, aobench/evaluate/), and the import system binds a
# loaded submodule to its parent's attribute. So those two modules are made callable: `from aobench import
# evaluate` then gives a module that calls the API function (its signature included), whichever came first,
# and `import aobench.evaluate.results as r` still works.
_SHADOWED = {n: t for n, t in _API.items() if t.startswith((f"aobench.{n}.", f"aobench.{n}:"))}


def _target(name: str) -> Any:
    module, _, attr = _API[name].partition(":")
    return getattr(importlib.import_module(module), attr)


class _CallableModule(types.ModuleType):
    """A module that is also one API function (see above)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _target(self.__name__.rpartition(".")[2])(*args, **kwargs)

    @property
    def __signature__(self):  # inspect.signature(aobench.evaluate) shows the function's arguments
        import inspect

        return inspect.signature(_target(self.__name__.rpartition(".")[2]))


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType) and value.__name__ == f"aobench.{name}":
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'aobench' has no attribute {name!r}")
    if name in _SHADOWED:
        importlib.import_module(f"aobench.{name}")  # binds the (now callable) module here
        return globals()[name]
    value = _target(name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
