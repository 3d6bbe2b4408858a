"""Phase 5, validation and monitoring: does the plan survive perturbed numbers, and how to watch it later.

Uncertain parameters are the spec's ``uncertainty:`` section, or, when it
declares none, +-10 % (uniform) on every capacity, cost and variable upper bound
(:func:`default_parameters`, the same defaults as ``opt-model robustness``).
Monte Carlo robustness (:func:`opt_model.sensitivity.robustness`), a global
sensitivity ranking (Morris screening, one factor per parameter, as ``opt-model
robustness --global morris`` computes it) and a tornado chart run on the model the
plan comes from: the repaired model when it was repaired, the last stage of a model
with objectives by priority (earlier stages held; the numbers are labelled with that
stage's objective and unit), a MILP in plan mode (its integer decisions kept).
Every model class goes through the same scenario engine, so the numbers are those
``opt-model robustness`` prints.  The verdict checks the spec's ``validation:``
thresholds.
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
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.stages import analysis_for_stage, stage_info
from opt_model.sensitivity.uncertainty import Uncertain, default_uncertainty, parameters_from_spec
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
    """+-``percent`` % on every capacity, cost and variable upper bound, as spec entries, and a sentence saying so.

    The same defaults as ``opt-model robustness``
    (:func:`opt_model.sensitivity.uncertainty.default_uncertainty`).

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
    return default_uncertainty(analysis, percent)


def scenario_model(analysis: Analysis, implementation: Implementation, stage: int | str | None = None
                   ) -> tuple[Any, str, bool]:
    """What the scenarios start from, a phrase saying which model it is, and whether integers are kept.

    The source is the implemented result when it solved the (repaired) model, else the
    model: :func:`~opt_model.sensitivity.robustness` takes either, so the lifecycle and
    ``opt-model robustness`` compute the same thing.  Objectives by priority: ``stage``
    (default the last, earlier ones held), as ``solve``, ``sensitivity`` and ``robustness`` take it.
    MILPs: plan mode (the plan's integer decisions kept).
    """
    model = analysis.model
    assert model is not None
    result = implementation.result
    source: Any = result if result is not None and result.has_solution and result.model is model else model
    scope = "the repaired model" if analysis.repaired else "the model"
    info = stage_info(model, stage)
    if info is not None:
        scope += f" at its {info.describe()} (as 'opt-model robustness' takes it)"
    fixed = bool(model.compile().form.is_mip)
    if fixed:
        scope += ", integer decisions kept at the plan's values (plan mode: does this plan hold?)"
    return source, scope, fixed


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

    It cannot for a repaired model (the spec itself is unchanged).
    """
    spec = ctx.source.spec_path
    if spec is None or repaired:
        return ""
    in_spec = ctx.source.from_spec  # the command reads the spec's own sections: do not give them twice
    parts = ["opt-model", "robustness", str(spec)]
    if not (in_spec and validation.declared):
        parts += ["--uncertainty", validation.uncertainty_path]
    parts += ["--scenarios", str(validation.scenarios), "--seed", str(validation.seed)]
    if ctx.settings.stage is not None:
        parts += ["--stage", str(ctx.settings.stage)]
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
    scenarios_of, scope, fixed = scenario_model(analysis, implementation, settings.stage)
    declared = ctx.source.uncertainty is not None
    notes: list[str] = []
    if declared:
        entries = list(ctx.source.uncertainty or [])
    else:
        assert analysis.model is not None
        staged = analysis_for_stage(analysis.model, settings.stage)[0]  # the analysed stage's costs
        entries, why = default_parameters(staged, settings.relative_change)
        notes.append(why)
    path = ctx.out_dir / "uncertainty.yaml"
    path.write_text(yaml.safe_dump({"uncertainty": entries}, sort_keys=False))
    thresholds = dict(ctx.source.thresholds)
    validation = Validation(entries, declared, scope, settings.samples, settings.seed, thresholds, Verdict(),
                            uncertainty_path=str(path), notes=notes)
    validation.monitor_command = monitor_command(ctx)
    validation.fixed_integers = fixed
    info = stage_info(analysis.model, settings.stage) if analysis.model is not None else None
    if info is not None:
        validation.objective_name = f"{info.name} (stage {info.number} of {info.count})"
        validation.objective_unit = _plain_unit(info.unit)
    else:
        validation.objective_unit = baseline.objective_unit
    if not entries:
        validation.notes.append("the model has no capacity or cost to perturb: no robustness analysis")
        ctx.progress.done("nothing to perturb")
        return validation
    parameters = parameters_from_spec(entries, base_dir=ctx.source.base_dir)
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


def _scenarios(ctx: Context, validation: Validation, scenarios_of: Any, parameters: list[Uncertain],
               baseline: Baseline) -> None:
    """Monte Carlo, tornado and global ranking through the one scenario engine (every model class)."""
    from opt_model.sensitivity.global_sa import morris, sobol
    from opt_model.sensitivity.montecarlo import robustness
    from opt_model.sensitivity.tornado import tornado

    settings = ctx.settings
    shared = _shared(parameters)
    factors = len(shared)
    validation.robustness = robustness(scenarios_of, parameters, scenarios=settings.samples, seed=settings.seed,
                                       jobs=settings.jobs, progress=settings.progress, stage=settings.stage)
    changed = validation.robustness.model  # the stage analysed; a MILP with its integers kept
    validation.tornado = tornado(changed, shared)
    if settings.global_method == "morris":
        validation.global_samples = settings.morris_trajectories(factors)
        validation.global_sensitivity = morris(changed, shared, trajectories=validation.global_samples,
                                               seed=settings.seed, jobs=settings.jobs, progress=settings.progress)
    elif settings.global_method == "sobol":
        validation.global_samples = settings.sobol_base_samples()
        validation.global_sensitivity = sobol(changed, shared, base_samples=validation.global_samples,
                                              seed=settings.seed, jobs=settings.jobs, progress=settings.progress)
    result = validation.global_sensitivity
    if result is not None and result.valid and "objective" in result.indices:
        validation.ranking = result.ranking()
    elif validation.tornado is not None and len(validation.tornado):
        validation.ranking = validation.tornado["factor"].tolist()
        validation.notes.append("the ranking is by tornado swing (no valid global indices)")
