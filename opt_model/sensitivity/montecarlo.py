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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError
from opt_model.formatting import Readable
from opt_model.sensitivity.engine import ScenarioResults, run_scenarios, solve_nominal
from opt_model.sensitivity.outputs import Output, resolve_outputs
from opt_model.sensitivity.plan import build_plan
from opt_model.sensitivity.problem import AnalysisModel, as_analysis_model
from opt_model.sensitivity.stats import cvar, describe, wilson_interval
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
            "warm_start_fallbacks": self.fallbacks, "elapsed_s": self.elapsed_s, "notes": self.notes})

    def to_text(self) -> str:
        low, high = self.feasible_interval
        o = self.objective
        lines = [
            f"Robustness: {self.scenarios} scenarios (seed {self.seed}) over {', '.join(self.parameters)}",
            f"  nominal objective {self.nominal_objective:.6g}; scenario outcomes "
            + ", ".join(f"{k} {v}" for k, v in self.status_counts.items()),
            f"  nominal plan stays feasible: {self.feasible_probability:.1%} "
            f"({self.confidence:.0%} Wilson interval {low:.1%} - {high:.1%})",
        ]
        if o.get("count"):
            lines.append(f"  re-optimised objective: mean {o['mean']:.6g}, std {o['std']:.3g} (cv {o['cv']:.3g}), "
                         f"5%-95% [{o['q05']:.6g}, {o['q95']:.6g}], "
                         f"CVaR{self.cvar_level:.0%} {self.objective_cvar:.6g}")
        if self.regret.get("count"):
            lines.append(f"  regret of keeping the nominal plan (when feasible): mean {self.regret['mean']:.4g}, "
                         f"95% {self.regret['q95']:.4g}, max {self.regret['max']:.4g}")
        lines.append(f"  optimal basis changes in {self.basis_change_rate:.1%} of scenarios; "
                     f"binding set in {self.binding_change_rate:.1%}")
        if not self.violations.empty:
            worst = self.violations.sort_values("probability", ascending=False).head(10)
            lines += ["", "Nominal plan overruns (per constraint)",
                      worst.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        if not self.outputs.empty:
            lines += ["", "Outputs", self.outputs.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def robustness(source: Any, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
               scenarios: int = 1000, seed: int | None = 0, outputs: Sequence[Output | str] = (),
               confidence: float = 0.95, cvar_level: float = 0.95, jobs: int = 1, scheduler: Any = None,
               options: dict[str, Any] | None = None, progress: bool = True) -> RobustnessReport:
    """Monte Carlo robustness of the nominal optimal allocation.

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
    if scenarios < 1:
        raise ModelError(f"scenarios={scenarios}: give at least 1")
    if not 0 < confidence < 1 or not 0 < cvar_level < 1:
        raise ModelError("confidence and cvar_level must lie strictly between 0 and 1")
    analysis = as_analysis_model(source)
    params = as_parameters(parameters)
    plan = build_plan(analysis, params)
    resolved = resolve_outputs(analysis, outputs)
    nominal = solve_nominal(analysis, options)
    results = run_scenarios(analysis, plan=plan, count=scenarios, seed=seed, outputs=resolved, jobs=jobs,
                            scheduler=scheduler, options=options, progress=progress, nominal=nominal)
    return summarise(analysis, [p.label for p in params], results, nominal.objective, seed, confidence, cvar_level)


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

