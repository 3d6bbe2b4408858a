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
