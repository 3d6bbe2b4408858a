"""Evaluating spec expressions: AST nodes to vectorised modeling-API calls, with units.

Each AST node becomes at most a few array operations on whole blocks
(:class:`~opt_model.labeled.LabeledArray`, :class:`~opt_model.expressions.LinearExpression`):
there is no Python loop over labels.  Alongside every value the evaluator
carries its unit (a pint unit) and its dims, so that

* ``a + b`` and comparisons convert ``b`` to ``a``'s unit, or fail naming both
  operands when the units measure different things (GiB against hours);
* ``a * b`` multiplies units (``USD/kWh * kWh`` is ``USD``);
* operands over different dims broadcast over the union of their named dims
  (``mem_need[task] * x[task, host]``) -- labels must still match exactly;
* a plain number is dimensionless, except ``0``, which fits any unit.

Example
-------
>>> from opt_model.spec.grammar import parse
>>> from opt_model.spec.units import parse_unit
>>> class Scope(BaseScope):
...     def lookup(self, name, node):
...         return Value("number", 2.0, parse_unit("h"), ())
>>> value = Evaluator(Scope(), "duration + 30 min").eval(parse("duration + 30 min"))
>>> value.obj, unit_text(value.unit)
(2.5, 'h')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opt_model.dims import Dim, dims_text
from opt_model.errors import ModelError, did_you_mean
from opt_model.expressions import LinearExpression, QuadraticExpression
from opt_model.labeled import LabeledArray
from opt_model.spec import grammar as g
from opt_model.spec.units import (
    Unit,
    UnitError,
    describe_dimension,
    dimensionless,
    factor,
    is_plain,
    parse_unit,
    unit_text,
)
from solvers.files import MAX_COEFFICIENT  # one limit for specs, model files and the Python API


class EvalError(Exception):
    """An expression cannot be evaluated; ``node`` is where (None: the whole expression)."""

    def __init__(self, message: str, node: g.Node | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


class Poisoned(Exception):  # noqa: N818 - a signal, not an error shown to anyone
    """A referenced definition failed earlier; its error is already reported."""


@dataclass
class Value:
    """A typed intermediate: ``kind`` is number, data, expr, mask, labels or string.

    ``obj`` is a float (number), :class:`LabeledArray` (data), linear or
    quadratic expression (expr), boolean ndarray over ``dims`` (mask), a
    :class:`Dim` (labels) or a str (string).
    """

    kind: str
    obj: Any
    unit: Unit
    dims: tuple[Dim, ...]
    literal: bool = False

    @property
    def is_zero_literal(self) -> bool:
        return self.literal and self.kind == "number" and self.obj == 0.0


class BaseScope:
    """What an expression can refer to; the spec builder implements it."""

    allow_variables = True

    def lookup(self, name: str, node: g.Name) -> Value:
        raise EvalError(f"unknown name {name!r}", node)

    def dim(self, name: str) -> Dim | None:
        return None

    def known_names(self) -> list[str]:
        return []

    def known_dims(self) -> list[str]:
        return []

    def resource_function(self, function: str, name: str, node: g.Node) -> Value:
        raise EvalError(f"{function}() takes a resource name", node)


# broadcasting helpers ------------------------------------------------------------------------
def union_dims(*groups: Sequence[Dim]) -> tuple[Dim, ...]:
    """The dims of every group, in order of first appearance; refuses more than :data:`MAX_ENTRIES` entries."""
    result: list[Dim] = []
    names: set[str] = set()
    for dims in groups:
        for d in dims:
            if d.name not in names:
                result.append(d)
                names.add(d.name)
    if len(result) > 1 and math.prod(len(d) for d in result) > MAX_ENTRIES:
        raise ModelError(f"combining values over {dims_text(tuple(result))} would make "
                         f"{math.prod(len(d) for d in result):,} entries, more than the limit of {MAX_ENTRIES:,}; "
                         "sum over a dimension first or use fewer labels (see docs/limits.md)")
    return tuple(result)


def broadcast_values(values: np.ndarray, dims: Sequence[Dim], target: Sequence[Dim]) -> np.ndarray:
    """``values`` over ``dims`` as a (read-only, no-copy) array over ``target`` (a superset)."""
    names = [d.name for d in dims]
    if names == [d.name for d in target]:
        return values
    present = [d.name for d in target if d.name in names]
    order = [names.index(name) for name in present]
    moved = np.transpose(values, order) if order != list(range(len(order))) else values
    shape = [len(d) if d.name in names else 1 for d in target]
    return np.broadcast_to(moved.reshape(shape), tuple(len(d) for d in target))


def to_dims(value: Value, target: tuple[Dim, ...]) -> Any:
    """The value's object expanded (and transposed) to exactly ``target`` dims."""
    if value.kind == "number" or [d.name for d in value.dims] == [d.name for d in target]:
        return value.obj
    if value.kind == "data":
        return LabeledArray(broadcast_values(value.obj.values, value.dims, target), target, value.obj.name)
    if value.kind == "mask":
        return broadcast_values(value.obj, value.dims, target)
    expr = value.obj
    if isinstance(expr, QuadraticExpression) or _is_convex(expr):
        raise ModelError("a quadratic or nonlinear expression cannot be broadcast over more dimensions; "
                         "give both sides the same dims")
    return expand_expression(expr, target)


def expand_expression(expr: LinearExpression, target: Sequence[Dim]) -> LinearExpression:
    names = [d.name for d in expr.dims]
    missing = [d for d in target if d.name not in names]
    if missing:
        expr = expr.expand(*missing)
        names = [d.name for d in expr.dims]
    order = [names.index(d.name) for d in target]
    if order == list(range(len(order))):
        return expr
    last = len(order)
    return LinearExpression(expr.model, tuple(target), np.transpose(expr.vars, (*order, last)),
                            np.transpose(expr.coeffs, (*order, last)), np.transpose(expr.const, order),
                            expr.blocks, expr.unique)


def scale(value: Value, multiplier: float) -> Value:
    """The value times a plain number (unit unchanged)."""
    if multiplier == 1.0:
        return value
    return Value(value.kind, value.obj * multiplier, value.unit, value.dims)


def _kind_of(left: Value, right: Value) -> str:
    if "expr" in (left.kind, right.kind):
        return "expr"
    if "data" in (left.kind, right.kind):
        return "data"
    return "number"


_FLIP = {"<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "<": ">", ">": "<"}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<=": np.less_equal, ">=": np.greater_equal, "==": np.equal, "!=": np.not_equal,
    "<": np.less, ">": np.greater,
}


class Evaluator:
    """Evaluates one expression's AST against a scope.

    ``text`` is the expression source, used to quote operands in messages.
    """

    def __init__(self, scope: BaseScope, text: str) -> None:
        self.scope = scope
        self.text = text
        self._room = False

    def quote(self, node: g.Node) -> str:
        return f"'{node.source(self.text)}'"

    # entry points -----------------------------------------------------------------------
    def value(self, node: g.Node) -> Value:
        """Evaluate ``node`` to a number, data or expression (not a condition, dim or string)."""
        return self._arith_operand(node)

    def eval(self, node: g.Node) -> Value:
        if self._room:
            return self._eval(node)
        with g.recursion_room():  # the outermost call makes room for nesting up to grammar.MAX_DEPTH
            self._room = True
            try:
                return self._eval(node)
            finally:
                self._room = False

    def _eval(self, node: g.Node) -> Value:
        method = getattr(self, "_" + type(node).__name__.lower())
        try:
            return method(node)
        except ModelError as error:
            raise EvalError(str(error), node) from None

    def convert(self, value: Value, target: Unit, node: g.Node, what: str) -> Value:
        """``value`` in ``target`` units (plain 0 fits any unit); raises naming both sides."""
        if value.is_zero_literal or value.unit == target:
            return Value(value.kind, value.obj, target, value.dims, value.literal)
        try:
            multiplier = factor(value.unit, target)
        except UnitError:
            raise EvalError(self.unit_mismatch_text(what, node, value.unit, target), node) from None
        converted = scale(value, multiplier)
        return self.checked(Value(converted.kind, converted.obj, target, converted.dims), node)

    def checked(self, value: Value, node: g.Node) -> Value:
        """``value``, after refusing a variable coefficient of :data:`MAX_COEFFICIENT` or more in magnitude.

        Solvers cannot work with such numbers (HiGHS refuses matrix entries from 1e15 and reads a
        cost from 1e20 as infinite, so an "optimal" result came with an infinite objective).
        """
        if value.kind != "expr":
            return value
        expr = value.obj
        parts = [(expr.linear.coeffs, expr.linear.const.shape)] if isinstance(expr, QuadraticExpression) else []
        if isinstance(expr, QuadraticExpression):
            parts.append((expr.qcoeffs, expr.linear.const.shape))
        elif isinstance(expr, LinearExpression):
            parts.append((expr.coeffs, expr.const.shape))
        for coeffs, shape in parts:
            coeffs = np.asarray(coeffs)
            if not coeffs.size:
                continue
            with np.errstate(invalid="ignore"):
                bad = ~(np.abs(coeffs) < MAX_COEFFICIENT)
            if not bad.any():
                continue
            k = int(np.flatnonzero(bad.ravel())[0])
            entry = float(coeffs.ravel()[k])
            where = ""
            if value.dims and math.prod(shape) and coeffs.size % math.prod(shape) == 0:
                per_entry = coeffs.size // math.prod(shape)
                position = np.unravel_index(k // per_entry, shape)
                where = " at [" + ", ".join(f"{d.name}={d.labels[p]}" for d, p in zip(value.dims, position)) + "]"
            raise EvalError(f"{self.quote(node)} gives a variable the coefficient {entry:g}{where}; coefficients "
                            f"must be smaller than {MAX_COEFFICIENT:g} in magnitude (solvers refuse larger ones, and "
                            "HiGHS reads a cost from 1e20 as infinite): use a larger unit for the data, or rescale "
                            "(see docs/limits.md)", node)
        return value

    def unit_mismatch_text(self, what: str, node: g.Node, unit: Unit, target: Unit) -> str:
        hint = ""
        if is_plain(unit) and isinstance(node, g.Number):
            hint = f"; write the number with a unit, like '{node.source(self.text)} {unit_text(target)}'"
        found = "is a plain number" if is_plain(unit) else \
            f"is in {unit_text(unit)} ({describe_dimension(unit)})"
        needed = "a plain number" if is_plain(target) else f"{unit_text(target)} ({describe_dimension(target)})"
        return f"{what}: {self.quote(node)} {found} but {needed} is needed{hint}"

    # leaves ------------------------------------------------------------------------------
    def _number(self, node: g.Number) -> Value:
        if node.unit is None:
            return Value("number", node.value, dimensionless(), (), literal=True)
        try:
            unit = parse_unit(node.unit)
        except UnitError as error:
            first = node.unit.split("/")[0].strip()
            if first in self.scope.known_names() or self.scope.dim(first) is not None:
                raise EvalError(f"{first!r} after a number is read as a unit; to multiply, write "
                                f"'{node.value:g} * {first}', and to divide a quantity, parenthesise it: "
                                f"'({node.value:g} unit) / {first}'", node) from None
            raise EvalError(f"{error}{did_you_mean(first, self.scope.known_names())}", node) from None
        return Value("number", node.value, unit, ())

    def _string(self, node: g.String) -> Value:
        return Value("string", node.value, dimensionless(), ())

    def _name(self, node: g.Name) -> Value:
        dim = self.scope.dim(node.name)
        if dim is not None:
            return Value("labels", dim, dimensionless(), (dim,))
        return self.scope.lookup(node.name, node)

    def _listof(self, node: g.ListOf) -> Value:
        raise EvalError("a list of names is only allowed as over=[...] in sum()", node)

    # arithmetic ---------------------------------------------------------------------------
    def _arith_operand(self, node: g.Node) -> Value:
        value = self.eval(node)
        if value.kind in ("number", "data", "expr"):
            return value
        if value.kind == "labels":
            raise EvalError(f"dimension {self.quote(node)} is not a number; use it in over=..., foreach or "
                            "a where filter", node)
        if value.kind == "mask":
            raise EvalError(f"{self.quote(node)} is a condition (true/false), not a number", node)
        raise EvalError(f"the string {self.quote(node)} is not a number", node)

    def _unary(self, node: g.Unary) -> Value:
        value = self._arith_operand(node.operand)
        return scale(value, -1.0) if node.op == "-" else value

    def _binary(self, node: g.Binary) -> Value:
        if node.op == "^":
            return self._power(node, self._arith_operand(node.left))
        # a + b - c ... is a left-deep chain: walk it in a loop (10,000 terms need no recursion)
        group = "+-" if node.op in "+-" else "*/"
        chain: list[g.Binary] = []
        current: g.Node = node
        while isinstance(current, g.Binary) and current.op in group:
            chain.append(current)
            current = current.left
        result = self._arith_operand(current)
        for link in reversed(chain):
            right = self._arith_operand(link.right)
            try:
                if link.op in "+-":
                    result = self._add(link, result, right)
                elif link.op == "*":
                    result = self._multiply(link, result, right)
                else:
                    result = self._divide(link, result, right)
            except ModelError as error:
                raise EvalError(str(error), link) from None
        return result

    def _add(self, node: g.Binary, left: Value, right: Value) -> Value:
        verb = "cannot add" if node.op == "+" else "cannot subtract"
        if left.is_zero_literal:
            unit = right.unit
        else:
            unit = left.unit
            if not right.is_zero_literal and right.unit != unit:
                try:
                    right = scale(right, factor(right.unit, unit))
                except UnitError:
                    raise EvalError(
                        f"{verb} {self.quote(node.right)} ({unit_text(right.unit)}, {describe_dimension(right.unit)}) "
                        f"{'to' if node.op == '+' else 'from'} {self.quote(node.left)} ({unit_text(left.unit)}, "
                        f"{describe_dimension(left.unit)}): the units are incompatible", node) from None
        dims = union_dims(left.dims, right.dims)
        a, b = to_dims(left, dims), to_dims(right, dims)
        if left.kind != "expr" and right.kind == "expr":
            result = (b - a) * -1.0 if node.op == "-" else b + a
        else:
            result = a + b if node.op == "+" else a - b
        return Value(_kind_of(left, right), result, unit, dims)

    def _multiply(self, node: g.Binary, left: Value, right: Value) -> Value:
        dims = union_dims(left.dims, right.dims)
        a, b = to_dims(left, dims), to_dims(right, dims)
        if left.kind != "expr" and right.kind == "expr":
            a, b = b, a
        if left.kind == "expr" and right.kind == "expr" and (
                isinstance(a, QuadraticExpression) or isinstance(b, QuadraticExpression)):
            raise EvalError(f"{self.quote(node)} multiplies a quadratic expression by a variable; "
                            "only products of two linear expressions are allowed", node)
        return self.checked(Value(_kind_of(left, right), a * b, _unit_product(left.unit, right.unit), dims), node)

    def _divide(self, node: g.Binary, left: Value, right: Value) -> Value:
        if right.kind == "expr":
            raise EvalError(f"cannot divide by {self.quote(node.right)}: it contains variables, and dividing by "
                            "a variable is not linear", node.right)
        values = np.asarray(right.obj.values if right.kind == "data" else right.obj)
        if (values == 0).any():
            where = right.obj.label_of(int(np.flatnonzero(values.ravel() == 0)[0])) if right.kind == "data" else ""
            raise EvalError(f"division by zero: {self.quote(node.right)}{where} is 0", node.right)
        dims = union_dims(left.dims, right.dims)
        a, b = to_dims(left, dims), to_dims(right, dims)
        try:
            unit = left.unit / right.unit
        except Exception:
            raise EvalError(f"cannot divide {unit_text(left.unit)} by {unit_text(right.unit)}", node) from None
        return self.checked(Value(_kind_of(left, right), a / b, unit, dims), node)

    def _power(self, node: g.Binary, base: Value) -> Value:
        exponent = self.eval(node.right)
        if exponent.kind != "number" or not is_plain(exponent.unit):
            raise EvalError(f"the exponent {self.quote(node.right)} must be a plain number", node.right)
        power = float(exponent.obj)
        if not math.isfinite(power):
            raise EvalError(f"the exponent {self.quote(node.right)} is {power}; give a finite number", node.right)
        if not is_plain(base.unit) and abs(power) > MAX_UNIT_POWER:
            raise EvalError(f"{self.quote(node)} raises a quantity in {unit_text(base.unit)} to {power:g}; a unit "
                            f"can be raised to at most {MAX_UNIT_POWER}", node)
        unit = base.unit ** power
        if base.kind in ("number", "data"):
            values = np.asarray(base.obj.values if base.kind == "data" else base.obj, dtype=np.float64)
            with np.errstate(all="ignore"):
                result = values ** power
            bad = ~np.isfinite(result) & np.isfinite(values)
            if bad.any():
                k = int(np.flatnonzero(bad.ravel())[0])
                where = base.obj.label_of(k) if base.kind == "data" else ""
                entry = float(values.ravel()[k])
                why = "0 cannot be raised to a negative power" if entry == 0 else \
                    "a negative number has no fractional power" if entry < 0 and np.isnan(result.ravel()[k]) else \
                    "the result is too large for a number"
                raise EvalError(f"{self.quote(node)}{where} is not finite ({entry:g} ^ {power:g}): {why}", node)
            if base.kind == "number":
                return Value("number", float(result), unit, ())
            return Value("data", LabeledArray(result, base.dims), unit, base.dims)
        if power == 1:
            return base
        if power == 2:
            return self.checked(Value("expr", base.obj * base.obj, unit, base.dims), node)
        raise EvalError(f"{self.quote(node)}: variables can only be squared (^2), not raised to {power:g}", node)

    # selection and calls ------------------------------------------------------------------
    def _select(self, node: g.Select) -> Value:
        value = self._arith_operand(node.target)
        if value.kind == "number":
            raise EvalError(f"{self.quote(node.target)} has no dimensions to select from", node)
        names = [d.name for d in value.dims]
        chosen: dict[str, str] = {}
        for dim_name, (label, offset) in node.labels.items():
            if dim_name not in names:
                raise EvalError(f"{self.quote(node.target)} has no dimension {dim_name!r}; its dims are "
                                f"{dims_text(value.dims)}{did_you_mean(dim_name, names)}", node)
            dim = value.dims[names.index(dim_name)]
            if label not in dim.index:
                labels = [str(x) for x in dim.labels[:2000].tolist()]
                raise EvalError(f"{label!r} is not a label of dimension {dim_name!r}{did_you_mean(label, labels)}",
                                g.String(offset, offset + len(label) + 2, label))
            chosen[dim_name] = label
        kept = tuple(d for d in value.dims if d.name not in chosen)
        return Value(value.kind, value.obj.sel(**chosen), value.unit, kept)

    def _call(self, node: g.Call) -> Value:
        name = node.func.name
        if name == "sum":
            return self._sum(node)
        if name == "shift":
            return self._shift(node)
        if name in ATOMS:
            return self._atom(node)
        if name in ("cost", "capacity", "provisioned"):
            if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], g.Name):
                raise EvalError(f"{name}() takes one resource name, like {name}(memory)", node)
            return self.scope.resource_function(name, node.args[0].name, node.args[0])
        functions = ["sum", "shift", "cost", "capacity", "provisioned", *ATOMS]
        raise EvalError(f"unknown function {name!r}{did_you_mean(name, functions)}; functions are "
                        f"{', '.join(functions)}", node.func)

    def dim_names(self, node: g.Node) -> list[g.Name]:
        items = node.items if isinstance(node, g.ListOf) else [node] if isinstance(node, g.Name) else None
        if items is None:
            raise EvalError(f"over= takes a dimension name or a list [a, b], got {self.quote(node)}", node)
        for item in items:
            if self.scope.dim(item.name) is None:
                raise EvalError(f"unknown dimension {item.name!r}{did_you_mean(item.name, self.scope.known_dims())}",
                                item)
        return items

    def _atom(self, node: g.Call) -> Value:
        """``log(e)``, ``exp(e)``, ... : numbers on data, convex atoms (lowered to cones) on expressions."""
        name = node.func.name
        if node.kwargs or len(node.args) != 1:
            raise EvalError(f"{name}() takes one argument, like {name}(x)", node)
        value = self._arith_operand(node.args[0])
        if name == "exp" and not is_plain(value.unit):
            raise EvalError(f"exp() needs a plain number, but {self.quote(node.args[0])} is in "
                            f"{unit_text(value.unit)}", node.args[0])
        unit = {"norm2": value.unit, "sum_squares": value.unit ** 2}.get(name, dimensionless())
        if value.kind == "expr":
            from opt_model import convex

            if not isinstance(value.obj, LinearExpression):
                raise EvalError(f"the argument of {name}() must be linear", node.args[0])
            atom = getattr(convex, name)(value.obj)
            return Value("expr", atom, unit, atom.dims)
        values = np.asarray(value.obj.values if value.kind == "data" else value.obj, dtype=np.float64)
        with np.errstate(all="ignore"):
            result = _NUMERIC_ATOMS[name](values)
        bad = ~np.isfinite(np.asarray(result))
        if bad.any():
            raise EvalError(f"{name}() of {self.quote(node.args[0])} is not finite (is an entry <= 0?)", node)
        if name in ("norm2", "sum_squares", "log_sum_exp") or value.kind == "number":
            return Value("number", float(np.asarray(result).reshape(-1)[0]) if np.ndim(result) == 0 else
                         float(result), unit, ())
        return Value("data", LabeledArray(result, value.dims), unit, value.dims)

    def _shift(self, node: g.Call) -> Value:
        """``shift(expr, dim)``: the value at the previous label of ``dim`` (0 at the first); ``shift(e, d, k)``."""
        if node.kwargs or len(node.args) not in (2, 3) or not isinstance(node.args[1], g.Name):
            raise EvalError("shift() takes an expression, a dimension and optionally a number of steps, like "
                            "shift(stock, month) or shift(stock, month, 2)", node)
        steps = 1
        if len(node.args) == 3:
            count = self.eval(node.args[2])
            if count.kind != "number" or not float(count.obj).is_integer():
                raise EvalError("the number of steps of shift() must be a whole number", node.args[2])
            steps = int(count.obj)
        value = self._arith_operand(node.args[0])
        dim_name = self.dim_names(node.args[1])[0].name
        names = [d.name for d in value.dims]
        if dim_name not in names:
            raise EvalError(f"cannot shift {self.quote(node.args[0])} along {dim_name!r}: its dims are "
                            f"{dims_text(value.dims) if value.dims else '() (a scalar)'}", node.args[1])
        axis = names.index(dim_name)
        shifted: LabeledArray | LinearExpression
        if value.kind == "data":
            shifted = LabeledArray(_shifted(value.obj.values, axis, steps, 0.0), value.dims)
        else:
            expr = value.obj
            if isinstance(expr, QuadraticExpression):
                raise EvalError("shift() takes a linear expression", node.args[0])
            shifted = LinearExpression(expr.model, expr.dims, _shifted(expr.vars, axis, steps, -1),
                                       _shifted(expr.coeffs, axis, steps, 0.0), _shifted(expr.const, axis, steps, 0.0),
                                       expr.blocks, expr.unique)
        return Value(value.kind, shifted, value.unit, value.dims)

    def _sum(self, node: g.Call) -> Value:
        unknown = set(node.kwargs) - {"over", "where"}
        if unknown:
            key = sorted(unknown)[0]
            raise EvalError(f"sum() has no argument {key!r}{did_you_mean(key, ['over', 'where'])}", node.kwargs[key])
        if len(node.args) != 1:
            raise EvalError("sum() takes one expression, like sum(x, over=host)", node)
        over = self.dim_names(node.kwargs["over"]) if "over" in node.kwargs else None
        value = self._arith_operand(node.args[0])
        names = [d.name for d in value.dims]
        if "where" in node.kwargs:
            mask = self.condition(node.kwargs["where"])
            extra = [d.name for d in mask.dims if d.name not in names]
            if extra:
                raise EvalError(f"the where filter uses dims {extra} that {self.quote(node.args[0])} does not have "
                                f"(its dims are {dims_text(value.dims)})", node.kwargs["where"])
            weights = LabeledArray(broadcast_values(mask.obj, mask.dims, value.dims).astype(np.float64), value.dims)
            value = Value(value.kind, value.obj * weights if value.dims else value.obj, value.unit, value.dims)
        if over is not None:
            for item in over:
                if item.name not in names:
                    raise EvalError(f"cannot sum {self.quote(node.args[0])} over {item.name!r}: its dims are "
                                    f"{dims_text(value.dims) if value.dims else '() (a scalar)'}", item)
            chosen = [item.name for item in over]
        else:
            chosen = names
        if not chosen:
            return value
        kept = tuple(d for d in value.dims if d.name not in chosen)
        if _is_convex(value.obj):
            if kept:
                raise EvalError(f"{self.quote(node.args[0])} has nonlinear atoms: sum it over all of its dims "
                                f"{dims_text(value.dims)} at once", node)
            return Value(value.kind, value.obj.sum(), value.unit, ())
        return Value(value.kind, value.obj.sum(chosen), value.unit, kept)

    # conditions ---------------------------------------------------------------------------
    def condition(self, node: g.Node) -> Value:
        """Evaluate a where filter to a boolean mask."""
        value = self.eval(node)
        if value.kind != "mask":
            raise EvalError(f"{self.quote(node)} is not a condition; compare values, like 'mem_need > 0 GiB' "
                            "or \"host != 'h3'\"", node)
        return value

    def _compare(self, node: g.Compare) -> Value:
        values = [self.eval(operand) for operand in node.operands]
        if any(v.kind == "expr" for v in values):
            raise EvalError(f"{self.quote(node)} compares variables; such a comparison is a constraint and "
                            "belongs at the top of a constraint's expression, not inside it", node)
        result: Value | None = None
        for k, op in enumerate(node.ops):
            part = self._compare_pair(op, values[k], values[k + 1], node.operands[k], node.operands[k + 1])
            result = part if result is None else self._combine("and", result, part)
        assert result is not None
        return result

    def _compare_pair(self, op: str, left: Value, right: Value, left_node: g.Node, right_node: g.Node) -> Value:
        if left.kind == "string" and right.kind == "labels":
            left, right, left_node, right_node, op = right, left, right_node, left_node, _FLIP[op]
        if left.kind == "labels":
            if right.kind != "string" or op not in ("==", "!="):
                raise EvalError(f"compare dimension {self.quote(left_node)} with a quoted label using == or !=, "
                                f"like {left_node.source(self.text)} == 'label'", right_node)
            dim = left.obj
            if right.obj not in dim.index:
                labels = [str(x) for x in dim.labels[:2000].tolist()]
                hint = did_you_mean(right.obj, labels)
                raise EvalError(f"{right.obj!r} is not a label of dimension {dim.name!r}{hint}", right_node)
            mask = np.asarray(dim.labels == right.obj)
            return Value("mask", mask if op == "==" else ~mask, dimensionless(), (dim,))
        for value, node in ((left, left_node), (right, right_node)):
            if value.kind not in ("number", "data"):
                raise EvalError(f"{self.quote(node)} cannot be compared with {op}", node)
        if not left.is_zero_literal and not right.is_zero_literal and left.unit != right.unit:
            try:
                right = scale(right, factor(right.unit, left.unit))
            except UnitError:
                raise EvalError(f"cannot compare {self.quote(left_node)} ({unit_text(left.unit)}) with "
                                f"{self.quote(right_node)} ({unit_text(right.unit)}): the units are incompatible",
                                right_node) from None
        dims = union_dims(left.dims, right.dims)
        a = _raw(to_dims(left, dims))
        b = _raw(to_dims(right, dims))
        return Value("mask", np.asarray(_COMPARE[op](a, b)), dimensionless(), dims)

    def _combine(self, op: str, left: Value, right: Value) -> Value:
        dims = union_dims(left.dims, right.dims)
        a = to_dims(left, dims)
        b = to_dims(right, dims)
        return Value("mask", np.asarray(np.logical_and(a, b) if op == "and" else np.logical_or(a, b)),
                     dimensionless(), dims)

    def _boolop(self, node: g.BoolOp) -> Value:
        result = self.condition(node.operands[0])
        for operand in node.operands[1:]:
            result = self._combine(node.op, result, self.condition(operand))
        return result

    def _not(self, node: g.Not) -> Value:
        value = self.condition(node.operand)
        return Value("mask", ~value.obj, value.unit, value.dims)


def _shifted(array: np.ndarray, axis: int, steps: int, fill: Any) -> np.ndarray:
    """``array`` moved ``steps`` positions forward along ``axis``; vacated entries are ``fill``."""
    result = np.full_like(array, fill)
    length = array.shape[axis]
    if abs(steps) >= length:
        return result
    source: list[Any] = [slice(None)] * array.ndim
    target: list[Any] = [slice(None)] * array.ndim
    if steps >= 0:
        source[axis], target[axis] = slice(0, length - steps), slice(steps, length)
    else:
        source[axis], target[axis] = slice(-steps, length), slice(0, length + steps)
    result[tuple(target)] = array[tuple(source)]
    return result


ATOMS = ("log", "exp", "entropy", "norm2", "sum_squares", "log_sum_exp")
_NUMERIC_ATOMS: dict[str, Callable[[np.ndarray], Any]] = {
    "log": np.log,
    "exp": np.exp,
    "entropy": lambda v: -v * np.log(v),
    "norm2": lambda v: np.sqrt((v ** 2).sum()),
    "sum_squares": lambda v: (v ** 2).sum(),
    "log_sum_exp": lambda v: np.log(np.exp(v).sum()),
}


MAX_UNIT_POWER = 16
"""Largest exponent (in size) of a quantity with a unit."""
MAX_ENTRIES = 50_000_000
"""Most entries of one value over several dims (a broadcast product of dims)."""


def _is_convex(obj: Any) -> bool:
    return bool(getattr(obj, "_is_convex_atom", False))


def _raw(item: Any) -> Any:
    return item.values if isinstance(item, LabeledArray) else item


def _unit_product(left: Unit, right: Unit) -> Unit:
    if is_plain(left):
        return right
    if is_plain(right):
        return left
    return left * right
