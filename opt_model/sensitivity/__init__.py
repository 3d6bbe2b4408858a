"""Sensitivity and robustness of optimal allocations.

Local (one optimal basis): :func:`sensitivity_report` (cost and rhs ranging,
shadow prices, one-sided prices at degenerate optima) and
:func:`bottleneck_report`.  Infeasible models: :func:`diagnose_infeasibility`
(irreducible infeasible subset, smallest relaxation).  Perturbations: uncertain
parameters (:mod:`~opt_model.sensitivity.uncertainty`), Monte Carlo robustness
(:func:`robustness`), global sensitivity (:func:`morris`, :func:`sobol`),
parametric sweeps with breakpoints (:func:`parametric_sweep`).  Every re-solve
changes a live HiGHS model in place and starts from a previous basis.
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# Public names and the module that defines each, imported when first used (PEP 562): the local
# report (``opt-model sensitivity``) then never loads pandas, the scenario engine or SALib.
_LAZY: dict[str, str] = {
    "UNCERTAINTY_SCHEMA": "opt_model.section_schemas",
    "VALIDATION_SCHEMA": "opt_model.section_schemas",
    "BottleneckReport": "opt_model.sensitivity.bottleneck",
    "bottleneck_report": "opt_model.sensitivity.bottleneck",
    "Degeneracy": "opt_model.sensitivity.degeneracy",
    "detect_degeneracy": "opt_model.sensitivity.degeneracy",
    "ScenarioResults": "opt_model.sensitivity.engine",
    "run_scenarios": "opt_model.sensitivity.engine",
    "GlobalSensitivity": "opt_model.sensitivity.global_sa",
    "morris": "opt_model.sensitivity.global_sa",
    "sobol": "opt_model.sensitivity.global_sa",
    "InfeasibilityReport": "opt_model.sensitivity.infeasibility",
    "diagnose_infeasibility": "opt_model.sensitivity.infeasibility",
    "RobustnessReport": "opt_model.sensitivity.montecarlo",
    "robustness": "opt_model.sensitivity.montecarlo",
    "Output": "opt_model.sensitivity.outputs",
    "activity": "opt_model.sensitivity.outputs",
    "dual": "opt_model.sensitivity.outputs",
    "slack": "opt_model.sensitivity.outputs",
    "utilisation": "opt_model.sensitivity.outputs",
    "value": "opt_model.sensitivity.outputs",
    "Changes": "opt_model.sensitivity.plan",
    "AnalysisModel": "opt_model.sensitivity.problem",
    "Group": "opt_model.sensitivity.problem",
    "as_analysis_model": "opt_model.sensitivity.problem",
    "SensitivityReport": "opt_model.sensitivity.report",
    "sensitivity_report": "opt_model.sensitivity.report",
    "SweepResult": "opt_model.sensitivity.sweep",
    "parametric_sweep": "opt_model.sensitivity.sweep",
    "tornado": "opt_model.sensitivity.tornado",
    "Empirical": "opt_model.sensitivity.uncertainty",
    "LogNormal": "opt_model.sensitivity.uncertainty",
    "Normal": "opt_model.sensitivity.uncertainty",
    "Target": "opt_model.sensitivity.uncertainty",
    "Triangular": "opt_model.sensitivity.uncertainty",
    "Uncertain": "opt_model.sensitivity.uncertainty",
    "Uniform": "opt_model.sensitivity.uncertainty",
    "bound": "opt_model.sensitivity.uncertainty",
    "capacity": "opt_model.sensitivity.uncertainty",
    "coefficient": "opt_model.sensitivity.uncertainty",
    "cost": "opt_model.sensitivity.uncertainty",
    "parameters_from_spec": "opt_model.sensitivity.uncertainty",
    "relative": "opt_model.sensitivity.uncertainty",
    "rhs": "opt_model.sensitivity.uncertainty",
    "THRESHOLDS": "opt_model.sensitivity.validation",
    "Verdict": "opt_model.sensitivity.validation",
    "evaluate": "opt_model.sensitivity.validation",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """Keeps a public function the package attribute of its name when its submodule loads later
    (``tornado``: ``opt_model.sensitivity.tornado`` is the function, as with eager imports)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported eagerly
    from opt_model.section_schemas import UNCERTAINTY_SCHEMA, VALIDATION_SCHEMA
    from opt_model.sensitivity.bottleneck import BottleneckReport, bottleneck_report
    from opt_model.sensitivity.degeneracy import Degeneracy, detect_degeneracy
    from opt_model.sensitivity.engine import ScenarioResults, run_scenarios
    from opt_model.sensitivity.global_sa import GlobalSensitivity, morris, sobol
    from opt_model.sensitivity.infeasibility import InfeasibilityReport, diagnose_infeasibility
    from opt_model.sensitivity.montecarlo import RobustnessReport, robustness
    from opt_model.sensitivity.outputs import Output, activity, dual, slack, utilisation, value
    from opt_model.sensitivity.plan import Changes
    from opt_model.sensitivity.problem import AnalysisModel, Group, as_analysis_model
    from opt_model.sensitivity.report import SensitivityReport, sensitivity_report
    from opt_model.sensitivity.sweep import SweepResult, parametric_sweep
    from opt_model.sensitivity.tornado import tornado
    from opt_model.sensitivity.uncertainty import (
        Empirical,
        LogNormal,
        Normal,
        Target,
        Triangular,
        Uncertain,
        Uniform,
        bound,
        capacity,
        coefficient,
        cost,
        parameters_from_spec,
        relative,
        rhs,
    )
    from opt_model.sensitivity.validation import THRESHOLDS, Verdict, evaluate

__all__ = [
    "THRESHOLDS", "UNCERTAINTY_SCHEMA", "VALIDATION_SCHEMA", "AnalysisModel", "BottleneckReport", "Changes",
    "Degeneracy", "Empirical", "GlobalSensitivity", "Group", "InfeasibilityReport", "LogNormal", "Normal", "Output",
    "RobustnessReport", "ScenarioResults", "SensitivityReport", "SweepResult", "Target", "Triangular", "Uncertain",
    "Uniform", "Verdict", "activity", "as_analysis_model", "bottleneck_report", "bound", "capacity", "coefficient",
    "cost", "detect_degeneracy", "diagnose_infeasibility", "dual", "evaluate", "morris", "parameters_from_spec",
    "parametric_sweep", "relative", "rhs", "robustness", "run_scenarios", "sensitivity_report", "slack", "sobol",
    "tornado", "utilisation", "value",
]
