"""The ``constraints`` section: named comparisons, indexed by their dims or ``foreach``.

``expr <= rhs``, ``>=``, ``==`` and ranges ``lo <= expr <= hi``; the right
side is converted to the left side's unit; ``foreach`` fixes the dims and
their order; rows where ``where`` is false are left free.  Convex atoms are
handed to the model, which lowers them to cones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.constraints import ConstraintDef
from opt_model.dims import Dim, dims_text
from opt_model.spec import grammar as g
from opt_model.spec.evaluate import EvalError, Evaluator, Value, to_dims, union_dims
from opt_model.spec.loader import Loc
from opt_model.spec.units import Unit, UnitError, factor, is_plain, unit_text

if TYPE_CHECKING:
    from opt_model.spec.build import SpecBuilder


def build_constraints(builder: SpecBuilder) -> None:
    section = builder.section("constraints")
    for name, raw in section.items():
        loc = section.value_loc(name)
        if name in builder.failed or any(name == d for d in builder.defs):
            continue
        with builder.item(loc, name):
            build_constraint(builder, name, raw, loc)


def build_constraint(builder: SpecBuilder, name: str, raw: Any, loc: Loc) -> None:
    text = raw if isinstance(raw, str) else raw["expr"]
    text_loc = loc if isinstance(raw, str) else raw.value_loc("expr")
    what = f"constraint {name!r}"
    tree = builder.parse(text, text_loc, what)
    if not isinstance(tree, g.Compare):
        raise text_loc.error(f"{what} needs a comparison: expr <= rhs, expr >= rhs, expr == rhs, or "
                             "lo <= expr <= hi")
    ops = tree.ops
    if any(op in ("<", ">", "!=") for op in ops):
        bad = next(op for op in ops if op in ("<", ">", "!="))
        raise text_loc.error(f"{what}: {bad!r} is not allowed in a constraint; use <=, >= or ==")
    if len(ops) > 2 or (len(ops) == 2 and (ops[0] != ops[1] or ops[0] == "==")):
        raise text_loc.error(f"{what}: a chained comparison must be a range, lo <= expr <= hi "
                             "(or hi >= expr >= lo)")
    foreach = None
    if not isinstance(raw, str) and "foreach" in raw:
        foreach = builder.dim_list(raw["foreach"], raw.value_loc("foreach"), what)
    evaluator = Evaluator(builder, text)
    try:
        operands = [evaluator.eval(node) for node in tree.operands]
        for value, node in zip(operands, tree.operands):
            if value.kind not in ("number", "data", "expr"):
                raise EvalError(f"{evaluator.quote(node)} is not a number or expression", node)
        definition, unit = constraint_definition(builder, evaluator, tree, operands, what)
    except EvalError as error:
        at = text_loc.shifted(error.node.start) if error.node is not None else text_loc
        raise at.error(f"{what}: {error.message}") from None
    if not isinstance(definition, ConstraintDef):  # a convex atom: the model lowers it to cones
        if foreach is not None or (not isinstance(raw, str) and "where" in raw):
            raise text_loc.error(f"{what}: foreach and where are not supported with nonlinear atoms")
        builder.model.add_constraints(name, definition)
        return
    # the unit both sides were brought to (the bound's, see in_bound_unit): what one unit of the right-hand side means
    builder.info.units.setdefault(name, unit_text(unit))
    dims = definition.dims
    if foreach is not None:
        extra = [d.name for d in dims if d not in foreach]
        if extra:
            raise text_loc.error(f"{what} has dims {dims_text(dims)} but foreach lists "
                                 f"{dims_text(foreach)}: sum over {', '.join(extra)} (sum(..., over=...)) or "
                                 "add them to foreach")
        definition, _ = constraint_definition(builder, evaluator, tree, operands, what, target=foreach)
        dims = foreach
    if not isinstance(raw, str) and "where" in raw:
        mask = builder.mask(raw["where"], raw.value_loc("where"), dims, f"where filter of {what}")
        definition.lower = np.where(mask, definition.lower, -np.inf)
        definition.upper = np.where(mask, definition.upper, np.inf)
    builder.model.add_constraints(name, definition)


def in_bound_unit(evaluator: Evaluator, expr: Value, bound: Value, node: g.Node) -> Value:
    """``expr`` in the unit its bound is written in, when that differs and converts by a factor.

    ``sum(calcium * amount) >= 1 g`` with calcium in mg/kg and amount in g is a row in g,
    not in g*mg/kg: its value, right-hand side and shadow price then read in the unit the
    user wrote ("+1 g of calcium costs 0.53 USD", not "+1 g*mg/kg costs 5.3e-07 USD").
    Plain numbers, zero and other expressions leave the expression's unit as it is.
    """
    if expr.kind != "expr" or bound.kind == "expr" or bound.is_zero_literal or bound.unit == expr.unit \
            or is_plain(bound.unit):
        return expr
    try:
        multiplier = factor(expr.unit, bound.unit)
    except UnitError:
        return expr  # the comparison reports the mismatch
    return evaluator.checked(Value("expr", expr.obj * multiplier, bound.unit, expr.dims), node)


def constraint_definition(builder: SpecBuilder, evaluator: Evaluator, tree: g.Compare, operands: list[Value], what: str,
                          target: tuple[Dim, ...] | None = None) -> tuple[Any, Unit]:
    """The constraint of ``tree`` and the unit its row is in (the unit both sides were brought to)."""
    if len(operands) == 3:
        low, middle, high = operands
        if tree.ops[0] == ">=":
            low, high = high, low
        if middle.kind != "expr":
            raise EvalError("the middle of a range must contain variables", tree.operands[1])
        for bound, node in ((low, tree.operands[0]), (high, tree.operands[2])):
            if bound.kind == "expr":
                raise EvalError(f"the bounds of a range must be numbers or data; {evaluator.quote(node)} "
                                "has variables", node)
        if low.unit == high.unit:
            middle = in_bound_unit(evaluator, middle, low, tree.operands[1])
        low = evaluator.convert(low, middle.unit, tree.operands[0], "lower bound")
        high = evaluator.convert(high, middle.unit, tree.operands[2], "upper bound")
        dims = target or union_dims(middle.dims, low.dims, high.dims)
        return to_dims(middle, dims).between(to_dims(low, dims), to_dims(high, dims)), middle.unit
    left, right = operands
    left_node, right_node = tree.operands
    op = tree.ops[0]
    if left.kind != "expr" and right.kind != "expr":
        raise EvalError(f"{evaluator.quote(tree)} has no variables: it is always true or always false", tree)
    if left.kind != "expr":
        left, right, left_node, right_node = right, left, right_node, left_node
        op = {"<=": ">=", ">=": "<=", "==": "=="}[op]
    if left.is_zero_literal:
        left = Value(left.kind, left.obj, right.unit, left.dims)
    left = in_bound_unit(evaluator, left, right, left_node)
    right = evaluator.convert(right, left.unit, right_node,
                              f"cannot compare {evaluator.quote(left_node)} with {evaluator.quote(right_node)}")
    left_names, right_names = {d.name for d in left.dims}, {d.name for d in right.dims}
    if target is None and left_names and right_names and not (left_names <= right_names
                                                              or right_names <= left_names):
        raise EvalError(f"the two sides have different dims, {dims_text(left.dims)} and {dims_text(right.dims)}: "
                        "sum one side, or list every dim in foreach to compare each pair", tree)
    dims = target or union_dims(left.dims, right.dims)
    lhs, rhs = to_dims(left, dims), to_dims(right, dims)
    if op == "<=":
        return lhs <= rhs, left.unit
    if op == ">=":
        return lhs >= rhs, left.unit
    return lhs == rhs, left.unit
