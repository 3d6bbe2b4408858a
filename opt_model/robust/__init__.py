"""Robust and chance-constrained allocations: from "does it survive?" to "make it survive".

Robust counterparts of uncertain rows (box, budget of uncertainty, ellipsoid),
chance constraints by scenarios (scenario approach, indicator SAA), two-stage
recourse for provisioned capacity, and :func:`robustify`: the cheapest
protection level whose plan passes out of sample.  See ``docs/robust.md``.

Names are loaded on first use (PEP 562).  The ``robust:`` spec section's
schema lives with the other spec schemas in :mod:`opt_model.spec.schema`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RowUncertainty": "opt_model.robust.sets",
    "Counterpart": "opt_model.robust.counterpart",
    "protection": "opt_model.robust.counterpart",
    "scenario_count": "opt_model.robust.chance",
    "scenario_epsilon": "opt_model.robust.chance",
    "scenario_form": "opt_model.robust.chance",
    "saa_form": "opt_model.robust.chance",
    "support_rank_bound": "opt_model.robust.chance",
    "RobustPlan": "opt_model.robust.plans",
    "evaluate_plan": "opt_model.robust.plans",
    "robust_counterpart": "opt_model.robust.protect",
    "chance_constrained": "opt_model.robust.protect",
    "row_uncertainty": "opt_model.robust.protect",
    "two_stage": "opt_model.robust.recourse",
    "RobustifyReport": "opt_model.robust.loop",
    "robustify": "opt_model.robust.loop",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'opt_model.robust' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
