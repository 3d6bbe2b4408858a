"""Convex atoms that lower to cone blocks: norm2, sum_squares, log, exp, entropy, log_sum_exp.

An atom applied to a linear expression gives a :class:`ConvexExpression`
that knows its curvature.  Where it is used in a way that is convex
(``minimize`` a convex function, ``maximize`` a concave one, ``convex <= rhs``,
``concave >= rhs``) it is lowered to an auxiliary variable per element plus
cone constraints (second-order or exponential cone); anything else is a
:class:`ModelError` that says why.  ``sum_squares`` in an objective becomes a
quadratic objective (a QP) rather than a cone.

Example
-------
>>> import opt_model as om
>>> m = om.Model("fair")
>>> user = om.Dim("user", ["a", "b", "c"])
>>> x = m.add_variables("x", dims=user)
>>> _ = m.add_constraints("link", x.sum() <= 6)
>>> m.maximize(om.log(x).sum())                  # proportional fairness
>>> m.compile().form.problem_class.value
'EXP'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, alignment, dims_text, shape_of
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression, as_expression
from opt_model.labeled import LabeledArray

if TYPE_CHECKING:
    from opt_model.model import Model

# kind -> (curvature, elementwise?)
ATOMS: dict[str, tuple[str, bool]] = {
    "exp": ("convex", True),
    "log": ("concave", True),
    "entropy": ("concave", True),
    "norm2": ("convex", False),
    "sum_squares": ("convex", False),
    "log_sum_exp": ("convex", False),
}


@dataclass
class Term:
    """``weight * atom(argument)``; ``weight`` is elementwise for elementwise atoms."""

    kind: str
    argument: LinearExpression
    weight: np.ndarray

    @property
    def curvature(self) -> str:
        base, _ = ATOMS[self.kind]
        if (self.weight >= 0).all():
            return base
        if (self.weight <= 0).all():
            return "concave" if base == "convex" else "convex"
        return "mixed"


@dataclass
class ConeSpec:
    """Cone constraints before compilation: ``parts`` are linear expressions, one row group each.

    ``kind="exp"``: three parts with the same shape; cone k is (p0[k], p1[k], p2[k]).
    ``kind="soc"``: one cone whose rows are all parts flattened in order (the first part is the bound).
    """

    kind: str
    parts: list[LinearExpression]
    name: str = ""


@dataclass
class ConvexExpression:
    """A sum of weighted atoms plus an affine part, with elementwise dims (``()`` once summed)."""

    dims: tuple[Dim, ...]
    terms: list[Term] = field(default_factory=list)
    affine: LinearExpression | None = None

    __array_ufunc__ = None
    _is_convex_atom = True  # linear expressions defer comparisons with us to our reflected operators

    @property
    def curvature(self) -> str:
        kinds = {term.curvature for term in self.terms}
        if not kinds:
            return "affine"
        if kinds == {"convex"}:
            return "convex"
        if kinds == {"concave"}:
            return "concave"
        return "mixed"

    def describe(self) -> str:
        atoms = ", ".join(sorted({t.kind for t in self.terms}))
        return f"{self.curvature} expression{dims_text(self.dims) if self.dims else ''} of {atoms}"

    def _affine(self) -> LinearExpression:
        if self.affine is not None:
            return self.affine
        if self.dims:
            return LinearExpression.constant(LabeledArray(np.zeros(shape_of(self.dims)), self.dims))
        return LinearExpression.constant(0.0)

    # arithmetic -------------------------------------------------------------------------
    def __add__(self, other: Any) -> ConvexExpression:
        if isinstance(other, ConvexExpression):
            _check_dims(self.dims, other.dims, self.describe(), other.describe())
            return ConvexExpression(self.dims, self.terms + other.terms, self._affine() + other._affine())
        if isinstance(other, QuadraticExpression):
            raise ModelError("combine quadratic terms with atoms through om.sum_squares(...) instead of x * x")
        expr = as_expression(other, "operand")
        return ConvexExpression(self.dims, list(self.terms), self._affine() + expr)

    __radd__ = __add__

    def __neg__(self) -> ConvexExpression:
        return self * -1.0

    def __sub__(self, other: Any) -> ConvexExpression:
        return self + (-other if isinstance(other, ConvexExpression) else -1.0 * as_expression(other))

    def __rsub__(self, other: Any) -> ConvexExpression:
        return (-self) + other

    def __mul__(self, other: Any) -> ConvexExpression:
        if isinstance(other, (int, float, np.number)):
            factor: Any = float(other)
            weights = [term.weight * factor for term in self.terms]
        elif isinstance(other, LabeledArray):
            other.require_finite("weight")
            if other.dims and not self.dims:
                raise ModelError(f"cannot weight {self.describe()} by data over {dims_text(other.dims)}")
            values = other.aligned_to(self.dims, self.describe()) if other.dims else other.values
            factor = other
            weights = [term.weight * values for term in self.terms]
        else:
            raise ModelError(f"{self.describe()} can only be multiplied by numbers or data (that keeps it convex)")
        terms = [Term(t.kind, t.argument, w) for t, w in zip(self.terms, weights)]
        affine = self._affine() * factor
        return ConvexExpression(self.dims, terms, affine)

    __rmul__ = __mul__

    def sum(self, dim: str | None = None) -> ConvexExpression:
        """Sum over every dim (partial sums of atoms are not supported)."""
        if dim is not None and (len(self.dims) != 1 or self.dims[0].name != dim):
            raise ModelError("atoms can only be summed over all their dims; call .sum() with no argument")
        if not self.dims:
            return self
        return ConvexExpression((), list(self.terms), self._affine().sum())

    # comparisons --------------------------------------------------------------------------
    def __le__(self, other: Any) -> ConvexConstraint:
        return ConvexConstraint(self - other, "<=")

    def __ge__(self, other: Any) -> ConvexConstraint:
        return ConvexConstraint(self - other, ">=")

    def __eq__(self, other: Any) -> Any:
        raise ModelError("an equality with a nonlinear atom is not convex; use <= or >=")

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise ModelError("a convex expression has no truth value")


@dataclass
class ConvexConstraint:
    """``expression (<=|>=) 0`` for a convex or concave expression."""

    expression: ConvexExpression
    sense: str

    def __bool__(self) -> bool:
        raise ModelError("a constraint has no truth value")


def _check_dims(left: tuple[Dim, ...], right: tuple[Dim, ...], left_what: str, right_what: str) -> None:
    order = alignment(left, right, left_what, right_what)
    if order is not None:
        raise ModelError(f"{left_what} and {right_what} have their dims in a different order; transpose one")


def _atom(kind: str, argument: Any) -> ConvexExpression:
    expr = as_expression(argument, f"argument of {kind}")
    if isinstance(expr, QuadraticExpression):
        raise ModelError(f"the argument of {kind} must be linear")
    _, elementwise = ATOMS[kind]
    if elementwise:
        return ConvexExpression(expr.dims, [Term(kind, expr, np.ones(expr.const.shape))])
    return ConvexExpression((), [Term(kind, expr, np.ones(()))])


def exp(argument: Any) -> ConvexExpression:
    """Elementwise ``exp`` (convex)."""
    return _atom("exp", argument)


def log(argument: Any) -> ConvexExpression:
    """Elementwise natural ``log`` (concave): maximise it, or bound it from below."""
    return _atom("log", argument)


def entropy(argument: Any) -> ConvexExpression:
    """Elementwise entropy ``-x log x`` (concave)."""
    return _atom("entropy", argument)


def norm2(argument: Any) -> ConvexExpression:
    """Euclidean norm of all entries of a linear expression (convex; a second-order cone)."""
    return _atom("norm2", argument)


def sum_squares(argument: Any) -> ConvexExpression:
    """Sum of the squares of all entries (convex; a QP objective or a rotated cone)."""
    return _atom("sum_squares", argument)


def log_sum_exp(argument: Any) -> ConvexExpression:
    """``log(sum(exp(entries)))`` (convex)."""
    return _atom("log_sum_exp", argument)


# lowering --------------------------------------------------------------------------------
def lower_objective(model: Model, expression: ConvexExpression, sense: str) -> LinearExpression | QuadraticExpression:
    """The linear (or quadratic) objective equivalent to optimising ``expression``."""
    if expression.dims:
        raise ModelError(f"the objective must be a scalar, got {expression.describe()}; sum it with .sum()")
    curvature = expression.curvature
    wanted = "convex" if sense == "minimize" else "concave"
    if curvature not in (wanted, "affine"):
        verb = "minimise" if sense == "minimize" else "maximise"
        raise ModelError(f"cannot {verb} a {curvature} expression ({', '.join(t.kind for t in expression.terms)}): "
                         f"only {wanted} functions can be {verb}d as a convex problem; "
                         f"for example maximize log(x) is fine, minimize log(x) is not")
    return _lower(model, expression, "objective", allow_quadratic=sense == "minimize")


def lower_constraint(model: Model, name: str, constraint: ConvexConstraint) -> Any:
    """A linear constraint definition plus cones equivalent to the convex constraint."""
    expression = constraint.expression
    wanted = "convex" if constraint.sense == "<=" else "concave"
    if expression.curvature not in (wanted, "affine"):
        side = "at most" if constraint.sense == "<=" else "at least"
        raise ModelError(f"constraint {name!r}: a {expression.curvature} expression cannot be bounded {side} a value "
                         f"in a convex model; write convex <= value or concave >= value")
    linear = _lower(model, expression, name, allow_quadratic=False)
    assert isinstance(linear, LinearExpression)
    return linear <= 0 if constraint.sense == "<=" else linear >= 0


def _lower(model: Model, expression: ConvexExpression, name: str, allow_quadratic: bool
           ) -> LinearExpression | QuadraticExpression:
    result: Any = expression._affine()
    for index, term in enumerate(expression.terms):
        _, elementwise = ATOMS[term.kind]
        if allow_quadratic and term.kind == "sum_squares" and (term.weight > 0).all():
            arg = term.argument
            squares = QuadraticExpression.product(arg, arg)
            if squares.dims:
                squares = squares.sum()
            result = squares * float(term.weight) + result
            continue
        dims = term.argument.dims if elementwise else ()
        aux = model.add_variables(_aux_name(model, name, term.kind, index), dims=dims, lb=None)
        # convex atom with positive weight: aux >= atom;  concave atom with negative weight: aux <= atom
        _add_cones(model, term.kind, aux.to_expr(), term.argument, f"{name}:{term.kind}")
        weight: Any = LabeledArray(term.weight, dims) if dims else float(term.weight)
        result = result + (aux * weight).sum() if (dims and not expression.dims) else result + aux * weight
    return as_expression(result)


def _aux_name(model: Model, name: str, kind: str, index: int) -> str:
    base = f"{name}_{kind}_aux"
    candidate = base
    counter = index
    while candidate in model.variables or candidate in model.constraints or candidate in model.resources:
        counter += 1
        candidate = f"{base}{counter}"
    model.metadata.setdefault("auxiliary", []).append(candidate)  # hidden from the user's listings
    return candidate


def _ones_like(expr: LinearExpression) -> LinearExpression:
    if expr.dims:
        return LinearExpression.constant(LabeledArray(np.ones(expr.const.shape), expr.dims), expr.model)
    return LinearExpression.constant(1.0, expr.model)


def _add_cones(model: Model, kind: str, aux: LinearExpression, arg: LinearExpression, name: str) -> None:
    one = _ones_like(arg if kind in ("exp", "log", "entropy") else aux)
    if kind == "exp":  # aux >= exp(arg): (arg, 1, aux)
        model.cones.append(ConeSpec("exp", [arg, one, aux], name))
    elif kind == "log":  # aux <= log(arg): (aux, 1, arg)
        model.cones.append(ConeSpec("exp", [aux, one, arg], name))
    elif kind == "entropy":  # aux <= -arg log arg: (aux, arg, 1)
        model.cones.append(ConeSpec("exp", [aux, arg, one], name))
    elif kind == "norm2":  # aux >= ||arg||
        model.cones.append(ConeSpec("soc", [aux, arg], name))
    elif kind == "sum_squares":  # aux >= ||arg||^2: ||(2 arg, aux - 1)|| <= aux + 1
        model.cones.append(ConeSpec("soc", [aux + 1.0, arg * 2.0, aux - 1.0], name))
    elif kind == "log_sum_exp":  # sum_i u_i <= 1, u_i >= exp(arg_i - aux)
        flat_dims = arg.dims
        u = model.add_variables(_aux_name(model, name.replace(":", "_"), "lse_u", 0), dims=flat_dims, lb=None)
        shifted = arg - aux.expand(*flat_dims) if flat_dims else arg - aux
        model.cones.append(ConeSpec("exp", [shifted, _ones_like(arg), u.to_expr()], name))
        model.add_constraints(_aux_name(model, name.replace(":", "_"), "lse_sum", 0), u.sum() <= 1)
    else:  # pragma: no cover - ATOMS lists every kind
        raise ModelError(f"unknown atom {kind!r}")
