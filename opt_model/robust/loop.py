"""The loop closed: the cheapest protection level whose plan passes out of sample.

:func:`robustify` builds plans at increasing protection levels (``Gamma`` for
the budget counterpart, ``Omega`` for the ellipsoid, ``N`` for the scenario
approach, ``eps`` for the indicator SAA), tests each on the same fresh
out-of-sample scenarios through the Monte Carlo engine, and keeps the cheapest
one that meets the target (``P(feasible) >= target``) and every threshold of
the spec's ``validation:`` section.  Levels are searched by bisection over a
ladder (then refined between the last failing and the first passing level), so
a handful of solves suffice.  The report prices robustness: cost against
P(feasible) (Wilson interval) for every level tried, beside the nominal plan
and the box counterpart, the capacity each resource keeps in reserve, and
which rows were protected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opt_model.errors import ModelError
from opt_model.robust.chance import scenario_count, support_rank_bound
from opt_model.robust.plans import RobustPlan, evaluate_plan, plan_from_form
from opt_model.robust.protect import UncertaintyInput, chance_constrained, robust_counterpart, row_uncertainty
from opt_model.robust.sets import DEFAULT_COVERAGE, RowUncertainty
from opt_model.sensitivity.problem import as_analysis_model, spec_section
from solvers import Sense

SEARCH_METHODS = ("budget", "ellipsoid", "scenario", "saa", "box", "two-stage")
_GAMMAS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 32.0, 40.0, 50.0, 64.0)
_OMEGAS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
_COUNTS = (10, 20, 50, 100, 200, 500, 1000, 2000)
_SAA_DOUBLINGS = 4
"""The SAA ladder: ``saa_scenarios`` scenarios, then twice, four and eight times as many."""
SAA_TIME_LIMIT = 60.0
"""Seconds per SAA MILP unless ``options`` say otherwise; at the limit its best feasible plan is kept."""
SAA_MIP_GAP = 0.01


@dataclass
class RobustifyReport:
    """Every level tried, the chosen plan, and the nominal and box plans beside it."""

    method: str
    target: float
    thresholds: dict[str, float]
    scenarios: int
    seed: int | None
    nominal: RobustPlan
    box: RobustPlan | None
    tried: list[RobustPlan]
    chosen: RobustPlan | None
    objective_unit: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.chosen is not None

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def maximize(self) -> bool:
        return self.nominal.uncertainty.analysis.form.sense == Sense.MAXIMIZE

    # tables -------------------------------------------------------------------------
    def price_of_robustness(self) -> list[dict[str, Any]]:
        """Cost against out-of-sample P(feasible) for the nominal plan, every level tried and the box."""
        plans = [self.nominal, *sorted(self.tried, key=_protection_order), *([self.box] if self.box else [])]
        base = self.nominal.objective
        rows = []
        for plan in plans:
            low, high = plan.feasible_interval
            change = plan.objective - base if plan.has_solution else float("nan")
            rows.append({"plan": "nominal" if plan is self.nominal else "box" if plan is self.box else "robust",
                         "method": plan.method, "level": plan.level, "label": plan.label, "status": plan.status,
                         "objective": plan.objective if plan.has_solution else float("nan"),
                         "cost_of_protection": -change if self.maximize else change,
                         "cost_of_protection_pct": (100.0 * (-change if self.maximize else change) / abs(base)
                                                    if base else float("nan")),
                         "p_feasible": plan.feasible_probability, "p_low": low, "p_high": high,
                         "passed": plan.passed, "chosen": plan is self.chosen,
                         "build_s": plan.build_s, "solve_s": plan.solve_s})
        return rows

    def resources(self) -> list[dict[str, Any]]:
        """Per resource: capacity, usage by the nominal and the chosen plan, and the capacity held in reserve."""
        plan = self.chosen
        if plan is None or plan.x is None or self.nominal.x is None:
            return []
        analysis = plan.uncertainty.analysis
        form = analysis.form
        robust_use = form.A @ plan.x
        nominal_use = form.A @ self.nominal.x
        records = []
        for group in analysis.row_groups:
            if not group.is_resource:
                continue
            part = slice(group.start, group.stop)
            capacity = form.row_upper[part]
            finite = np.isfinite(capacity)
            cap = float(capacity[finite].sum())
            used = float(robust_use[part][finite].sum())
            used_nominal = float(nominal_use[part][finite].sum())
            records.append({"resource": group.name, "unit": group.unit, "capacity": cap,
                            "nominal_usage": used_nominal, "robust_usage": used, "reserved": cap - used,
                            "extra_reserved": used_nominal - used})
        return records

    def protected_rows(self) -> list[dict[str, Any]]:
        """The rows with uncertain numbers: bound, activity of the chosen plan, headroom and protection."""
        plan = self.chosen
        if plan is None or plan.x is None:
            return []
        unc = plan.uncertainty
        analysis = unc.analysis
        form = analysis.form
        rows = unc.rows
        activity = form.A[rows] @ plan.x if rows.size else np.zeros(0)
        bound = np.where(unc.sign[rows] > 0, form.row_upper[rows], form.row_lower[rows])
        guard = plan.protection() if plan.method in ("box", "budget", "ellipsoid") else np.full(rows.size, np.nan)
        counts = unc.entries_per_row()[rows]
        return [{"row": analysis.row_name(int(row)), "unit": analysis.row_group(int(row)).unit,
                 "sense": "<=" if unc.sign[row] > 0 else ">=", "uncertain_numbers": int(counts[k]),
                 "bound": float(bound[k]), "activity": float(activity[k]),
                 "headroom": float(unc.sign[row] * (bound[k] - activity[k])), "protection": float(guard[k])}
                for k, row in enumerate(rows.tolist())]

    # output -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        from opt_model.formatting import json_ready
        plan = self.chosen
        payload: dict[str, Any] = {
            "model": self.nominal.uncertainty.analysis.form.name,
            "status": plan.status if plan is not None else "not_found",
            "passed": self.passed, "method": self.method, "target": self.target, "thresholds": self.thresholds,
            "objective": plan.objective if plan is not None else None, "objective_unit": self.objective_unit,
            "protection_level": plan.level if plan is not None else None,
            "protection": plan.label if plan is not None else None,
            "guarantee": plan.guarantee if plan is not None else None,
            "details": plan.details if plan is not None else {},
            "variables": plan.variable_values() if plan is not None else {},
            "out_of_sample": _sample_record(plan, self.scenarios, self.seed) if plan is not None else None,
            "validation": plan.verdict.to_dict() if plan is not None and plan.verdict is not None else None,
            "nominal": _plan_record(self.nominal, self.scenarios, self.seed),
            "box": _plan_record(self.box, self.scenarios, self.seed) if self.box is not None else None,
            "comparison": self.comparison(),
            "price_of_robustness": self.price_of_robustness(),
            "resources": self.resources(), "protected_rows": self.protected_rows(), "notes": self.notes}
        cleaned: dict[str, Any] = json_ready(payload)
        return cleaned

    def comparison(self) -> dict[str, Any]:
        """The chosen plan next to the nominal one: cost difference and P(feasible) of both."""
        plan = self.chosen
        if plan is None:
            return {}
        change = plan.objective - self.nominal.objective
        cost = -change if self.maximize else change
        out = {"cost_difference": cost,
               "cost_difference_pct": 100.0 * cost / abs(self.nominal.objective) if self.nominal.objective else None,
               "nominal_p_feasible": self.nominal.feasible_probability,
               "robust_p_feasible": plan.feasible_probability}
        if self.box is not None and self.box.has_solution:
            box_change = self.box.objective - plan.objective
            out["saving_vs_box"] = box_change if self.maximize is False else -box_change
        return out

    def to_text(self) -> str:
        from opt_model.formatting import format_number, text_table
        unit = f" {self.objective_unit}" if self.objective_unit else ""
        plan = self.chosen
        lines = [f"Robustify: {self.method}, target P(feasible) >= {self.target:g} on {self.scenarios} fresh "
                 f"scenarios (seed {self.seed})"]
        if plan is None:
            lines.append("  no protection level tried passed; see the table (more protection, another method, "
                         "or a lower target)")
        else:
            low, high = plan.feasible_interval
            comparison = self.comparison()
            lines += [f"  chosen: {plan.label}, objective {format_number(plan.objective, 10)}{unit} "
                      f"(nominal {format_number(self.nominal.objective, 10)}{unit}; protection costs "
                      f"{format_number(comparison['cost_difference'], 6)}{unit})",
                      f"  out of sample: P(feasible) = {plan.feasible_probability:.1%} "
                      f"(95% Wilson interval {low:.1%} - {high:.1%}); nominal plan "
                      f"{self.nominal.feasible_probability:.1%}",
                      f"  guarantee: {plan.guarantee}"]
            if "saving_vs_box" in comparison:
                lines.append(f"  box counterpart: objective {format_number(self.box.objective, 10)}{unit}, "  # type: ignore[union-attr]
                             f"P(feasible) {self.box.feasible_probability:.1%}; the chosen plan saves "  # type: ignore[union-attr]
                             f"{format_number(comparison['saving_vs_box'], 6)}{unit}")
            if plan.verdict is not None:  # the validation module speaks of "the nominal plan": here it is this one
                verdict = plan.verdict.to_text().replace("P(nominal plan feasible)", "P(plan feasible)")
                lines.append("  " + verdict.replace("\n", "\n  "))
        lines += ["", "Price of robustness"]
        table = [[row["plan"], row["label"], row["status"], row["objective"], row["cost_of_protection"],
                  f"{row['p_feasible']:.1%}" if np.isfinite(row["p_feasible"]) else "-",
                  (f"{row['p_low']:.1%} - {row['p_high']:.1%}" if np.isfinite(row["p_low"]) else "-"),
                  "yes" if row["passed"] else "no" if row["passed"] is not None else "-",
                  "*" if row["chosen"] else ""]
                 for row in self.price_of_robustness()]
        lines.append(text_table(table, ["plan", "protection", "status", f"objective{unit}", f"cost{unit}",
                                        "P(feasible)", "Wilson 95%", "passes", "chosen"]))
        resources = self.resources()
        if resources:
            lines += ["", "Capacity held in reserve by the chosen plan (per resource, at nominal usage)"]
            lines.append(text_table([[r["resource"], r["unit"], r["capacity"], r["nominal_usage"], r["robust_usage"],
                                      r["reserved"], r["extra_reserved"]] for r in resources],
                                    ["resource", "unit", "capacity", "nominal plan", "robust plan", "reserved",
                                     "extra vs nominal"]))
        protected = self.protected_rows()
        if protected:
            lines += ["", f"Protected rows ({len(protected)}{', first 20 shown' if len(protected) > 20 else ''})"]
            lines.append(text_table([[r["row"], r["unit"], r["sense"], r["uncertain_numbers"], r["bound"],
                                      r["activity"], r["headroom"], r["protection"]] for r in protected[:20]],
                                    ["row", "unit", "sense", "uncertain", "bound", "activity", "headroom",
                                     "protection"]))
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines) + "\n"

    def csv_rows(self) -> list[dict[str, Any]]:
        rows = [{"kind": "level", "name": row["label"], "plan": row["plan"], "level": row["level"],
                 "objective": row["objective"], "cost_of_protection": row["cost_of_protection"],
                 "p_feasible": row["p_feasible"], "p_low": row["p_low"], "p_high": row["p_high"],
                 "passed": row["passed"], "chosen": row["chosen"]} for row in self.price_of_robustness()]
        rows += [{"kind": "resource", "name": r["resource"], "unit": r["unit"], "value": r["reserved"]}
                 for r in self.resources()]
        if self.chosen is not None:
            rows += [{"kind": "variable", "name": name, "value": value}
                     for name, value in self.chosen.variable_values().items()]
        return rows

    CSV_COLUMNS = ("kind", "name", "plan", "level", "value", "unit", "objective", "cost_of_protection", "p_feasible",
                   "p_low", "p_high", "passed", "chosen")

    def plot(self, path: str) -> None:
        """Cost against P(feasible) (Wilson interval as error bars) for every plan; writes a PNG."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = [row for row in self.price_of_robustness() if np.isfinite(row["p_feasible"])
                and np.isfinite(row["objective"])]
        figure, axis = plt.subplots(figsize=(7, 4.5))
        for row in rows:
            colour = "tab:green" if row["chosen"] else "tab:red" if row["plan"] == "nominal" else \
                "tab:purple" if row["plan"] == "box" else "tab:blue"
            axis.errorbar([row["p_feasible"]], [row["objective"]],
                          xerr=[[max(row["p_feasible"] - row["p_low"], 0.0)],
                                [max(row["p_high"] - row["p_feasible"], 0.0)]],
                          fmt="o", color=colour, capsize=3)
            axis.annotate(row["label"] if row["plan"] == "robust" else row["plan"],
                          (row["p_feasible"], row["objective"]), textcoords="offset points", xytext=(5, 4),
                          fontsize=8)
        axis.axvline(self.target, color="grey", linestyle="--", linewidth=1, label=f"target {self.target:g}")
        axis.set_xlabel(f"out-of-sample P(feasible) ({self.scenarios} scenarios, Wilson 95%)")
        axis.set_ylabel(f"objective{' (' + self.objective_unit + ')' if self.objective_unit else ''}")
        axis.set_title(f"Price of robustness ({self.method})")
        axis.legend(loc="best", fontsize=8)
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)


def _sample_record(plan: RobustPlan, scenarios: int, seed: int | None) -> dict[str, Any]:
    low, high = plan.feasible_interval
    return {"p_feasible": plan.feasible_probability, "interval": [low, high], "wilson_lower_bound": low,
            "confidence": plan.evaluation.confidence if plan.evaluation is not None else None,
            "scenarios": scenarios, "seed": seed}


def _plan_record(plan: RobustPlan, scenarios: int, seed: int | None) -> dict[str, Any]:
    return {"protection": plan.label, "status": plan.status, "objective": plan.objective,
            "out_of_sample": _sample_record(plan, scenarios, seed), "size": plan.size,
            "build_s": plan.build_s, "solve_s": plan.solve_s}


def _protection_order(plan: RobustPlan) -> float:
    """Sort key: least protected first (Gamma, Omega and sample sizes all protect more as they grow)."""
    return plan.level


def robustify(source: Any, uncertainty: UncertaintyInput = None, *, method: str | None = None,
              target: float | None = None, thresholds: Mapping[str, Any] | None = None,
              levels: Sequence[float] | None = None, scenarios: int | None = None, seed: int | None = None,
              beta: float | None = None, refine: int | None = None, coverage: float | None = None,
              strict: bool = False, first_stage: Sequence[str] | None = None, solver: str = "auto",
              options: Mapping[str, Any] | None = None, jobs: int = 1, scheduler: Any = None,
              compare_box: bool = True, saa_scenarios: int = 200, saa_eps: float | None = None,
              progress: bool = False) -> RobustifyReport:
    """Find the cheapest protection level whose plan passes out of sample.

    ``target`` is the required P(feasible) (default 0.95, or the spec's
    ``validation: min_feasible_probability``); ``thresholds`` adds any other
    validation threshold; ``strict`` requires the Wilson lower bound, not the
    estimate, to reach the target.  ``scenarios`` (default 1000) fresh
    out-of-sample scenarios are drawn with ``seed + 1`` (the scenario methods
    build with ``seed``, default 0).  Settings left at ``None`` come from the
    spec's ``robust:`` section, else the defaults: method budget, beta 0.001,
    refine 2, coverage 0.998.

    The indicator SAA's protection level is its sample size ``N``: more
    scenarios, a plan that holds more often out of sample.  Its ladder starts at
    ``saa_scenarios`` and doubles; each level may drop ``floor(saa_eps N)``
    scenarios (``saa_eps`` defaults to a quarter of ``1 - target``).  Each MILP
    runs at most :data:`SAA_TIME_LIMIT` seconds with a 1 % gap unless
    ``options`` set ``time_limit`` or ``mip_gap``; at the limit its best
    feasible plan is kept (and said to be so).

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4); _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18); m.maximize(3 * x1 + 5 * x2)
    >>> params = [Uncertain(capacity(name), relative(10)) for name in ("plant1", "plant2", "plant3")]
    >>> report = robustify(m, params, method="scenario", target=0.9, scenarios=300)
    >>> report.passed, report.chosen.feasible_probability >= 0.9, report.chosen.objective < 36
    (True, True, True)
    """
    analysis = source.analysis if isinstance(source, RowUncertainty) else as_analysis_model(source)
    model = analysis.model
    settings = spec_section(model, "robust")
    settings = dict(settings) if isinstance(settings, Mapping) else {}
    if coverage is None:
        coverage = float(settings.get("coverage", DEFAULT_COVERAGE))
    unc = source if isinstance(source, RowUncertainty) else row_uncertainty(analysis, uncertainty, coverage)
    method = str(method or settings.get("method", "budget"))
    if method not in SEARCH_METHODS:
        raise ModelError(f"unknown method {method!r}; use one of {', '.join(SEARCH_METHODS)}")
    scenarios = int(scenarios if scenarios is not None else settings.get("scenarios", 1000))
    seed = int(seed if seed is not None else settings.get("seed", 0))
    beta = float(beta if beta is not None else settings.get("beta", 1e-3))
    refine = int(refine if refine is not None else settings.get("refine", 2))
    if first_stage is None and settings.get("first_stage"):
        first_stage = [str(name) for name in settings["first_stage"]]
    if levels is None and settings.get("levels"):
        levels = [float(level) for level in settings["levels"]]
    if target is None and settings.get("target") is not None:
        target = float(settings["target"])
    if scenarios < 1:
        raise ModelError(f"scenarios={scenarios}: give at least 1 out-of-sample scenario")
    checks: dict[str, float] = {}
    section = spec_section(model, "validation")
    if isinstance(section, Mapping):
        checks.update({str(k): v for k, v in section.items()})
    checks.update(dict(thresholds or {}))
    if target is not None:
        checks["min_feasible_probability"] = float(target)
    checks.setdefault("min_feasible_probability", 0.95)
    goal = float(checks["min_feasible_probability"])
    if not 0 < goal < 1:
        raise ModelError(f"target={goal}: give the required P(feasible) strictly between 0 and 1, e.g. 0.95")
    if strict:
        checks["min_feasible_probability_lower_bound"] = goal
    check_seed = None if seed is None else seed + 1

    def judge(plan: RobustPlan) -> RobustPlan:
        if plan.has_solution:
            evaluate_plan(plan, scenarios=scenarios, seed=check_seed, thresholds=checks, jobs=jobs,
                          scheduler=scheduler, options=dict(options or {}) or None, progress=progress)
        return plan

    import time
    start = time.perf_counter()
    nominal = plan_from_form(unc, unc.analysis.form, "nominal", 0.0, time.perf_counter() - start, solver, options,
                             "none: the nominal numbers only")
    judge(nominal)
    box = judge(robust_counterpart(unc, method="box", solver=solver, options=options)) \
        if compare_box or method == "box" else None
    if saa_eps is None:
        saa_eps = (1.0 - goal) / 4.0
    if not 0 < saa_eps < 1:
        raise ModelError(f"saa_eps={saa_eps}: give the share of SAA scenarios that may be dropped, between 0 and 1")
    if saa_scenarios < 1:
        raise ModelError(f"saa_scenarios={saa_scenarios}: give at least 1")
    build = _builder(unc, method, goal, beta, seed, solver, options, first_stage, saa_eps)
    ladder = list(levels) if levels is not None else _ladder(unc, method, goal, beta, saa_scenarios)
    ladder = sorted(set(ladder))  # least protective first
    if method == "box":
        assert box is not None
        tried = [box]
    else:
        tried = _search(ladder, build, judge, method, refine)
    passing = [plan for plan in tried if plan.passed]
    chosen = None
    if passing:
        sign = -1.0 if unc.analysis.form.sense == Sense.MAXIMIZE else 1.0
        chosen = min(passing, key=lambda plan: (sign * plan.objective, _protection_order(plan)))
    unit = ""
    if model is not None:
        info = model.metadata.get("spec")
        unit = str(model.objective_unit or getattr(info, "objective_unit", "") or "")
    notes = list(unc.notes)
    if method in ("budget", "ellipsoid") and unc.rows.size:
        notes.append(f"intervals: bounded distributions by their support, unbounded ones by their central "
                     f"{unc.coverage:.1%}")
    return RobustifyReport(method, goal, checks, scenarios, check_seed, nominal, box if method != "box" else None,
                           tried, chosen, unit, notes)



def _ladder(unc: RowUncertainty, method: str, goal: float, beta: float, saa_scenarios: int = 200) -> list[float]:
    if method == "budget":
        widest = int(unc.entries_per_row()[unc.rows].max(initial=1))
        return [g for g in _GAMMAS if g < widest] + [float(widest)]
    if method == "ellipsoid":
        return list(_OMEGAS)
    if method == "scenario":
        counts = set(_COUNTS)
        counts.add(scenario_count(1.0 - goal, beta, support_rank_bound(unc)))
        return sorted(float(c) for c in counts)
    if method == "saa":
        return [float(saa_scenarios * 2 ** k) for k in range(_SAA_DOUBLINGS)]
    if method == "two-stage":
        return [20.0, 50.0, 100.0, 200.0]
    return [0.0]


def _builder(unc: RowUncertainty, method: str, goal: float, beta: float, seed: int | None, solver: str,
             options: Mapping[str, Any] | None, first_stage: Sequence[str] | None = None,
             saa_eps: float = 0.0125) -> Callable[[float], RobustPlan]:
    saa_options = {"time_limit": SAA_TIME_LIMIT, "mip_gap": SAA_MIP_GAP, **dict(options or {})}

    def build(level: float) -> RobustPlan:
        if method == "two-stage":
            from opt_model.robust.recourse import two_stage
            return two_stage(unc, first_stage=first_stage, scenarios=int(level), seed=seed, solver=solver,
                             options=options)
        if method == "budget":
            return robust_counterpart(unc, method="budget", gamma=level, solver=solver, options=options)
        if method == "ellipsoid":
            return robust_counterpart(unc, method="ellipsoid", omega=level, solver=solver, options=options)
        if method == "scenario":
            return chance_constrained(unc, method="scenario", eps=1.0 - goal, beta=beta, scenarios=int(level),
                                      seed=seed, solver=solver, options=options)
        return chance_constrained(unc, method="saa", eps=saa_eps, scenarios=int(level), seed=seed, solver=solver,
                                  options=saa_options)
    return build


def _search(ladder: list[float], build: Callable[[float], RobustPlan], judge: Callable[[RobustPlan], RobustPlan],
            method: str, refine: int) -> list[RobustPlan]:
    """Bisection over the ladder (least protective first), then ``refine`` halvings of the last gap."""
    if not ladder:
        raise ModelError("no protection levels to try")
    tried: dict[float, RobustPlan] = {}

    def attempt(level: float) -> bool:
        if level not in tried:
            tried[level] = judge(build(level))
        return bool(tried[level].passed)

    low, high = -1, len(ladder) - 1
    if not attempt(ladder[high]):
        return list(tried.values())
    while high - low > 1:
        middle = (low + high) // 2
        if attempt(ladder[middle]):
            high = middle
        else:
            low = middle
    if low >= 0 and method in ("budget", "ellipsoid", "scenario"):
        weak, strong = ladder[low], ladder[high]
        for _ in range(refine):
            half = 0.5 * (weak + strong)
            if method == "scenario":
                half = float(math.floor(half))
                if half in (weak, strong):
                    break
            if attempt(half):
                strong = half
            else:
                weak = half
    return list(tried.values())
