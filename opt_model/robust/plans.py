"""Robust plans: solve a protected standard form, map the answer back, and test it out of sample.

A :class:`RobustPlan` holds the plan (the values of the model's own columns;
auxiliary columns of the counterpart are dropped), its cost, how it was built
(method, protection level, sizes, build and solve time) and, after
:func:`evaluate_plan`, its out-of-sample record: the Monte Carlo engine of
:mod:`opt_model.sensitivity` draws fresh scenarios from the declared
uncertainty (seeded, serial, local processes or Dask) and reports the share in
which the plan stays feasible, with a Wilson interval.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from opt_model.robust.counterpart import describe_method, protection
from opt_model.robust.sets import RowUncertainty
from opt_model.sensitivity.montecarlo import RobustnessReport, summarise
from opt_model.sensitivity.validation import Verdict, evaluate
from solvers import BackendResult, SolveStatus, StandardForm, solve


@dataclass
class RobustPlan:
    """One plan: how it was protected, what it costs, and (once evaluated) how often it holds."""

    method: str
    level: float
    status: str
    objective: float
    x: np.ndarray | None
    size: dict[str, int]
    build_s: float
    solve_s: float
    solver: str
    uncertainty: RowUncertainty = field(repr=False)
    backend: BackendResult | None = field(default=None, repr=False)
    guarantee: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    evaluation: RobustnessReport | None = field(default=None, repr=False)
    verdict: Verdict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return describe_method(self.method, self.level)

    @property
    def has_solution(self) -> bool:
        """An optimal plan, or a MILP's feasible incumbent when the solver stopped at its time limit."""
        return self.x is not None and (self.status == SolveStatus.OPTIMAL.value or bool(self.details.get("incumbent")))

    @property
    def feasible_probability(self) -> float:
        return self.evaluation.feasible_probability if self.evaluation is not None else float("nan")

    @property
    def feasible_interval(self) -> tuple[float, float]:
        return self.evaluation.feasible_interval if self.evaluation is not None else (float("nan"), float("nan"))

    @property
    def passed(self) -> bool | None:
        return None if self.verdict is None else self.verdict.passed

    def result(self) -> Any:
        """The plan as an :class:`opt_model.Result` of the original model (values by name and label)."""
        model = self.uncertainty.analysis.model
        if model is None or self.backend is None:
            return None
        from opt_model.result import Result
        return Result(model, model.compile(), self.backend)

    def variable_values(self) -> dict[str, float]:
        """Every scalar variable of the plan by its full name (``x[etl,h1]``), as ``solve`` names them."""
        if self.x is None:
            return {}
        names = self.uncertainty.analysis.form.column_names().names()
        return dict(zip(names, self.x.tolist(), strict=True))

    def protection(self) -> np.ndarray:
        """Worst-case deviation of each protected row at this plan (box, budget or ellipsoid measure)."""
        if self.x is None:
            return np.full(self.uncertainty.rows.size, np.nan)
        method = self.method if self.method in ("box", "budget", "ellipsoid") else "box"
        return protection(self.uncertainty, self.x, method, self.level)


def plan_from_form(uncertainty: RowUncertainty, form: StandardForm, method: str, level: float, build_s: float,
                   solver: str = "auto", options: Mapping[str, Any] | None = None, guarantee: str = "",
                   details: Mapping[str, Any] | None = None) -> RobustPlan:
    """Solve a protected form and keep the model's own columns as the plan."""
    start = time.perf_counter()
    outcome = solve(form, solver, dict(options or {}))
    solve_s = time.perf_counter() - start
    n = uncertainty.analysis.form.num_cols
    x = None if outcome.x is None else np.asarray(outcome.x[:n], dtype=float)
    backend = None
    if x is not None:
        nominal = uncertainty.analysis.form
        backend = BackendResult(status=outcome.status, solver=outcome.solver, objective=outcome.objective, x=x,
                                row_activity=np.asarray(nominal.A @ x), solve_time_s=outcome.solve_time_s,
                                solver_version=outcome.solver_version, mip_gap=outcome.mip_gap,
                                mip_bound=outcome.mip_bound, message=outcome.message)
    size = {"rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.num_nonzeros,
            "cones": int(sum(int(cone.sizes.size) for cone in form.cones)), "integers": form.num_integers}
    record = dict(details or {})
    if outcome.status in _LIMITS and form.is_mip and outcome.x is not None and \
            _feasible(form, np.asarray(outcome.x, dtype=float)):
        record["incumbent"] = True  # the best plan found within the limit: feasible, not proven optimal
        guarantee += (f"; the MILP stopped at a limit ({outcome.status.value}): the plan is its best feasible one, "
                      "not proven optimal")
    return RobustPlan(method, float(level), outcome.status.value, float(outcome.objective), x, size, build_s, solve_s,
                      outcome.solver, uncertainty, backend, guarantee, record)


_LIMITS = (SolveStatus.TIME_LIMIT, SolveStatus.SOLUTION_LIMIT, SolveStatus.ITERATION_LIMIT, SolveStatus.INTERRUPTED)


def _feasible(form: StandardForm, x: np.ndarray, tolerance: float = 1e-6) -> bool:
    """``x`` within the column bounds, the row bounds and integrality (relative tolerance)."""
    if x.shape != (form.num_cols,):
        return False
    activity = form.A @ x
    scale = 1.0 + np.abs(activity)
    rows_ok = bool(np.all(activity >= form.row_lower - tolerance * scale) and
                   np.all(activity <= form.row_upper + tolerance * scale))
    cols_ok = bool(np.all(x >= form.col_lower - tolerance) and np.all(x <= form.col_upper + tolerance))
    whole = form.integrality is not None and bool(np.any(form.integrality))
    integral = not whole or bool(np.all(np.abs(x[form.integrality != 0] - np.round(x[form.integrality != 0]))
                                        <= 1e-5))
    return rows_ok and cols_ok and integral


def evaluate_plan(plan: RobustPlan, *, scenarios: int = 1000, seed: int | None = 1, confidence: float = 0.95,
                  thresholds: Mapping[str, Any] | None = None, jobs: int = 1, scheduler: Any = None,
                  options: dict[str, Any] | None = None, progress: bool = False) -> RobustPlan:
    """Out-of-sample test of a plan on fresh scenarios, through the Monte Carlo engine.

    Every scenario is drawn from the declared uncertainty (``seed``; use a seed
    that no method used to build a plan), the model is re-solved in place, and
    the plan is checked against the scenario's numbers.  Sets
    ``plan.evaluation`` (a :class:`~opt_model.sensitivity.RobustnessReport` whose
    "nominal plan" is this plan) and ``plan.verdict`` against ``thresholds``.
    """
    from opt_model.sensitivity.engine import run_scenarios, solve_nominal

    if plan.x is None:
        return plan
    analysis = plan.uncertainty.analysis
    first = plan.details.get("first_stage_indices")
    if first is not None:  # two-stage: the first stage is fixed, the recourse re-solved in each scenario
        columns = np.asarray(first, dtype=np.int64)
        lower = analysis.form.col_lower.copy()
        upper = analysis.form.col_upper.copy()
        lower[columns] = upper[columns] = plan.x[columns]
        analysis = replace(analysis, form=replace(analysis.form, col_lower=lower, col_upper=upper))
    if analysis.form.is_mip:
        analysis = analysis.with_integers_fixed(plan.x)
    nominal = solve_nominal(analysis, options)
    form = analysis.form
    x = nominal.x if first is not None else plan.x
    own = replace(nominal, x=x, activity=np.asarray(form.A @ x), objective=form.objective_value(x))
    results = run_scenarios(analysis, plan=plan.uncertainty.plan, count=scenarios, seed=seed, jobs=jobs,
                            scheduler=scheduler, options=options, progress=progress, nominal=own)
    labels = plan.uncertainty.plan.parameter_labels
    report = summarise(analysis, labels, results, own.objective, seed, confidence)
    if first is not None:  # feasible = the recourse has an answer
        from opt_model.sensitivity.stats import wilson_interval
        solved = int(results.optimal.sum())
        report.feasible_probability = solved / results.count
        report.feasible_interval = wilson_interval(solved, results.count, confidence)
        report.notes.append("two-stage plan: P(feasible) is the share of scenarios in which the recourse, with the "
                            "first stage fixed, has an optimum; the objective distribution is its cost")
    plan.evaluation = report
    if thresholds:
        plan.verdict = evaluate(plan.evaluation, thresholds)
    return plan
