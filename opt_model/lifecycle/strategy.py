"""Phase 3, strategy: which solver configuration to use, and (for several objectives) the trade-off.

Every installed configuration that suits the problem class
(:func:`~opt_model.lifecycle.runs.strategy_solvers`) solves the compiled
model (written as ``models/NAME.compiled.mps``; a cone program, which MPS
cannot hold, runs from its spec) isolated, through the benchmark runner; each
answer is checked against the known optimum (the spec's ``expected`` objective, else the baseline's).  The
fastest configuration whose answer agrees is chosen; runs within
:data:`TIE_FRACTION` (or :data:`TIE_SECONDS`) of the fastest count as a tie,
which goes to the baseline's default solver, then to the earlier configuration,
so that timing noise does not change the recommendation.  When the baseline
run took less than :data:`QUICK_RUN_S`, each configuration runs three times
and its median time counts (the first runs of a batch are measurably slower).  A lexicographic model
also gets its Pareto front (:mod:`opt_model.lifecycle.pareto`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.formatting import plural
from opt_model.lifecycle.analysis import Analysis
from opt_model.lifecycle.baseline import Baseline, relative_difference
from opt_model.lifecycle.context import Context
from opt_model.lifecycle.runs import ProblemFile, problem_file, run_isolated, strategy_solvers

TIE_FRACTION = 0.10
TIE_SECONDS = 0.02
QUICK_RUN_S = 2.0
"""Configurations run three times (median time) when the baseline's isolated run took less than this."""
RUN_COLUMNS = ["solver", "role", "status", "objective", "relative_error", "agrees", "wall_time_s", "solve_time_s",
               "peak_memory_mb", "message", "repeats"]


@dataclass
class Strategy:
    """The solver comparison (``runs``, one row per configuration) and the choice.

    ``chosen`` is a solver string (``highs:ipm``, ``pyomo:cbc``); ``isolated``
    says whether the runs were isolated child processes (timings and peak
    memory as ``opt-model bench`` measures them) or in-process solves.
    """

    runs: pd.DataFrame
    chosen: str
    reason: str
    reference: float | None
    reference_source: str
    tolerance: float
    problem: str
    isolated: bool = True
    pareto: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def chosen_row(self) -> dict[str, Any]:
        rows = self.runs[self.runs["solver"] == self.chosen].to_dict(orient="records")
        return {str(key): value for key, value in rows[0].items()} if rows else {}

    def to_dict(self) -> dict[str, Any]:
        records = []
        for row in self.runs.to_dict(orient="records"):
            records.append({key: (None if isinstance(value, float) and not math.isfinite(value) else value)
                            for key, value in row.items()})
        return {"chosen": self.chosen, "reason": self.reason, "reference": self.reference,
                "reference_source": self.reference_source, "tolerance": self.tolerance, "problem": self.problem,
                "isolated": self.isolated, "runs": records, "notes": self.notes,
                "pareto": self.pareto.to_dict() if self.pareto is not None else None}


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def choose(runs: pd.DataFrame, default: str) -> tuple[str, str]:
    """The fastest agreeing configuration (ties to ``default``, then list order) and why.

    Example
    -------
    >>> runs = pd.DataFrame({"solver": ["highs", "highs:ipm", "highs:pdlp"], "agrees": [True, True, False],
    ...                      "wall_time_s": [0.100, 0.095, 0.01]})
    >>> choose(runs, "highs")[0]
    'highs'
    """
    good = runs[runs["agrees"].astype(bool) & runs["wall_time_s"].map(lambda v: math.isfinite(_number(v)))]
    if good.empty:
        return default, f"no configuration gave an answer that agrees with the reference; keeping {default}"
    fastest = float(good["wall_time_s"].min())
    margin = max(TIE_FRACTION * fastest, TIE_SECONDS)
    ties = good[good["wall_time_s"] <= fastest + margin]
    names = ties["solver"].tolist()
    pick = default if default in names else names[0]
    time_of = float(good.loc[good["solver"] == pick, "wall_time_s"].iloc[0])
    if len(names) > 1:
        others = ", ".join(name for name in names if name != pick)
        why = (f"{pick} agrees with the reference and is within {margin:.3g} s of the fastest correct run "
               f"({fastest:.3g} s); ties ({others}) go to the default solver, then to the first listed")
    else:
        why = f"{pick} is the fastest configuration whose answer agrees with the reference ({time_of:.3g} s)"
    return pick, why


def _median(rows: list[dict[str, Any]], key: str) -> float:
    values = [_number(row.get(key)) for row in rows]
    finite = [value for value in values if math.isfinite(value)]
    return float(np.median(finite)) if finite else math.nan


def _rows_from_runs(runs: list[list[dict[str, Any]]], solvers: list[str], roles: list[str],
                    reference: float | None, tolerance: float) -> list[dict[str, Any]]:
    """One table row per configuration: the first repeat's answer, median times, the largest peak memory."""
    out = []
    for solver, repeats, role in zip(solvers, runs, roles, strict=True):
        first = repeats[0] if repeats else {}
        objective = _number(first.get("objective"))
        error = relative_difference(objective, reference) if reference is not None and math.isfinite(objective) \
            else math.nan
        statuses = [str(row.get("status") or "missing") for row in repeats] or ["missing"]
        status = next((item for item in statuses if item != "optimal"), "optimal")
        agrees = status == "optimal" and (reference is None or (math.isfinite(error) and error <= tolerance))
        memory = [_number(row.get("peak_memory_mb")) for row in repeats]
        out.append({"solver": solver, "role": role, "status": status, "objective": objective,
                    "relative_error": error, "agrees": bool(agrees), "wall_time_s": _median(repeats, "wall_time_s"),
                    "solve_time_s": _median(repeats, "solve_time_s"),
                    "peak_memory_mb": max((m for m in memory if math.isfinite(m)), default=math.nan),
                    "message": next((str(row.get("message")) for row in repeats if row.get("message")), ""),
                    "repeats": len(repeats)})
    return out


def _in_process(ctx: Context, model: Any, solvers: list[str], roles: list[str], reference: float | None,
                tolerance: float) -> list[dict[str, Any]]:
    """Solve in this process with each configuration (when no file can be run isolated)."""
    rows = []
    for solver in solvers:
        started = time.perf_counter()
        try:
            result = model.solve(solver, options=ctx.solve_options())
            row = {"status": result.status.value, "objective": result.objective, "solve_time_s": result.solve_time_s,
                   "message": ""}
        except (ValueError, RuntimeError, ImportError) as error:
            row = {"status": "error", "objective": None, "message": str(error)}
        row["wall_time_s"] = time.perf_counter() - started
        rows.append([row])
    return _rows_from_runs(rows, solvers, roles, reference, tolerance)


def run_strategy(ctx: Context, baseline: Baseline, analysis: Analysis) -> Strategy:
    """Compare the suitable solver configurations, pick one, and compute the Pareto front if there are priorities."""
    model = analysis.model
    result = analysis.result
    assert model is not None and result is not None
    form = result.compiled.form
    lexicographic = model.objectives.lexicographic
    problem_class = model.compile().form.problem_class if lexicographic else form.problem_class
    solvers = list(ctx.settings.solvers) if ctx.settings.solvers else strategy_solvers(problem_class)
    default = baseline.solver
    todo = list(dict.fromkeys([default, *solvers]))  # the default again, so every run has the same conditions
    ctx.progress.start(3, "strategy", f"compare {len(todo)} solver configuration(s)"
                       + (" and the Pareto front" if lexicographic else ""))
    tolerance = baseline.tolerance
    notes: list[str] = []
    reference: float | None
    if analysis.repaired:
        reference, source = result.objective, "repaired model, in-process solve"
        problem: ProblemFile | None = problem_file(form, f"{ctx.name}_repaired", ctx.out_dir, spec_path=None,
                                                   use_spec=False, reference=reference,
                                                   reference_source=source, tolerance=tolerance)
    else:
        reference = baseline.expected_objective if baseline.expected_objective is not None else baseline.objective
        source = "spec expected" if baseline.expected_objective is not None else "baseline solve"
        problem = problem_file(form, f"{ctx.name}.compiled", ctx.out_dir, spec_path=None, use_spec=False,
                               reference=reference, reference_source=source, tolerance=tolerance) \
            or baseline.problem
    roles = ["default" if solver == default else "candidate" for solver in todo]
    if problem is not None:
        isolated = True
        repeats = ctx.settings.repeats
        if repeats is None:
            repeats = 3 if baseline.wall_time_s is not None and baseline.wall_time_s < QUICK_RUN_S else 1
        found = run_isolated(problem, todo, ctx.solve_options(), db=ctx.db, time_limit=ctx.time_limit(),
                             jobs=ctx.settings.jobs, repeats=repeats, progress=ctx.settings.progress)
        rows = _rows_from_runs(found, todo, roles, reference, tolerance)
        if problem.kind == "file":
            notes.append(f"the runs solve the compiled model from {problem.path.name} (written by the lifecycle), so "
                         "loading the spec, the same for every configuration, does not blur the comparison"
                         + ("; it is the last priority level with the earlier levels held as constraints"
                            if lexicographic else ""))
        if ctx.settings.jobs > 1:
            notes.append(f"{ctx.settings.jobs} runs at a time: timings compete for cores and are less comparable")
    else:
        isolated = False
        rows = _in_process(ctx, model, todo, roles, reference, tolerance)
        notes.append("this model cannot be written to a file for isolated runs: the configurations were timed "
                     "in this process (no peak memory)")
    runs = pd.DataFrame(rows, columns=RUN_COLUMNS)
    chosen, reason = choose(runs, default)
    strategy = Strategy(runs, chosen, reason, reference, source, tolerance,
                        str(problem.path) if problem is not None else "", isolated, notes=notes)
    wrong = runs[~runs["agrees"].astype(bool)]
    for row in wrong.to_dict(orient="records"):
        detail = f"relative error {row['relative_error']:.2g}" if math.isfinite(row["relative_error"]) \
            else row["message"] or row["status"]
        strategy.notes.append(f"{row['solver']} does not agree: {row['status']}, {detail}")
    if lexicographic:
        from opt_model.lifecycle.pareto import pareto_front
        strategy.pareto = pareto_front(model, points=ctx.settings.pareto_points, options=ctx.solve_options(),
                                       chosen=result)
    agree = int(runs["agrees"].sum())
    summary = f"chose {chosen}; {agree} of {plural(len(runs), 'configuration')} {'agrees' if agree == 1 else 'agree'}"
    if strategy.pareto is not None:
        summary += f"; Pareto front of {len(strategy.pareto.points)} points"
    ctx.progress.done(summary)
    return strategy
