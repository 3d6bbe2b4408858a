"""The ``objective`` section: one objective, weighted objectives, or priorities.

* ``objective: {minimize: "sum(price * x)", unit: USD}`` -- one objective.
* A list of entries, each with ``minimize`` or ``maximize``:

  - with ``priority`` (1 is optimised first): lexicographic.  Entries that share
    a priority are combined by ``weight``; an entry's ``tolerance`` (relative)
    or ``abs_tolerance`` says how much its level may worsen while later levels
    are optimised;
  - without priorities but with weights: one weighted objective;
  - with neither: lexicographic in list order.

Weights may carry units, which is how terms in different units are combined:
``weight: "0.2 USD/kWh"`` turns an energy term into money.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from opt_model.errors import SpecError
from opt_model.multiobjective import Objective
from opt_model.spec import grammar as g
from opt_model.spec.evaluate import Value, scale
from opt_model.spec.fields import is_number
from opt_model.spec.loader import Loc, SpecList
from opt_model.spec.units import (
    UnitError,
    dimensionless,
    factor,
    is_plain,
    parse_quantity,
    unit_text,
)

if TYPE_CHECKING:
    from opt_model.spec.build import SpecBuilder


class _Entry:
    def __init__(self, raw: Any, loc: Loc, index: int, single: bool) -> None:
        self.raw = raw
        self.loc = loc
        self.sense = "minimize" if "minimize" in raw else "maximize"
        self.text: str = raw[self.sense]
        self.text_loc = raw.value_loc(self.sense)
        self.priority: int | None = raw.get("priority")
        default_name = self.text if _is_name(self.text) else "objective" if single else f"objective_{index + 1}"
        self.name: str = raw.get("name", default_name)
        self.value: Value | None = None


def _is_name(text: str) -> bool:
    try:
        return isinstance(g.parse(text), g.Name)
    except g.ParseError:
        return False


def build_objective(builder: SpecBuilder) -> None:
    raw = builder.doc.get("objective")
    if raw is None:
        return
    items = raw if isinstance(raw, list) else [raw]
    entries: list[_Entry] = []
    for index, item in enumerate(items):
        loc = raw.item_loc(index) if isinstance(raw, SpecList) else builder.doc.value_loc("objective")
        entries.append(_Entry(item, loc, index, len(items) == 1))
    failed = False
    for entry in entries:
        with builder.item(entry.text_loc, None):
            entry.value = _evaluate(builder, entry)
        failed = failed or entry.value is None
    if failed:
        return
    with builder.item(builder.doc.value_loc("objective")):
        groups = _groups(entries)
        objectives = [_combine(builder, group) for group in groups]
        if len(objectives) > 1:
            if any(getattr(o.expr, "_is_convex_atom", False) for o in objectives):
                raise builder.doc.value_loc("objective").error(
                    "lexicographic objectives must be linear; nonlinear atoms (log, exp, ...) can be used in a "
                    "single or weighted objective")
            for objective, group in zip(objectives, groups):
                objective.priority = group[0].priority
            builder.model.objectives.set(objectives)  # priorities: Model.solve solves them stage by stage
        else:
            first = objectives[0]
            if first.sense == "minimize":
                builder.model.minimize(first.expr, unit=first.unit, name=first.name)
            else:
                builder.model.maximize(first.expr, unit=first.unit, name=first.name)
        builder.info.objective_unit = objectives[-1].unit


def _evaluate(builder: SpecBuilder, entry: _Entry) -> Value:
    what = "objective" if entry.name == "objective" else f"objective {entry.name!r}"
    value = builder.evaluate(entry.text, entry.text_loc, what)
    if value.kind not in ("number", "data", "expr"):
        raise entry.text_loc.error(f"{what} must be an expression, got a {value.kind}")
    if value.dims:
        names = ", ".join(d.name for d in value.dims)
        raise entry.text_loc.error(f"{what} has dims ({names}); an objective is one number: sum it, like "
                                   f"sum(..., over=[{names}])")
    if "unit" in entry.raw:
        unit = builder.unit(entry.raw["unit"], entry.raw.value_loc("unit"), f"unit of {what}")
        value = builder.convert_strict(value, unit, entry.text_loc, what)
    else:
        value = builder.simplify(value)
    return value


def _groups(entries: list[_Entry]) -> list[list[_Entry]]:
    with_priority = [e for e in entries if e.priority is not None]
    if with_priority and len(with_priority) != len(entries):
        errors = [e.loc.error("give every objective a 'priority', or none of them") for e in entries
                  if e.priority is None]
        raise SpecError.combine(errors)
    if with_priority:
        levels = sorted({e.priority for e in entries if e.priority is not None})
        return [[e for e in entries if e.priority == level] for level in levels]
    if len(entries) == 1 or any("weight" in e.raw for e in entries):
        return [entries]
    return [[e] for e in entries]


def _weight(builder: SpecBuilder, entry: _Entry) -> tuple[float, Any]:
    raw = entry.raw.get("weight", 1.0)
    loc = entry.raw.value_loc("weight")
    try:
        weight, unit = (float(raw), dimensionless()) if is_number(raw) else parse_quantity(raw)
    except UnitError as error:
        raise loc.error(f"weight of objective {entry.name!r}: {error}") from None
    if not math.isfinite(weight):
        raise loc.error(f"weight of objective {entry.name!r} is {weight}; give a finite number")
    return weight, unit


def _combine(builder: SpecBuilder, group: list[_Entry]) -> Objective:
    first = group[0]
    total: Any = None
    unit = None
    tolerance = 0.0
    abs_raw: tuple[Any, Loc] | None = None
    for entry in group:
        assert entry.value is not None
        weight, weight_unit = _weight(builder, entry)
        if entry.sense != first.sense:
            weight = -weight
        term_unit = entry.value.unit if is_plain(weight_unit) else entry.value.unit * weight_unit
        term = scale(entry.value, weight)
        if unit is None:
            unit = term_unit
        elif term_unit != unit:
            try:
                term = scale(term, factor(term_unit, unit))
            except UnitError:
                raise entry.loc.error(
                    f"objective {entry.name!r} is in {unit_text(term_unit)} but {first.name!r} is in "
                    f"{unit_text(unit)}; they cannot be added: give {entry.name!r} a weight with a unit, like "
                    f"weight: '1 {unit_text(unit)}/{unit_text(entry.value.unit)}'") from None
        total = term.obj if total is None else total + term.obj
        own_tolerance = entry.raw.get("tolerance", 0.0)
        if not is_number(own_tolerance) or not 0 <= own_tolerance < math.inf:
            raise entry.raw.value_loc("tolerance").error(
                f"tolerance of objective {entry.name!r} must be a finite number >= 0 (0.01 lets the level worsen "
                f"by 1%), got {own_tolerance!r}")
        tolerance = max(tolerance, float(own_tolerance))
        if "abs_tolerance" in entry.raw:
            abs_raw = (entry.raw["abs_tolerance"], entry.raw.value_loc("abs_tolerance"))
    assert unit is not None
    abs_tolerance = 0.0
    if abs_raw is not None:
        raw, loc = abs_raw
        if is_number(raw):
            abs_tolerance = float(raw)
        else:
            try:
                magnitude, found = parse_quantity(raw)
                abs_tolerance = magnitude * (factor(found, unit) if not is_plain(found) else 1.0)
            except UnitError as error:
                raise loc.error(f"abs_tolerance of objective {first.name!r}: {error}") from None
        if not 0 <= abs_tolerance < math.inf:
            raise loc.error(f"abs_tolerance must be a finite number >= 0, got {abs_tolerance}")
    name = first.name if len(group) == 1 else "+".join(e.name for e in group)
    return Objective(total, first.sense, tolerance, abs_tolerance, name, unit_text(unit))
