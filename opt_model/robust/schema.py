"""The ``robust:`` section of a spec: how ``opt-model robustify`` protects the plan.

Plain data (no imports), so the spec schema can include it without loading the
robust machinery.
"""

from __future__ import annotations

from typing import Any

ROBUST_KEYS = ("method", "target", "levels", "scenarios", "seed", "beta", "coverage", "refine", "first_stage")

ROBUST_SCHEMA: dict[str, Any] = {
    "description": "How 'opt-model robustify' protects the plan against the uncertainty: section "
                   "(see docs/robust.md). Command-line options override these.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "method": {"enum": ["budget", "box", "ellipsoid", "scenario", "saa", "two-stage"],
                   "description": "budget (Bertsimas & Sim), box (Soyster), ellipsoid (SOCP), scenario "
                                  "(Campi & Garatti), saa (indicator MILP), two-stage (recourse)."},
        "target": {"type": "number", "minimum": 0, "maximum": 1,
                   "description": "Required out-of-sample P(feasible), e.g. 0.95."},
        "levels": {"type": "array", "items": {"type": "number", "minimum": 0},
                   "description": "Protection levels to search (Gamma, Omega, scenario counts or eps)."},
        "scenarios": {"type": "integer", "minimum": 1, "description": "Fresh out-of-sample scenarios."},
        "seed": {"type": "integer", "minimum": 0},
        "beta": {"type": "number", "minimum": 0, "maximum": 1,
                 "description": "Confidence parameter of the scenario approach."},
        "coverage": {"type": "number", "minimum": 0.5, "maximum": 1,
                     "description": "Share of an unbounded distribution its interval covers."},
        "first_stage": {"type": "array", "items": {"type": "string"},
                        "description": "Two-stage: variables decided before the uncertainty (default: every "
                                       "provisioned amount)."},
        "refine": {"type": "integer", "minimum": 0, "description": "Bisection steps between the last two levels."},
    },
}
"""JSON Schema of a spec's ``robust:`` section."""
