"""Phase 4, implementation: solve with the chosen configuration and write it as spec settings.

The chosen solver and the spec's own solver options become the ``solver:`` and
``options:`` keys of a spec (:func:`solver_section`), written to
``solver.yaml`` to paste over the spec's own keys.  The allocation of that
solve is grouped by resource (:mod:`opt_model.lifecycle.allocation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from opt_model.lifecycle.allocation import Allocation, allocation_by_resource
from opt_model.lifecycle.analysis import Analysis
from opt_model.lifecycle.baseline import Baseline, relative_difference
from opt_model.lifecycle.context import Context
from opt_model.lifecycle.strategy import Strategy
from opt_model.result import Result


@dataclass
class Implementation:
    """The solve with the chosen configuration, its settings as spec text, and the allocation."""

    solver: str
    options: dict[str, Any]
    snippet: str
    status: str
    objective: float | None
    objective_unit: str
    solve_time_s: float
    agrees: bool
    allocation: Allocation
    snippet_path: str = ""
    stages: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    result: Result | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"solver": self.solver, "options": self.options, "snippet": self.snippet,
                "snippet_path": self.snippet_path, "status": self.status, "objective": self.objective,
                "objective_unit": self.objective_unit, "solve_time_s": self.solve_time_s, "agrees": self.agrees,
                "stages": self.stages, "allocation": self.allocation.to_dict(), "notes": self.notes}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def solver_section(solver: str, options: dict[str, Any], comment: str = "") -> str:
    """The ``solver:`` and ``options:`` keys of a spec, as YAML text to paste into it.

    Example
    -------
    >>> print(solver_section("highs:ipm", {"time_limit": 60.0, "mip_gap": 1e-6}), end="")
    solver: highs:ipm
    options: {time_limit: 60, mip_gap: 1.0e-06}
    """
    document: dict[str, Any] = {"solver": solver}
    if options:
        document["options"] = _plain(options)
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=100)
    import textwrap

    lines = [f"# {part}" for line in comment.splitlines() for part in textwrap.wrap(line, 96)] if comment else []
    return "\n".join([*lines, text.rstrip()]) + "\n"


def run_implementation(ctx: Context, baseline: Baseline, analysis: Analysis, strategy: Strategy) -> Implementation:
    """Solve with the chosen configuration (on the repaired model when repaired) and write ``solver.yaml``."""
    model = analysis.model
    assert model is not None
    ctx.progress.start(4, "implementation", f"solve with {strategy.chosen}")
    result = model.solve(strategy.chosen, options=ctx.solve_options())
    objective = result.objective  # None unless optimal (Result.objective is honest)
    reference = strategy.reference
    agrees = result.status.is_optimal and (reference is None or (objective is not None and
                                           relative_difference(objective, reference) <= strategy.tolerance))
    options = dict(model.solver_options)
    comment = (f"chosen by 'opt-model lifecycle' for {ctx.name}: {strategy.reason}\n"
               "paste over the spec's own solver: and options: keys")
    snippet = solver_section(strategy.chosen, options, comment)
    path = ctx.out_dir / "solver.yaml"
    path.write_text(snippet)
    allocation = allocation_by_resource(result) if result.has_solution else Allocation(
        *_empty_allocation())
    implementation = Implementation(strategy.chosen, options, snippet, result.status.value, objective,
                                    baseline.objective_unit, result.solve_time_s, bool(agrees), allocation,
                                    str(path), result=result)
    for stage in getattr(result, "stages", []):
        implementation.stages.append({"name": stage.name, "status": stage.status.value,
                                      "objective": stage.objective if math.isfinite(stage.objective) else None})
    if not agrees:
        implementation.notes.append(f"the solve with {strategy.chosen} ended {result.status.value} with objective "
                                    f"{objective}, which does not agree with the reference {reference}")
    if analysis.repaired:
        implementation.notes.append("this is the repaired model: add the capacity to the spec as well "
                                    f"({analysis.repair_text()})")
    shown = f"{objective:.10g}" if objective is not None else "-"
    ctx.progress.done(f"{result.status.value}, objective {shown}; settings in {path.name}")
    return implementation


def _empty_allocation() -> tuple[Any, Any]:
    import pandas as pd

    return (pd.DataFrame(columns=["resource", "label", "unit", "usage", "capacity", "utilisation_pct",
                                  "shadow_price", "users", "more"]),
            pd.DataFrame(columns=["variable", "nonzero", "total", "largest"]))
