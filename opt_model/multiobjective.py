"""Several objectives: the lexicographic solve as a transform, and weighted sums.

Lexicographic optimisation solves the objectives in order of priority: the
first is optimised; then it is held within a tolerance of its optimum (a new
constraint row ``hold_<name>``) while the second is optimised, and so on.

:class:`Lexicographic` is that solve as a transform, in the manner of CVXPY's
reductions (apply, solve, invert): it compiles the model once and builds every
objective vector once (**apply**); :meth:`Lexicographic.stage_form` hands out the
standard form of any stage with the earlier objectives held, and
:meth:`Lexicographic.session_form` one form holding every hold row, for a solver
session that re-runs stages in place (the Pareto front, robustness with every stage
re-solved: :class:`StageSequence`); :meth:`Lexicographic.invert` maps the stage
solves back to one :class:`LexicographicResult`.  ``Model.solve``, the benchmark
worker, the Pareto front and the stage an analysis looks at all go through it;
the model itself is never modified.

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

from opt_model.compiler import CompiledModel, objective_coefficients
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression, as_expression
from opt_model.objectives import Objective, as_objective
from opt_model.result import Result
from solvers import BackendResult, NameBlock, NameMap, Sense, SolveStatus, StandardForm
from solvers import solve as solve_form

if TYPE_CHECKING:
    from opt_model.model import Model

__all__ = ["SAFETY", "Lexicographic", "LexicographicResult", "Objective", "Stage", "StageSequence",
           "as_objective", "solve_lexicographic", "weighted_sum"]

SAFETY = 1e-9
"""Relative slack added to every held objective so that round-off cannot make the next stage infeasible."""


@dataclass
class Stage:
    """The outcome of one lexicographic stage."""

    name: str
    sense: str
    status: SolveStatus
    objective: float
    bound: float | None
    solve_time_s: float
    unit: str = ""


class LexicographicResult(Result):
    """The result of the last stage solved, plus :attr:`stages` (one per objective)."""

    def __init__(self, model: Model, compiled: Any, backend: Any, stages: list[Stage]) -> None:
        super().__init__(model, compiled, backend)
        self.stages = stages

    @property
    def objectives(self) -> list[float]:
        return [stage.objective for stage in self.stages]

    @property
    def objective_unit(self) -> str:
        """The unit of the stage this result is of (its last stage solved)."""
        text = self.stages[-1].unit.strip() if self.stages else ""
        return "" if text in ("1", "dimensionless") else text

    def to_dict(self, include_values: bool = True) -> dict[str, Any]:
        out = super().to_dict(include_values)
        out["stages"] = [{"name": s.name, "sense": s.sense, "status": s.status.value,
                          "objective": s.objective if math.isfinite(s.objective) else None,
                          "bound": s.bound, "solve_time_s": s.solve_time_s, "unit": s.unit} for s in self.stages]
        return out


def objective_row(expr: Any, n: int, what: str) -> tuple[np.ndarray, float]:
    """The linear objective ``c x + constant`` of a scalar expression over ``n`` columns.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x"); y = m.add_variable("y")
    >>> c, k = objective_row(2 * x + y + 3, 2, "f")
    >>> c.tolist(), k
    ([2.0, 1.0], 3.0)
    """
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


def hold_bounds(objective: Objective, value: float, constant: float = 0.0) -> tuple[float, float]:
    """Bounds on ``c x`` that hold an objective (``c x + constant``) within its tolerance of ``value``."""
    slack = objective.slack(value) + SAFETY * max(1.0, abs(value))
    if objective.sense == "minimize":
        return -np.inf, value + slack - constant
    return value - slack - constant, np.inf


class Lexicographic:
    """The lexicographic solve as a transform: stage forms out, one result back.

    Applying it compiles the model once and builds each objective's vector once.
    Stage *k* (from 1) optimises objective *k* over the model's rows plus one row
    ``hold_<name>`` per earlier objective, bounded within its tolerance of the optimum
    found at its own stage.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=4); y = m.add_variable("y", ub=4)
    >>> _ = m.add_constraint("budget", x + y <= 5)
    >>> lex = Lexicographic(m, [Objective(x, "maximize", 0.25, name="x"), Objective(y, "maximize", name="y")])
    >>> form = lex.stage_form(2, [4.0])                 # y, with x held at >= 4 - 25 %
    >>> form.row_names.blocks[-1].name, round(float(form.row_lower[-1]), 6), form.sense.value
    ('hold_x', 3.0, 'maximize')
    >>> [round(v, 6) for v in lex.solve().objectives]
    [4.0, 2.0]
    """

    def __init__(self, model: Model, objectives: Sequence[Objective | tuple[Any, ...] | Any] | None = None,
                 compiled: CompiledModel | None = None) -> None:
        items = list(model.objectives) if objectives is None else list(objectives)
        if not items:
            raise ModelError("the lexicographic solve needs at least one objective")
        self.model = model
        self.objectives = [as_objective(item, k) for k, item in enumerate(items)]
        self.names = [objective.name or f"objective_{k + 1}" for k, objective in enumerate(self.objectives)]
        self.compiled = compiled or model.compile()
        self.base = self.compiled.form
        n = self.base.num_cols
        rows = [objective_row(objective.expr, n, f"objective {name!r}")
                for objective, name in zip(self.objectives, self.names)]
        self.costs = [row[0] for row in rows]
        self.constants = [row[1] for row in rows]
        self._stacked: Any = None  # base rows plus one row per objective, built on first use

    @property
    def count(self) -> int:
        return len(self.objectives)

    def hold(self, k: int, value: float) -> tuple[float, float]:
        """Row bounds of ``hold_<name>`` for objective ``k`` (from 1) whose optimum was ``value``."""
        return hold_bounds(self.objectives[k - 1], value, self.constants[k - 1])

    def _stacked_matrix(self) -> Any:
        if self._stacked is None:
            A = sp.vstack([self.base.A, sp.csr_matrix(np.vstack(self.costs))], format="csr")
            A.indices = A.indices.astype(np.int32, copy=False)
            A.indptr = A.indptr.astype(np.int32, copy=False)
            self._stacked = A
        return self._stacked

    def _form(self, objective: int, rows: int, lower: Sequence[float], upper: Sequence[float]) -> StandardForm:
        """Objective ``objective`` (from 1) over the base rows and the first ``rows`` objective rows."""
        base = self.base
        m = base.num_rows
        names = NameMap(list(base.constraint_names().blocks), m)
        A, row_lower, row_upper = base.A, base.row_lower, base.row_upper
        if rows:
            stacked = self._stacked_matrix()
            A = stacked if rows == self.count else stacked[:m + rows]
            if A is not stacked:
                A.indices = A.indices.astype(np.int32, copy=False)
                A.indptr = A.indptr.astype(np.int32, copy=False)
            row_lower = np.concatenate([row_lower, np.asarray(lower, dtype=float)])
            row_upper = np.concatenate([row_upper, np.asarray(upper, dtype=float)])
            for j in range(rows):
                names.add(NameBlock(f"hold_{self.names[j]}", names.size))
        sense = self.objectives[objective - 1].sense
        return dataclasses.replace(base, c=self.costs[objective - 1], constant=self.constants[objective - 1], A=A,
                                   row_lower=row_lower, row_upper=row_upper, Q=None, row_names=names,
                                   sense=Sense.MAXIMIZE if sense == "maximize" else Sense.MINIMIZE)

    def stage_form(self, k: int, optima: Sequence[float]) -> StandardForm:
        """The form of stage ``k`` (from 1): objective ``k``, earlier objectives held near ``optima``.

        ``optima`` are the optimal values of objectives ``1 .. k-1`` at their own stages.
        """
        if not 1 <= k <= self.count:
            raise ModelError(f"stage {k}: the model has stages 1 to {self.count}")
        if len(optima) < k - 1:
            raise ModelError(f"stage {k} needs the optima of the {k - 1} earlier stages, got {len(optima)}")
        bounds = [self.hold(j + 1, float(optima[j])) for j in range(k - 1)]
        return self._form(k, k - 1, [low for low, _ in bounds], [high for _, high in bounds])

    def session_form(self, objective: int | None = None) -> StandardForm:
        """One form with a free row per objective (``hold_<name>``), optimising ``objective`` (default the last).

        A solver session on it runs any stage by changing costs, sense and those rows' bounds
        (see :class:`StageSequence`, the Pareto front).
        """
        free = [-np.inf] * self.count
        upper = [np.inf] * self.count
        return self._form(objective or self.count, self.count, free, upper)

    def sequence(self, stage: int | None = None) -> StageSequence:
        """The :class:`StageSequence` that re-runs the stages before ``stage`` (default the last)."""
        stage = stage or self.count
        earlier = self.objectives[:stage - 1]
        return StageSequence(costs=self.costs[:stage - 1], constants=self.constants[:stage - 1],
                             objectives=earlier, first_row=self.base.num_rows)

    def invert(self, form: StandardForm, backend: BackendResult, stages: list[Stage]) -> LexicographicResult:
        """One result from the stage solves: the last stage's solution, with every stage's outcome."""
        changes: dict[str, Any] = {"form": form}
        if "objective_unit" in {field.name for field in dataclasses.fields(self.compiled)} and stages:
            changes["objective_unit"] = stages[-1].unit
        return LexicographicResult(self.model, dataclasses.replace(self.compiled, **changes), backend, stages)

    def solve(self, solver: str | None = None, *, options: Mapping[str, Any] | None = None,
              time_limit: float | None = None, upto: int | None = None) -> LexicographicResult:
        """Solve stages ``1 .. upto`` (default all); stops at the first stage that does not end optimal."""
        merged: dict[str, Any] = {**self.model.solver_options, **(options or {})}
        if time_limit is not None:
            merged["time_limit"] = time_limit
        backend_name = solver or self.model.solver
        last = self.count if upto is None else upto
        if not 1 <= last <= self.count:
            raise ModelError(f"stage {last}: the model has stages 1 to {self.count}")
        optima: list[float] = []
        stages: list[Stage] = []
        form = self.base
        backend = None
        for k in range(1, last + 1):
            objective = self.objectives[k - 1]
            form = self.stage_form(k, optima)
            backend = solve_form(form, backend_name, merged)
            value = backend.objective
            held: float | None = None
            if backend.status.is_optimal and k < self.count:
                low, high = self.hold(k, value)
                held = (high if objective.sense == "minimize" else low) + self.constants[k - 1]
            stages.append(Stage(self.names[k - 1], objective.sense, backend.status, value, held,
                                backend.solve_time_s, objective.unit))
            if not backend.status.is_optimal:
                break
            optima.append(value)
        assert backend is not None
        return self.invert(form, backend, stages)


@dataclass
class StageSequence:
    """Re-runs the stages before the analysed one inside a solver session, for a changed model.

    The session is open on a form whose rows ``first_row + j`` hold objective ``j + 1``
    (:meth:`Lexicographic.session_form` or a :meth:`Lexicographic.stage_form`).  :meth:`run`
    optimises each earlier objective in turn on the session's current (perturbed) model,
    sets its hold row from the new optimum, and restores the analysed objective, so that the
    caller's next ``solve`` is the analysed stage of the *whole* sequence re-run.
    """

    costs: list[np.ndarray]
    constants: list[float]
    objectives: list[Objective]
    first_row: int

    @property
    def rows(self) -> np.ndarray:
        """The hold rows this sequence sets (one per earlier stage)."""
        return np.arange(self.first_row, self.first_row + len(self.costs))

    def run(self, session: Any) -> SolveStatus | None:
        """Re-run the earlier stages; None when all ended optimal, else the status that stopped them."""
        if not self.costs:
            return None
        form = session.form
        final_costs = np.array(form.c, dtype=float, copy=True)
        final_sense = form.sense
        count = len(self.costs)
        rows = self.rows
        lower = np.full(count, -np.inf)
        upper = np.full(count, np.inf)
        columns = np.arange(final_costs.size)
        stopped: SolveStatus | None = None
        for j in range(count):
            lower[j:], upper[j:] = -np.inf, np.inf
            session.change_row_bounds(rows, lower, upper)
            session.change_costs(columns, self.costs[j])
            sense = self.objectives[j].sense
            session.change_sense(Sense.MAXIMIZE if sense == "maximize" else Sense.MINIMIZE)
            result = session.solve()
            if not result.status.is_optimal or result.x is None:
                stopped = result.status
                break
            value = float(self.costs[j] @ result.x) + self.constants[j]
            lower[j], upper[j] = hold_bounds(self.objectives[j], value, self.constants[j])
        session.change_row_bounds(rows, lower, upper)
        session.change_costs(columns, final_costs)
        session.change_sense(final_sense)
        return stopped


def solve_lexicographic(model: Model, objectives: Sequence[Objective | tuple[Any, ...]] | None = None,
                        solver: str | None = None, *, options: Mapping[str, Any] | None = None,
                        time_limit: float | None = None) -> LexicographicResult:
    """Optimise ``objectives`` (default ``model.objectives``) one after another, each held within its tolerance.

    ``objectives`` are :class:`Objective` objects or tuples ``(expr, "minimize"
    | "maximize", relative_tolerance)``.  Solving stops at the first stage that
    does not end optimal; the result is that stage's, with every stage so far
    in ``result.stages``.  The same as ``Lexicographic(model, objectives).solve(...)``.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=4); y = m.add_variable("y", ub=4)
    >>> _ = m.add_constraint("budget", x + y <= 5)
    >>> r = solve_lexicographic(m, [(x, "maximize", 0.25), (y, "maximize")])
    >>> [round(v, 6) for v in r.objectives]
    [4.0, 2.0]
    """
    if objectives is not None and not objectives:
        raise ModelError("solve_lexicographic needs at least one objective")
    return Lexicographic(model, objectives).solve(solver, options=options, time_limit=time_limit)


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
