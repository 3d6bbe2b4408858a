"""Pass/fail verdicts on robustness results (the ``validation:`` section of a spec).

Thresholds are a plain mapping, e.g. ``{"min_feasible_probability": 0.95,
"max_objective_cv": 0.1}``; :func:`evaluate` checks each against a
:class:`~opt_model.sensitivity.montecarlo.RobustnessReport` and returns a
:class:`Verdict` whose :attr:`~Verdict.exit_code` the CLI returns (0 pass, 1 fail).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opt_model.errors import SpecError, did_you_mean


@dataclass
class Check:
    """One threshold and how the report measured up to it."""

    name: str
    threshold: float
    value: float
    passed: bool
    message: str


@dataclass
class Verdict:
    """All checks; passed when every one passed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [
            {"name": c.name, "threshold": c.threshold, "value": c.value if np.isfinite(c.value) else None,
             "passed": c.passed, "message": c.message} for c in self.checks]}

    def to_text(self) -> str:
        lines = [f"validation: {'PASS' if self.passed else 'FAIL'}"]
        lines += [f"  [{'ok' if c.passed else 'FAIL'}] {c.message}" for c in self.checks]
        return "\n".join(lines)


# name -> (what it measures, reader, "min" or "max")
_MEASURES: dict[str, tuple[str, Callable[[Any], float], str]] = {
    "min_feasible_probability": ("P(nominal plan feasible)", lambda r: r.feasible_probability, "min"),
    "min_feasible_probability_lower_bound": ("lower end of the interval of P(nominal plan feasible)",
                                             lambda r: r.feasible_interval[0], "min"),
    "max_objective_cv": ("coefficient of variation of the objective", lambda r: r.objective.get("cv", np.nan), "max"),
    "max_objective_std": ("std of the objective", lambda r: r.objective.get("std", np.nan), "max"),
    "max_objective_p95": ("95% quantile of the objective", lambda r: r.objective.get("q95", np.nan), "max"),
    "min_objective_p05": ("5% quantile of the objective", lambda r: r.objective.get("q05", np.nan), "min"),
    "max_objective_cvar": ("CVaR of the objective (cost)", lambda r: r.objective_cvar, "max"),
    "min_objective_cvar": ("CVaR of the objective (profit)", lambda r: r.objective_cvar, "min"),
    "max_regret_mean": ("mean regret of the nominal plan", lambda r: r.regret.get("mean", 0.0), "max"),
    "max_regret_p95": ("95% quantile of the regret", lambda r: r.regret.get("q95", 0.0), "max"),
    "max_basis_change_rate": ("share of scenarios whose optimal basis changes", lambda r: r.basis_change_rate,
                              "max"),
    "max_binding_change_rate": ("share of scenarios whose binding set changes", lambda r: r.binding_change_rate,
                                "max"),
    "min_optimal_fraction": ("share of scenarios with an optimum", lambda r: r.optimal_fraction, "min"),
}

THRESHOLDS = tuple(_MEASURES)



def evaluate(report: Any, thresholds: Mapping[str, Any]) -> Verdict:
    """Check a robustness report against thresholds; unknown names are a :class:`SpecError`.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> report = SimpleNamespace(feasible_probability=0.97, objective={"cv": 0.2})
    >>> verdict = evaluate(report, {"min_feasible_probability": 0.95, "max_objective_cv": 0.1})
    >>> verdict.passed, verdict.exit_code, [c.passed for c in verdict.checks]
    (False, 1, [True, False])
    """
    verdict = Verdict()
    for name, raw in thresholds.items():
        if name not in _MEASURES:
            hint = did_you_mean(str(name), THRESHOLDS, f"; known: {', '.join(THRESHOLDS)}")
            raise SpecError(f"validation: unknown threshold {name!r}{hint}")
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not np.isfinite(raw):
            raise SpecError(f"validation: {name} must be a finite number, got {raw!r}")
        what, read, side = _MEASURES[name]
        value = float(read(report))
        threshold = float(raw)
        passed = bool(np.isfinite(value) and (value >= threshold if side == "min" else value <= threshold))
        relation = ">=" if side == "min" else "<="
        verdict.checks.append(Check(name, threshold, value, passed,
                                    f"{what} = {value:.4g} (required {relation} {threshold:g})"))
    return verdict
