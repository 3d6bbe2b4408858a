"""Constraint definitions (``expr <= rhs``) and named constraint blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, dims_text
from opt_model.errors import ModelError
from opt_model.expressions import ExpressionOps, LinearExpression, QuadraticExpression
from opt_model.labeled import LabeledArray

if TYPE_CHECKING:
    import scipy.sparse as sp


@dataclass
class ConstraintDef:
    """``lower <= expr <= upper`` elementwise, before it has a name.

    Made by comparing expressions; added to a model with
    :meth:`Model.add_constraints`.  The expression's constant is already moved
    into the bounds.
    """

    expr: LinearExpression
    lower: np.ndarray
    upper: np.ndarray
    sense: str

    @property
    def dims(self) -> tuple[Dim, ...]:
        return self.expr.dims

    def __le__(self, other: Any) -> ConstraintDef:
        """``(lo <= expr) <= hi`` gives a range."""
        if self.sense != ">=":
            raise ModelError("only a '>=' constraint can be closed into a range with '<= upper'")
        return make_range(self.expr, LabeledArray(self.lower, self.dims) if self.dims else float(self.lower),
                          other)

    def __bool__(self) -> bool:
        raise ModelError("a constraint has no truth value; for a range write expr.between(lo, hi) "
                         "or (lo <= expr) <= hi instead of the chained lo <= expr <= hi")


@dataclass
class ConstraintBlock:
    """A named block of constraints indexed like its expression."""

    name: str
    definition: ConstraintDef | MatrixConstraintDef

    @property
    def dims(self) -> tuple[Dim, ...]:
        return self.definition.dims

    @property
    def size(self) -> int:
        return int(self.definition.lower.size)

    def __repr__(self) -> str:
        return f"<Constraint {self.name}{dims_text(self.dims) if self.dims else ''} {self.definition.sense}>"


def _rhs_values(expr: LinearExpression, rhs: Any, what: str) -> np.ndarray | LinearExpression:
    if isinstance(rhs, (int, float, np.number)):
        return np.full(expr.const.shape, float(rhs))
    if isinstance(rhs, LabeledArray):
        if not rhs.dims:
            return np.full(expr.const.shape, float(rhs.values))
        if not expr.dims:
            raise ModelError(f"cannot compare scalar {expr.describe()} with {rhs.describe()} over "
                             f"{dims_text(rhs.dims)}: expand the expression with .expand(...) or sum the data")
        return np.asarray(rhs.aligned_to(expr.dims, expr.describe()), dtype=np.float64)
    if isinstance(rhs, QuadraticExpression):
        raise ModelError("quadratic constraints are not supported; quadratic terms may only appear in the objective")
    if isinstance(rhs, ExpressionOps):
        return rhs.to_expr()
    raise ModelError(f"the right-hand side of a constraint must be a number, data or an expression, "
                     f"got {type(rhs).__name__} ({what})")


def _check_rhs(values: np.ndarray, expr: LinearExpression, sense: str) -> None:
    bad = np.isnan(values)
    if sense == "<=":
        bad |= values == -np.inf
    elif sense == ">=":
        bad |= values == np.inf
    else:
        bad |= np.isinf(values)
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        where = LabeledArray(values, expr.dims).label_of(k)
        raise ModelError(f"right-hand side{where} of a '{sense}' constraint on {expr.describe()} is "
                         f"{values.ravel()[k]}; give a finite number")


def make_constraint(expr: LinearExpression, sense: str, rhs: Any) -> ConstraintDef:
    """``expr (<=|>=|==) rhs`` as a :class:`ConstraintDef`."""
    values = _rhs_values(expr, rhs, sense)
    if isinstance(values, LinearExpression):
        expr = expr - values
        values = np.zeros(expr.const.shape)
    _check_rhs(values, expr, sense)
    bound = values - expr.const
    expr = LinearExpression(expr.model, expr.dims, expr.vars, expr.coeffs, np.zeros(expr.const.shape),
                            expr.blocks, expr.unique)
    infinite = np.full(bound.shape, np.inf)
    if sense == "<=":
        return ConstraintDef(expr, -infinite, bound, sense)
    if sense == ">=":
        return ConstraintDef(expr, bound, infinite, sense)
    return ConstraintDef(expr, bound, bound.copy(), sense)


def make_range(expr: LinearExpression, lower: Any, upper: Any) -> ConstraintDef:
    """``lower <= expr <= upper``."""
    low = _rhs_values(expr, lower, "range lower bound")
    high = _rhs_values(expr, upper, "range upper bound")
    if isinstance(low, LinearExpression) or isinstance(high, LinearExpression):
        raise ModelError("the bounds of a range constraint must be numbers or data, not expressions")
    for values in (low, high):
        if np.isnan(values).any():
            raise ModelError(f"a bound of the range constraint on {expr.describe()} is NaN")
    crossed = low > high
    if crossed.any():
        k = int(np.flatnonzero(crossed.ravel())[0])
        where = LabeledArray(low, expr.dims).label_of(k)
        raise ModelError(f"range constraint on {expr.describe()}{where} has lower bound {low.ravel()[k]} "
                         f"above upper bound {high.ravel()[k]}")
    const = expr.const
    expr = LinearExpression(expr.model, expr.dims, expr.vars, expr.coeffs, np.zeros(const.shape),
                            expr.blocks, expr.unique)
    return ConstraintDef(expr, low - const, high - const, "range")


@dataclass
class MatrixConstraintDef:
    """``lower <= matrix @ x <= upper``: rows given as a sparse matrix over all columns.

    Used for models imported from a standard form (MPS files, Pyomo models),
    where rows have no common structure to express as array blocks.
    """

    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    dims: tuple[Dim, ...]
    sense: str = "range"
    plain_names: bool = False
