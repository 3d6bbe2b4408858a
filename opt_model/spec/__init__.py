"""YAML specs: resource-allocation models written as data, with units.

A spec (format version 1, documented in ``docs/specs.md``) declares dims,
data (inline or CSV), resources with capacities and usage, variables,
constraints and objectives; expressions are parsed by the project's own
grammar and evaluated into vectorised modeling-API calls.

Loading runs three phases and reports every problem of the phase that fails,
each as ``file:line:column: message``: YAML (syntax, duplicate keys), structure
(the JSON Schema, :data:`SCHEMA`), meaning (names, dims, units, numbers).

Example
-------
>>> from opt_model.spec import loads_spec
>>> model = loads_spec('''
... version: 1
... dims:
...   task: [etl, train, serve]
...   host: [h1, h2]
... data:
...   mem_need: {dims: [task], unit: GiB, values: {etl: 8, train: 48, serve: 16}}
...   price: {dims: [task, host], unit: USD, values: [[1, 2], [3, 4], [2, 1]]}
... variables:
...   x: {dims: [task, host], upper: 1}
... resources:
...   memory:
...     unit: GiB
...     capacity: {h1: 32 GiB, h2: 65536 MiB}
...     usage: "sum(mem_need * x, over=task)"
... constraints:
...   assign: "sum(x, over=host) == 1"
... objective:
...   minimize: "sum(price * x)"
... ''')
>>> result = model.solve()
>>> result.status.value, round(result.objective, 6), model.metadata["spec"].objective_unit
('optimal', 5.5, 'USD')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from opt_model.errors import SpecError
from opt_model.model import Model
from opt_model.spec.loader import SpecMap, parse_yaml, read_yaml
from opt_model.spec.schema import SCHEMA, SPEC_VERSION

__all__ = ["SCHEMA", "SPEC_VERSION", "SpecError", "allow_data_roots", "load_spec", "loads_spec", "to_spec",
           "validate_spec"]

_DATA_ROOTS: ContextVar[tuple[Path, ...]] = ContextVar("data_roots", default=())


@contextmanager
def allow_data_roots(folders: Sequence[str | Path]) -> Iterator[None]:
    """Let specs loaded inside the block read CSV files in ``folders`` too (besides their own folder).

    The command line's ``--allow-data-outside FOLDER`` uses it; ``load_spec(..., data_roots=...)``
    does the same for one call.
    """
    token = _DATA_ROOTS.set((*_DATA_ROOTS.get(), *(Path(folder) for folder in folders)))
    try:
        yield
    finally:
        _DATA_ROOTS.reset(token)


def _roots(data_roots: Sequence[str | Path] | None, extra: Sequence[str | Path] = ()) -> list[Path]:
    return [*_DATA_ROOTS.get(), *(Path(root) for root in (data_roots or ())), *(Path(p) for p in extra)]


ITEM_SECTIONS = ("dims", "data", "networks", "variables", "resources", "expressions", "constraints")


def _prune(document: SpecMap, problems: list[SpecError], paths: list[tuple[Any, ...]]) -> tuple[SpecMap, set[str]]:
    """A copy of ``document`` without the items that break the schema, and their names.

    Semantic checks then run on the rest, so one pass reports every problem;
    references to a removed item stay silent.
    """
    broken_items: set[tuple[str, str]] = set()
    broken_sections: set[str] = set()
    for path in paths:
        if not path:
            continue
        if path[0] in ITEM_SECTIONS and len(path) >= 2:
            broken_items.add((str(path[0]), str(path[1])))
        elif path[0] not in ("version", "name", "description"):
            broken_sections.add(str(path[0]))
    broken_sections.update(str(key) for key in document if key not in SCHEMA["properties"])  # unknown keys
    pruned = _copy_map(document, {key for key in document if key in broken_sections})
    names: set[str] = set()
    for section, name in broken_items:
        if isinstance(pruned.get(section), dict):
            pruned[section] = _copy_map(pruned[section], {name})
        names.add(name)
    for section in broken_sections:
        content = document.get(section)
        if (section in ITEM_SECTIONS or section not in SCHEMA["properties"]) and isinstance(content, dict):
            names.update(str(key) for key in content)  # a misspelled section: its names stay silent
        elif section == "units" or section not in SCHEMA["properties"]:  # e.g. 'unit:' for 'units:'
            names.update(_unit_names(content))
    return pruned, names


def _unit_names(content: Any) -> set[str]:
    if isinstance(content, dict):
        return {str(key) for key in content}
    if isinstance(content, list):
        return {str(item).split("=", 1)[0].strip() for item in content}
    return set()


def _copy_map(source: SpecMap, without: set[Any]) -> SpecMap:
    copy = SpecMap((k, v) for k, v in source.items() if k not in without)
    copy.loc, copy.key_locs, copy.value_locs = source.loc, source.key_locs, source.value_locs
    return copy


def _build(document: Any, file: str, base_dir: Path, data_roots: list[Path] | None = None
           ) -> tuple[Model | None, list[SpecError]]:
    from opt_model.spec.build import SpecBuilder
    from opt_model.spec.schema import structural_paths

    problems, paths = structural_paths(document)
    if problems and not isinstance(document, SpecMap):
        return None, problems
    assert isinstance(document, SpecMap)
    pruned, poisoned = _prune(document, problems, paths) if problems else (document, set())
    builder = SpecBuilder(pruned, file, base_dir, poisoned, data_roots)
    model = builder.build()
    errors = sorted([*problems, *builder.errors],
                    key=lambda e: (e.file != file, e.file or "", e.line or 0, e.column or 0))
    unique: list[SpecError] = []
    seen: set[str] = set()
    for error in errors:
        if str(error) not in seen:
            seen.add(str(error))
            unique.append(error)
    return (None if unique else model), unique


def _read(path: str | Path) -> tuple[Any, str, Path]:
    file = str(path)
    try:
        document = read_yaml(path)
    except SpecError:
        raise
    if document is None:
        raise SpecError(f"the spec is empty; start it with 'version: {SPEC_VERSION}'", file, 1, 1)
    return document, file, Path(path).resolve().parent


def load_spec(path: str | Path, csv_replacements: Mapping[str, str | Path] | None = None, *,
              data_roots: Sequence[str | Path] | None = None) -> Model:
    """Load a YAML spec into a :class:`~opt_model.model.Model`.

    ``csv_replacements`` maps a ``csv:`` path as written in the spec to another
    file to read instead (for re-solving a spec on new data).  CSV files must be
    in the spec's folder (or below it), in a folder of ``data_roots``, or be a
    replacement named here: a spec is data people pass around, so reading
    elsewhere is an explicit choice.

    Raises one :class:`~opt_model.errors.SpecError` listing every problem
    (``error.errors``), one ``file:line:column: message`` line each.  CSV
    files are found relative to the spec.

    Example
    -------
    >>> import opt_model as om
    >>> model = load_spec("problems/vm_placement.yaml")
    >>> round(model.solve().objective, 2), model.metadata["expected"]["objective"]
    (616.32, 616.32)
    """
    document, file, base_dir = _read(path)
    replaced = [Path(v).resolve().parent for v in (csv_replacements or {}).values()]
    if csv_replacements:
        _replace_csv(document, {str(k): str(v) for k, v in csv_replacements.items()})
    model, errors = _build(document, file, base_dir, _roots(data_roots, replaced))
    if errors:
        raise SpecError.combine(errors)
    assert model is not None
    return model


def read_document(path: str | Path) -> Any:
    """The spec's YAML document (YAML 1.2 scalars, locations kept), without building a model."""
    return _read(path)[0]


def _replace_csv(node: Any, replacements: Mapping[str, str]) -> None:
    """Point every ``csv:`` entry named in ``replacements`` at its new file, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "csv" and isinstance(value, str) and value in replacements:
                node[key] = replacements[value]
            else:
                _replace_csv(value, replacements)
    elif isinstance(node, list):
        for item in node:
            _replace_csv(item, replacements)


def loads_spec(text: str, base_dir: str | Path = ".", file: str = "<spec>", *,
               data_roots: Sequence[str | Path] | None = None) -> Model:
    """Load a spec from a string (CSV files relative to ``base_dir``, inside it); see :func:`load_spec`."""
    document = parse_yaml(text, file)
    if document is None:
        raise SpecError(f"the spec is empty; start it with 'version: {SPEC_VERSION}'", file, 1, 1)
    model, errors = _build(document, file, Path(base_dir).resolve(), _roots(data_roots))
    if errors:
        raise SpecError.combine(errors)
    assert model is not None
    return model


def validate_spec(path: str | Path, *, data_roots: Sequence[str | Path] | None = None) -> list[SpecError]:
    """Every problem of a spec (empty when it is valid), without raising.

    Example
    -------
    >>> validate_spec("problems/vm_placement.yaml")
    []
    """
    try:
        document, file, base_dir = _read(path)
    except SpecError as error:
        return error.errors
    return _build(document, file, base_dir, _roots(data_roots))[1]


def to_spec(model: Model, data_dir: str | Path | None = None) -> dict[str, Any]:
    """A spec document (plain dicts, ready for ``yaml.safe_dump``) for ``model``; see :mod:`.export`."""
    from opt_model.spec.export import model_to_spec

    return model_to_spec(model, data_dir)
