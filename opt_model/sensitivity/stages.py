"""Which objective an analysis looks at, for models with objectives by priority.

A lexicographic model is solved stage by stage: stage *k* optimises objective *k*
with every earlier objective held within its tolerance.  Every analysis (the
sensitivity report, bottlenecks, robustness, sweeps, the lifecycle) looks at one
stage: by default the **last** one (the allocation ``solve`` returns, with the earlier
objectives held as constraints named ``hold_<name>``); ``stage`` picks another by
number (from 1) or by name.  The numbers are then in that stage's objective and unit,
and the report says which stage it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opt_model.errors import ModelError
from opt_model.formatting import objective_unit_text
from opt_model.sensitivity.problem import AnalysisModel, AnalysisSource, as_analysis_model


@dataclass(frozen=True)
class StageInfo:
    """The stage an analysis looks at: its number (1-based), count, objective name and unit."""

    number: int
    count: int
    name: str
    unit: str
    sense: str

    def describe(self) -> str:
        """``"stage 2 of 2: energy in kWh, earlier stages held"``, or ``""`` for a single objective."""
        if self.count <= 1:
            return ""
        held = ", earlier stages held" if self.number > 1 else ""
        unit = f" in {self.unit}" if self.unit else ""
        return f"stage {self.number} of {self.count}: {self.name}{unit}{held}"


def priorities(model: Any) -> list[Any]:
    """The objectives by priority of a model (``model.objectives``; empty for a single objective)."""
    objectives = getattr(model, "objectives", None)
    return list(objectives) if objectives is not None and objectives.lexicographic else []


def stage_info(model: Any, stage: int | str | None = None) -> StageInfo | None:
    """The :class:`StageInfo` of ``stage`` (default the last) of a model, None without priorities.

    Example
    -------
    >>> from opt_model.spec import load_spec
    >>> info = stage_info(load_spec("problems/cost_then_energy.yaml"))
    >>> info.number, info.count, info.name, info.unit
    (2, 2, 'energy', 'kWh')
    """
    levels = priorities(model)
    if not levels:
        if stage not in (None, 1, "1"):
            raise ModelError(f"stage {stage!r}: the model has one objective; objectives by priority have stages")
        return None
    names = [str(level.name or f"objective_{k + 1}") for k, level in enumerate(levels)]
    number = model.objectives.stage_number(stage)
    level = levels[number - 1]
    unit = objective_unit_text(getattr(level, "unit", "") or "")
    return StageInfo(number, len(levels), names[number - 1], unit, str(level.sense))


def analysis_for_stage(source: AnalysisSource, stage: int | str | None = None, objective_unit: str = ""
                       ) -> tuple[AnalysisModel, str, Any]:
    """The model of one stage, a phrase naming it, and the result that solved it (or None).

    For a single objective this is ``as_analysis_model(source)`` and the result when
    ``source`` is one.  For objectives by priority it is the stage's form (earlier
    stages held), its objective unit, and the stage's result.
    """
    from dataclasses import replace
    from pathlib import Path

    from opt_model.result import Result
    if isinstance(source, (str, Path)):
        source = as_analysis_model(source, objective_unit)
    from opt_model.model import Model
    model = source if isinstance(source, Model) else getattr(source, "model", None)
    info = stage_info(model, stage) if model is not None else None
    result = source if isinstance(source, Result) else None
    if info is None:
        if stage not in (None, 1, "1") and model is None:
            raise ModelError(f"stage {stage!r}: this model has one objective")
        return as_analysis_model(source, objective_unit), "", result
    unit = objective_unit or info.unit
    if isinstance(source, AnalysisModel) and info.number == info.count:
        return replace(source, objective_unit=unit), info.describe(), None  # already the last stage
    stages = getattr(result, "stages", None)
    if result is None or stages is None or len(stages) != info.number:
        assert model is not None
        from opt_model.multiobjective import Lexicographic
        result = Lexicographic(model).solve(upto=info.number)
    analysis = replace(AnalysisModel.from_compiled(result.compiled, unit), objective_unit=unit)
    return analysis, info.describe(), result
