"""Several objectives: lexicographic (by priority) and weighted.

Lexicographic optimisation solves the objectives in order of priority: the
first is optimised; then it is held within a tolerance of its optimum (a new
constraint row) while the second is optimised, and so on.  The model is
compiled once; each stage changes only the objective vector and appends one
row to the standard form, so the model itself is never modified.

A weighted objective is an ordinary expression (``w1 * e1 + w2 * e2``); see
:func:`weighted_sum`.

Example
-------
>>> import opt_model as om
>>> m = om.Model("cost-then-energy")
>>> host = om.Dim("host", ["old", "new"])
>>> x = m.add_variables("x", dims=host, ub=1)
>>> _ = m.add_constraint("demand", x.sum() == 1)
>>> cost = (x * om.data({"old": 1.0, "new": 1.0}, dims=host)).sum()      # a tie on cost ...
>>> energy = (x * om.data({"old": 5.0, "new": 2.0}, dims=host)).sum()    # ... broken by energy
>>> result = solve_lexicographic(m, [(cost, "minimize", 0.0), (energy, "minimize", 0.0)])
>>> [round(stage.objective, 6) for stage in result.stages], result.value(x)['new']
([1.0, 2.0], 1.0)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from opt_model.compiler import objective_coefficients
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression, as_expression
from opt_model.result import Result
from solvers import NameBlock, NameMap, Sense, SolveStatus, StandardForm
from solvers import solve as solve_form

if TYPE_CHECKING:
    from opt_model.model import Model

SAFETY = 1e-9
"""Relative slack added to every held objective so that round-off cannot make the next stage infeasible."""


@dataclass
class Objective:
    """One objective of a multi-objective model.

    ``tolerance`` is relative (0.01 lets the optimum worsen by 1 % when later
    objectives are optimised), ``abs_tolerance`` absolute, in the objective's
    own unit; the larger of the two applies.
    """

    expr: Any
    sense: str = "minimize"
    tolerance: float = 0.0
    abs_tolerance: float = 0.0
    name: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if self.sense not in ("minimize", "maximize"):
            raise ModelError(f"objective sense must be 'minimize' or 'maximize', got {self.sense!r}")
        for label, value in (("tolerance", self.tolerance), ("abs_tolerance", self.abs_tolerance)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ModelError(f"objective {self.name or ''} {label} must be a finite number >= 0, got {value!r}"
                                 .replace("objective  ", "objective "))


@dataclass
class Stage:
    """The outcome of one lexicographic stage."""

    name: str
    sense: str
    status: SolveStatus
    objective: float
    bound: float | None
    solve_time_s: float


class LexicographicResult(Result):
    """The result of the last stage solved, plus :attr:`stages` (one per objective)."""

    def __init__(self, model: Model, compiled: Any, backend: Any, stages: list[Stage]) -> None:
        super().__init__(model, compiled, backend)
        self.stages = stages

    @property
    def objectives(self) -> list[float]:
        return [stage.objective for stage in self.stages]

    def to_dict(self, include_values: bool = True) -> dict[str, Any]:
        out = super().to_dict(include_values)
        out["stages"] = [{"name": s.name, "sense": s.sense, "status": s.status.value,
                          "objective": s.objective if math.isfinite(s.objective) else None,
                          "bound": s.bound, "solve_time_s": s.solve_time_s} for s in self.stages]
        return out


def as_objective(item: Objective | tuple[Any, ...] | Any, position: int) -> Objective:
    """An :class:`Objective` from itself, ``(expr, sense)``, ``(expr, sense, tolerance)`` or an expression."""
    if isinstance(item, Objective):
        return item
    if isinstance(item, tuple):
        if not 1 <= len(item) <= 3:
            raise ModelError(f"objective {position + 1}: give (expr, sense) or (expr, sense, tolerance)")
        expr = item[0]
        sense = item[1] if len(item) > 1 else "minimize"
        tolerance = float(item[2]) if len(item) > 2 else 0.0
        return Objective(expr, sense, tolerance, name=f"objective_{position + 1}")
    return Objective(item, name=f"objective_{position + 1}")


def _objective_row(expr: Any, n: int, what: str) -> tuple[np.ndarray, float]:
    linear = as_expression(expr, what)
    if isinstance(linear, QuadraticExpression):
        raise ModelError(f"{what} is quadratic; lexicographic objectives must be linear")
    if linear.dims:
        raise ModelError(f"{what} must be a scalar, got {linear.describe()}; sum it with .sum()")
    c, constant = objective_coefficients(linear, n)
    if c.shape[0] > n:
        raise ModelError(f"{what} uses variables that are not in the model")
    if not np.isfinite(c).all():
        raise ModelError(f"{what} has a coefficient that is not finite")
    return c, constant


def solve_lexicographic(model: Model, objectives: Sequence[Objective | tuple[Any, ...]], solver: str | None = None,
                        *, options: Mapping[str, Any] | None = None, time_limit: float | None = None
                        ) -> LexicographicResult:
    """Optimise ``objectives`` one after another, holding each within its tolerance.

    ``objectives`` are :class:`Objective` objects or tuples ``(expr, "minimize"
    | "maximize", relative_tolerance)``.  Solving stops at the first stage that
    does not end optimal; the result is that stage's, with every stage so far
    in ``result.stages``.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=4); y = m.add_variable("y", ub=4)
    >>> _ = m.add_constraint("budget", x + y <= 5)
    >>> r = solve_lexicographic(m, [(x, "maximize", 0.25), (y, "maximize")])
    >>> [round(v, 6) for v in r.objectives]
    [4.0, 2.0]
    """
    if not objectives:
        raise ModelError("solve_lexicographic needs at least one objective")
    items = [as_objective(item, k) for k, item in enumerate(objectives)]
    compiled = model.compile()
    base = compiled.form
    merged: dict[str, Any] = {**model.solver_options, **(options or {})}
    if time_limit is not None:
        merged["time_limit"] = time_limit
    backend_name = solver or model.solver
    n = base.num_cols
    rows: list[np.ndarray] = []
    row_lower: list[float] = []
    row_upper: list[float] = []
    stages: list[Stage] = []
    names = NameMap(list(base.constraint_names().blocks), base.num_rows)
    form = base
    backend = None
    for k, objective in enumerate(items):
        label = objective.name or f"objective_{k + 1}"
        c, constant = _objective_row(objective.expr, n, f"objective {label!r}")
        form = _stage_form(base, c, constant, objective.sense, rows, row_lower, row_upper, names)
        backend = solve_form(form, backend_name, merged)
        value = backend.objective
        hold: float | None = None
        if backend.status.is_optimal and k + 1 < len(items):
            slack = max(objective.abs_tolerance, objective.tolerance * abs(value)) + SAFETY * max(1.0, abs(value))
            hold = value + slack if objective.sense == "minimize" else value - slack
            rows.append(c)
            row_lower.append(hold - constant if objective.sense == "maximize" else -np.inf)
            row_upper.append(hold - constant if objective.sense == "minimize" else np.inf)
            names.add(NameBlock(f"hold_{label}", names.size))
        stages.append(Stage(label, objective.sense, backend.status, value, hold, backend.solve_time_s))
        if not backend.status.is_optimal:
            break
    assert backend is not None
    from opt_model.compiler import CompiledModel
    return LexicographicResult(model, CompiledModel(model, form, compiled.rows), backend, stages)


def _stage_form(base: StandardForm, c: np.ndarray, constant: float, sense: str, rows: list[np.ndarray],
                row_lower: list[float], row_upper: list[float], names: NameMap) -> StandardForm:
    A = base.A
    lower, upper = base.row_lower, base.row_upper
    if rows:
        extra = sp.csr_matrix(np.vstack(rows))
        A = sp.vstack([A, extra], format="csr")
        A.indices = A.indices.astype(np.int32, copy=False)
        A.indptr = A.indptr.astype(np.int32, copy=False)
        lower = np.concatenate([lower, row_lower])
        upper = np.concatenate([upper, row_upper])
    row_names = NameMap(list(names.blocks), names.size)
    return dataclasses.replace(base, c=c, constant=constant, A=A, row_lower=lower, row_upper=upper, Q=None,
                               sense=Sense.MAXIMIZE if sense == "maximize" else Sense.MINIMIZE,
                               row_names=row_names)


def weighted_sum(terms: Sequence[tuple[Any, float]]) -> LinearExpression | QuadraticExpression:
    """``sum(weight * expr)`` for ``(expr, weight)`` pairs: a single blended objective.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x"); y = m.add_variable("y")
    >>> weighted_sum([(x, 1.0), (y, 0.5)]).coeffs.tolist()
    [1.0, 0.5]
    """
    if not terms:
        raise ModelError("weighted_sum needs at least one (expression, weight) pair")
    total: Any = None
    for k, (expr, weight) in enumerate(terms):
        if not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise ModelError(f"weight {k + 1} must be a finite number, got {weight!r}")
        part = as_expression(expr, f"objective term {k + 1}") * float(weight)
        total = part if total is None else total + part
    return as_expression(total, "weighted objective")
