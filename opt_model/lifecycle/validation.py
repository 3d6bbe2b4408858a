"""Phase 5, validation and monitoring: does the plan survive perturbed numbers, and how to watch it later.

Uncertain parameters are the spec's ``uncertainty:`` section, or, when it
declares none, +-10 % (uniform) on every capacity and every cost
(:func:`default_parameters`).  Monte Carlo robustness
(:func:`opt_model.sensitivity.robustness`), a global sensitivity ranking (Morris
screening, one factor per parameter, as ``opt-model robustness --global
morris`` computes it) and a tornado chart run on the model the plan comes
from: the repaired model when it was repaired, the first priority level of a
lexicographic model (as ``opt-model robustness`` does), the LP with the integer
decisions fixed for a MILP.  Cone programs are re-solved cold
(:mod:`opt_model.lifecycle.cold`).  The verdict checks the spec's
``validation:`` thresholds.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from opt_model.errors import ModelError, SensitivityError
from opt_model.lifecycle.analysis import Analysis
from opt_model.lifecycle.baseline import Baseline
from opt_model.lifecycle.context import Context
from opt_model.lifecycle.implementation import Implementation
from opt_model.sensitivity.problem import EQ, FREE, AnalysisModel
from opt_model.sensitivity.uncertainty import Uncertain, parameters_from_spec
from opt_model.sensitivity.validation import Verdict, evaluate

AUXILIARY = re.compile(r"_aux\d*$")
"""Names of the variables :mod:`opt_model.convex` adds when it lowers log, exp, norms, ... to cones."""


@dataclass
class Validation:
    """Robustness, global sensitivity, tornado, the verdict, and the monitoring command.

    ``parameters`` are the uncertain parameters as spec entries (written to
    ``uncertainty.yaml``); ``declared`` says whether the spec declared them.
    ``scope`` says which model the scenarios perturb.  ``ranking`` lists the
    factors from most to least influential on the objective.
    """

    parameters: list[dict[str, Any]]
    declared: bool
    scope: str
    scenarios: int
    seed: int
    thresholds: dict[str, float]
    verdict: Verdict
    robustness: Any = None
    global_sensitivity: Any = None
    global_samples: int = 0
    tornado: pd.DataFrame | None = None
    ranking: list[str] = field(default_factory=list)
    monitor_command: str = ""
    reproduce_command: str = ""
    uncertainty_path: str = ""
    cold: bool = False
    fixed_integers: bool = False
    objective_name: str = ""
    objective_unit: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    def to_dict(self) -> dict[str, Any]:
        tornado = None
        if self.tornado is not None:
            tornado = [{key: (float(value) if isinstance(value, (float, np.floating)) and math.isfinite(value)
                              else None if isinstance(value, (float, np.floating)) else value)
                        for key, value in row.items()} for row in self.tornado.to_dict(orient="records")]
        return {"parameters": self.parameters, "declared": self.declared, "scope": self.scope,
                "scenarios": self.scenarios, "seed": self.seed, "thresholds": self.thresholds,
                "verdict": self.verdict.to_dict(), "passed": self.passed,
                "robustness": self.robustness.to_dict() if self.robustness is not None else None,
                "global": self.global_sensitivity.to_dict() if self.global_sensitivity is not None else None,
                "global_samples": self.global_samples, "tornado": tornado, "ranking": self.ranking,
                "monitor_command": self.monitor_command, "reproduce_command": self.reproduce_command,
                "uncertainty_path": self.uncertainty_path, "cold": self.cold,
                "fixed_integers": self.fixed_integers, "objective_name": self.objective_name,
                "objective_unit": self.objective_unit, "notes": self.notes}


def default_parameters(analysis: AnalysisModel, percent: float = 10.0) -> tuple[list[dict[str, Any]], str]:
    """+-``percent`` % on every capacity and every cost, as spec entries, and a sentence saying so.

    Capacities are the model's resources; a model without resources gets its
    inequality limits (``<=`` and ``>=`` rows) instead.  Blocks whose numbers
    are all zero are left out (a relative change of 0 changes nothing); a
    block with some zeros is perturbed entry by entry.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"]); x = m.add_variables("x", dims=host)
    >>> _ = m.add_resource("cpu", capacity=om.data({"h1": 4, "h2": 8}, dims=host)).add_usage(1.0 * x)
    >>> m.maximize(x.sum())
    >>> entries, why = default_parameters(AnalysisModel.from_model(m))
    >>> [(e["target"], e["of"]) for e in entries]
    [('capacity', 'cpu'), ('cost', 'x')]
    """
    form = analysis.form
    kinds = analysis.row_kinds()
    nominal_rhs = np.where(np.isfinite(form.row_upper), form.row_upper, form.row_lower)
    resources = [group for group in analysis.row_groups if group.is_resource]
    if resources:
        rows, what = resources, "capacity"
    else:
        rows = [group for group in analysis.row_groups
                if group.size and not np.isin(kinds[group.start:group.stop], [EQ, FREE]).any()]
        what = "capacity"
    entries: list[dict[str, Any]] = []

    def add(kind: str, name: str, values: np.ndarray, names: list[str]) -> None:
        nonzero = np.isfinite(values) & (values != 0)
        if not nonzero.any():
            return
        targets = [name] if nonzero.all() else [names[k] for k in np.flatnonzero(nonzero)]
        entries.extend({"target": kind, "of": target, "distribution": "relative", "percent": float(percent)}
                       for target in targets)

    row_names = analysis.row_names() if any(g.size > 1 for g in rows) else []
    for group in rows:
        names = row_names[group.start:group.stop] if row_names else [group.name]
        add(what, group.name, nominal_rhs[group.start:group.stop], names)
    col_names = analysis.col_names()
    for group in analysis.col_groups:
        if AUXILIARY.search(group.name):
            continue  # epigraph variables of convex atoms: their "costs" are the atoms' weights, not prices
        add("cost", group.name, form.c[group.start:group.stop], col_names[group.start:group.stop])
    if resources:
        why = f"the spec declares no uncertain parameters: every capacity and cost varies by +-{percent:g} % " \
              "(uniform, each entry on its own)"
    else:
        why = f"the spec declares no uncertain parameters and no resources: the limit of every inequality " \
              f"constraint and every cost varies by +-{percent:g} % (uniform, each entry on its own)"
    return entries, why


def scenario_model(analysis: Analysis, implementation: Implementation) -> tuple[AnalysisModel, str, bool]:
    """The model whose numbers the scenarios change, a phrase saying which it is, and whether integers are fixed."""
    model = analysis.model
    assert model is not None
    result = implementation.result
    lexicographic = bool(model.metadata.get("lexicographic"))
    base = AnalysisModel.from_model(model)
    scope = "the repaired model" if analysis.repaired else "the model"
    if lexicographic:
        scope += " with its first priority objective (as 'opt-model robustness' takes it)"
    if base.form.is_mip:
        x = result.backend.x if result is not None and result.backend.x is not None else None
        if x is None:
            raise SensitivityError("the MILP has no solution to fix its integer decisions at")
        base = base.with_integers_fixed(np.asarray(x)[:base.form.num_cols])
        scope += ", integer decisions fixed at the plan's values (so the question is whether this plan holds)"
        return base, scope, True
    return base, scope, False


def _plain_unit(unit: str) -> str:
    return "" if unit in ("1", "dimensionless") else unit


def _shared(parameters: list[Uncertain]) -> list[Uncertain]:
    """One factor per parameter (what global sensitivity and the tornado need)."""
    return [Uncertain(p.target, p.distribution, per_entry=False, name=p.name) for p in parameters]


def monitor_command(ctx: Context) -> str:
    """The command that compares a later solve on new data with this lifecycle's baseline."""
    spec = ctx.source.spec_path
    db = shlex.quote(str(ctx.db))
    if spec is None:
        return f"opt_model.bench.monitor(model, {str(ctx.db)!r}, name={ctx.name!r})"
    from opt_model.bench.spec_data import csv_entries

    document = getattr(ctx.source.model.metadata.get("spec"), "document", {}) or {}
    files = sorted({path for _, _, path in csv_entries(document)})
    data = f" --data {shlex.quote(files[0])}=NEW_{Path(files[0]).name}" if files else ""
    return f"opt-model monitor {shlex.quote(str(spec))}{data} --baseline {db}"


def _reproduce_command(ctx: Context, validation: Validation, repaired: bool) -> str:
    """The ``opt-model robustness`` command giving the same numbers, when that command can (else ``""``).

    It cannot for a MILP (it does not fix the integer decisions), a cone
    program or a repaired model.
    """
    spec = ctx.source.spec_path
    if spec is None or validation.cold or validation.fixed_integers or repaired:
        return ""
    in_spec = ctx.source.from_spec  # the command reads the spec's own sections: do not give them twice
    parts = ["opt-model", "robustness", str(spec)]
    if not (in_spec and validation.declared):
        parts += ["--uncertainty", validation.uncertainty_path]
    parts += ["--scenarios", str(validation.scenarios), "--seed", str(validation.seed)]
    if validation.global_sensitivity is not None:
        parts += ["--global", validation.global_sensitivity.method, "--samples", str(validation.global_samples)]
    if not in_spec:
        parts += [f"--threshold={name}={value!r}" for name, value in validation.thresholds.items()]
    parts += ["--format", "json"]
    return " ".join(shlex.quote(part) for part in parts)


def run_validation(ctx: Context, baseline: Baseline, analysis: Analysis, implementation: Implementation
                   ) -> Validation:
    """Robustness, global ranking, tornado and verdict of the implemented plan."""
    settings = ctx.settings
    ctx.progress.start(5, "validation", f"{settings.samples} Monte Carlo scenarios, global sensitivity, verdict")
    scenarios_of, scope, fixed = scenario_model(analysis, implementation)
    declared = ctx.source.uncertainty is not None
    notes: list[str] = []
    if declared:
        entries = list(ctx.source.uncertainty or [])
    else:
        entries, why = default_parameters(scenarios_of, settings.relative_change)
        notes.append(why)
    path = ctx.out_dir / "uncertainty.yaml"
    path.write_text(yaml.safe_dump({"uncertainty": entries}, sort_keys=False))
    thresholds = dict(ctx.source.thresholds)
    validation = Validation(entries, declared, scope, settings.samples, settings.seed, thresholds, Verdict(),
                            uncertainty_path=str(path), notes=notes)
    validation.monitor_command = monitor_command(ctx)
    validation.fixed_integers = fixed
    levels = (analysis.model.metadata.get("lexicographic") or []) if analysis.model is not None else []
    if levels:
        validation.objective_name = str(levels[0].name or "the first objective")
        validation.objective_unit = _plain_unit(str(levels[0].unit or ""))
    else:
        validation.objective_unit = baseline.objective_unit
    if not entries:
        validation.notes.append("the model has no capacity or cost to perturb: no robustness analysis")
        ctx.progress.done("nothing to perturb")
        return validation
    parameters = parameters_from_spec(entries, base_dir=ctx.source.base_dir)
    validation.cold = bool(scenarios_of.form.cones)
    try:
        _scenarios(ctx, validation, scenarios_of, parameters, baseline)
    except (SensitivityError, ModelError) as error:
        validation.notes.append(f"the scenario analysis failed: {error}")
    if thresholds:
        if validation.robustness is not None:
            validation.verdict = evaluate(validation.robustness, thresholds)
        else:
            validation.verdict = Verdict()
            validation.notes.append("the thresholds could not be checked without a robustness report")
    else:
        validation.notes.append("the spec has no validation: section, so there is nothing to fail; add thresholds "
                                "such as {min_feasible_probability: 0.95, max_objective_cv: 0.1}")
    validation.reproduce_command = _reproduce_command(ctx, validation, analysis.repaired)
    robust = validation.robustness
    summary = (f"plan feasible in {robust.feasible_probability:.1%} of scenarios; " if robust is not None else "")
    summary += "validation " + ("passed" if validation.passed else "FAILED") + \
        ("" if thresholds else " (no thresholds)")
    ctx.progress.done(summary)
    return validation


def _scenarios(ctx: Context, validation: Validation, scenarios_of: AnalysisModel, parameters: list[Uncertain],
               baseline: Baseline) -> None:
    from opt_model.sensitivity.global_sa import morris, sobol
    from opt_model.sensitivity.montecarlo import robustness
    from opt_model.sensitivity.tornado import tornado

    settings = ctx.settings
    shared = _shared(parameters)
    factors = len(shared)
    if validation.cold:
        from opt_model.lifecycle.cold import cold_morris, cold_robustness, cold_tornado
        solver = baseline.solver
        validation.robustness = cold_robustness(scenarios_of, parameters, scenarios=settings.samples,
                                                seed=settings.seed, solver=solver, progress=settings.progress)
        validation.tornado = cold_tornado(scenarios_of, shared, solver=solver)
        if settings.global_method != "none":
            validation.global_samples = settings.morris_trajectories(factors)
            validation.global_sensitivity = cold_morris(scenarios_of, shared, trajectories=validation.global_samples,
                                                        seed=settings.seed, solver=solver,
                                                        progress=settings.progress)
    else:
        validation.robustness = robustness(scenarios_of, parameters, scenarios=settings.samples, seed=settings.seed,
                                           jobs=settings.jobs, progress=settings.progress)
        validation.tornado = tornado(scenarios_of, shared)
        if settings.global_method == "morris":
            validation.global_samples = settings.morris_trajectories(factors)
            validation.global_sensitivity = morris(scenarios_of, shared, trajectories=validation.global_samples,
                                                   seed=settings.seed, jobs=settings.jobs,
                                                   progress=settings.progress)
        elif settings.global_method == "sobol":
            validation.global_samples = settings.sobol_base_samples()
            validation.global_sensitivity = sobol(scenarios_of, shared, base_samples=validation.global_samples,
                                                  seed=settings.seed, jobs=settings.jobs,
                                                  progress=settings.progress)
    result = validation.global_sensitivity
    if result is not None and result.valid and "objective" in result.indices:
        validation.ranking = result.ranking()
    elif validation.tornado is not None and len(validation.tornado):
        validation.ranking = validation.tornado["factor"].tolist()
        validation.notes.append("the ranking is by tornado swing (no valid global indices)")
