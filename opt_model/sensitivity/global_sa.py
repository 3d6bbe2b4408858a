"""Global sensitivity analysis with SALib: Morris screening and Sobol indices.

Each factor of the uncertain parameters is sampled on the unit interval by
SALib and mapped through its distribution's inverse CDF (unit values are kept
inside [0.001, 0.999] so unbounded distributions stay finite).  Every design
point is one warm-started re-solve of the scenario engine.  Scenarios without
an optimum are recorded, never dropped silently: a Morris trajectory that
contains one is left out and reported; a Sobol design with holes cannot be
analysed and the result says so (``valid=False``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError, SolverNotAvailableError
from opt_model.formatting import Readable
from opt_model.sensitivity.engine import ScenarioResults, run_scenarios
from opt_model.sensitivity.outputs import Output, resolve_outputs
from opt_model.sensitivity.problem import AnalysisSource
from opt_model.sensitivity.stages import analysis_for_stage
from opt_model.sensitivity.targets import resolve_plan
from opt_model.sensitivity.uncertainty import Uncertain, as_parameters

UNIT_MARGIN = 1e-3


@dataclass
class GlobalSensitivity(Readable):
    """Indices per output (``"objective"`` and each chosen output) as DataFrames indexed by factor."""

    method: str
    factors: list[str]
    indices: dict[str, pd.DataFrame]
    valid: bool
    scenarios: int
    failed: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    results: ScenarioResults | None = field(default=None, repr=False)

    def ranking(self, output: str = "objective") -> list[str]:
        """Factors from most to least influential (Morris mu*, Sobol total order)."""
        if output not in self.indices:
            raise ModelError(f"no indices for {output!r}; outputs: {', '.join(self.indices) or 'none (invalid)'}")
        key = "mu_star" if self.method == "morris" else "ST"
        return self.indices[output].sort_values(key, ascending=False).index.tolist()

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "valid": self.valid, "scenarios": self.scenarios, "factors": self.factors,
                "notes": self.notes,
                "indices": {name: json.loads(frame.to_json(orient="index")) for name, frame in self.indices.items()},
                "failed": json.loads(self.failed.to_json(orient="records"))}

    def to_text(self) -> str:
        lines = [f"Global sensitivity ({self.method}, {self.scenarios} re-solves): "
                 + ("valid" if self.valid else "INVALID")]
        for name, frame in self.indices.items():
            lines += ["", name, frame.to_string(float_format=lambda v: f"{v:.4g}")]
        if not self.failed.empty:
            lines += ["", f"{len(self.failed)} scenarios without an optimum",
                      self.failed.head(10).to_string(index=False)]
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _salib() -> Any:
    try:
        import SALib  # noqa: F401
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SolverNotAvailableError("global sensitivity needs SALib; run 'pip install SALib'") from error
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample
    return morris_sample, morris_analyze, sobol_sample, sobol_analyze


def _prepare(source: AnalysisSource, parameters: Any, outputs: Sequence[Output | str], stage: int | str | None = None
             ) -> tuple[Any, Any, Any, dict[str, Any]]:
    analysis = analysis_for_stage(source, stage)[0]  # objectives by priority: that stage (default the last)
    params: list[Uncertain] = as_parameters(parameters)
    plan = resolve_plan(analysis, params)
    resolved = resolve_outputs(analysis, outputs)
    names = [factor.name for factor in plan.factors]
    if len(set(names)) != len(names):
        raise ModelError(f"factor names must be unique for SALib; got {names}")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    return analysis, plan, resolved, problem


def _responses(results: ScenarioResults, labels: list[str]) -> dict[str, np.ndarray]:
    responses = {"objective": results.objective}
    for j, label in enumerate(labels):
        responses[label] = results.outputs[:, j]
    return responses


def _failed(results: ScenarioResults, names: list[str]) -> pd.DataFrame:
    bad = np.flatnonzero(~results.optimal)
    frame = pd.DataFrame({"scenario": bad, "status": results.status[bad].astype(str)})
    if results.factor_values is not None:
        for k, name in enumerate(names):
            frame[name] = results.factor_values[bad, k]
    return frame


def morris(source: AnalysisSource, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
           trajectories: int = 10, levels: int = 4, seed: int = 0, outputs: Sequence[Output | str] = (),
           jobs: int = 1, scheduler: Any = None, options: dict[str, Any] | None = None,
           progress: bool = True, stage: int | str | None = None) -> GlobalSensitivity:
    """Morris elementary-effects screening (mu*, sigma) of the optimal objective and outputs.

    Elementary effects are per unit of the factor's quantile (SALib's unit
    scale), so factors with different units compare.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity
    >>> m = om.Model(); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("a", x1 <= 1); _ = m.add_constraint("b", x2 <= 1); m.maximize(x1 + 2 * x2)
    >>> params = [Uncertain(capacity("a"), Uniform(1, 2)), Uncertain(capacity("b"), Uniform(1, 2))]
    >>> morris(m, params, trajectories=4, progress=False).ranking()
    ['rhs of b', 'rhs of a']
    """
    morris_sample, morris_analyze, _, _ = _salib()
    analysis, plan, resolved, problem = _prepare(source, parameters, outputs, stage)
    unit = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    values = plan.factor_values(np.clip(unit, UNIT_MARGIN, 1 - UNIT_MARGIN))
    results = run_scenarios(analysis, plan=plan, factor_values=values, outputs=resolved, jobs=jobs,
                            scheduler=scheduler, options=options, progress=progress)
    names = problem["names"]
    width = problem["num_vars"] + 1
    count = unit.shape[0] // width
    good = results.optimal.reshape(count, width).all(axis=1)
    notes = []
    if not good.all():
        notes.append(f"{int((~good).sum())} of {count} trajectories contain scenarios without an optimum and were "
                     "left out of the analysis (see failed)")
    indices: dict[str, pd.DataFrame] = {}
    valid = bool(good.sum() >= 2)
    if valid:
        keep = np.repeat(good, width)
        for name, response in _responses(results, results.output_labels).items():
            analysed = morris_analyze.analyze(problem, unit[keep], response[keep], num_levels=levels, seed=seed)
            indices[name] = pd.DataFrame({key: np.asarray(analysed[key], dtype=float)
                                          for key in ("mu", "mu_star", "sigma", "mu_star_conf")}, index=names)
    else:
        notes.append("fewer than two complete trajectories: no Morris indices")
    return GlobalSensitivity("morris", names, indices, valid, results.count, _failed(results, names), notes, results)


def sobol(source: AnalysisSource, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
          base_samples: int = 256, second_order: bool = False, seed: int = 0, outputs: Sequence[Output | str] = (),
          jobs: int = 1, scheduler: Any = None, options: dict[str, Any] | None = None,
          progress: bool = True, stage: int | str | None = None) -> GlobalSensitivity:
    """Sobol first- and total-order indices (Saltelli design, ``base_samples`` a power of 2).

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity
    >>> m = om.Model(); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("a", x1 <= 1); _ = m.add_constraint("b", x2 <= 1); m.maximize(x1 + 2 * x2)
    >>> params = [Uncertain(capacity("a"), Uniform(1, 2)), Uncertain(capacity("b"), Uniform(1, 2))]
    >>> result = sobol(m, params, base_samples=64, progress=False)
    >>> result.valid, result.ranking()
    (True, ['rhs of b', 'rhs of a'])
    """
    _, _, sobol_sample, sobol_analyze = _salib()
    if base_samples < 2 or base_samples & (base_samples - 1):
        raise ModelError(f"base_samples={base_samples}: Sobol designs need a power of 2 (e.g. 256, 1024)")
    analysis, plan, resolved, problem = _prepare(source, parameters, outputs, stage)
    unit = sobol_sample.sample(problem, base_samples, calc_second_order=second_order, seed=seed)
    values = plan.factor_values(np.clip(unit, UNIT_MARGIN, 1 - UNIT_MARGIN))
    results = run_scenarios(analysis, plan=plan, factor_values=values, outputs=resolved, jobs=jobs,
                            scheduler=scheduler, options=options, progress=progress)
    names = problem["names"]
    failed = _failed(results, names)
    notes = []
    indices: dict[str, pd.DataFrame] = {}
    valid = bool(results.optimal.all())
    if not valid:
        notes.append(f"{len(failed)} of {results.count} design points have no optimum: a Sobol design with holes "
                     "cannot be analysed, so no indices are given (narrow the distributions or fix the model)")
    else:
        for name, response in _responses(results, results.output_labels).items():
            if np.ptp(response) == 0:
                indices[name] = pd.DataFrame({"S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}, index=names)
                notes.append(f"{name} does not vary: all indices are 0")
                continue
            analysed = sobol_analyze.analyze(problem, response, calc_second_order=second_order, seed=seed)
            indices[name] = pd.DataFrame({key: np.asarray(analysed[key], dtype=float)
                                          for key in ("S1", "S1_conf", "ST", "ST_conf")}, index=names)
    return GlobalSensitivity("sobol", names, indices, valid, results.count, failed, notes, results)
