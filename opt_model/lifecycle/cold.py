"""Scenario analysis by cold re-solves, for models the warm HiGHS scenario engine cannot take.

:mod:`opt_model.sensitivity` re-solves scenarios in a live HiGHS session from
the previous basis; a cone program (proportional fairness, entropy, norms) has
no simplex basis and HiGHS cannot hold it.  Here each scenario's numbers are
written into a copy of the standard form and solved from scratch with the
model's conic backend.  Draws follow the engine exactly (chunks of
:func:`~opt_model.sensitivity.engine.chunk_size_for` scenarios, chunk ``k``
drawing from ``SeedSequence(seed, spawn_key=(k,))``), and the per-scenario
records are summarised by the same code
(:func:`opt_model.sensitivity.montecarlo.summarise`), so the report has the
same fields and meaning; basis changes do not apply and are reported as NaN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import SensitivityError
from opt_model.sensitivity.engine import FEASIBILITY_TOLERANCE, ScenarioResults, binding_rows, chunk_size_for
from opt_model.sensitivity.montecarlo import RobustnessReport, summarise
from opt_model.sensitivity.plan import Changes, ScenarioPlan, build_plan
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.progress import Progress
from opt_model.sensitivity.uncertainty import Uncertain
from solvers import SolveStatus, StandardForm, solve

BINDING_TOLERANCE = 1e-6
"""Relative distance to a bound that counts as binding (interior-point answers sit close to, not on, bounds)."""
COLD_NOTE = ("the model has cone constraints, which the warm-started HiGHS engine cannot hold: every scenario was "
             "solved from scratch with {solver}; basis changes do not apply")


class ColdEngine:
    """Solves the nominal model and scenarios of it, each from scratch.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity import AnalysisModel
    >>> m = om.Model(); x = m.add_variable("x", ub=4); m.maximize(2 * x)
    >>> engine = ColdEngine(AnalysisModel.from_model(m), "highs")
    >>> engine.nominal_objective
    8.0
    """

    def __init__(self, analysis: AnalysisModel, solver: str = "auto", options: Mapping[str, Any] | None = None
                 ) -> None:
        self.analysis = analysis
        self.form = analysis.form
        self.solver = solver
        self.options = dict(options or {})
        nominal = solve(self.form, solver, self.options)
        if nominal.status is not SolveStatus.OPTIMAL or nominal.x is None:
            raise SensitivityError(f"the nominal model ended {nominal.status.value}; scenario analysis needs a "
                                   "nominal optimum")
        self.solver_name = nominal.solver
        self.nominal_objective = float(nominal.objective)
        self.x0 = np.asarray(nominal.x)
        self.activity0 = self.form.A @ self.x0
        self.binding0 = binding_rows(self.form, self.activity0, BINDING_TOLERANCE)
        low, up = np.isfinite(self.form.row_lower), np.isfinite(self.form.row_upper)
        self.move_upper = up
        self.move_lower = low & (~up | (self.form.row_lower == self.form.row_upper))

    def scenario_form(self, changes: Changes) -> StandardForm:
        """The nominal form with one scenario's numbers."""
        form = self.form
        c = form.c.copy()
        c[changes.cost_cols] = changes.cost_values
        lower, upper = form.row_lower.copy(), form.row_upper.copy()
        rows = changes.rhs_rows
        lower[rows] = np.where(self.move_lower[rows], changes.rhs_values, lower[rows])
        upper[rows] = np.where(self.move_upper[rows], changes.rhs_values, upper[rows])
        col_lower, col_upper = form.col_lower.copy(), form.col_upper.copy()
        col_lower[changes.lower_cols] = changes.lower_values
        col_upper[changes.upper_cols] = changes.upper_values
        A = form.A
        if changes.coef_rows.size:
            matrix = form.A.tolil(copy=True)
            for row, col, value in zip(changes.coef_rows, changes.coef_cols, changes.coef_values, strict=True):
                matrix[int(row), int(col)] = float(value)
            A = matrix.tocsr()
        return dataclasses.replace(form, c=c, row_lower=lower, row_upper=upper, col_lower=col_lower,
                                   col_upper=col_upper, A=A)

    def run(self, changes: Sequence[Changes], track: np.ndarray, factor_values: np.ndarray | None = None,
            progress: bool = False) -> ScenarioResults:
        """Per-scenario records, with the fields :class:`~opt_model.sensitivity.engine.ScenarioResults` has."""
        count = len(changes)
        out = ScenarioResults(
            status=np.empty(count, dtype=object), objective=np.full(count, np.nan),
            nominal_value=np.full(count, np.nan), nominal_feasible=np.zeros(count, dtype=bool),
            violation=np.zeros((count, track.size)), col_violation=np.zeros(count),
            basis_changed=np.zeros(count, dtype=bool), binding_changed=np.zeros(count, dtype=bool),
            outputs=np.zeros((count, 0)), iterations=np.zeros(count, dtype=np.int64),
            fallback=np.zeros(count, dtype=bool), factor_values=factor_values, track_rows=track)
        x0 = self.x0
        with Progress(count, "scenarios (cold)", enabled=progress) as bar:
            for k, change in enumerate(changes):
                current = self.scenario_form(change)
                result = solve(current, self.solver, self.options)
                out.status[k] = result.status.value
                activity0 = current.A @ x0 if change.coef_rows.size else self.activity0
                with np.errstate(invalid="ignore"):
                    row_excess = np.maximum(np.maximum(current.row_lower - activity0, activity0 - current.row_upper),
                                            0.0)
                    col_excess = np.maximum(np.maximum(current.col_lower - x0, x0 - current.col_upper), 0.0)
                    scale = 1.0 + np.abs(np.where(np.isfinite(current.row_upper), current.row_upper, 0.0)) + \
                        np.abs(np.where(np.isfinite(current.row_lower), current.row_lower, 0.0))
                out.nominal_feasible[k] = bool((row_excess <= FEASIBILITY_TOLERANCE * scale).all() and
                                               (col_excess <= FEASIBILITY_TOLERANCE * (1 + np.abs(x0))).all())
                out.violation[k] = row_excess[track]
                out.col_violation[k] = float(col_excess.max(initial=0.0))
                out.nominal_value[k] = float(current.c @ x0) + current.constant
                if result.status is SolveStatus.OPTIMAL and result.x is not None:
                    out.objective[k] = result.objective
                    activity = current.A @ np.asarray(result.x)
                    out.binding_changed[k] = bool((binding_rows(current, activity, BINDING_TOLERANCE) !=
                                                   self.binding0).any())
                bar.update(1)
        out.chunks = 1
        return out


def _draw_changes(plan: ScenarioPlan, count: int, seed: int | None) -> tuple[list[Changes], np.ndarray]:
    """The scenarios the warm engine would draw for ``count`` and ``seed`` (same chunking, same streams)."""
    size = chunk_size_for(count)
    values = []
    for index, start in enumerate(range(0, count, size)):
        stop = min(start + size, count)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        values.append(plan.factor_values(rng.random((stop - start, plan.num_factors))))
    factor_values = np.vstack(values)
    entries = plan.entry_values(factor_values)
    return [plan.changes(entries[k]) for k in range(count)], factor_values


def cold_robustness(analysis: AnalysisModel, parameters: list[Uncertain], *, scenarios: int, seed: int | None,
                    solver: str = "auto", options: Mapping[str, Any] | None = None,
                    progress: bool = False) -> RobustnessReport:
    """Monte Carlo robustness with cold re-solves; the same report as :func:`opt_model.sensitivity.robustness`."""
    plan = build_plan(analysis, parameters)
    engine = ColdEngine(analysis, solver, options)
    changes, factor_values = _draw_changes(plan, scenarios, seed)
    results = engine.run(changes, plan.affected_rows(), factor_values, progress)
    report = summarise(analysis, [p.label for p in parameters], results, engine.nominal_objective, seed)
    report.basis_change_rate = float("nan")
    report.notes.append(COLD_NOTE.format(solver=engine.solver_name))
    return report


def cold_tornado(analysis: AnalysisModel, parameters: list[Uncertain], *, low: float = 0.05, high: float = 0.95,
                 solver: str = "auto", options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One-at-a-time swings with cold re-solves; the table of :func:`opt_model.sensitivity.tornado`."""
    plan = build_plan(analysis, parameters)
    engine = ColdEngine(analysis, solver, options)
    count = plan.num_factors
    base = np.array([1.0 if plan.entry_relative[plan.entry_factor == k].all() else
                     float(plan.entry_nominal[plan.entry_factor == k].mean()) for k in range(count)])
    ends = np.vstack([plan.factors[k].distribution.ppf(np.array([low, high])) for k in range(count)])
    changes = []
    for k in range(count):
        for side in range(2):
            factors = base.copy()
            factors[k] = ends[k, side]
            entries = np.where(plan.entry_factor == k, plan.entry_values(factors[None, :])[0], plan.entry_nominal)
            changes.append(plan.changes(entries))
    results = engine.run(changes, np.zeros(0, dtype=np.int64))
    objective = results.objective.reshape(count, 2)
    table = pd.DataFrame({"factor": [factor.name for factor in plan.factors], "low": ends[:, 0], "high": ends[:, 1],
                          "objective_low": objective[:, 0], "objective_high": objective[:, 1],
                          "nominal_objective": engine.nominal_objective})
    table["swing"] = (table["objective_high"] - table["objective_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def cold_morris(analysis: AnalysisModel, parameters: list[Uncertain], *, trajectories: int, levels: int = 4,
                seed: int = 0, solver: str = "auto", options: Mapping[str, Any] | None = None,
                progress: bool = False) -> Any:
    """Morris screening with cold re-solves; a :class:`~opt_model.sensitivity.GlobalSensitivity`."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    from opt_model.sensitivity.global_sa import UNIT_MARGIN, GlobalSensitivity

    plan = build_plan(analysis, parameters)
    engine = ColdEngine(analysis, solver, options)
    names = [factor.name for factor in plan.factors]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    unit = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    values = plan.factor_values(np.clip(unit, UNIT_MARGIN, 1 - UNIT_MARGIN))
    entries = plan.entry_values(values)
    results = engine.run([plan.changes(entries[k]) for k in range(values.shape[0])], np.zeros(0, dtype=np.int64),
                         values, progress)
    width = len(names) + 1
    good = results.optimal.reshape(-1, width).all(axis=1)
    keep = np.repeat(good, width)
    indices: dict[str, pd.DataFrame] = {}
    notes = [COLD_NOTE.format(solver=engine.solver_name)]
    valid = bool(good.sum() >= 2)
    if valid:
        analysed = morris_analyze.analyze(problem, unit[keep], results.objective[keep], num_levels=levels, seed=seed)
        indices["objective"] = pd.DataFrame({key: np.asarray(analysed[key], dtype=float)
                                             for key in ("mu", "mu_star", "sigma", "mu_star_conf")}, index=names)
    else:
        notes.append("fewer than two complete trajectories: no Morris indices")
    bad = np.flatnonzero(~results.optimal)
    failed = pd.DataFrame({"scenario": bad, "status": results.status[bad].astype(str)})
    return GlobalSensitivity("morris", names, indices, valid, results.count, failed, notes, results)
