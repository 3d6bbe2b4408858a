"""The local sensitivity report of an LP, in the layout of Excel Solver and JuMP.

Per variable: value, reduced cost, objective coefficient and its allowable
range (cost ranging).  Per constraint and resource: activity, slack, shadow
price, right-hand side and its allowable range (rhs ranging), the objective at
each end of that range, and the left and right shadow prices where the optimum
is degenerate.  All from one optimal simplex basis through HiGHS's ranging.

HiGHS reports, for a row that is basic (not binding), the range of its
*activity*; the report turns that into the allowable right-hand-side range:
``[activity, inf)`` for a ``<=`` row, ``(-inf, activity]`` for a ``>=`` row.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import SensitivityError
from opt_model.formatting import Readable
from opt_model.sensitivity.degeneracy import Degeneracy, active_bounds, detect_degeneracy, one_sided_prices
from opt_model.sensitivity.problem import EQ, GE, LE, RANGE, AnalysisModel, as_analysis_model
from solvers import BackendResult, Ranging, Sense, Session, SolveStatus

VARIABLE_COLUMNS = ["name", "group", "label", "value", "reduced_cost", "cost", "cost_lower", "cost_upper",
                    "allowable_increase", "allowable_decrease", "objective_at_cost_lower",
                    "objective_at_cost_upper", "lower", "upper", "basic"]
CONSTRAINT_COLUMNS = ["name", "group", "label", "kind", "activity", "slack", "dual", "rhs", "rhs_lower",
                      "rhs_upper", "allowable_increase", "allowable_decrease", "objective_at_rhs_lower",
                      "objective_at_rhs_upper", "dual_left", "dual_right", "dual_left_from", "dual_right_to",
                      "degenerate", "one_sided",
                      "binding", "resource", "unit"]


@dataclass
class SensitivityReport(Readable):
    """Local sensitivity of an optimal LP basis.

    ``variables`` and ``constraints`` are DataFrames with the columns in
    :data:`VARIABLE_COLUMNS` and :data:`CONSTRAINT_COLUMNS`; :meth:`to_dict`
    gives the JSON layout of ``opt-model sensitivity --format json``.
    """

    objective: float
    sense: str
    variables: pd.DataFrame
    constraints: pd.DataFrame
    degeneracy: Degeneracy
    notes: list[str] = field(default_factory=list)
    model_name: str = ""
    objective_unit: str = ""
    resolves: int = 0
    analysis: AnalysisModel | None = field(default=None, repr=False)

    def constraint(self, name: str) -> pd.Series:
        """The row of one scalar constraint by its full name (``memory[h1]``)."""
        rows = self.constraints[self.constraints["name"] == name]
        if rows.empty:
            raise SensitivityError(f"no constraint named {name!r} in the report")
        return rows.iloc[0]

    def variable(self, name: str) -> pd.Series:
        rows = self.variables[self.variables["name"] == name]
        if rows.empty:
            raise SensitivityError(f"no variable named {name!r} in the report")
        return rows.iloc[0]

    def bottlenecks(self, **kwargs: Any) -> Any:
        """The bottleneck report (see :func:`opt_model.sensitivity.bottleneck_report`)."""
        from opt_model.sensitivity.bottleneck import bottleneck_report
        return bottleneck_report(self, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``objective``, ``variables``, ``constraints`` (infinities as ``None``)."""
        variables = [
            {"name": r.name, "value": _num(r.value), "reduced_cost": _num(r.reduced_cost), "cost": _num(r.cost),
             "cost_lower": _num(r.cost_lower), "cost_upper": _num(r.cost_upper),
             "objective_at_cost_lower": _num(r.objective_at_cost_lower),
             "objective_at_cost_upper": _num(r.objective_at_cost_upper), "basic": bool(r.basic)}
            for r in self.variables.itertuples(index=False)]
        constraints = [
            {"name": r.name, "group": r.group, "kind": r.kind, "activity": _num(r.activity),
             "slack": _num(r.slack), "dual": _num(r.dual), "rhs": _num(r.rhs), "rhs_lower": _num(r.rhs_lower),
             "rhs_upper": _num(r.rhs_upper), "objective_at_rhs_lower": _num(r.objective_at_rhs_lower),
             "objective_at_rhs_upper": _num(r.objective_at_rhs_upper), "dual_left": _num(r.dual_left),
             "dual_right": _num(r.dual_right), "dual_left_from": _num(r.dual_left_from),
             "dual_right_to": _num(r.dual_right_to), "degenerate": bool(r.degenerate),
             "one_sided": bool(r.one_sided),
             "binding": bool(r.binding), "resource": bool(r.resource), "unit": r.unit}
            for r in self.constraints.itertuples(index=False)]
        return {"model": self.model_name, "objective": _num(self.objective), "sense": self.sense,
                "objective_unit": self.objective_unit, "notes": list(self.notes),
                "degeneracy": self.degeneracy.as_dict(), "variables": variables, "constraints": constraints}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self, max_rows: int = 200) -> str:
        """Excel-Solver-style text: variable cells, then constraints."""
        lines = [f"Sensitivity report: {self.model_name or 'model'} ({self.sense}), objective = {self.objective:.10g}"
                 + (f" {self.objective_unit}" if self.objective_unit else "")]
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(f"note: {line}" for line in self.degeneracy.summary())
        variables = self.variables.head(max_rows)
        lines += ["", "Variable cells", _table(pd.DataFrame({
            "Name": variables["name"], "Final value": variables["value"], "Reduced cost": variables["reduced_cost"],
            "Objective coef.": variables["cost"], "Allowable increase": variables["allowable_increase"],
            "Allowable decrease": variables["allowable_decrease"]}))]
        constraints = self.constraints.head(max_rows)
        table = pd.DataFrame({
            "Name": constraints["name"], "Final value": constraints["activity"],
            "Shadow price": constraints["dual"], "R.H. side": constraints["rhs"],
            "Allowable increase": constraints["allowable_increase"],
            "Allowable decrease": constraints["allowable_decrease"]})
        if constraints["one_sided"].any():
            table["Price left"] = constraints["dual_left"]
            table["Price right"] = constraints["dual_right"]
        lines += ["", "Constraints", _table(table)]
        hidden = max(len(self.variables), len(self.constraints)) - max_rows
        if hidden > 0:
            lines.append(f"... {hidden} more rows; use --format json or csv for all")
        return "\n".join(lines)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.6g}", na_rep="-")


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def sensitivity_report(source: Any, *, one_sided: bool = True, max_one_sided: int = 1000,
                       options: dict[str, Any] | None = None, objective_unit: str = "") -> SensitivityReport:
    """The local sensitivity report of an LP (or of a MILP with its integers fixed).

    ``source`` is a solved :class:`~opt_model.result.Result`, a Model, a
    StandardForm, an :class:`AnalysisModel` or a file path.  The LP is solved
    with the simplex method in a :class:`~solvers.Session` that gives ranging
    (HiGHS, whatever solver produced the result) so that an optimal basis exists.
    Degenerate rows get one-sided shadow prices from warm-started re-solves
    (at most ``max_one_sided`` rows; ``one_sided=False`` skips them).

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4); _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18); m.maximize(3 * x1 + 5 * x2)
    >>> report = m.solve().sensitivity()
    >>> report.constraint("plant2")[["dual", "rhs_lower", "rhs_upper"]].astype(float).tolist()
    [1.5, 6.0, 18.0]
    >>> report.variable("x1")[["cost_lower", "cost_upper"]].astype(float).tolist()
    [0.0, 7.5]
    """
    analysis = as_analysis_model(source, objective_unit)
    notes = list(analysis.notes)
    form = analysis.form
    if form.Q is not None and form.Q.nnz:
        raise SensitivityError("ranging is defined for linear programs; this model has a quadratic objective")
    backend = getattr(source, "backend", None)
    if form.is_mip:
        x = backend.x if isinstance(backend, BackendResult) and backend.x is not None else None
        if x is None:
            mip = analysis.session(options).solve()
            if mip.x is None:
                raise SensitivityError(f"the MILP has no solution (status {mip.status.value}); "
                                       "nothing to report")
            x = mip.x
        analysis = analysis.with_integers_fixed(x)
        notes = list(analysis.notes)
    elif isinstance(backend, BackendResult) and backend.col_basis is None:
        notes.append(f"the solve with {backend.solver} gave no basis (interior point without crossover, PDLP or "
                     "a non-simplex solver): the LP was re-solved with the simplex method for this report")
    session = analysis.session(options, ranging=True)
    result = session.solve()
    if result.status is not SolveStatus.OPTIMAL or result.row_dual is None or result.x is None:
        hint = " (run diagnose_infeasibility / opt-model diagnose to see why)" \
            if result.status is SolveStatus.INFEASIBLE else ""
        raise SensitivityError(f"the LP ended {result.status.value}: there is no optimal basis to report on{hint}")
    return build_report(analysis, session, result, notes, one_sided=one_sided, max_one_sided=max_one_sided)


def build_report(analysis: AnalysisModel, session: Session, result: BackendResult, notes: list[str],
                 one_sided: bool = True, max_one_sided: int = 1000) -> SensitivityReport:
    """Assemble the report from a session holding an optimal solve."""
    assert result.x is not None and result.row_activity is not None and result.row_dual is not None
    assert result.reduced_cost is not None
    form = session.form
    ranging = session.ranging()
    basic = session.basic_variables()
    basis = session.basis()
    z = result.objective
    n = form.num_cols
    basic_col = np.zeros(n, dtype=bool)
    basic_col[basic[basic < n]] = True
    basic_row = np.zeros(form.num_rows, dtype=bool)
    basic_row[basic[basic >= n] - n] = True

    variables = _variable_table(analysis, result, ranging, basic_col)
    rhs, rhs_lower, rhs_upper, kinds = rhs_ranges(analysis, result.row_activity, ranging, basic_row)
    dual = result.row_dual
    with np.errstate(invalid="ignore"):
        obj_lower = _objective_at(z, dual, rhs_lower - rhs)
        obj_upper = _objective_at(z, dual, rhs_upper - rhs)
        scale = 1e-9 * (1.0 + np.abs(rhs))
        at_lower_end = np.isfinite(rhs) & (rhs - rhs_lower <= scale)
        at_upper_end = np.isfinite(rhs) & (rhs_upper - rhs <= scale)
    degenerate = at_lower_end | at_upper_end
    degeneracy = detect_degeneracy(form, result, basic)
    dual_left = dual.copy()
    dual_right = dual.copy()
    left_from = rhs_lower.copy()
    right_to = rhs_upper.copy()
    resolves = 0
    candidates = np.flatnonzero(degenerate)
    if one_sided and candidates.size:
        if candidates.size > max_one_sided:
            notes.append(f"{candidates.size} rows sit at an end of their rhs range; one-sided prices were computed "
                         f"for the first {max_one_sided} only (raise max_one_sided for more)")
            candidates = candidates[:max_one_sided]
        sides = one_sided_prices(session, candidates.tolist(), at_lower_end[candidates].tolist(),
                                 at_upper_end[candidates].tolist(), z, dual, result.row_activity, basis)
        dual_left, dual_right = sides.left, sides.right
        left_from = np.where(np.isnan(sides.left_from), left_from, sides.left_from)
        right_to = np.where(np.isnan(sides.right_to), right_to, sides.right_to)
        left_from[candidates[~at_lower_end[candidates]]] = rhs_lower[candidates[~at_lower_end[candidates]]]
        right_to[candidates[~at_upper_end[candidates]]] = rhs_upper[candidates[~at_upper_end[candidates]]]
        resolves = sides.resolves
        notes.extend(sides.notes)
    elif candidates.size:
        dual_left[candidates] = np.nan
        dual_right[candidates] = np.nan
        notes.append("one-sided shadow prices were not computed (one_sided=False)")
    with np.errstate(invalid="ignore"):
        differs = ~np.isclose(dual_left, dual_right, rtol=1e-7, atol=1e-9) & ~(np.isnan(dual_left)
                                                                                 & np.isnan(dual_right))
    activity = result.row_activity
    slack = np.abs(np.where(np.isfinite(rhs), rhs - activity, np.nan))
    binding = np.isfinite(rhs) & (slack <= 1e-9 * (1.0 + np.abs(rhs)))
    names = analysis.row_names()
    groups, labels, units, resource = _row_groups(analysis)
    constraints = pd.DataFrame({
        "name": names, "group": groups, "label": labels, "kind": kinds, "activity": activity, "slack": slack,
        "dual": dual, "rhs": rhs, "rhs_lower": rhs_lower, "rhs_upper": rhs_upper,
        "allowable_increase": rhs_upper - rhs, "allowable_decrease": rhs - rhs_lower,
        "objective_at_rhs_lower": obj_lower, "objective_at_rhs_upper": obj_upper,
        "dual_left": dual_left, "dual_right": dual_right, "dual_left_from": left_from, "dual_right_to": right_to,
        "degenerate": degenerate, "one_sided": differs,
        "binding": binding, "resource": resource, "unit": units}, columns=CONSTRAINT_COLUMNS)
    if differs.any():
        notes.append(f"{int(differs.sum())} constraints have one-sided shadow prices (degenerate optimum): "
                     "dual_left and dual_right differ")
    return SensitivityReport(
        objective=z, sense=form.sense.value, variables=variables, constraints=constraints, degeneracy=degeneracy,
        notes=notes, model_name=form.name, objective_unit=analysis.objective_unit, resolves=resolves,
        analysis=analysis)


def _objective_at(z: float, dual: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Objective at a range end: linear in the rhs inside the range; constant when the dual is 0."""
    flat = np.abs(dual) <= 1e-12
    with np.errstate(invalid="ignore"):
        value = z + dual * delta
    return np.where(flat & ~np.isnan(delta), z, value)


def rhs_ranges(analysis: AnalysisModel, activity: np.ndarray, ranging: Ranging, basic_row: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Right-hand side, its allowable range and the row kind of every row.

    Nonbasic rows take HiGHS's range of the active bound.  Basic rows (zero
    dual) can move their bound freely away from the activity: ``[activity,
    inf)`` for ``<=``, ``(-inf, activity]`` for ``>=``; a basic equality row
    (degenerate) has no room either way without a re-solve.
    """
    form = analysis.form
    kinds = analysis.row_kinds()
    rhs, _, move_upper = active_bounds(form, activity)
    lower = ranging.row_bound_down.value.copy()
    upper = ranging.row_bound_up.value.copy()
    upper_side = (kinds == LE) | ((kinds == RANGE) & move_upper)
    lower_side = (kinds == GE) | ((kinds == RANGE) & ~move_upper)
    lower = np.where(basic_row & upper_side, activity, lower)
    upper = np.where(basic_row & upper_side, np.inf, upper)
    lower = np.where(basic_row & lower_side, -np.inf, lower)
    upper = np.where(basic_row & lower_side, activity, upper)
    lower = np.where(basic_row & (kinds == EQ), rhs, lower)
    upper = np.where(basic_row & (kinds == EQ), rhs, upper)
    free = ~np.isfinite(rhs)
    lower[free] = -np.inf
    upper[free] = np.inf
    # Guard: a range always contains its right-hand side.
    lower = np.minimum(lower, np.where(free, lower, rhs))
    upper = np.maximum(upper, np.where(free, upper, rhs))
    return rhs, lower, upper, kinds


def _variable_table(analysis: AnalysisModel, result: BackendResult, ranging: Ranging,
                    basic_col: np.ndarray) -> pd.DataFrame:
    form = analysis.form
    cost_lower = np.minimum(ranging.cost_down.value, form.c)
    cost_upper = np.maximum(ranging.cost_up.value, form.c)
    groups = np.empty(form.num_cols, dtype=object)
    labels = np.empty(form.num_cols, dtype=object)
    for group in analysis.col_groups:
        groups[group.start:group.stop] = group.name
        labels[group.start:group.stop] = [group.label_text(k) for k in range(group.size)]
    return pd.DataFrame({
        "name": analysis.col_names(), "group": groups, "label": labels, "value": result.x,
        "reduced_cost": result.reduced_cost, "cost": form.c, "cost_lower": cost_lower, "cost_upper": cost_upper,
        "allowable_increase": cost_upper - form.c, "allowable_decrease": form.c - cost_lower,
        "objective_at_cost_lower": ranging.cost_down.objective, "objective_at_cost_upper": ranging.cost_up.objective,
        "lower": form.col_lower, "upper": form.col_upper, "basic": basic_col}, columns=VARIABLE_COLUMNS)


def _row_groups(analysis: AnalysisModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = analysis.form.num_rows
    groups = np.empty(m, dtype=object)
    labels = np.empty(m, dtype=object)
    units = np.empty(m, dtype=object)
    resource = np.zeros(m, dtype=bool)
    for group in analysis.row_groups:
        part = slice(group.start, group.stop)
        groups[part] = group.name
        labels[part] = [group.label_text(k) for k in range(group.size)]
        units[part] = group.unit
        resource[part] = group.is_resource
    return groups, labels, units, resource


def objective_sign(sense: Sense | str) -> float:
    """+1 when larger objective values are better (maximise), -1 otherwise."""
    return 1.0 if str(getattr(sense, "value", sense)) == Sense.MAXIMIZE.value else -1.0
