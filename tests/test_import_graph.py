"""Layering: no import cycles between aobench modules; the build layout (artifacts) sits at the bottom."""

from __future__ import annotations

import ast
from pathlib import Path

import aobench

PKG = Path(aobench.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        parts = f.relative_to(PKG.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module → aobench modules it imports anywhere (top level or inside functions)."""
    graph: dict[str, set[str]] = {}
    for m, f in mods.items():
        pkg = m if f.name == "__init__.py" else m.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                # a package importing its own submodules (to register them) is not a cycle
                if t and t != m and not t.startswith(m + "."):
                    found.add(t)
        graph[m] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(_imports(_modules())) == []


def test_bottom_layer_imports_nothing_above_it():
    graph = _imports(_modules())
    assert graph["aobench.artifacts"] <= {"aobench", "aobench.errors", "aobench.io", "aobench.recipe"}
    for helper in ("aobench.errors", "aobench.io", "aobench.options", "aobench.paths", "aobench.seeds", "aobench.registry"):
        assert graph[helper] <= {"aobench", "aobench.errors"}, helper
    # the conductor is imported only from above it (the CLI, the library surface, the study that builds datasets)
    above = ("aobench", "aobench.cli", "aobench.study")
    assert not [m for m, deps in graph.items() if "aobench.build" in deps and m not in above and not m.startswith("aobench.study.")]


# the layers (docs/architecture.md): bottom helpers, formats (one module per on-disk format), then the stages in
# data-flow order (the conductor, build, just before the study that builds datasets); the package root and the CLI on top
BOTTOM = {"errors", "io", "registry", "options", "paths", "seeds", "progress", "device", "extras", "version", "logs", "launch", "clipzoo",
          "tiny", "spark_session", "strict_yaml", "recipes", "model_configs", "correlation"}  # fmt: skip (recipes, model_configs: data packages)
FORMATS = {"recipe", "artifacts", "locks", "nmidir", "corpora", "text.counts", "evaluate.results", "study.studydir"}
STAGES = ["vocab", "text", "pairs", "budget", "prompts", "generate", "filters", "dataset", "foils", "real", ("evaluate", "suite"), "spectrum", "report", "build", "study"]
STAGE_INDEX = {name: i for i, s in enumerate(STAGES) for name in ((s,) if isinstance(s, str) else s)}  # the standard benchmarks run inside evaluate


def _layer(module: str, graph: dict[str, set[str]]) -> tuple[int, int]:
    """(layer, stage index) of a module: 0 bottom, 1 formats, 2 stages (by data-flow order), 3 the package root and the CLI."""
    name = module.removeprefix("aobench").removeprefix(".")
    if any(name == f or name.startswith(f + ".") for f in FORMATS):
        return 1, 0
    top = name.split(".")[0]
    if top in BOTTOM:
        return 0, 0
    if top in STAGE_INDEX:
        return 2, STAGE_INDEX[top]
    return 3, 0


def _registry_module(module: str, graph: dict[str, set[str]]) -> bool:
    # a module that only declares a registry (filters, generator backends, tasks): lower layers may read it (recipe checks names)
    return graph[module] <= {"aobench.registry", "aobench.errors"}


def test_no_module_imports_the_package_root():
    graph = _imports(_modules())
    assert [m for m, deps in graph.items() if "aobench" in deps] == []  # the version is aobench.version; launch is imported as aobench.launch


def test_layers_import_only_downwards_and_stages_only_earlier_stages():
    graph = _imports(_modules())
    known = BOTTOM | {f.split(".")[0] for f in FORMATS} | set(STAGE_INDEX) | {"cli", "__main__"}
    assert {m.split(".")[1] for m in graph if m != "aobench"} <= known  # a new top-level module gets a layer here
    bad = []
    for m, deps in graph.items():
        lm = _layer(m, graph)
        for d in deps:
            ld = _layer(d, graph)
            if _registry_module(d, graph) and lm[0] >= 1:
                continue
            if ld[0] > lm[0] or (ld[0] == lm[0] == 2 and ld[1] > lm[1]):
                bad.append(f"{m} -> {d}")
    assert bad == []
