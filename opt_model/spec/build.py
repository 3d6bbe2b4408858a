"""Building a :class:`~opt_model.model.Model` from a parsed, schema-valid spec.

The builder walks the sections in a fixed order (dims, networks, variables,
resources, expressions, data, constraints, objective), resolving names lazily
with cycle detection, so definitions may refer to each other in any order.
Every problem is collected with its location; an item that fails is skipped
and the items that depend on it stay silent, so one mistake gives one message.

Use :func:`opt_model.spec.load_spec`; this module is its engine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opt_model.dims import Dim, dims_text
from opt_model.errors import ModelError, SpecError, did_you_mean
from opt_model.labeled import LabeledArray
from opt_model.model import Model
from opt_model.spec import constraints, resources
from opt_model.spec import grammar as g
from opt_model.spec.evaluate import (
    BaseScope,
    EvalError,
    Evaluator,
    Poisoned,
    Value,
    broadcast_values,
)
from opt_model.spec.fields import (
    entry_value,
    infer_dims,
    is_number,
    label_text,
    table_from_list,
    table_from_mapping,
)
from opt_model.spec.loader import Loc, SpecList, SpecMap
from opt_model.spec.resources import ResourceInfo
from opt_model.spec.tables import CsvTables
from opt_model.spec.units import (
    CURRENCIES,
    Unit,
    UnitError,
    define_unit,
    dimensionless,
    factor,
    infinity_word,
    is_plain,
    parse_quantity,
    parse_unit,
    reduce_unit,
    unit_text,
)

SECTIONS = ("dims", "data", "variables", "resources", "expressions", "constraints")
FUNCTIONS = ("sum", "shift", "cost", "capacity", "provisioned")


@dataclass
class Definition:
    """A named item of a spec section."""

    section: str
    name: str
    raw: Any
    loc: Loc
    key_loc: Loc


@dataclass
class SpecInfo:
    """What a model built from a spec remembers about it (``model.metadata["spec"]``)."""

    path: str
    document: Any
    units: dict[str, str] = field(default_factory=dict)
    objective_unit: str = ""
    expected: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)


class SpecBuilder(BaseScope):
    """Builds one model from one spec document, collecting every problem."""

    def __init__(self, document: SpecMap, file: str, base_dir: Path, poisoned: set[str] | None = None,
                 data_roots: list[Path] | None = None) -> None:
        self.doc = document
        self.file = file
        self.base_dir = base_dir
        self.tables = CsvTables(base_dir, str(Path(file).parent), [base_dir, *(data_roots or [])])
        self.errors: list[SpecError] = []
        self.dims: dict[str, Dim] = {}
        self.defs: dict[str, Definition] = {}
        self.values: dict[str, Value] = {}
        self.failed: set[str] = set(poisoned or ())
        self.in_progress: list[str] = []
        self.data_only = 0
        self.resource_infos: dict[str, ResourceInfo] = {}
        self.cost_units: dict[str, Unit] = {}
        self.network_names: list[str] = []
        self.units_used: list[Unit] = []
        name = document.get("name") if isinstance(document.get("name"), str) else Path(file).stem
        self.model = Model(name or "model")
        self.info = SpecInfo(file, document)

    # problems --------------------------------------------------------------------------------
    def report(self, error: SpecError) -> None:
        self.errors.extend(e for e in error.errors if not self._consequence(e))

    def _consequence(self, error: SpecError) -> bool:
        """True for an unknown unit whose definition sits in a broken (e.g. misspelled) section."""
        match = re.search(r"unknown unit '([^']+)'", str(error.reason or error))
        return bool(match and match.group(1) in self.failed)

    @contextmanager
    def item(self, loc: Loc, name: str | None = None) -> Iterator[None]:
        """Run the building of one item; record its problems and carry on."""
        try:
            yield
        except SpecError as error:
            self.report(error)
            if name:
                self.failed.add(name)
        except ModelError as error:
            self.report(loc.error(str(error)))
            if name:
                self.failed.add(name)
        except Poisoned:
            if name:
                self.failed.add(name)

    def section(self, key: str) -> SpecMap:
        value = self.doc.get(key)
        if isinstance(value, SpecMap):
            return value
        empty = SpecMap()
        empty.loc, empty.key_locs, empty.value_locs = self.doc.loc, {}, {}
        return empty

    # the scope --------------------------------------------------------------------------------
    def dim(self, name: str) -> Dim | None:
        return self.dims.get(name)

    def known_names(self) -> list[str]:
        return list(self.defs)

    def known_dims(self) -> list[str]:
        return list(self.dims)

    def lookup(self, name: str, node: g.Name) -> Value:
        if name in self.failed:
            raise Poisoned(name)
        if name in self.values:
            value = self.values[name]
            if self.data_only and value.kind == "expr":
                raise EvalError(f"{name!r} has variables; only data and numbers can be used here", node)
            return value
        definition = self.defs.get(name)
        if definition is None:
            hint = did_you_mean(name, [*self.defs, *self.dims])
            if name in FUNCTIONS:
                hint = f"; {name} is a function: call it, like {name}(...)"
            raise EvalError(f"unknown name {name!r}{hint}", node)
        if self.data_only and definition.section != "data":
            raise EvalError(f"{name!r} is a {definition.section[:-1].replace('variable', 'variable')}; only data "
                            "and numbers can be used here (no variables, expressions or resources)", node)
        if name in self.in_progress:
            cycle = " -> ".join([*self.in_progress[self.in_progress.index(name):], name])
            raise EvalError(f"{name!r} is defined in terms of itself ({cycle})", node)
        if len(self.in_progress) >= MAX_REFERENCE_DEPTH:
            raise EvalError(f"definitions refer to each other more than {MAX_REFERENCE_DEPTH} levels deep (through "
                            f"{self.in_progress[0]!r}); shorten the chain (see docs/limits.md)", node)
        self.in_progress.append(name)
        try:
            value = self.resolve(definition)
        except SpecError as error:
            self.report(error)
            self.failed.add(name)
            raise Poisoned(name) from None
        except ModelError as error:
            self.report(definition.loc.error(str(error)))
            self.failed.add(name)
            raise Poisoned(name) from None
        except Poisoned:
            self.failed.add(name)
            raise
        finally:
            self.in_progress.pop()
        self.values[name] = value
        return value

    def ensure(self, name: str) -> Value | None:
        """Resolve a definition for its side effects; None when it failed."""
        try:
            return self.lookup(name, g.Name(0, 0, name))
        except Poisoned:
            return None

    def resolve(self, definition: Definition) -> Value:
        if definition.section == "data":
            self.data_only += 1
            try:
                return self.build_data(definition)
            finally:
                self.data_only -= 1
        if definition.section == "expressions":
            return self.build_expression(definition)
        if definition.section == "resources":
            return self.resource_info(definition).usage or Value(
                "number", 0.0, self.resource_info(definition).unit, (), literal=True)
        if definition.section == "variables":
            raise EvalError(f"variable {definition.name!r} is used before it is created")
        raise EvalError(f"{definition.name!r} is not a value")

    def resource_function(self, function: str, name: str, node: g.Node) -> Value:
        definition = self.defs.get(name)
        if definition is None or definition.section != "resources":
            resources = [n for n, d in self.defs.items() if d.section == "resources"]
            raise EvalError(f"{function}() takes a resource name; {name!r} is not a resource"
                            f"{did_you_mean(name, resources)}", node)
        if self.data_only and function != "capacity":
            raise EvalError(f"{function}() involves variables; only data can be used here", node)
        if name in self.failed:
            raise Poisoned(name)
        info = self.resource_info(definition)
        if function == "capacity":
            return info.capacity
        resource = self.create_resource(definition)
        if function == "provisioned":
            if resource.provisioned is None:
                raise EvalError(f"resource {name!r} has no 'provision' section", node)
            return Value("expr", resource.provisioned.to_expr(), info.unit, info.dims)
        if resource.price is None and resource.provision_price is None:
            raise EvalError(f"resource {name!r} has no price; add 'price:' to use cost({name})", node)
        return Value("expr", resource.cost(), self.cost_units.get(name, dimensionless()), ())

    # resources and constraints (opt_model.spec.resources, opt_model.spec.constraints) ------------------
    def resource_info(self, definition: Definition) -> ResourceInfo:
        return resources.resource_info(self, definition)

    def create_resource(self, definition: Definition) -> Any:
        return resources.create_resource(self, definition)

    def preferred_units(self) -> list[Unit]:
        return [*self.units_used, *(parse_unit(code) for code in CURRENCIES)]

    # expressions ----------------------------------------------------------------------------
    def parse(self, text: str, loc: Loc, what: str) -> g.Node:
        try:
            return g.parse(text)
        except g.ParseError as error:
            raise loc.shifted(error.offset).error(f"syntax error in {what}: {error.message}") from None

    def evaluate(self, text: str, loc: Loc, what: str, node: g.Node | None = None) -> Value:
        tree = node if node is not None else self.parse(text, loc, what)
        try:
            return Evaluator(self, text).value(tree)
        except EvalError as error:
            at = loc.shifted(error.node.start) if error.node is not None else loc
            raise at.error(f"{what}: {error.message}") from None

    def evaluate_data(self, text: str, loc: Loc, what: str) -> Value:
        self.data_only += 1
        try:
            value = self.evaluate(text, loc, what)
        finally:
            self.data_only -= 1
        if value.kind not in ("number", "data"):
            raise loc.error(f"{what} must be a number or data, got a {value.kind}")
        return value

    def convert(self, value: Value, target: Unit, loc: Loc, what: str, text: str = "") -> Value:
        """``value`` in ``target`` units; a dimensionless value is taken to be in ``target`` already."""
        if is_plain(value.unit) or value.unit == target:
            return Value(value.kind, value.obj, target, value.dims, value.literal)
        try:
            multiplier = factor(value.unit, target)
        except UnitError:
            shown = f" ({text!r})" if text else ""
            raise loc.error(f"{what}{shown} is in {unit_text(value.unit)} but must be in {unit_text(target)}: "
                            "the units are incompatible") from None
        return Value(value.kind, value.obj * multiplier, target, value.dims)

    def unit(self, raw: Any, loc: Loc, what: str) -> Unit:
        if raw is None:
            return dimensionless()
        try:
            unit = parse_unit(str(raw))
        except UnitError as error:
            raise loc.error(f"{what}: {error}") from None
        self.units_used.append(unit)
        return unit

    # dims ---------------------------------------------------------------------------------------
    def dim_list(self, raw: Any, loc: Loc, what: str) -> tuple[Dim, ...]:
        result: list[Dim] = []
        errors = []
        for index, name in enumerate(raw or []):
            item_loc = raw.item_loc(index) if isinstance(raw, SpecList) else loc
            dim = self.dims.get(name)
            if dim is None:
                if name in self.failed:
                    raise Poisoned(name)
                hint = did_you_mean(name, list(self.dims))
                errors.append(item_loc.error(f"{what}: unknown dimension {name!r}{hint}"))
            elif dim in result:
                errors.append(item_loc.error(f"{what}: dimension {name!r} is listed twice"))
            else:
                result.append(dim)
        if errors:
            raise SpecError.combine(errors)
        return tuple(result)

    def build_dims(self) -> None:
        section = self.section("dims")
        for name, raw in section.items():
            loc = section.value_loc(name)
            with self.item(loc, name):
                labels = self.dim_labels(name, raw, loc)
                self.dims[name] = Dim(name, labels)

    def dim_labels(self, name: str, raw: Any, loc: Loc) -> np.ndarray:
        if isinstance(raw, SpecMap):
            keys = [k for k in ("labels", "csv", "range") if k in raw]
            if len(keys) != 1:
                raise loc.error(f"dimension {name!r} needs exactly one of 'labels', 'csv' or 'range'")
            if "csv" in raw and raw.get("header") is True:  # the labels are a wide table's column names
                exclude = [*(str(c) for c in raw.get("exclude", [])), *(str(d) for d in self.section("dims"))]
                return self.tables.header_labels(raw["csv"], exclude, raw.value_loc("csv"))
            if "csv" in raw:
                column = raw.get("column", name)
                labels = self.tables.dim_labels(raw["csv"], column, raw.value_loc("csv"))
                if labels.size == 0:
                    raise loc.error(f"dimension {name!r} has no labels: column {column!r} of {raw['csv']!r} is empty")
                return labels
            if "range" in raw:
                count, start = raw["range"], raw.get("start", 0)
                for key, value in (("range", count), ("start", start)):
                    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 10 ** 15:
                        raise raw.value_loc(key).error(f"dimension {name!r}: {key} must be a whole number like 10, "
                                                       f"got {value!r}")
                if count <= 0:
                    raise raw.value_loc("range").error(f"dimension {name!r} has no labels; range must be >= 1")
                if count > MAX_LABELS:
                    raise raw.value_loc("range").error(f"dimension {name!r} has {count:,} labels, more than the limit "
                                                       f"of {MAX_LABELS:,} (see docs/limits.md)")
                return np.arange(start, start + count).astype(str)
            items, items_loc = raw["labels"], raw.value_loc("labels")
        else:
            items, items_loc = raw, loc
        if not items:
            raise items_loc.error(f"dimension {name!r} has no labels; give at least one")
        if not isinstance(items, list):
            raise items_loc.error(f"dimension {name!r}: labels must be a list like [a, b], got {type(items).__name__}")
        if len(items) > MAX_LABELS:
            raise items_loc.error(f"dimension {name!r} has {len(items):,} labels, more than the limit of "
                                  f"{MAX_LABELS:,} (see docs/limits.md)")
        texts = [label_text(item) for item in items]
        seen: dict[str, int] = {}
        errors = []
        for index, label in enumerate(texts):
            if label in seen:
                at = items.item_loc(index) if isinstance(items, SpecList) else items_loc
                errors.append(at.error(f"dimension {name!r}: label {label!r} repeats (item {seen[label] + 1}); "
                                       "labels must be unique"))
            seen.setdefault(label, index)
        if errors:
            raise SpecError.combine(errors)
        return np.array(texts)

    # names --------------------------------------------------------------------------------------
    def register_names(self) -> None:
        owners: dict[str, Definition] = {}
        for name in self.dims:
            loc = self.section("dims").key_loc(name)
            owners[name] = Definition("dims", name, None, loc, loc)
        for name in self.network_names:
            loc = self.section("networks").loc
            owners.setdefault(name, Definition("networks", name, None, loc, loc))
            self.defs.setdefault(name, owners[name])
        for section_name in ("data", "variables", "resources", "expressions", "constraints"):
            section = self.section(section_name)
            for name, raw in section.items():
                key_loc = section.key_loc(name)
                if name in g.KEYWORDS:
                    self.report(key_loc.error(f"{name!r} is a keyword of the expression language; choose another name"))
                    continue
                if name in owners:
                    first = owners[name]
                    self.report(key_loc.error(f"the name {name!r} is already used by {first.section} (line "
                                              f"{first.key_loc.line}); names must be unique across sections"))
                    continue
                definition = Definition(section_name, name, raw, section.value_loc(name), key_loc)
                owners[name] = definition
                if section_name != "constraints":
                    self.defs[name] = definition

    # units of the spec's own ----------------------------------------------------------------------
    def build_units(self) -> None:
        """Define the ``units:`` section's units (before anything that may use them)."""
        section = self.doc.get("units")
        items: list[tuple[str, str | None, Loc]]
        if isinstance(section, SpecList):
            items = [(str(text), None, section.item_loc(k)) for k, text in enumerate(section)]
        elif isinstance(section, SpecMap):
            items = [(str(name), None if ref is None else str(ref), section.value_loc(name))
                     for name, ref in section.items()]
        else:
            return
        for text, reference, loc in items:
            with self.item(loc):
                try:
                    define_unit(text, reference)
                except UnitError as error:
                    raise loc.error(f"units: {error}") from None

    # csv pre-pass -----------------------------------------------------------------------------
    def declare_csv_columns(self) -> None:
        for name, raw in self.section("dims").items():
            if isinstance(raw, dict) and isinstance(raw.get("csv"), str):
                self.tables.declare(raw["csv"], [raw.get("column", name)])
        for _name, raw in self.section("data").items():
            if isinstance(raw, dict) and isinstance(raw.get("csv"), str):
                dims = [d for d in raw.get("dims", []) if isinstance(d, str)]
                index = raw.get("index") or [d for d in dims if d != raw.get("columns")]
                self.tables.declare(raw["csv"], [str(c) for c in index])
        from opt_model.spec.network import declare_network_csv
        for _name, raw in self.section("networks").items():
            declare_network_csv(self, raw)

    # data ----------------------------------------------------------------------------------------
    def build_data(self, definition: Definition) -> Value:
        raw, loc, name = definition.raw, definition.loc, definition.name
        if is_number(raw):
            if math.isnan(raw):
                raise loc.error(f"data {name!r} is NaN; give a number")
            return Value("number", float(raw), dimensionless(), ())
        if isinstance(raw, str):
            return self.evaluate_data(raw, loc, f"data {name!r}")
        dims = self.dim_list(raw.get("dims"), raw.value_loc("dims"), f"data {name!r}")
        check_size(dims, raw.value_loc("dims"), f"data {name!r}")
        unit = self.unit(raw["unit"], raw.value_loc("unit"), f"unit of data {name!r}") if "unit" in raw else None
        default = None
        if "default" in raw:
            default, unit = entry_value(raw["default"], unit, raw.value_loc("default"), f"default of data {name!r}")
        if "values" in raw and "csv" in raw:
            raise raw.key_loc("csv").error(f"data {name!r} has both 'values' and 'csv'; give one of them")
        if "values" in raw:
            values = raw["values"]
            if isinstance(values, dict):
                array, unit = table_from_mapping(values, dims, unit, default, f"data {name!r}")
            else:
                array, unit = table_from_list(values, dims, unit, f"data {name!r}")
        elif "csv" in raw:
            array = self.csv_data(name, raw, dims)
        elif default is not None:
            array = np.full(tuple(len(d) for d in dims), default)
        else:
            raise loc.error(f"data {name!r} needs 'values', 'csv' or 'default'")
        if not dims:
            return Value("number", float(array), unit or dimensionless(), ())
        return Value("data", LabeledArray(array, dims, name), unit or dimensionless(), dims)

    def csv_data(self, name: str, raw: SpecMap, dims: tuple[Dim, ...]) -> np.ndarray:
        relpath = raw["csv"]
        loc = raw.value_loc("csv")
        default = raw.get("default")
        default_value = None if default is None else entry_value(default, None, loc, "default")[0]
        if "columns" in raw:
            column_dim = self.dims.get(raw["columns"])
            if column_dim is None or column_dim not in dims:
                raise raw.value_loc("columns").error(
                    f"data {name!r}: 'columns' must be one of its dims {[d.name for d in dims]}, got "
                    f"{raw['columns']!r}")
            row_dims = tuple(d for d in dims if d is not column_dim)
            index = list(raw.get("index") or [d.name for d in row_dims])
            if len(index) != len(row_dims):
                raise raw.value_loc("index").error(f"data {name!r}: 'index' names {len(index)} columns but the rows "
                                                   f"have {len(row_dims)} dims")
            values = self.tables.wide_data(relpath, row_dims, index, column_dim, default_value, loc, name)
            order = [*(d.name for d in row_dims), column_dim.name]
            perm = [order.index(d.name) for d in dims]
            return np.transpose(values, perm) if perm != list(range(len(perm))) else values
        index = list(raw.get("index") or [d.name for d in dims])
        if len(index) != len(dims):
            raise raw.value_loc("index").error(f"data {name!r}: 'index' names {len(index)} columns for "
                                               f"{len(dims)} dims")
        return self.tables.long_data(relpath, dims, index, raw.get("column"), default_value, loc, name)

    # numeric fields -------------------------------------------------------------------------------
    def numeric(self, raw: Any, loc: Loc, unit: Unit, dims: tuple[Dim, ...] | None, what: str,
                allow_inf: bool = False, unbounded: float | None = None) -> Value:
        """A numeric field (number, quantity, data expression or label mapping) in ``unit``.

        ``inf``/``-inf`` are numbers; ``unbounded`` is what ``null`` in a label mapping means.
        """
        if isinstance(raw, str) and raw.strip() not in self.defs and infinity_word(raw) is not None:
            raw = infinity_word(raw)
        if is_number(raw):
            number = float(raw)
            if math.isnan(number) or (math.isinf(number) and not allow_inf):
                raise loc.error(f"{what} is {number}; give a finite number")
            return Value("number", number, unit, ())
        value: Value
        if isinstance(raw, str):
            value = self.convert(self.evaluate_data(raw, loc, what), unit, loc, what, raw)
        else:
            target = dims if dims else infer_dims(raw, list(self.dims.values()), loc, what)
            target = target[:_mapping_depth(raw)] if dims is None else target
            array, found = table_from_mapping(raw, target, None, None, what, unbounded=unbounded)
            value = self.convert(Value("data", LabeledArray(array, target), found or dimensionless(), target),
                                 unit, loc, what)
        if dims is not None:
            extra = [d.name for d in value.dims if d not in dims]
            if extra:
                raise loc.error(f"{what} has dims {dims_text(value.dims)} but only {dims_text(dims)} are allowed "
                                f"here (extra: {', '.join(extra)})")
        array = np.asarray(value.obj.values if value.kind == "data" else value.obj)
        bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            where = value.obj.label_of(k) if value.kind == "data" else ""
            raise loc.error(f"{what}{where} is {array.ravel()[k]}; give a finite number")
        return value

    # variables -----------------------------------------------------------------------------------
    def build_variables(self) -> None:
        section = self.section("variables")
        for name in section:
            definition = self.defs.get(name)
            if definition is None or definition.section != "variables":
                continue
            with self.item(definition.loc, name):
                self.build_variable(definition)

    def build_variable(self, definition: Definition) -> None:
        raw, name = definition.raw, definition.name
        dims = self.dim_list(raw.get("dims"), raw.value_loc("dims"), f"variable {name!r}")
        check_size(dims, raw.value_loc("dims"), f"variable {name!r}")
        unit = self.unit(raw.get("unit"), raw.value_loc("unit"), f"unit of variable {name!r}")
        kind = raw.get("type", "continuous")
        if raw.get("binary"):
            kind = "binary"
        elif raw.get("integer"):
            kind = "integer" if kind != "binary" else kind
        bounds = []
        for key, default in (("lower", 0.0), ("upper", None)):
            if key in raw and raw[key] is not None:
                value = self.numeric(raw[key], raw.value_loc(key), unit, dims, f"{key} bound of {name!r}",
                                     allow_inf=True, unbounded=-np.inf if key == "lower" else np.inf)
                bounds.append(_expand(value, dims))
            else:
                bounds.append(-np.inf if key == "lower" and key in raw else default)
        lower, upper = bounds
        if "where" in raw:
            mask = self.mask(raw["where"], raw.value_loc("where"), dims, f"where filter of variable {name!r}")
            lower = np.where(mask, _full(lower, dims), 0.0)
            upper = np.where(mask, _full(upper, dims), 0.0)
        lower = LabeledArray(lower, dims) if isinstance(lower, np.ndarray) else lower
        upper = LabeledArray(upper, dims) if isinstance(upper, np.ndarray) else upper
        variable = self.model.add_variables(name, dims, lb=lower, ub=upper, integer=kind == "integer",
                                            binary=kind == "binary")
        self.values[name] = Value("expr", variable.to_expr(), unit, dims)
        self.info.units[name] = unit_text(unit)

    def mask(self, text: str, loc: Loc, dims: tuple[Dim, ...], what: str) -> np.ndarray:
        tree = self.parse(text, loc, what)
        self.data_only += 1
        try:
            value = Evaluator(self, text).condition(tree)
        except EvalError as error:
            at = loc.shifted(error.node.start) if error.node is not None else loc
            raise at.error(f"{what}: {error.message}") from None
        finally:
            self.data_only -= 1
        extra = [d.name for d in value.dims if d not in dims]
        if extra:
            raise loc.error(f"{what} uses dims {extra} that are not in {dims_text(dims)}")
        return np.asarray(broadcast_values(value.obj, value.dims, dims), dtype=bool)

    # expressions ----------------------------------------------------------------------------------
    def build_expression(self, definition: Definition) -> Value:
        raw = definition.raw
        text = raw if isinstance(raw, str) else raw["expr"]
        loc = definition.loc if isinstance(raw, str) else raw.value_loc("expr")
        value = self.evaluate(text, loc, f"expression {definition.name!r}")
        if value.kind not in ("number", "data", "expr"):
            raise loc.error(f"expression {definition.name!r} must be a value, got a {value.kind}")
        if isinstance(raw, SpecMap) and "unit" in raw:
            unit = self.unit(raw["unit"], raw.value_loc("unit"), f"unit of expression {definition.name!r}")
            value = self.convert_strict(value, unit, loc, f"expression {definition.name!r}")
        else:
            value = self.simplify(value)
        self.info.units[definition.name] = unit_text(value.unit)
        if value.kind == "expr":
            self.info.expressions[definition.name] = value.obj
        return value

    def convert_strict(self, value: Value, unit: Unit, loc: Loc, what: str) -> Value:
        if value.unit == unit or value.is_zero_literal:
            return Value(value.kind, value.obj, unit, value.dims)
        try:
            multiplier = factor(value.unit, unit)
        except UnitError:
            raise loc.error(f"{what} is in {unit_text(value.unit)} but is declared in {unit_text(unit)}: the "
                            "units are incompatible") from None
        return Value(value.kind, value.obj * multiplier, unit, value.dims)

    def simplify(self, value: Value) -> Value:
        if is_plain(value.unit):
            return value
        unit, multiplier = reduce_unit(value.unit, self.preferred_units())
        if multiplier == 1.0 and unit == value.unit:
            return value
        return Value(value.kind, value.obj * multiplier, unit, value.dims)

    def build_expressions(self) -> None:
        for name in self.section("expressions"):
            definition = self.defs.get(name)
            if definition is not None and definition.section == "expressions":
                with self.item(definition.loc, name):
                    self.ensure(name)

    def build_remaining_data(self) -> None:
        for name in self.section("data"):
            definition = self.defs.get(name)
            if definition is not None and definition.section == "data":
                with self.item(definition.loc, name):
                    self.ensure(name)

    # solver, options, expected ----------------------------------------------------------------------
    def build_settings(self) -> None:
        if isinstance(self.doc.get("solver"), str):
            self.model.solver = self.doc["solver"]
        options = self.doc.get("options")
        if isinstance(options, SpecMap):
            with self.item(self.doc.value_loc("options")):
                settings: dict[str, Any] = {}
                for key, value in options.items():
                    if key == "time_limit" and isinstance(value, str):
                        loc = options.value_loc(key)
                        try:
                            magnitude, unit = parse_quantity(value)
                            value = magnitude * factor(unit, parse_unit("s")) if not is_plain(unit) \
                                else magnitude
                        except UnitError as error:
                            raise loc.error(f"options.time_limit: {error}") from None
                    if key == "time_limit" and (not isinstance(value, (int, float)) or value <= 0
                                                or math.isnan(value)):
                        raise options.value_loc(key).error("options.time_limit must be a positive duration")
                    check_option(key, value, options.value_loc(key))
                    settings[key] = dict(value) if isinstance(value, dict) else value
                self.model.solver_options = settings
        expected = self.doc.get("expected")
        if isinstance(expected, dict):
            self.info.expected = dict(expected)

    # the whole spec -----------------------------------------------------------------------------------
    def build(self) -> Model:
        from opt_model.spec.network import build_networks, network_dims
        from opt_model.spec.objectives import build_objective

        self.build_units()
        self.declare_csv_columns()
        self.build_dims()
        self.network_names = network_dims(self)
        self.register_names()
        self.build_settings()
        build_networks(self)
        self.build_variables()
        resources.build_resources(self)
        self.build_expressions()
        self.build_remaining_data()
        constraints.build_constraints(self)
        build_objective(self)
        self.model.metadata["spec"] = self.info
        self.model.metadata["expected"] = dict(self.info.expected)
        self.model.metadata["units"] = dict(self.info.units)
        return self.model


MAX_LABELS = 1_000_000
"""Most labels of one dimension."""
MAX_ENTRIES = 10_000_000
"""Most entries of one variable or data block (the product of its dims' sizes)."""
MAX_REFERENCE_DEPTH = 200
"""Longest chain of definitions that refer to each other (a uses b uses c ...)."""
MAX_THREADS = 256
"""Most solver threads a spec may ask for."""
_INT32 = 2 ** 31 - 1


def check_size(dims: tuple[Dim, ...], loc: Loc, what: str) -> None:
    """Refuse a block over ``dims`` with more than :data:`MAX_ENTRIES` entries, before it is built."""
    entries = math.prod(len(d) for d in dims)
    if entries > MAX_ENTRIES:
        raise loc.error(f"{what} over {dims_text(dims)} would have {entries:,} entries, more than the limit of "
                        f"{MAX_ENTRIES:,} (see docs/limits.md)")


def check_option(key: str, value: Any, loc: Loc) -> None:
    """Refuse a solver option whose value is out of range (NaN, negative, absurdly large)."""
    if key == "mip_gap" and (not isinstance(value, (int, float)) or isinstance(value, bool)
                             or not math.isfinite(value) or value < 0):
        raise loc.error(f"options.mip_gap must be a finite number >= 0 (0.01 is a 1% gap), got {value!r}")
    if key == "threads" and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_THREADS):
        raise loc.error(f"options.threads must be a whole number from 1 to {MAX_THREADS}, got {value!r}")
    if key == "seed" and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _INT32):
        raise loc.error(f"options.seed must be a whole number from 0 to {_INT32}, got {value!r}")
    if key == "extra":
        if not isinstance(value, dict):
            raise loc.error(f"options.extra must be a mapping of solver option names to values, got {value!r}")
        for name, item in value.items():
            where = value.value_loc(name) if isinstance(value, SpecMap) else loc
            if not isinstance(name, str) or not name:
                raise where.error(f"options.extra: {name!r} is not an option name")
            ok = isinstance(item, (str, bool)) or (isinstance(item, int) and abs(item) <= _INT32) or (
                isinstance(item, float) and not math.isnan(item))
            if not ok:
                raise where.error(f"options.extra.{name} must be a single number, string or true/false, got "
                                  f"{item!r}")


def _mapping_depth(raw: Any) -> int:
    depth = 0
    while isinstance(raw, dict) and raw:
        depth += 1
        raw = next(iter(raw.values()))
    return depth


def _expand(value: Value, dims: tuple[Dim, ...]) -> Any:
    if value.kind == "number":
        return float(value.obj)
    return np.array(broadcast_values(value.obj.values, value.dims, dims))


def _full(bound: Any, dims: tuple[Dim, ...]) -> np.ndarray:
    shape = tuple(len(d) for d in dims)
    if bound is None:
        return np.full(shape, np.inf)
    return np.broadcast_to(np.asarray(bound, dtype=np.float64), shape)
