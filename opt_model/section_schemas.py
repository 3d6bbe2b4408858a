"""JSON Schemas of a spec's analysis sections (``uncertainty:``, ``validation:``), as plain data.

They live in the core so that the spec grammar (:mod:`opt_model.spec.schema`) and the analyses
(:mod:`opt_model.sensitivity`) share them without importing each other (layer rule, docs/design.md).
``tests/test_layers.py`` checks that the names here match what the analyses accept.
"""

from __future__ import annotations

from typing import Any

TARGET_KINDS = ("capacity", "coeff", "coefficient", "cost", "lower", "lower_bound", "price", "rhs", "upper",
                "upper_bound")
"""What an uncertain parameter may target (the keys of ``opt_model.sensitivity.uncertainty``'s kind map)."""

THRESHOLD_NAMES = (
    "min_feasible_probability", "min_feasible_probability_lower_bound", "max_objective_cv", "max_objective_std",
    "max_objective_p95", "min_objective_p05", "max_objective_cvar", "min_objective_cvar", "max_regret_mean",
    "max_regret_p95", "max_basis_change_rate", "max_binding_change_rate", "min_optimal_fraction",
)
"""Pass/fail thresholds of a ``validation:`` section (``opt_model.sensitivity.validation.THRESHOLDS``)."""

_NUMBER = {"type": "number"}
UNCERTAINTY_SCHEMA: dict[str, Any] = {
    "description": "Uncertain parameters for 'opt-model robustness' (see parameters_from_spec).",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["target", "of", "distribution"],
        "additionalProperties": False,
        "properties": {
            "target": {"enum": list(TARGET_KINDS)},
            "of": {"type": "string"},
            "labels": {"type": "object"},
            "variable": {"type": "string"},
            "distribution": {"enum": ["normal", "uniform", "triangular", "lognormal", "relative", "empirical"]},
            "relative": {"type": "boolean"},
            "per_entry": {"type": "boolean"},
            "name": {"type": "string"},
            **{key: _NUMBER for key in ("mean", "std", "low", "high", "mode", "mu", "median", "sigma", "percent",
                                        "fraction")},
            "shape": {"enum": ["uniform", "triangular", "normal"]},
            "samples": {"type": "array", "items": _NUMBER},
            "csv": {"type": "string"},
            "column": {"type": ["string", "integer"]},
        },
    },
}
"""JSON Schema of a spec's ``uncertainty:`` section, for the spec loader's structural check."""


VALIDATION_SCHEMA: dict[str, Any] = {
    "description": "Pass/fail thresholds for 'opt-model robustness' (see evaluate).",
    "type": "object",
    "additionalProperties": False,
    "properties": {name: {"type": "number"} for name in THRESHOLD_NAMES},
}
"""JSON Schema of a spec's ``validation:`` section."""
