"""Why a model is infeasible, and the least it takes to make it feasible.

Two answers, both in the model's names: an irreducible infeasible subset (IIS,
from HiGHS ``getIis``): constraints and bounds that cannot hold together, any
one of which, dropped, removes that conflict; and an elastic relaxation: the
smallest total (optionally weighted, e.g. by price) increase of resource
capacities or relaxation of named constraints that makes the model feasible,
jointly and, as alternatives, one constraint group at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opt_model.errors import ModelError
from opt_model.formatting import Readable
from opt_model.sensitivity.problem import AnalysisModel, AnalysisSource, as_analysis_model
from solvers import SolveStatus
from solvers.numbers import finite_or_none


@dataclass
class IisEntry:
    """One member of an irreducible infeasible subset."""

    kind: str
    """``"constraint"`` or ``"variable"``."""
    name: str
    group: str
    label: str
    bound: str
    """Which bound takes part: ``"lower"``, ``"upper"``, ``"both"`` or ``"none"`` (coefficients only)."""
    lower: float
    upper: float

    def describe(self) -> str:
        if self.bound == "upper":
            return f"{self.name} <= {self.upper:g}"
        if self.bound == "lower":
            return f"{self.name} >= {self.lower:g}"
        if self.bound == "both":
            return f"{self.lower:g} <= {self.name} <= {self.upper:g}" if self.lower != self.upper \
                else f"{self.name} == {self.lower:g}"
        return f"{self.name} (through its coefficients)"


@dataclass
class Change:
    """One relaxed row: its bound moves by ``amount`` (positive: capacity added)."""

    name: str
    group: str
    label: str
    unit: str
    resource: bool
    bound: str
    amount: float
    weight: float

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        where = f" on {self.label}" if self.label else ""
        if self.resource and self.bound == "upper":
            return f"add {self.amount:.4g}{unit} {self.group}{where}"
        direction = "raise" if self.bound == "upper" else "lower"
        return f"{direction} the {'limit' if self.bound == 'upper' else 'requirement'} of {self.name} by " \
               f"{self.amount:.4g}{unit}"


@dataclass
class Fix:
    """A set of changes that makes the model feasible, and its weighted size."""

    changes: list[Change]
    penalty: float
    groups: list[str]

    def describe(self) -> str:
        return " and ".join(change.describe() for change in self.changes)


@dataclass
class InfeasibilityReport(Readable):
    """IIS and relaxations of an infeasible model (``feasible=True`` when there is nothing to diagnose)."""

    feasible: bool
    status: str
    iis: list[IisEntry] = field(default_factory=list)
    irreducible: bool = True
    relaxation: Fix | None = None
    alternatives: list[Fix] = field(default_factory=list)
    relaxable: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        if self.feasible:
            return ["the model is feasible"]
        lines = []
        if self.iis:
            lines.append("these cannot all hold: " + "; ".join(entry.describe() for entry in self.iis))
        if self.alternatives:
            lines.append("to make it feasible: " + ", or ".join(fix.describe() for fix in self.alternatives))
        if self.relaxation is not None and self.relaxation.changes:
            lines.append(f"smallest joint relaxation (weighted size {self.relaxation.penalty:.4g}): "
                         + self.relaxation.describe())
        elif self.relaxation is None:
            lines.append(f"no relaxation of {', '.join(self.relaxable) or 'the chosen constraints'} "
                         "makes the model feasible")
        return lines

    def to_dict(self) -> dict[str, Any]:
        def fix(item: Fix | None) -> dict[str, Any] | None:
            if item is None:
                return None
            return {"penalty": item.penalty, "groups": item.groups, "text": item.describe(),
                    "changes": [vars(change) for change in item.changes]}
        return {"feasible": self.feasible, "status": self.status, "irreducible": self.irreducible,
                "iis": [vars(entry) | {"lower": finite_or_none(entry.lower), "upper": finite_or_none(entry.upper)}
                        for entry in self.iis],
                "relaxation": fix(self.relaxation), "alternatives": [fix(a) for a in self.alternatives],
                "relaxable": self.relaxable, "messages": self.messages()}

    def to_text(self) -> str:
        return "\n".join(self.messages())




_BOUND = {"lower": "lower", "upper": "upper", "boxed": "both", "free": "none", "none": "none", "dropped": "none"}


def diagnose_infeasibility(source: AnalysisSource, *, relax: Sequence[str] | None = None,
                           weights: str | Mapping[str, float] | None = None, alternatives: bool = True,
                           options: Mapping[str, Any] | None = None) -> InfeasibilityReport:
    """IIS and smallest relaxation of an infeasible model.

    ``relax`` names the constraint or resource groups that may be relaxed
    (default: the model's resources, or every constraint when it has none).
    ``weights`` prices one unit of relaxation: ``"price"`` uses the resources'
    prices (1 where none), a mapping gives a weight per group name; default 1.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); task = om.Dim("task", ["etl", "train"]); host = om.Dim("host", ["h1"])
    >>> x = m.add_variables("x", dims=(task, host))
    >>> _ = m.add_constraints("assign", x.sum("host") == 1)
    >>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 10}, dims=host))
    >>> _ = mem.add_usage((om.data([[8], [8]], dims=(task, host)) * x).sum("task"))
    >>> m.minimize(x.sum())
    >>> diagnose_infeasibility(m).messages()[1]
    'to make it feasible: add 6 GiB memory on h1'
    """
    analysis = as_analysis_model(source)
    session = analysis.session(options)
    solved = session.solve()
    if solved.status is SolveStatus.OPTIMAL or solved.status is SolveStatus.UNBOUNDED:
        return InfeasibilityReport(True, solved.status.value)
    report = InfeasibilityReport(False, solved.status.value)
    if not analysis.form.is_mip:
        report.iis = _iis_entries(analysis, session.iis())
    else:
        report.irreducible = False
    groups = _relaxable_groups(analysis, relax)
    report.relaxable = groups
    weight = _row_weights(analysis, weights)
    rows_of = {name: analysis.row_indices(name) for name in groups}
    penalty = np.full(analysis.form.num_rows, -1.0)
    for rows in rows_of.values():
        penalty[rows] = weight[rows]
    report.relaxation = _relax(analysis, session, penalty, groups)
    if alternatives and len(groups) > 1:
        for name in groups:
            single = np.full(analysis.form.num_rows, -1.0)
            single[rows_of[name]] = weight[rows_of[name]]
            fix = _relax(analysis, session, single, [name])
            if fix is not None:
                report.alternatives.append(fix)
        report.alternatives.sort(key=lambda item: item.penalty)
    elif report.relaxation is not None:
        report.alternatives = [report.relaxation]
    return report


def _iis_entries(analysis: AnalysisModel, iis: Any) -> list[IisEntry]:
    form = analysis.form
    entries = []
    for row, bound in zip(iis.rows.tolist(), iis.row_bounds, strict=True):
        group = analysis.row_group(row)
        entries.append(IisEntry("constraint", analysis.row_name(row), group.name, group.label_text(row - group.start),
                                _BOUND.get(bound, bound), float(form.row_lower[row]), float(form.row_upper[row])))
    for col, bound in zip(iis.cols.tolist(), iis.col_bounds, strict=True):
        kind = _BOUND.get(bound, bound)
        if kind == "none":
            continue
        group = analysis.col_group(col)
        entries.append(IisEntry("variable", analysis.col_name(col), group.name, group.label_text(col - group.start),
                                kind, float(form.col_lower[col]), float(form.col_upper[col])))
    return entries


def _relaxable_groups(analysis: AnalysisModel, relax: Sequence[str] | None) -> list[str]:
    if relax is not None:
        for name in relax:
            analysis.row_indices(name)  # raises with a suggestion when unknown
        return list(dict.fromkeys(relax))
    resources = [group.name for group in analysis.row_groups if group.is_resource]
    return list(dict.fromkeys(resources or [group.name for group in analysis.row_groups]))


def _row_weights(analysis: AnalysisModel, weights: str | Mapping[str, float] | None) -> np.ndarray:
    weight = np.ones(analysis.form.num_rows)
    if weights is None:
        return weight
    if isinstance(weights, str):
        if weights != "price":
            raise ModelError(f"weights={weights!r} is not understood; use 'price' or a mapping of group -> weight")
        if analysis.row_price is not None:
            priced = np.isfinite(analysis.row_price) & (analysis.row_price > 0)
            weight[priced] = analysis.row_price[priced]
        return weight
    for name, value in weights.items():
        if not np.isfinite(value) or value <= 0:
            raise ModelError(f"relaxation weight of {name!r} is {value}; give a positive number")
        weight[analysis.row_indices(name)] = float(value)
    return weight


def _relax(analysis: AnalysisModel, session: Any, penalty: np.ndarray, groups: list[str]) -> Fix | None:
    outcome = session.feasibility_relaxation(row_penalty=penalty)
    if outcome.status is not SolveStatus.OPTIMAL or outcome.row_violation is None:
        return None
    form = analysis.form
    activity = outcome.activity
    tol = 1e-7 * (1.0 + np.abs(np.where(np.isfinite(form.row_upper), form.row_upper, 0.0)))
    changed = np.flatnonzero(outcome.row_violation > tol)
    if (outcome.col_violation is not None and (outcome.col_violation > 1e-7).any()) or \
            (penalty[changed] < 0).any():
        return None
    changes = []
    for row in changed.tolist():
        group = analysis.row_group(row)
        above = activity[row] > form.row_upper[row]
        changes.append(Change(analysis.row_name(row), group.name, group.label_text(row - group.start), group.unit,
                              group.is_resource, "upper" if above else "lower",
                              float(outcome.row_violation[row]), float(penalty[row])))
    total = float(sum(change.amount * change.weight for change in changes))
    return Fix(changes, total, groups)
