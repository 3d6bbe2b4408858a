"""The layer rule, enforced on the source: nothing imports upward, no import cycles, no library code imports the CLI.

Layers, lowest first (docs/design.md, "Layers"):

0. ``solvers`` (knows nothing of ``opt_model``);
1. the core modeling modules of ``opt_model`` (model, expressions, compiler, result, ...);
2. ``opt_model.spec``, ``opt_model.sensitivity``, ``opt_model.bench``, ``opt_model.robust``: siblings that do not
   import each other, except ``bench`` may use ``spec`` and ``robust`` builds on ``sensitivity``;
3. ``opt_model.lifecycle``;
4. ``opt_model.cli``.

What counts as an import: every ``import`` / ``from ... import`` anywhere in a module (top level, inside
functions, inside ``if TYPE_CHECKING:``), found by walking the AST, with relative imports resolved and
``from package import submodule`` counted as an import of the submodule.

* Direction: checked on every import, ``TYPE_CHECKING`` ones included (a type named in a signature is a
  dependency of the design, even if Python never executes the import).
* Cycles: checked on the imports Python executes, top-level and function-level alike; ``TYPE_CHECKING``
  imports are left out (they never run).  A cycle is a strongly connected component of the module graph
  with more than one module.
* A listed upward edge is a named exception to both rules: the cycle it closes (the layer above imports the
  module it comes from) is part of what the listing allows.
* The package namespace ``opt_model`` (``opt_model/__init__.py``) is the one facade: it re-exports the public
  names of every layer through its PEP 562 ``_LAZY`` map (read here as edges).  Those edges may point up; they
  are resolved on first attribute access, after the importing module is complete, so they are not part of the
  cycle check.

Upward edges and cycles that are allowed are listed below by name, each with its reason.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("opt_model", "solvers")
FACADE = "opt_model"

SUBPACKAGE_LAYERS = {
    "solvers": 0,
    "opt_model.spec": 2, "opt_model.sensitivity": 2, "opt_model.bench": 2, "opt_model.robust": 2,
    "opt_model.lifecycle": 3,
    "opt_model.cli": 4,
}
SIBLINGS_ALLOWED = {
    ("opt_model.bench", "opt_model.spec"): "the benchmark runner reads problems written as specs",
    ("opt_model.robust", "opt_model.sensitivity"): "robust plans reuse the scenario plan, uncertainty and engine",
}
UPWARD_ALLOWED = {
    ("opt_model.result", "opt_model.sensitivity"):
        "Result.sensitivity(): the report of a solved result, one call away (a function-level import)",
    ("opt_model.model", "opt_model.spec"):
        "Model.to_spec(): write the model as a YAML spec (a function-level import)",
    ("opt_model.compiled", "opt_model.spec"):
        "CompiledModel.load(path) reads a YAML spec as the CLI does (a function-level import)",
}
CYCLES_ALLOWED: dict[frozenset[str], str] = {
    frozenset({"opt_model.importing", "opt_model.model"}):
        "Model.from_standard_form / from_pyomo / to_pyomo are the entry points of importing.py, which builds Models",
    frozenset({"opt_model.sensitivity.bottleneck", "opt_model.sensitivity.report"}):
        "SensitivityReport.bottlenecks() is a convenience call of bottleneck_report, which reads the report",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    type_only: bool
    lazy: bool


@functools.cache
def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def layer(module: str) -> int:
    for prefix, number in SUBPACKAGE_LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return number
    return 1


def subpackage(module: str) -> str:
    for prefix in SUBPACKAGE_LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return "opt_model"


@functools.cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def edges_of(module: str, path: Path, modules: dict[str, Path], source: str | None = None) -> Iterator[Edge]:
    """Every project import in ``module`` (``source`` overrides the file's text, for the planted-violation test)."""
    tree = ast.parse(source) if source is not None else _parsed(path)
    is_package = path.name == "__init__.py"

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    def walk(node: ast.AST, type_only: bool) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for inner in child.body:
                    yield from walk_one(inner, True)
                for inner in child.orelse:
                    yield from walk_one(inner, type_only)
            else:
                yield from walk_one(child, type_only)

    def walk_one(node: ast.AST, type_only: bool) -> Iterator[Edge]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = resolve(alias.name)
                if target:
                    yield Edge(module, target, node.lineno, type_only, False)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                target = resolve(f"{base}.{alias.name}")
                if target:
                    yield Edge(module, target, node.lineno, type_only, False)
        else:
            yield from walk(node, type_only)

    yield from walk(tree, False)
    if module == FACADE:  # the lazy name map of the public namespace
        for node in ast.walk(tree):
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_LAZY" and node.value:
                for value in ast.literal_eval(node.value).values():
                    target = resolve(value)
                    if target:
                        yield Edge(module, target, node.lineno, False, True)


def all_edges(overrides: dict[str, str] | None = None) -> list[Edge]:
    modules = module_files()
    edges = []
    for module, path in modules.items():
        text = (overrides or {}).get(module)
        edges.extend(edge for edge in edges_of(module, path, modules, text) if edge.target != module)
    return edges


def upward(edges: list[Edge]) -> list[str]:
    """Edges that break the direction rule and are not listed."""
    bad = []
    for edge in edges:
        source, target = edge.source, edge.target
        if source == FACADE or target.split(".")[0] not in PACKAGES:
            continue
        up = layer(target) > layer(source)
        sideways = (layer(target) == layer(source) == 2 and subpackage(source) != subpackage(target)
                    and (subpackage(source), subpackage(target)) not in SIBLINGS_ALLOWED)
        if (up or sideways) and (source, subpackage(target)) not in UPWARD_ALLOWED:
            kind = "type-only " if edge.type_only else ""
            bad.append(f"{source}:{edge.line} {kind}imports {target} (layer {layer(source)} -> {layer(target)})")
    return bad


def cycles(edges: list[Edge]) -> list[frozenset[str]]:
    """Strongly connected components (Tarjan) with more than one module, over executed imports."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not (edge.type_only or edge.lazy or (edge.source, subpackage(edge.target)) in UPWARD_ALLOWED):
            graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # recursion depth is bounded by the module count (~200)
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_nothing_imports_upward() -> None:
    assert upward(all_edges()) == []


def test_no_import_cycles() -> None:
    unexpected = [sorted(component) for component in cycles(all_edges()) if component not in CYCLES_ALLOWED]
    assert unexpected == []


def test_library_code_never_imports_the_cli() -> None:
    offenders = [f"{edge.source}:{edge.line}" for edge in all_edges()
                 if subpackage(edge.target) == "opt_model.cli" and subpackage(edge.source) != "opt_model.cli"
                 and edge.source != FACADE]
    assert offenders == []


def test_allowed_exceptions_are_still_needed() -> None:
    """A listed edge or cycle that the code no longer has is removed from the list, so the lists stay short."""
    edges = all_edges()
    present = {(edge.source, subpackage(edge.target)) for edge in edges}
    assert [pair for pair in UPWARD_ALLOWED if pair not in present] == []
    assert [sorted(cycle) for cycle in CYCLES_ALLOWED if cycle not in cycles(edges)] == []


def test_section_schemas_name_what_the_analyses_accept() -> None:
    """The spec's analysis-section schemas moved to the core (spec must not import sensitivity) stay in step."""
    from opt_model.errors import SpecError
    from opt_model.section_schemas import TARGET_KINDS, THRESHOLD_NAMES
    from opt_model.sensitivity import THRESHOLDS, parameters_from_spec

    assert THRESHOLD_NAMES == THRESHOLDS
    for kind in TARGET_KINDS:
        entry = {"target": kind, "of": "x", "distribution": "relative", "percent": 10}
        parameters_from_spec([{**entry, "variable": "y"} if kind.startswith("coef") else entry])
    with pytest.raises(SpecError, match="target must be one of"):
        parameters_from_spec([{"target": "budget", "of": "x", "distribution": "relative", "percent": 10}])


@pytest.mark.parametrize(("module", "planted", "finds"), [
    ("solvers.backend", "def f():\n    from opt_model.model import Model\n", "upward"),
    ("opt_model.spec.schema", "if TYPE_CHECKING:\n    from opt_model.sensitivity.report import SensitivityReport\n",
     "upward"),
    ("opt_model.sensitivity.engine", "def f():\n    import opt_model.cli.output\n", "upward"),
    ("opt_model.compiler", "def f():\n    from opt_model.model import Model\n", "cycle"),
])
def test_the_checks_catch_a_planted_violation(module: str, planted: str, finds: str) -> None:
    """Each check fails on a violation planted in a module's text (the files on disk are not touched)."""
    path = module_files()[module]
    text = path.read_text() + "\nfrom typing import TYPE_CHECKING\n" + planted
    edges = all_edges({module: text})
    if finds == "upward":
        assert any(line.startswith(module + ":") for line in upward(edges))
    else:
        assert any(module in component for component in cycles(edges))
