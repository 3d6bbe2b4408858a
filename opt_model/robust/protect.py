"""One protected plan: a robust counterpart or a chance-constrained plan, solved.

:func:`robust_counterpart` and :func:`chance_constrained` take anything the
sensitivity module analyses (a :class:`~opt_model.Model`, a solved
:class:`~opt_model.Result`, a spec path, a :class:`~solvers.StandardForm`) and the
uncertain parameters (``Uncertain`` objects or ``uncertainty:`` dicts; by
default the spec's own ``uncertainty:`` section), and return a
:class:`~opt_model.robust.plans.RobustPlan`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opt_model.errors import ModelError
from opt_model.robust.chance import (
    saa_form,
    scenario_count,
    scenario_epsilon,
    scenario_form,
    support_rank_bound,
)
from opt_model.robust.counterpart import counterpart
from opt_model.robust.plans import RobustPlan, plan_from_form
from opt_model.robust.sets import DEFAULT_COVERAGE, RowUncertainty
from opt_model.sensitivity.problem import as_analysis_model, spec_section
from opt_model.sensitivity.uncertainty import Uncertain, parameters_from_spec

UncertaintyInput = Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]] | None


def row_uncertainty(source: Any, uncertainty: UncertaintyInput = None,
                    coverage: float = DEFAULT_COVERAGE) -> RowUncertainty:
    """Resolve the uncertainty of ``source`` (its spec's ``uncertainty:`` section when none is given)."""
    if isinstance(source, RowUncertainty):
        return source
    analysis = as_analysis_model(source)
    if uncertainty is None:
        section = spec_section(analysis.model, "uncertainty")
        if not section:
            raise ModelError("no uncertain parameters: give them (Uncertain(...) or uncertainty dicts), or add an "
                             "'uncertainty:' section to the spec")
        info = analysis.model.metadata.get("spec") if analysis.model is not None else None
        path = str(getattr(info, "path", "") or "")
        base = Path(path).parent if path else None
        uncertainty = parameters_from_spec(section, base_dir=base)
    return RowUncertainty.build(analysis, uncertainty, coverage)


def _budget_guarantee(uncertainty: RowUncertainty, gamma: float) -> str:
    counts = uncertainty.entries_per_row()[uncertainty.rows]
    widest = int(counts.max(initial=0))
    if gamma >= widest:
        return "every row holds for every value in the intervals (box)"
    import math
    worst = max(math.exp(-gamma * gamma / (2.0 * widest)), 0.0) if widest else 0.0
    return (f"a row holds whenever at most Gamma={gamma:g} of its numbers leave their center; with independent "
            f"symmetric deviations P(row violated) <= exp(-Gamma^2 / (2 n)) = {worst:.3g} for its widest row "
            f"(n = {widest}; Bertsimas & Sim 2004, Theorem 3)")


def robust_counterpart(source: Any, uncertainty: UncertaintyInput = None, *, method: str = "budget",
                       gamma: float | None = None, omega: float | None = None, coverage: float = DEFAULT_COVERAGE,
                       solver: str = "auto", options: Mapping[str, Any] | None = None) -> RobustPlan:
    """Solve the box, budget (``gamma``) or ellipsoidal (``omega``) robust counterpart.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4); _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18); m.maximize(3 * x1 + 5 * x2)
    >>> plan = robust_counterpart(m, [Uncertain(capacity("plant3"), relative(10))], method="box")
    >>> round(plan.objective, 6), {name: round(v, 6) for name, v in plan.variable_values().items()}
    (34.2, {'x1': 1.4, 'x2': 6.0})
    """
    unc = row_uncertainty(source, uncertainty, coverage)
    level = gamma if method == "budget" else omega if method == "ellipsoid" else None
    start = time.perf_counter()
    built = counterpart(unc, method, level)
    build_s = time.perf_counter() - start
    if method == "ellipsoid":
        import math
        guarantee = (f"with independent symmetric deviations in the intervals, P(row violated) <= "
                     f"exp(-Omega^2 / 2) = {math.exp(-built.level ** 2 / 2):.3g} per row (Ben-Tal & Nemirovski)")
    elif method == "budget":
        guarantee = _budget_guarantee(unc, built.level)
    else:
        guarantee = "every row holds for every value in the intervals (Soyster)"
    plan = plan_from_form(unc, built.form, method, built.level, build_s, solver, options, guarantee)
    plan.notes.extend(unc.notes)
    return plan


def chance_constrained(source: Any, uncertainty: UncertaintyInput = None, *, method: str = "scenario",
                       eps: float = 0.05, beta: float = 1e-3, scenarios: int | None = None, seed: int | None = 0,
                       solver: str = "auto", options: Mapping[str, Any] | None = None) -> RobustPlan:
    """A plan whose uncertain rows hold jointly with probability ``>= 1 - eps`` (by sampled scenarios).

    ``method="scenario"``: ``scenarios`` defaults to the Campi & Garatti count for
    ``eps`` and ``beta``; given explicitly, the plan states the ``eps`` it
    guarantees.  ``method="saa"``: indicator MILP that may drop ``floor(eps N)``
    of ``N`` scenarios (``scenarios`` defaults to 200); its protection level is ``N``.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, Uniform
    >>> m = om.Model(); x = m.add_variable("x"); _ = m.add_constraint("cap", x <= 10); m.maximize(x)
    >>> plan = chance_constrained(m, [Uncertain(capacity("cap"), Uniform(8, 12))], eps=0.05, beta=1e-3)
    >>> plan.details["scenarios"], plan.details["decisions"], bool(8 <= plan.objective <= 8.2)
    (135, 1, True)
    """
    unc = row_uncertainty(source, uncertainty)
    decisions = support_rank_bound(unc)
    start = time.perf_counter()
    if method == "scenario":
        count = scenarios if scenarios is not None else scenario_count(eps, beta, decisions)
        form = scenario_form(unc, int(count), seed)
        achieved = scenario_epsilon(int(count), beta, decisions)
        guarantee = (f"scenario approach: N={count} scenarios, d={decisions} (support rank bound): with confidence "
                     f">= {1 - beta:.6g}, P(some uncertain row violated) <= {achieved:.4g} (Campi & Garatti 2008)")
        details = {"scenarios": int(count), "decisions": decisions, "beta": beta, "eps_guaranteed": achieved,
                   "eps_requested": eps}
        level = float(count)
    elif method == "saa":
        count = int(scenarios) if scenarios is not None else 200
        form = saa_form(unc, count, eps, seed)
        guarantee = (f"sample average approximation: at most floor(eps N) = {int(eps * count)} of N={count} sampled "
                     "scenarios may be violated; no a-priori guarantee, check it out of sample")
        details = {"scenarios": count, "eps": eps, "discards": int(eps * count), "decisions": decisions}
        level = float(count)
    else:
        raise ModelError(f"unknown chance-constraint method {method!r}; use 'scenario' or 'saa'")
    build_s = time.perf_counter() - start
    plan = plan_from_form(unc, form, method, level, build_s, solver, options, guarantee, details)
    plan.notes.extend(unc.notes)
    return plan
