"""Monte Carlo robustness: does the nominal allocation survive perturbed parameters?

Scenarios are drawn from the declared uncertain parameters and re-solved in
place with warm starts (never rebuilt).  The report gives the probability that
the nominal plan stays feasible (with a Wilson interval) and how far each
resource is overrun when it does not, the distribution of the re-optimised
objective (mean, quantiles, CVaR), the regret of keeping the nominal plan, and
how often the optimal basis and the set of binding constraints change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError, SensitivityError
from opt_model.formatting import Readable, format_number, objective_unit_text
from opt_model.sensitivity.engine import (
    EngineSetup,
    Nominal,
    ScenarioResults,
    binding_rows,
    chunks_of,
    merge,
    run_milp_chunk,
    run_scenarios,
    solve_nominal,
)
from opt_model.sensitivity.outputs import Output, ResolvedOutput, resolve_outputs
from opt_model.sensitivity.plan import ScenarioPlan
from opt_model.sensitivity.problem import AnalysisModel, AnalysisSource
from opt_model.sensitivity.stats import cvar, describe, wilson_interval
from opt_model.sensitivity.targets import resolve_plan
from opt_model.sensitivity.uncertainty import Uncertain, as_parameters
from solvers import Sense


@dataclass
class RobustnessReport(Readable):
    """The outcome of :func:`robustness`; ``samples`` has one row per scenario."""

    scenarios: int
    seed: int | None
    parameters: list[str]
    sense: str
    nominal_objective: float
    status_counts: dict[str, int]
    feasible_probability: float
    feasible_interval: tuple[float, float]
    confidence: float
    objective: dict[str, float]
    cvar_level: float
    objective_cvar: float
    regret: dict[str, float]
    basis_change_rate: float
    binding_change_rate: float
    violations: pd.DataFrame
    outputs: pd.DataFrame
    samples: pd.DataFrame
    fallbacks: int = 0
    elapsed_s: float = float("nan")
    notes: list[str] = field(default_factory=list)
    results: ScenarioResults | None = field(default=None, repr=False)
    objective_unit: str = ""
    stage: str = ""
    problem_class: str = "LP"
    model: AnalysisModel | None = field(default=None, repr=False)
    """The model the scenarios changed (a MILP's with its integers fixed; the analysed stage)."""
    mode: str = ""
    """For a MILP: ``"plan"`` (integer decisions kept) or ``"reoptimise"`` (MILP re-solved per scenario)."""
    warm_solves: int = 0
    """Scenario solves that started warm: from the nominal basis (LP), from the nominal incumbent (MILP)."""
    start: str = ""
    """How the scenario solves started, in words (warm from what, or cold and why)."""
    integer_change_rate: float = math.nan
    """Re-optimise mode: the fraction of solved scenarios whose integer decisions differ from the nominal plan."""

    @property
    def optimal_fraction(self) -> float:
        return self.status_counts.get("optimal", 0) / self.scenarios if self.scenarios else float("nan")

    def verdict(self, thresholds: Mapping[str, Any]) -> Any:
        """Pass/fail against thresholds (see :func:`opt_model.sensitivity.validation.evaluate`)."""
        from opt_model.sensitivity.validation import evaluate
        return evaluate(self, thresholds)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(item) for item in value]
            if isinstance(value, (float, np.floating)):
                return float(value) if np.isfinite(value) else None
            if isinstance(value, np.integer):
                return int(value)
            return value
        return clean({
            "scenarios": self.scenarios, "seed": self.seed, "parameters": self.parameters, "sense": self.sense,
            "nominal_objective": self.nominal_objective, "status_counts": self.status_counts,
            "nominal_plan": {"feasible_probability": self.feasible_probability,
                             "interval": list(self.feasible_interval), "confidence": self.confidence},
            "objective": self.objective, "cvar": {"level": self.cvar_level, "value": self.objective_cvar},
            "regret": self.regret, "basis_change_rate": self.basis_change_rate,
            "binding_change_rate": self.binding_change_rate,
            "violations": json.loads(self.violations.to_json(orient="records")),
            "outputs": json.loads(self.outputs.to_json(orient="records")),
            "warm_start_fallbacks": self.fallbacks, "elapsed_s": self.elapsed_s, "notes": self.notes,
            "objective_unit": self.objective_unit, "stage": self.stage, "problem_class": self.problem_class,
            "mode": self.mode, "warm_solves": self.warm_solves, "start": self.start,
            "integer_change_rate": self.integer_change_rate})

    def to_text(self) -> str:
        low, high = self.feasible_interval
        o = self.objective
        unit = objective_unit_text(self.objective_unit)
        u = f" {unit}" if unit else ""

        def num(value: float, digits: int = 6) -> str:
            return format_number(float(value), digits) + u

        what = f"{self.problem_class}" + (f", {self.mode} mode" if self.mode else "") + \
            (f", {self.stage}" if self.stage else "")
        lines = [
            f"Robustness ({what}): {self.scenarios} scenarios (seed {self.seed}) over {', '.join(self.parameters)}",
            f"  nominal objective {num(self.nominal_objective)}; scenario outcomes "
            + ", ".join(f"{k} {v}" for k, v in self.status_counts.items()),
            f"  nominal plan stays feasible: {self.feasible_probability:.1%} "
            f"({self.confidence:.0%} Wilson interval {low:.1%} - {high:.1%})",
        ]
        again = "re-solved MILP" if self.mode == "reoptimise" else "re-optimised"
        if o.get("count"):
            lines.append(f"  {again} objective: mean {num(o['mean'])}, std {num(o['std'], 3)} "
                         f"(cv {format_number(o['cv'], 3)}), 5%-95% [{num(o['q05'])}, {num(o['q95'])}], "
                         f"CVaR{self.cvar_level:.0%} {num(self.objective_cvar)}")
        if self.regret.get("count"):
            lines.append(f"  regret of keeping the nominal plan (when feasible): mean {num(self.regret['mean'], 4)}, "
                         f"95% {num(self.regret['q95'], 4)}, max {num(self.regret['max'], 4)}")
        if math.isfinite(self.integer_change_rate):
            lines.append(f"  integer decisions change in {self.integer_change_rate:.1%} of re-solved scenarios")
        if math.isfinite(self.basis_change_rate):
            lines.append(f"  optimal basis changes in {self.basis_change_rate:.1%} of scenarios; "
                         f"binding set in {self.binding_change_rate:.1%}")
        else:
            lines.append(f"  binding set changes in {self.binding_change_rate:.1%} of scenarios (no simplex basis)")
        if not self.violations.empty:
            worst = self.violations.sort_values("probability", ascending=False).head(10)
            lines += ["", "Nominal plan overruns (per constraint)",
                      worst.to_string(index=False, formatters={c: _fmt for c in worst.columns})]
        if not self.outputs.empty:
            lines += ["", "Outputs", self.outputs.to_string(index=False,
                                                            formatters={c: _fmt for c in self.outputs.columns})]
        if self.start:
            lines.append(f"  scenario solves: {self.start}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    return format_number(float(value), 4) if isinstance(value, (float, np.floating)) else str(value)


PLAN, REOPTIMISE = "plan", "reoptimise"
HELD, ALL = "held", "all"
DEFAULT_MILP_TIME_LIMIT = 10.0
"""Seconds per MILP re-solve in the re-optimise mode."""


def robustness(source: AnalysisSource, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
               scenarios: int = 1000, seed: int | None = 0, outputs: Sequence[Output | str] = (),
               confidence: float = 0.95, cvar_level: float = 0.95, jobs: int = 1, scheduler: Any = None,
               options: dict[str, Any] | None = None, progress: bool = True, mode: str = PLAN,
               stage: int | str | None = None, milp_time_limit: float = DEFAULT_MILP_TIME_LIMIT,
               stages: str = HELD) -> RobustnessReport:
    """Monte Carlo robustness of the nominal optimal allocation.

    LPs, QPs and cone programs are re-solved per scenario through one engine (warm
    where the backend can).  A MILP runs in one of two ``mode`` s:

    - ``"plan"`` (default): the nominal integer decisions stay; the continuous ones are
      re-optimised per scenario.  The feasibility probability is that of the nominal
      plan, the objective distribution that of the best plan with the same integers.
    - ``"reoptimise"``: the same scenarios (same draws) are also re-solved as MILPs
      (``milp_time_limit`` seconds each; gaps reported), each starting from the nominal
      incumbent where the backend takes a MIP start, in chunks through the same
      ``jobs`` / ``scheduler`` path (identical results for the same seed); the objective
      distribution, the regret and the outputs are those of re-optimising everything.

    ``stage`` picks the objective of a model with objectives by priority (default the
    last, as ``solve`` reports it).  ``stages="held"`` (default) keeps the earlier stages'
    objectives held at their *nominal* optima (``hold_<name>`` rows) in every scenario: how the
    analysed objective moves with the plan's commitments fixed.  ``stages="all"`` re-solves the
    whole sequence per scenario (each earlier objective re-optimised under the scenario and held
    again before the analysed one), so the feasibility probability and the objective
    distribution are those of the plan ``solve`` would return in that scenario; cost
    perturbations then change the analysed stage's objective.  A coefficient target may name a whole block
    (every coefficient of a variable in a constraint or resource):
    :func:`~opt_model.sensitivity.targets.resolve_plan`.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4); _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18); m.maximize(3 * x1 + 5 * x2)
    >>> params = [Uncertain(capacity(name), relative(10)) for name in ("plant1", "plant2", "plant3")]
    >>> report = robustness(m, params, scenarios=200, seed=1, progress=False)
    >>> low, high = report.feasible_interval
    >>> bool(low <= 0.25 <= high)
    True
    """
    from opt_model.sensitivity.stages import analysis_for_stage
    if scenarios < 1:
        raise ModelError(f"scenarios={scenarios}: give at least 1")
    if not 0 < confidence < 1 or not 0 < cvar_level < 1:
        raise ModelError("confidence and cvar_level must lie strictly between 0 and 1")
    if mode not in (PLAN, REOPTIMISE):
        raise ModelError(f"mode={mode!r}: use 'plan' (keep the integer decisions) or 'reoptimise' (re-solve the MILP)")
    if stages not in (HELD, ALL):
        raise ModelError(f"stages={stages!r}: use 'held' (earlier stages held at their nominal optima) or 'all' "
                         "(every stage re-solved per scenario)")
    analysis, stage_name, stage_result = analysis_for_stage(source, stage)
    restage = _restage(analysis, stage) if stages == ALL else None
    params = as_parameters(parameters)
    notes: list[str] = []
    milp = analysis.form.is_mip
    scenario_model = analysis
    mip_objective = math.nan
    if milp:
        x, mip_objective = _milp_plan(analysis, stage_result, options, milp_time_limit)
        scenario_model = analysis.with_integers_fixed(x)
        notes.append("MILP, plan mode: the integer decisions of the nominal plan are kept and the continuous ones "
                     "re-optimised per scenario; 'nominal plan stays feasible' is the probability for this plan"
                     if mode == PLAN else
                     "MILP, re-optimise mode: feasibility and overruns are those of the nominal plan (integers "
                     "kept); the objective distribution, the regret and the outputs come from re-solving the MILP "
                     "per scenario")
    plan = resolve_plan(scenario_model, params)
    resolved = resolve_outputs(scenario_model, outputs)
    nominal = solve_nominal(scenario_model, options)
    if restage is not None:
        if milp and mode == REOPTIMISE:
            raise ModelError("stages='all' re-solves the stages of LPs, QPs and cone programs and of a MILP in plan "
                             "mode; re-optimise mode keeps the earlier stages held (stages='held')")
        notes.append(f"every stage re-solved per scenario: the {len(restage.costs)} earlier objective(s) are "
                     "re-optimised under each scenario and held again (hold rows are not plan constraints)")
        stage_name += ", every stage re-solved per scenario"
    results = run_scenarios(scenario_model, plan=plan, count=scenarios, seed=seed, outputs=resolved, jobs=jobs,
                            scheduler=scheduler, options=options, progress=progress, nominal=nominal,
                            restage=restage)
    nominal_objective = nominal.objective
    if milp and mode == REOPTIMISE:
        assert results.factor_values is not None
        gaps = reoptimise_milp(analysis, plan, results, options, milp_time_limit, x0=x, outputs=resolved, jobs=jobs,
                               scheduler=scheduler, progress=progress)
        nominal_objective = mip_objective
        open_gaps = gaps[np.isfinite(gaps) & (gaps > 1e-4)]
        if open_gaps.size:
            notes.append(f"{open_gaps.size} MILP re-solves stopped at the {format_number(milp_time_limit)} s limit "
                         f"above a 0.01 % gap (largest {open_gaps.max():.2%}): their objectives are not proven")
    report = summarise(scenario_model, [p.label for p in params], results, nominal_objective, seed, confidence,
                       cvar_level)
    report.notes = notes + report.notes
    report.objective_unit = analysis.objective_unit
    report.stage = stage_name
    form = analysis.form
    report.problem_class = "MILP" if milp else "cone" if form.cones else \
        "QP" if form.Q is not None and form.Q.nnz else "LP"
    report.mode = mode if milp else ""
    report.model = scenario_model
    report.warm_solves = int(results.warm.sum()) if results.warm is not None else 0
    report.start = _start_text(report, results)
    if results.integers_changed is not None:
        solved = np.isfinite(results.objective)
        report.integer_change_rate = float(results.integers_changed[solved].mean()) if solved.any() else math.nan
    if not math.isfinite(report.basis_change_rate) or report.problem_class in ("QP", "cone", "MILP"):
        report.basis_change_rate = math.nan
    return report


def _restage(analysis: AnalysisModel, stage: int | str | None) -> Any:
    """The :class:`~opt_model.multiobjective.StageSequence` of the analysed stage (None: nothing to re-run)."""
    from opt_model.multiobjective import Lexicographic
    from opt_model.sensitivity.stages import stage_info
    model = analysis.model
    info = stage_info(model, stage) if model is not None else None
    if model is None or info is None or info.number == 1:
        return None
    return Lexicographic(model).sequence(info.number)


def _milp_plan(analysis: AnalysisModel, result: Any, options: dict[str, Any] | None,
               time_limit: float) -> tuple[np.ndarray, float]:
    """The nominal MILP solution (from the result that solved it, else a solve) and its objective."""
    backend = getattr(result, "backend", None)
    x = getattr(backend, "x", None)
    if backend is not None and x is not None and len(x) == analysis.form.num_cols:
        return np.asarray(x), float(backend.objective)
    solved = analysis.session({"time_limit": 6 * time_limit, **(options or {})}).solve()
    if solved.x is None:
        raise SensitivityError(f"the MILP has no solution (status {solved.status.value}): no plan to test")
    return np.asarray(solved.x), float(solved.objective)


def reoptimise_milp(analysis: AnalysisModel, plan: ScenarioPlan, results: ScenarioResults,
                    options: dict[str, Any] | None, time_limit: float, *, x0: np.ndarray | None = None,
                    outputs: Sequence[ResolvedOutput] = (), jobs: int = 1, scheduler: Any = None,
                    progress: bool = False) -> np.ndarray:
    """Re-solve the MILP for every scenario of ``results`` (same draws); replace its per-scenario records in place.

    Status, objective, outputs, binding-set changes, warm flags and integer-decision
    changes become those of the MILP re-solves; the nominal plan's feasibility stays.
    Scenarios run in the chunks of the plan-mode run (:func:`~opt_model.sensitivity.engine.chunks_of`)
    through :func:`~opt_model.sensitivity.parallel.execute` (serial, ``jobs`` processes
    or Dask), each chunk in a fresh session, each scenario starting from the nominal
    incumbent ``x0`` (solved here when not given) and limited to ``time_limit``
    seconds.  Returns the relative gap of each re-solve.
    """
    from opt_model.sensitivity.parallel import execute
    assert results.factor_values is not None
    form = analysis.form
    merged = {"time_limit": time_limit, **(options or {})}
    if x0 is None:
        x0, _ = _milp_plan(analysis, None, options, time_limit)
    x0 = np.asarray(x0, dtype=float)
    activity = form.A @ x0
    nominal = Nominal(float(form.c @ x0) + form.constant, x0, activity, None, None, None,
                      binding_rows(form, activity))
    setup = EngineSetup(form, nominal, plan, list(outputs), np.zeros(0, dtype=np.int64), merged,
                        solver=analysis.solver)
    chunks = chunks_of(results.count, factor_values=results.factor_values)
    milp = merge(execute(setup, chunks, run_milp_chunk, jobs=jobs, scheduler=scheduler, progress=progress,
                         total=results.count))
    results.status = milp.status  # a time-limited re-solve is left out of the distribution by its status
    results.objective = milp.objective
    results.outputs = milp.outputs
    results.binding_changed = milp.binding_changed
    results.basis_changed = np.full(results.count, np.nan)
    results.warm = milp.warm
    results.gap = milp.gap
    results.integers_changed = milp.integers_changed
    assert milp.gap is not None
    return milp.gap


def _start_text(report: RobustnessReport, results: ScenarioResults) -> str:
    """How the scenario solves started: warm from what, or cold and why."""
    count = results.count
    warm = int(results.warm.sum()) if results.warm is not None else 0
    if report.mode == REOPTIMISE:
        if warm:
            return f"MILP re-solves start from the nominal incumbent (MIP start) in {warm} of {count}"
        return "MILP re-solves from scratch (the backend takes no MIP start)"
    if report.problem_class == "QP" and not warm:
        return "cold: HiGHS's QP solver takes no starting basis or point, so each scenario is solved from scratch"
    if report.problem_class == "cone" and not warm:
        return "cold: the conic backends solve each scenario from scratch (no warm start)"
    if warm:
        return f"warm from the nominal optimal basis in {warm} of {count}"
    return "cold: the backend has no warm start; each scenario is solved from scratch"


def summarise(analysis: AnalysisModel, labels: list[str], results: ScenarioResults, nominal_objective: float,
              seed: int | None, confidence: float = 0.95, cvar_level: float = 0.95) -> RobustnessReport:
    """Turn per-scenario records into a :class:`RobustnessReport`."""
    count = results.count
    maximise = analysis.form.sense == Sense.MAXIMIZE
    statuses, counts = np.unique(results.status.astype(str), return_counts=True)
    status_counts = {str(s): int(c) for s, c in zip(statuses, counts, strict=True)}
    feasible = int(results.nominal_feasible.sum())
    optimal = results.optimal
    objective = results.objective[optimal]
    regret_all = np.where(maximise, results.objective - results.nominal_value,
                          results.nominal_value - results.objective)
    regret = regret_all[optimal & results.nominal_feasible]
    regret = np.maximum(regret, 0.0)
    notes = []
    if not optimal.all():
        others = ", ".join(k for k in status_counts if k != "optimal")
        notes.append(f"{int((~optimal).sum())} scenarios had no optimum ({others}); "
                     "they count as failures of the nominal plan only if it is infeasible there, and are left out of "
                     "the objective distribution")
    fallbacks = int(results.fallback.sum())
    if fallbacks:
        notes.append(f"{fallbacks} warm-started answers failed the optimality check and were re-solved cold")
    rows = results.track_rows
    violations = _violation_table(analysis, rows, results.violation)
    outputs = pd.DataFrame([{"output": label, **describe(results.outputs[optimal, j])}
                            for j, label in enumerate(results.output_labels)])
    samples = pd.DataFrame({"status": results.status.astype(str), "objective": results.objective,
                            "nominal_plan_value": results.nominal_value,
                            "nominal_feasible": results.nominal_feasible, "regret": np.where(
                                optimal & results.nominal_feasible, np.maximum(regret_all, 0.0), np.nan),
                            "basis_changed": results.basis_changed, "binding_changed": results.binding_changed})
    for j, label in enumerate(results.output_labels):
        samples[label] = results.outputs[:, j]
    solved = max(int(optimal.sum()), 1)
    return RobustnessReport(
        scenarios=count, seed=seed, parameters=labels, sense=analysis.form.sense.value,
        nominal_objective=nominal_objective, status_counts=status_counts,
        feasible_probability=feasible / count, feasible_interval=wilson_interval(feasible, count, confidence),
        confidence=confidence, objective=describe(objective), cvar_level=cvar_level,
        objective_cvar=cvar(objective, cvar_level, "lower" if maximise else "upper"),
        regret=describe(regret), basis_change_rate=float(results.basis_changed[optimal].sum() / solved),
        binding_change_rate=float(results.binding_changed[optimal].sum() / solved), violations=violations,
        outputs=outputs, samples=samples, fallbacks=fallbacks, elapsed_s=results.elapsed_s, notes=notes,
        results=results)


def _violation_table(analysis: AnalysisModel, rows: np.ndarray, violation: np.ndarray) -> pd.DataFrame:
    records = []
    for k, row in enumerate(rows.tolist()):
        column = violation[:, k]
        positive = column > 0
        group = analysis.row_group(row)
        records.append({"name": analysis.row_name(row), "group": group.name,
                        "label": group.label_text(row - group.start), "unit": group.unit,
                        "probability": float(positive.mean()) if column.size else 0.0,
                        "mean_overrun": float(column[positive].mean()) if positive.any() else 0.0,
                        "max_overrun": float(column.max(initial=0.0)),
                        "q95_overrun": float(np.quantile(column, 0.95)) if column.size else 0.0})
    return pd.DataFrame.from_records(records, columns=["name", "group", "label", "unit", "probability",
                                                       "mean_overrun", "max_overrun", "q95_overrun"])

