"""Quantities recorded for every scenario besides the optimal objective.

An :class:`Output` names what to read from each re-solve: the activity,
utilisation (activity / capacity), dual or slack of constraint rows, or the
value of variables, reduced over the selected entries (sum, max or mean).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opt_model.errors import ModelError
from opt_model.sensitivity.problem import AnalysisModel
from solvers import BackendResult, StandardForm

ROW_KINDS = ("activity", "utilisation", "dual", "slack")
COL_KINDS = ("value",)
REDUCTIONS: dict[str, Callable[[np.ndarray], Any]] = {"sum": np.sum, "max": np.max, "mean": np.mean, "min": np.min}


@dataclass(frozen=True)
class Output:
    """A recorded quantity, e.g. ``Output("utilisation", "memory", {"host": "h1"})``.

    Example
    -------
    >>> utilisation("memory", host="h1").label
    'utilisation of memory[host=h1]'
    """

    kind: str
    name: str
    labels: tuple[tuple[str, object], ...] = ()
    reduce: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ROW_KINDS + COL_KINDS:
            raise ModelError(f"unknown output kind {self.kind!r}; use one of {', '.join(ROW_KINDS + COL_KINDS)}")
        if self.reduce and self.reduce not in REDUCTIONS:
            raise ModelError(f"unknown reduction {self.reduce!r}; use sum, max, mean or min")

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        where = ",".join(f"{k}={v}" for k, v in self.labels)
        return f"{self.kind} of {self.name}" + (f"[{where}]" if where else "")


def _output(kind: str, name: str, reduce: str, labels: dict[str, object]) -> Output:
    return Output(kind, name, tuple(labels.items()), reduce)


def activity(name: str, reduce: str = "", **labels: object) -> Output:
    return _output("activity", name, reduce, labels)


def utilisation(name: str, reduce: str = "", **labels: object) -> Output:
    """Activity divided by the (scenario's) capacity; the maximum over entries by default."""
    return _output("utilisation", name, reduce, labels)


def dual(name: str, reduce: str = "", **labels: object) -> Output:
    return _output("dual", name, reduce, labels)


def slack(name: str, reduce: str = "", **labels: object) -> Output:
    return _output("slack", name, reduce, labels)


def value(name: str, reduce: str = "", **labels: object) -> Output:
    return _output("value", name, reduce, labels)


@dataclass(frozen=True)
class ResolvedOutput:
    """An output with its positions in the standard form (picklable, for workers)."""

    label: str
    kind: str
    positions: np.ndarray
    reduce: str

    def evaluate(self, result: BackendResult, form: StandardForm) -> float:
        if self.kind == "value":
            values = result.x
        elif self.kind == "dual":
            values = result.row_dual
        else:
            values = result.row_activity
        if values is None:
            return float("nan")
        picked = values[self.positions]
        if self.kind == "utilisation":
            capacity = form.row_upper[self.positions]
            with np.errstate(divide="ignore", invalid="ignore"):
                picked = np.where((capacity > 0) & np.isfinite(capacity), picked / capacity, np.nan)
        elif self.kind == "slack":
            upper = form.row_upper[self.positions]
            lower = form.row_lower[self.positions]
            picked = np.minimum(np.where(np.isfinite(upper), upper - picked, np.inf),
                                np.where(np.isfinite(lower), picked - lower, np.inf))
        return float(REDUCTIONS[self.reduce](picked)) if picked.size else float("nan")


def resolve_outputs(analysis: AnalysisModel, outputs: Sequence[Output | str]) -> list[ResolvedOutput]:
    """Positions of each output; a plain string is the utilisation of that resource or constraint."""
    resolved = []
    for item in outputs:
        output = utilisation(item) if isinstance(item, str) else item
        labels = dict(output.labels)
        if output.kind in ROW_KINDS:
            positions = analysis.row_indices(output.name, labels)
        else:
            positions = analysis.col_indices(output.name, labels)
        reduce = output.reduce or ("max" if output.kind in ("utilisation",) else
                                   "min" if output.kind == "slack" else "sum")
        resolved.append(ResolvedOutput(output.label, output.kind, positions, reduce))
    return resolved
