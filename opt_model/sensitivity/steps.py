"""Whole-step re-solves: what one more (or one less) unit of a limit really changes.

A shadow price is a rate that holds over its allowable range only; a MILP has no
meaningful shadow price at all.  :func:`step_effects` answers the question people
ask ("what does +1 GiB of memory on h1 buy?") by moving the limit by the whole step,
re-solving the model (warm in the same session: HiGHS keeps the basis for LPs and
restarts branch-and-bound for MILPs, under a per-solve time limit) and reporting the
change of the optimal objective, the status and, for MILPs, the gap of each
re-solve.  A limit is a row's right-hand side (the bound that moves, as in
:class:`~opt_model.sensitivity.plan.Changes`) or a column's upper or lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.formatting import format_number, objective_unit_text
from opt_model.sensitivity.problem import EQ, FREE, GE, AnalysisModel
from solvers import Session, SolveStatus

if TYPE_CHECKING:  # pandas is imported by step_effects, when a step table is made
    import pandas as pd

STEP_COLUMNS = ["name", "what", "group", "label", "unit", "limit", "step", "objective_up", "objective_down",
                "change_up", "change_down", "status_up", "status_down", "gap_up", "gap_down"]
ROW, UPPER, LOWER = "rhs", "upper bound", "lower bound"
DEFAULT_STEP_TIME_LIMIT = 10.0
"""Seconds per MILP re-solve of a step (the gap of a re-solve stopped early is reported)."""
GAP_TOLERANCE = 1e-4
"""A MILP re-solve whose relative gap exceeds this is reported with its gap, never as exact."""


@dataclass(frozen=True)
class Limit:
    """A number the user could buy more of: a row's right-hand side or a column's bound."""

    kind: str
    """``"rhs"``, ``"upper bound"`` or ``"lower bound"``."""
    index: int
    side: str = ""
    """For a range row: ``"upper"`` or ``"lower"``, the bound that moves (default: upper, lower for ``>=``)."""


def limit_names(analysis: AnalysisModel, limits: Sequence[Limit]) -> list[dict[str, Any]]:
    """Name, group, label, unit and current value of each limit."""
    units: Mapping[str, str] = named_units(analysis)
    out = []
    form = analysis.form
    kinds = analysis.row_kinds()
    for limit in limits:
        if limit.kind == ROW:
            group = analysis.row_group(limit.index)
            unit = group.unit or units.get(group.name, "")
            row = limit.index
            lower_side = kinds[row] == GE or limit.side == "lower"
            value = form.row_lower[row] if lower_side else form.row_upper[row]
            out.append({"name": analysis.row_name(row), "what": ROW, "group": group.name,
                        "label": group.label_text(row - group.start), "unit": unit, "limit": float(value)})
        else:
            group = analysis.col_group(limit.index)
            col = limit.index
            value = form.col_upper[col] if limit.kind == UPPER else form.col_lower[col]
            out.append({"name": analysis.col_name(col), "what": limit.kind, "group": group.name,
                        "label": group.label_text(col - group.start), "unit": units.get(group.name, ""),
                        "limit": float(value)})
    return out


def named_units(analysis: AnalysisModel) -> dict[str, str]:
    """Units by block name: those the spec gave variables and constraints (``metadata["units"]``), and
    for a resource's ``<resource>_provisioned`` variables the resource's unit (capacity bought)."""
    model = analysis.model
    given = getattr(model, "metadata", {}).get("units") if model is not None else None
    units = {str(key): objective_unit_text(value) for key, value in given.items()} \
        if isinstance(given, Mapping) else {}
    for group in analysis.row_groups:
        if group.is_resource and group.unit:
            units.setdefault(f"{group.name}_provisioned", objective_unit_text(group.unit))
    return units


def _moved(analysis: AnalysisModel, limit: Limit, delta: float, session: Session) -> tuple[Any, Any, Any] | None:
    """Apply ``limit += delta`` in ``session``; return the undo arguments, or None when it makes no sense."""
    form = session.form
    if limit.kind == ROW:
        row = limit.index
        lower, upper = float(form.row_lower[row]), float(form.row_upper[row])
        kind = analysis.row_kinds()[row]
        if kind == FREE:
            return None
        side = limit.side or ("lower" if kind == GE else "upper")
        new_lower = lower + delta if kind == EQ or side == "lower" else lower
        new_upper = upper + delta if kind == EQ or side == "upper" else upper
        if new_lower > new_upper:
            return None
        session.change_row_bounds([row], [new_lower], [new_upper])
        return ("row", row, (lower, upper))
    col = limit.index
    lower, upper = float(form.col_lower[col]), float(form.col_upper[col])
    new_lower, new_upper = (lower, upper + delta) if limit.kind == UPPER else (lower + delta, upper)
    if new_lower > new_upper:
        return None
    session.change_col_bounds([col], [new_lower], [new_upper])
    return ("col", col, (lower, upper))


def _undo(session: Session, undo: tuple[Any, Any, Any]) -> None:
    what, index, (lower, upper) = undo
    if what == "row":
        session.change_row_bounds([index], [lower], [upper])
    else:
        session.change_col_bounds([index], [lower], [upper])


def step_effects(analysis: AnalysisModel, limits: Sequence[Limit], nominal_objective: float, *,
                 step: float | np.ndarray = 1.0, directions: Sequence[int] = (1, -1),
                 options: Mapping[str, Any] | None = None, time_limit: float = DEFAULT_STEP_TIME_LIMIT,
                 session: Session | None = None, start: np.ndarray | None = None) -> pd.DataFrame:
    """Re-solve the model with each limit moved by ``+step`` and ``-step``; one row per limit.

    ``change_up`` / ``change_down`` are the optimal objective after the move minus
    ``nominal_objective`` (NaN when the re-solve found no solution: its status says
    why).  ``gap_*`` is the relative MIP gap of the re-solve (NaN for LPs).  The
    session (opened here unless given) is left as it was found.

    A MILP re-solve starts from ``start`` (the nominal incumbent; solved here when not
    given and the session takes starting solutions, :attr:`~solvers.Session.takes_solution`):
    where the moved limit keeps it feasible it is the first incumbent, else it is dropped;
    the answer is the same as a cold solve's, found sooner.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=10, integer=True)
    >>> _ = m.add_constraint("weight", 3 * x <= 9); m.maximize(5 * x)
    >>> analysis = AnalysisModel.from_model(m)
    >>> table = step_effects(analysis, [Limit("rhs", 0)], 15.0)
    >>> table[["name", "change_up", "change_down"]].values.tolist()
    [['weight', 0.0, -5.0]]
    """
    import pandas as pd

    steps = np.broadcast_to(np.asarray(step, dtype=float), (len(limits),))
    records = limit_names(analysis, limits)
    if not limits:
        return pd.DataFrame(columns=STEP_COLUMNS)
    merged = dict(options or {})
    if analysis.form.is_mip:
        merged.setdefault("time_limit", time_limit)
    live = session if session is not None else analysis.session(merged)
    mip_start = analysis.form.is_mip and live.takes_solution
    if mip_start and start is None:
        start = live.solve().x
    for record, limit, size in zip(records, limits, steps.tolist(), strict=True):
        record["step"] = size
        for direction, side in ((1, "up"), (-1, "down")):
            record[f"objective_{side}"] = record[f"change_{side}"] = record[f"gap_{side}"] = math.nan
            record[f"status_{side}"] = ""
            if direction not in directions:
                continue
            undo = _moved(analysis, limit, direction * size, live)
            if undo is None:
                record[f"status_{side}"] = "not applicable"
                continue
            if mip_start and start is not None:
                live.set_solution(start)  # the incumbent as a MIP start (used where it stays feasible)
            try:
                result = live.solve()
            finally:
                _undo(live, undo)
            record[f"status_{side}"] = result.status.value
            if result.x is not None and result.status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT,
                                                          SolveStatus.ITERATION_LIMIT, SolveStatus.INTERRUPTED):
                record[f"objective_{side}"] = float(result.objective)
                record[f"change_{side}"] = _clean(float(result.objective) - nominal_objective, nominal_objective)
                gap = result.mip_gap
                record[f"gap_{side}"] = float(gap) if gap is not None and analysis.form.is_mip else math.nan
    return pd.DataFrame.from_records(records, columns=STEP_COLUMNS)


def _clean(change: float, reference: float) -> float:
    """Round-off below the solver's tolerances is no change."""
    return 0.0 if abs(change) <= 1e-9 * (1.0 + abs(reference)) else change


def effect_phrase(change: float, sense: str, unit: str, status: str = "optimal", gap: float = math.nan) -> str:
    """``"saves 3.2 USD"``, ``"costs 96 USD more"``, ``"adds 1 Gbit/s"``, ``"changes nothing"``.

    Example
    -------
    >>> effect_phrase(-3.2, "minimize", "USD"), effect_phrase(96.0, "minimize", "USD")
    ('saves 3.2 USD', 'costs 96 USD more')
    >>> effect_phrase(2.0, "maximize", ""), effect_phrase(0.0, "maximize", "USD")
    ('adds 2', 'changes nothing')
    """
    if not math.isfinite(change):
        return {"infeasible": "makes the model infeasible", "not applicable": "is not possible",
                "unbounded": "makes the objective unbounded"}.get(status, f"gives no solution ({status or 'not run'})")
    amount = format_number(abs(change), 4) + (f" {unit}" if unit else "")
    if format_number(abs(change), 4) == "0":
        text = "changes nothing"
    elif sense == "minimize":
        text = f"saves {amount}" if change < 0 else f"costs {amount} more"
    else:
        text = f"adds {amount}" if change > 0 else f"loses {amount}"
    if math.isfinite(gap) and gap > GAP_TOLERANCE:
        text += f" (re-solve stopped at a {gap:.2%} gap: not proven)"
    elif status and status != "optimal":
        text += f" (re-solve ended {status}: not proven)"
    return text
