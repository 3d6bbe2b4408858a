"""Linear and quadratic expressions as blocks of numpy arrays.

A :class:`LinearExpression` over dims ``(d1, ..., dk)`` holds, for each of the
``|d1| x ... x |dk|`` entries, ``nterm`` terms: ``vars[..., t]`` (int32 column
indices, -1 for an absent term) and ``coeffs[..., t]``, plus a constant
``const[...]``.  ``unique`` records that no variable appears twice anywhere
in the expression (true for anything derived from one variable block, or
from disjoint blocks), which lets the compiler skip merging duplicates.
Every operation is array arithmetic on these blocks: there is
no Python object per scalar variable or per term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, alignment, as_dims, dims_text, shape_of
from opt_model.errors import ModelError
from opt_model.labeled import LabeledArray, dim_names, selection

if TYPE_CHECKING:
    from opt_model.model import Model

Number = (int, float, np.number)


class ExpressionOps:
    """Operators shared by variables and expressions (they convert to an expression first)."""

    __array_ufunc__ = None  # numpy must not broadcast over us element by element
    __hash__ = object.__hash__

    def to_expr(self) -> LinearExpression:
        raise NotImplementedError

    def __add__(self, other: Any) -> Any:
        return self.to_expr()._add(other, 1.0)

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, (int, float)) and other == 0:
            return self.to_expr()  # so that builtin sum() works
        return self.to_expr()._add(other, 1.0)

    def __sub__(self, other: Any) -> Any:
        return self.to_expr()._add(other, -1.0)

    def __rsub__(self, other: Any) -> Any:
        return (-self.to_expr())._add(other, 1.0)

    def __neg__(self) -> LinearExpression:
        return self.to_expr()._scale(-1.0)

    def __mul__(self, other: Any) -> Any:
        return self.to_expr()._mul(other)

    def __rmul__(self, other: Any) -> Any:
        return self.to_expr()._mul(other)

    def __truediv__(self, other: Any) -> Any:
        if isinstance(other, Number):
            return self.to_expr()._scale(1.0 / float(other))
        if isinstance(other, LabeledArray):
            return self.to_expr()._mul(1.0 / other)
        raise ModelError(f"cannot divide {self.to_expr().describe()} by {type(other).__name__}; "
                         "only division by numbers or data is linear")

    def __pow__(self, power: Any) -> Any:
        if power == 2:
            expr = self.to_expr()
            return expr._mul(expr)
        raise ModelError(f"only the power 2 is supported (quadratic objectives), got {power!r}")

    def __le__(self, other: Any) -> ConstraintDef:
        if getattr(other, "_is_convex_atom", False):
            return NotImplemented
        return make_constraint(self.to_expr(), "<=", other)

    def __ge__(self, other: Any) -> ConstraintDef:
        if getattr(other, "_is_convex_atom", False):
            return NotImplemented
        return make_constraint(self.to_expr(), ">=", other)

    def __eq__(self, other: Any) -> ConstraintDef:  # type: ignore[override]
        return make_constraint(self.to_expr(), "==", other)

    def __bool__(self) -> bool:
        raise ModelError("an expression has no truth value; for a range write expr.between(lo, hi) "
                         "or (lo <= expr) <= hi instead of a chained comparison")

    def between(self, lower: Any, upper: Any) -> ConstraintDef:
        """The range constraint ``lower <= self <= upper``."""
        return make_range(self.to_expr(), lower, upper)

    def sum(self, dim: str | Sequence[str] | None = None) -> LinearExpression:
        return self.to_expr().sum(dim)

    def dot(self, other: Any, dim: str | Sequence[str] | None = None) -> Any:
        """``(self * other).sum(dim)``; sums over every dim when ``dim`` is None."""
        return self.to_expr()._mul(other).sum(dim)

    def sel(self, **labels: Any) -> LinearExpression:
        return self.to_expr().sel(**labels)

    def expand(self, *dims: Dim) -> LinearExpression:
        return self.to_expr().expand(*dims)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.to_expr().const.shape


class LinearExpression(ExpressionOps):
    """An array of affine expressions ``sum_t coeffs[..., t] * x[vars[..., t]] + const[...]``.

    Build them from variables with ``+ - *``, :meth:`sum`, :meth:`dot`;
    compare them with ``<=``, ``>=``, ``==`` to get constraints.
    """

    __slots__ = ("blocks", "coeffs", "const", "dims", "model", "unique", "vars")

    def __init__(self, model: Model | None, dims: tuple[Dim, ...], vars: np.ndarray, coeffs: np.ndarray,
                 const: np.ndarray, blocks: frozenset[str] = frozenset(), unique: bool = True) -> None:
        self.model = model
        self.dims = dims
        self.vars = vars
        self.coeffs = coeffs
        self.const = const
        self.blocks = blocks
        self.unique = unique

    # construction ---------------------------------------------------------------
    @classmethod
    def constant(cls, value: float | LabeledArray, model: Model | None = None) -> LinearExpression:
        if isinstance(value, LabeledArray):
            shape = value.shape
            return cls(model, value.dims, np.zeros((*shape, 0), np.int32), np.zeros((*shape, 0)),
                       np.array(value.values, dtype=np.float64))
        return cls(model, (), np.zeros((0,), np.int32), np.zeros((0,)), np.array(float(value)))

    def to_expr(self) -> LinearExpression:
        return self

    @property
    def nterm(self) -> int:
        return int(self.vars.shape[-1])

    @property
    def size(self) -> int:
        return int(self.const.size)

    def describe(self) -> str:
        names = ", ".join(sorted(self.blocks)) or "constants"
        return f"expression{dims_text(self.dims) if self.dims else ''} of {names}"

    def __repr__(self) -> str:
        return f"<LinearExpression dims={dims_text(self.dims)} shape={self.const.shape} terms={self.nterm} " \
               f"of {sorted(self.blocks)}>"

    # arithmetic -----------------------------------------------------------------
    def _scale(self, factor: float) -> LinearExpression:
        if not np.isfinite(factor):
            raise ModelError(f"cannot multiply {self.describe()} by {factor}; coefficients must be finite")
        const = self.const * factor if _nonzero(self.const) else self.const
        return LinearExpression(self.model, self.dims, self.vars, self.coeffs * factor, const,
                                self.blocks, self.unique)

    def _add(self, other: Any, sign: float) -> Any:
        if isinstance(other, Number):
            value = float(other)
            if not np.isfinite(value):
                raise ModelError(f"cannot add {value} to {self.describe()}; constants must be finite")
            return LinearExpression(self.model, self.dims, self.vars, self.coeffs, self.const + sign * value,
                                    self.blocks, self.unique)
        if isinstance(other, LabeledArray):
            other.require_finite("constant")
            values = other.values if not other.dims else other.aligned_to(self.dims, self.describe())
            if other.dims and not self.dims:
                return LinearExpression.constant(other * sign, self.model)._add(self, 1.0)
            return LinearExpression(self.model, self.dims, self.vars, self.coeffs, self.const + sign * values,
                                    self.blocks, self.unique)
        if isinstance(other, QuadraticExpression):
            return QuadraticExpression.from_linear(self)._add(other, sign)
        if isinstance(other, ExpressionOps):
            return self._add_linear(other.to_expr(), sign)
        return NotImplemented

    def _add_linear(self, other: LinearExpression, sign: float) -> LinearExpression:
        model = _same_model(self, other)
        if not self.dims and other.dims:
            return other._scale(sign)._add_linear(self, 1.0)
        if self.dims and not other.dims:
            if other.nterm:
                raise ModelError(f"cannot add scalar {other.describe()} to {self.describe()}: dims differ; "
                                 f"expand it first with .expand(...) over {dims_text(self.dims)}")
            return LinearExpression(model, self.dims, self.vars, self.coeffs, self.const + sign * other.const,
                                    self.blocks, self.unique)
        order = alignment(self.dims, other.dims, self.describe(), other.describe())
        ovars, ocoeffs, oconst = other.vars, other.coeffs, other.const
        if order is not None:
            ovars = np.transpose(ovars, (*order, len(order)))
            ocoeffs = np.transpose(ocoeffs, (*order, len(order)))
            oconst = np.transpose(oconst, order)
        vars = np.concatenate([self.vars, ovars], axis=-1)
        coeffs = np.concatenate([self.coeffs, ocoeffs * sign if sign != 1.0 else ocoeffs], axis=-1)
        unique = self.unique and other.unique and not (self.blocks & other.blocks)
        return LinearExpression(model, self.dims, vars, coeffs, self.const + sign * oconst,
                                self.blocks | other.blocks, unique)

    def _mul(self, other: Any) -> Any:
        if isinstance(other, Number):
            return self._scale(float(other))
        if isinstance(other, LabeledArray):
            other.require_finite("coefficient")
            if not other.dims:
                return self._scale(float(other.values))
            if not self.dims:
                if self.nterm:
                    raise ModelError(f"cannot multiply scalar {self.describe()} by {other.describe()} with dims "
                                     f"{dims_text(other.dims)}: expand the expression first with .expand(...)")
                return LinearExpression.constant(other * float(self.const), self.model)
            values = other.aligned_to(self.dims, self.describe())
            const = self.const * values if _nonzero(self.const) else self.const
            return LinearExpression(self.model, self.dims, self.vars, _times(self.coeffs, values),
                                    const, self.blocks, self.unique)
        if isinstance(other, QuadraticExpression):
            raise ModelError("the product of a linear and a quadratic expression is not quadratic")
        if isinstance(other, ExpressionOps):
            return QuadraticExpression.product(self, other.to_expr())
        return NotImplemented

    # reductions and selections --------------------------------------------------------
    def sum(self, dim: str | Sequence[str] | None = None) -> LinearExpression:
        """Sum over one or more dims (all dims when ``dim`` is None)."""
        names = dim_names(dim, self.dims)
        if not names:
            return self
        axes = [i for i, d in enumerate(self.dims) if d.name in names]
        kept_axes = [i for i, d in enumerate(self.dims) if d.name not in names]
        kept = tuple(self.dims[i] for i in kept_axes)
        last = len(self.dims)
        perm = (*kept_axes, *axes, last)
        new_shape = (*shape_of(kept), -1)
        vars = np.transpose(self.vars, perm).reshape(new_shape)
        coeffs = np.transpose(self.coeffs, perm).reshape(new_shape)
        const = np.zeros(shape_of(kept)) if _zero_broadcast(self.const) else self.const.sum(axis=tuple(axes))
        return LinearExpression(self.model, kept, vars, coeffs, np.asarray(const, dtype=np.float64),
                                self.blocks, self.unique)

    def sel(self, **labels: Any) -> LinearExpression:
        """Select labels: ``expr.sel(host="h1")`` drops the dim, a list of labels keeps it."""
        index, dims = selection(self.dims, labels, self.describe())
        return LinearExpression(self.model, dims, self.vars[index], self.coeffs[index], self.const[index],
                                self.blocks, self.unique)

    def expand(self, *dims: Dim) -> LinearExpression:
        """Repeat the expression along new dims (explicit broadcasting; new dims come first)."""
        new = as_dims(dims)
        clash = {d.name for d in new} & {d.name for d in self.dims}
        if clash:
            raise ModelError(f"{self.describe()} already has dims {sorted(clash)}")
        shape = shape_of(new)
        vars = np.broadcast_to(self.vars, (*shape, *self.vars.shape))
        coeffs = np.broadcast_to(self.coeffs, (*shape, *self.coeffs.shape))
        const = np.broadcast_to(self.const, (*shape, *self.const.shape))
        return LinearExpression(self.model, new + self.dims, vars, coeffs, np.array(const), self.blocks, False)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Values of the expression at the solution vector ``x``."""
        values = np.where(self.vars >= 0, x[np.maximum(self.vars, 0)], 0.0) if self.vars.size else 0.0
        return (self.coeffs * values).sum(axis=-1) + self.const


class QuadraticExpression:
    """A linear expression plus quadratic terms ``qcoeffs * x[qvars1] * x[qvars2]`` (for objectives)."""

    __array_ufunc__ = None

    def __init__(self, linear: LinearExpression, qvars1: np.ndarray, qvars2: np.ndarray,
                 qcoeffs: np.ndarray) -> None:
        self.linear = linear
        self.qvars1 = qvars1
        self.qvars2 = qvars2
        self.qcoeffs = qcoeffs

    @property
    def dims(self) -> tuple[Dim, ...]:
        return self.linear.dims

    @property
    def model(self) -> Model | None:
        return self.linear.model

    def describe(self) -> str:
        return "quadratic " + self.linear.describe()

    @classmethod
    def from_linear(cls, linear: LinearExpression) -> QuadraticExpression:
        shape = linear.const.shape
        empty_i = np.zeros((*shape, 0), np.int32)
        return cls(linear, empty_i, empty_i, np.zeros((*shape, 0)))

    @classmethod
    def product(cls, left: LinearExpression, right: LinearExpression) -> QuadraticExpression:
        """Elementwise product of two linear expressions with the same dims."""
        if left.dims or right.dims:
            order = alignment(left.dims, right.dims, left.describe(), right.describe())
            if order is not None:
                right = LinearExpression(right.model, left.dims, np.transpose(right.vars, (*order, len(order))),
                                         np.transpose(right.coeffs, (*order, len(order))),
                                         np.transpose(right.const, order), right.blocks, right.unique)
        shape = left.const.shape
        n1, n2 = left.nterm, right.nterm
        q1 = np.broadcast_to(left.vars[..., :, None], (*shape, n1, n2)).reshape(*shape, n1 * n2)
        q2 = np.broadcast_to(right.vars[..., None, :], (*shape, n1, n2)).reshape(*shape, n1 * n2)
        qc = (left.coeffs[..., :, None] * right.coeffs[..., None, :]).reshape(*shape, n1 * n2)
        linear = left._mul(LabeledArray(right.const, left.dims)) if left.dims else left._scale(float(right.const))
        cross = right._mul(LabeledArray(left.const, left.dims)) if left.dims else right._scale(float(left.const))
        linear = linear._add_linear(cross, 1.0)
        linear.const = left.const * right.const
        return cls(linear, q1, q2, qc)

    def _add(self, other: Any, sign: float) -> QuadraticExpression:
        if isinstance(other, QuadraticExpression):
            order = alignment(self.dims, other.dims, self.describe(), other.describe()) if self.dims else None
            if order is not None:
                raise ModelError("add quadratic expressions with their dims in the same order")
            return QuadraticExpression(self.linear._add_linear(other.linear, sign),
                                       np.concatenate([self.qvars1, other.qvars1], axis=-1),
                                       np.concatenate([self.qvars2, other.qvars2], axis=-1),
                                       np.concatenate([self.qcoeffs, sign * other.qcoeffs], axis=-1))
        linear = self.linear._add(other, sign)
        if linear is NotImplemented:
            return NotImplemented
        return QuadraticExpression(linear, self.qvars1, self.qvars2, self.qcoeffs)

    def __add__(self, other: Any) -> QuadraticExpression:
        return self._add(other, 1.0)

    def __radd__(self, other: Any) -> QuadraticExpression:
        if isinstance(other, (int, float)) and other == 0:
            return self
        return self._add(other, 1.0)

    def __sub__(self, other: Any) -> QuadraticExpression:
        return self._add(other, -1.0)

    def __rsub__(self, other: Any) -> QuadraticExpression:
        return (-self)._add(other, 1.0)

    def __neg__(self) -> QuadraticExpression:
        return self * -1.0

    def __mul__(self, other: Any) -> QuadraticExpression:
        if isinstance(other, Number):
            factor = float(other)
            return QuadraticExpression(self.linear._scale(factor), self.qvars1, self.qvars2, self.qcoeffs * factor)
        if isinstance(other, LabeledArray):
            values = other.aligned_to(self.dims, self.describe()) if other.dims else other.values
            scaled = self.linear._mul(other)
            return QuadraticExpression(scaled, self.qvars1, self.qvars2,
                                       self.qcoeffs * (values[..., None] if other.dims else values))
        raise ModelError("a quadratic expression can only be multiplied by numbers or data")

    __rmul__ = __mul__

    def sum(self, dim: str | Sequence[str] | None = None) -> QuadraticExpression:
        names = dim_names(dim, self.dims)
        linear = self.linear.sum(dim)
        axes = [i for i, d in enumerate(self.dims) if d.name in names]
        kept_axes = [i for i, d in enumerate(self.dims) if d.name not in names]
        perm = (*kept_axes, *axes, len(self.dims))
        shape = (*shape_of(linear.dims), -1)
        return QuadraticExpression(linear, np.transpose(self.qvars1, perm).reshape(shape),
                                   np.transpose(self.qvars2, perm).reshape(shape),
                                   np.transpose(self.qcoeffs, perm).reshape(shape))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        quad = (self.qcoeffs * x[self.qvars1] * x[self.qvars2]).sum(axis=-1) if self.qcoeffs.size else 0.0
        return self.linear.evaluate(x) + quad

    def __le__(self, other: Any) -> Any:
        raise ModelError("quadratic constraints are not supported; quadratic terms may only appear in the objective")

    __ge__ = __le__

    def __bool__(self) -> bool:
        raise ModelError("a quadratic expression has no truth value")


def _zero_broadcast(array: np.ndarray) -> bool:
    """Whether ``array`` is one +0.0 broadcast (a variable's constants): known from one entry, no pass over it."""
    return array.size > 0 and not any(array.strides) and array.flat[0] == 0.0 and not np.signbit(array.flat[0])


def _nonzero(const: np.ndarray) -> bool:
    """``const.any()``, without reading a broadcast of one number entry by entry."""
    if const.size and not any(const.strides):
        return bool(const.flat[0] != 0.0)
    return bool(const.any())


def _times(coeffs: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``coeffs * values[..., None]``: a read-only view of ``values`` when ``coeffs`` are a plain variable's ones.

    ``data * x`` then holds no copy of the data until the model is compiled (the compiler copies
    the coefficients once, into the constraint matrix): a 10M-entry product is 80 MB that every
    page of would be faulted in fresh.  Like a numpy view, the expression reads the data array it
    was built from; the compiled model does not.
    """
    if coeffs.shape[-1] == 1 and coeffs.size and not any(coeffs.strides) and coeffs.flat[0] == 1.0 \
            and values.dtype == np.float64 and coeffs.shape[:-1] == values.shape:
        return np.broadcast_to(values[..., None], coeffs.shape)  # read-only
    return coeffs * values[..., None]


def _same_model(left: LinearExpression, right: LinearExpression) -> Model | None:
    if left.model is not None and right.model is not None and left.model is not right.model:
        raise ModelError(f"cannot combine {left.describe()} and {right.describe()}: they belong to different models")
    return left.model if left.model is not None else right.model


def as_expression(value: Any, what: str = "expression") -> LinearExpression | QuadraticExpression:
    """Convert variables, numbers and data to an expression; raise a clear error otherwise."""
    if isinstance(value, (LinearExpression, QuadraticExpression)):
        return value
    if isinstance(value, ExpressionOps):
        return value.to_expr()
    if isinstance(value, Number):
        return LinearExpression.constant(float(value))
    if isinstance(value, LabeledArray):
        return LinearExpression.constant(value)
    raise ModelError(f"{what} must be built from variables, numbers and data, got {type(value).__name__}")


def quicksum(terms: Iterable[Any]) -> Any:
    """Sum of expressions (linear or quadratic), like Gurobi's and Pyomo's ``quicksum``.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model()
    >>> x = m.add_variable("x"); y = m.add_variable("y")
    >>> om.quicksum([x * x, 2 * y]).describe()
    'quadratic expression of x, y'
    """
    total: Any = 0.0
    for term in terms:
        total = term + total if isinstance(total, float) else total + term
    return as_expression(total, "quicksum")


def quad_form(x: Any, matrix: Any) -> QuadraticExpression:
    """``x' M x`` for a one-dimensional variable or expression ``x`` and a square matrix ``M``.

    Example
    -------
    >>> import numpy as np, opt_model as om
    >>> m = om.Model(); asset = om.Dim("asset", ["a", "b"])
    >>> w = m.add_variables("w", dims=asset)
    >>> risk = om.quad_form(w, np.array([[2.0, 0.5], [0.5, 1.0]]))
    """
    expr = as_expression(x, "quad_form argument")
    if not isinstance(expr, LinearExpression) or len(expr.dims) != 1 or expr.nterm != 1 or expr.const.any():
        raise ModelError("quad_form needs a one-dimensional variable (or a selection of one)")
    M = np.asarray(matrix.values if isinstance(matrix, LabeledArray) else matrix, dtype=np.float64)
    n = expr.const.shape[0]
    if M.shape != (n, n):
        raise ModelError(f"quad_form matrix has shape {M.shape}; {expr.describe()} needs ({n}, {n})")
    if not np.isfinite(M).all():
        raise ModelError("quad_form matrix has NaN or infinite entries")
    rows, cols = np.nonzero(M)
    v = expr.vars[:, 0]
    c = expr.coeffs[:, 0]
    linear = LinearExpression(expr.model, (), np.zeros(0, np.int32), np.zeros(0), np.array(0.0), expr.blocks)
    return QuadraticExpression(linear, v[rows].astype(np.int32), v[cols].astype(np.int32),
                               M[rows, cols] * c[rows] * c[cols])


# Relations between expressions: what ``<=``, ``>=``, ``==`` and ``between`` make ------------------------

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
