"""What every analysis works on: the compiled model (a standard form plus the names of its rows and columns).

The type is :class:`opt_model.compiler.CompiledModel` (one type for "a form plus its
names", defined in the core); this module turns whatever an analysis is given (a
solved :class:`~opt_model.result.Result`, a :class:`~opt_model.model.Model`, a
:class:`~solvers.StandardForm`, a file path) into one, with
:func:`as_analysis_model`.  ``AnalysisModel`` and ``Group`` are the old names of
:class:`~opt_model.compiler.CompiledModel` and :class:`~solvers.NameBlock`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from opt_model.compiled import EQ, FREE, GE, LE, RANGE, SPEC_SUFFIXES, CompiledModel, load_spec_model
from opt_model.errors import ModelError
from solvers import NameBlock, StandardForm

if TYPE_CHECKING:
    from opt_model.model import Model
    from opt_model.result import Result

__all__ = ["EQ", "FREE", "GE", "LE", "RANGE", "SPEC_SUFFIXES", "AnalysisModel", "AnalysisSource", "CompiledModel",
           "Group", "as_analysis_model", "load_spec_model", "spec_section"]

AnalysisModel = CompiledModel
"""Old name of :class:`opt_model.compiler.CompiledModel`, the one compiled-model type."""
Group = NameBlock
"""Old name of :class:`solvers.NameBlock`, the one name-block type."""

AnalysisSource = Union["CompiledModel", "Result", "Model", StandardForm, str, Path]
"""What an analysis entry point takes: a compiled model, a solved result, a model, a standard form or a file."""


def spec_section(model: Any, key: str) -> Any:
    """A top-level section of the spec a model was loaded from (``uncertainty``, ``validation``), or None."""
    info = getattr(model, "metadata", {}).get("spec") if model is not None else None
    document = getattr(info, "document", None)
    if isinstance(document, Mapping):
        return document.get(key)
    return None


def as_analysis_model(source: AnalysisSource, objective_unit: str = "") -> CompiledModel:
    """The :class:`~opt_model.compiler.CompiledModel` of a Result, Model, CompiledModel, StandardForm or file path."""
    if isinstance(source, CompiledModel):
        return source.with_objective_unit(objective_unit)
    if isinstance(source, StandardForm):
        return CompiledModel.from_form(source, objective_unit)
    if isinstance(source, (str, Path)):
        return CompiledModel.load(source)
    from opt_model.model import Model
    from opt_model.result import Result
    if isinstance(source, Result):
        return CompiledModel.from_result(source, objective_unit)
    if isinstance(source, Model):
        return CompiledModel.from_model(source, objective_unit)
    raise ModelError(f"cannot analyse a {type(source).__name__}; give a Result, Model, StandardForm or file path")
