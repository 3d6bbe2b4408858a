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

import contextlib
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import ModelError, SensitivityError
from opt_model.formatting import Readable, format_number, json_ready, objective_unit_text
from opt_model.sensitivity.degeneracy import Degeneracy, active_bounds, detect_degeneracy, one_sided_prices
from opt_model.sensitivity.problem import EQ, GE, LE, RANGE, AnalysisModel, AnalysisSource
from opt_model.sensitivity.steps import (
    DEFAULT_STEP_TIME_LIMIT,
    GAP_TOLERANCE,
    LOWER,
    ROW,
    STEP_COLUMNS,
    UPPER,
    Limit,
    limit_names,
    named_units,
    step_effects,
)
from opt_model.sensitivity.table import Table, text_table
from solvers import BackendResult, Basis, Ranging, RangingRecord, Sense, Session, SolveStatus, StandardForm

if TYPE_CHECKING:
    import pandas as pd

VARIABLE_COLUMNS = ["name", "group", "label", "value", "reduced_cost", "cost", "cost_lower", "cost_upper",
                    "allowable_increase", "allowable_decrease", "objective_at_cost_lower",
                    "objective_at_cost_upper", "lower", "upper", "basic"]
CONSTRAINT_COLUMNS = ["name", "group", "label", "kind", "activity", "slack", "dual", "rhs", "rhs_lower",
                      "rhs_upper", "allowable_increase", "allowable_decrease", "objective_at_rhs_lower",
                      "objective_at_rhs_upper", "dual_left", "dual_right", "dual_left_from", "dual_right_to",
                      "degenerate", "one_sided",
                      "binding", "resource", "unit"]


BOUND_COLUMNS = ["name", "group", "label", "unit", "bound", "limit", "value", "active", "reduced_cost",
                 "limit_lower", "limit_upper", "objective_at_limit_lower", "objective_at_limit_upper"]

LP, MILP, QP, CONE = "LP", "MILP", "QP", "cone"
DUAL_LABELS = {LP: "shadow price", MILP: "fixed-integer LP dual", QP: "dual (QP, local rate)",
               CONE: "dual (cone program, local rate)"}
DEFAULT_MAX_STEPS = 20


class _Frame:
    """A table of the report: held as a :class:`Table` (what the CLI prints and writes, no pandas) and
    read as a DataFrame, built on first use and kept (so that changes to it show in the text too)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, report: Any, owner: type | None = None) -> Any:
        if report is None:
            return self
        value = report.__dict__[self.slot]
        if isinstance(value, Table):
            value = value.to_frame()
            report.__dict__[self.slot] = value
        return value

    def __set__(self, report: Any, value: Any) -> None:
        report.__dict__[self.slot] = value


class SensitivityReport(Readable):
    """Local sensitivity of an optimal solution.

    ``variables``, ``constraints`` and ``bounds`` are DataFrames with the columns in
    :data:`VARIABLE_COLUMNS`, :data:`CONSTRAINT_COLUMNS` and :data:`BOUND_COLUMNS`;
    :meth:`to_dict` gives the JSON layout of ``opt-model sensitivity --format json``.
    ``problem_class`` says what the numbers mean: for an ``"LP"`` the duals are shadow
    prices with their allowable ranges; for a ``"MILP"`` they are the duals of the LP
    with the integers fixed (:attr:`dual_label`), and ``steps`` holds the change of the
    optimal objective for one step up and down of each binding or near-binding limit,
    from MILP re-solves; for a ``"QP"`` or ``"cone"`` model the duals are the solver's
    local rates and no ranges exist.  ``stage`` names the objective the numbers belong
    to (for objectives by priority, the stage that was analysed).

    The tables are kept as numpy columns until a DataFrame is asked for: :meth:`to_text`
    and :meth:`to_dict` (what ``opt-model sensitivity`` prints) never import pandas.
    """

    variables = _Frame("Per variable: value, reduced cost, cost range (:data:`VARIABLE_COLUMNS`).")
    constraints = _Frame("Per row: activity, dual, rhs range, one-sided prices (:data:`CONSTRAINT_COLUMNS`).")
    bounds = _Frame("Per finite variable bound: reduced cost and range (:data:`BOUND_COLUMNS`).")
    steps = _Frame("MILP: the step re-solves (:data:`~opt_model.sensitivity.steps.STEP_COLUMNS`), else None.")
    skipped_limits = _Frame("MILP: binding or near-binding limits that were not re-solved (beyond ``max_steps``).")

    def __init__(self, objective: float, sense: str, variables: pd.DataFrame | Table,
                 constraints: pd.DataFrame | Table, degeneracy: Degeneracy, notes: list[str] | None = None,
                 model_name: str = "", objective_unit: str = "", resolves: int = 0,
                 analysis: AnalysisModel | None = None, bounds: pd.DataFrame | Table | None = None,
                 problem_class: str = LP, steps: pd.DataFrame | Table | None = None, step: float = 1.0,
                 stage: str = "", solver: str = "", skipped_limits: pd.DataFrame | Table | None = None,
                 solve_iterations: int = -1) -> None:
        self.objective = objective
        self.sense = sense
        self.variables = variables
        self.constraints = constraints
        self.degeneracy = degeneracy
        self.notes: list[str] = [] if notes is None else notes
        self.model_name = model_name
        self.objective_unit = objective_unit
        self.resolves = resolves
        self.analysis = analysis
        self.bounds = Table(None, BOUND_COLUMNS) if bounds is None else bounds
        self.problem_class = problem_class
        self.steps = steps
        self.step = step
        self.stage = stage
        self.solver = solver
        self.skipped_limits = skipped_limits
        self.solve_iterations = solve_iterations
        """Simplex iterations of the report's own solve: 0 when it started from the basis of the solve that
        produced the result (``result.sensitivity()``), -1 when not measured."""

    def __repr__(self) -> str:
        return (f"SensitivityReport(model_name={self.model_name!r}, problem_class={self.problem_class!r}, "
                f"objective={self.objective!r}, sense={self.sense!r}, variables={len(self.table('variables'))}, "
                f"constraints={len(self.table('constraints'))}, resolves={self.resolves})")

    def table(self, name: str) -> Table:
        """One table as numpy columns (``"variables"``, ``"constraints"``, ``"bounds"``, ``"steps"``), without
        pandas unless it was already read as a DataFrame; an empty table for a missing one (``steps`` of an LP)."""
        value = self.__dict__["_" + name]
        if value is None:
            return Table(None, STEP_COLUMNS if name == "steps" else [])
        if isinstance(value, Table):
            return value
        return Table.from_frame(value)

    @property
    def dual_label(self) -> str:
        return DUAL_LABELS.get(self.problem_class, "shadow price")

    @property
    def has_ranges(self) -> bool:
        return self.problem_class in (LP, MILP)

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

    def bound(self, name: str, which: str = "upper") -> pd.Series:
        """The row of one variable bound (``which`` is ``"upper"`` or ``"lower"``)."""
        rows = self.bounds[(self.bounds["name"] == name) & (self.bounds["bound"] == which)]
        if rows.empty:
            raise SensitivityError(f"no finite {which} bound of a variable named {name!r} in the report")
        return rows.iloc[0]

    def bottlenecks(self, **kwargs: Any) -> Any:
        """The bottleneck report (see :func:`opt_model.sensitivity.bottleneck_report`)."""
        from opt_model.sensitivity.bottleneck import bottleneck_report
        return bottleneck_report(self, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``objective``, ``variables``, ``constraints``, ``bounds``, ``steps`` (infinities as None)."""
        num = json_number
        table = self.table("variables")
        variables = [
            {"name": name, "value": num(value), "reduced_cost": num(reduced_cost), "cost": num(cost),
             "cost_lower": num(cost_lower), "cost_upper": num(cost_upper),
             "objective_at_cost_lower": num(at_lower), "objective_at_cost_upper": num(at_upper), "basic": bool(basic)}
            for name, value, reduced_cost, cost, cost_lower, cost_upper, at_lower, at_upper, basic in zip(
                *(table[column].tolist() for column in ("name", "value", "reduced_cost", "cost", "cost_lower",
                                                         "cost_upper", "objective_at_cost_lower",
                                                         "objective_at_cost_upper", "basic")), strict=True)]
        table = self.table("constraints")
        constraints = [
            {"name": r["name"], "group": r["group"], "kind": r["kind"], "activity": num(r["activity"]),
             "slack": num(r["slack"]), "dual": num(r["dual"]), "rhs": num(r["rhs"]), "rhs_lower": num(r["rhs_lower"]),
             "rhs_upper": num(r["rhs_upper"]), "objective_at_rhs_lower": num(r["objective_at_rhs_lower"]),
             "objective_at_rhs_upper": num(r["objective_at_rhs_upper"]), "dual_left": num(r["dual_left"]),
             "dual_right": num(r["dual_right"]), "dual_left_from": num(r["dual_left_from"]),
             "dual_right_to": num(r["dual_right_to"]), "degenerate": bool(r["degenerate"]),
             "one_sided": bool(r["one_sided"]),
             "binding": bool(r["binding"]), "resource": bool(r["resource"]), "unit": r["unit"]}
            for r in _row_dicts(table)]
        return {"model": self.model_name, "objective": num(self.objective), "sense": self.sense,
                "objective_unit": self.objective_unit, "stage": self.stage, "problem_class": self.problem_class,
                "dual_meaning": self.dual_label, "solver": self.solver, "notes": list(self.notes),
                "degeneracy": self.degeneracy.as_dict(), "variables": variables, "constraints": constraints,
                "bounds": _records(self.table("bounds")), "step": self.step,
                "steps": _records(self.table("steps")) if self.__dict__["_steps"] is not None else None}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self, max_rows: int = 200) -> str:
        """Excel-Solver-style text: variable cells, bounds, constraints (and MILP step re-solves)."""
        unit = objective_unit_text(self.objective_unit)
        title = f"Sensitivity report: {self.model_name or 'model'} ({self.problem_class}, {self.sense}"
        title += f" {self.stage})" if self.stage else ")"
        lines = [f"{title}, objective = {format_number(self.objective, 10)}" + (f" {unit}" if unit else "")]
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(f"note: {line}" for line in self.degeneracy.summary())
        per = f" ({unit} per unit)" if unit else ""
        all_variables, all_constraints = self.table("variables"), self.table("constraints")
        variables = all_variables.head(max_rows)
        lines += ["", "Variable cells", _table([
            ("Name", variables["name"]), ("Final value", variables["value"]),
            (f"Reduced cost{per}", variables["reduced_cost"]), ("Objective coef.", variables["cost"]),
            ("Allowable increase", variables["allowable_increase"]),
            ("Allowable decrease", variables["allowable_decrease"])])]
        bounds = self.table("bounds")
        if len(bounds):
            bounds = bounds.take(bounds["active"].astype(bool)).head(max_rows)
        if len(bounds):
            lines += ["", f"Active variable bounds (reduced cost = change of the objective{per} per unit of the "
                      "bound)", _table([
                          ("Name", bounds["name"]), ("Bound", bounds["bound"]), ("Limit", bounds["limit"]),
                          ("Unit", bounds["unit"]), (f"Reduced cost{per}", bounds["reduced_cost"]),
                          ("Limit from", bounds["limit_lower"]), ("Limit to", bounds["limit_upper"])])]
        constraints = all_constraints.head(max_rows)
        price = self.dual_label[0].upper() + self.dual_label[1:]
        table: list[tuple[str, Any]] = [
            ("Name", constraints["name"]), ("Final value", constraints["activity"]),
            (f"{price}{per}", constraints["dual"]), ("R.H. side", constraints["rhs"]),
            ("Allowable increase", constraints["allowable_increase"]),
            ("Allowable decrease", constraints["allowable_decrease"])]
        bought = self._bought(constraints, all_variables)
        if bought is not None:  # capacity shown as everywhere: base (R.H. side), bought, and the usage it allows
            table.insert(1, ("Usage", np.asarray(constraints["activity"], dtype=float) + bought))
            table.insert(5, ("Bought", bought))
        row_units = ["" if unit_name is None or (isinstance(unit_name, float) and math.isnan(unit_name))
                     else str(unit_name) for unit_name in constraints["unit"].tolist()]
        if any(row_units):  # the unit of each row's value, right-hand side and "per unit"
            table.append(("Unit", _objects([text or "-" for text in row_units])))
        if np.asarray(constraints["one_sided"], dtype=bool).any():
            table.append(("Price left", constraints["dual_left"]))
            table.append(("Price right", constraints["dual_right"]))
        lines += ["", "Constraints", _table(table)]
        steps = self.table("steps")
        if len(steps):
            lines += ["", f"MILP re-solves: optimal objective{' in ' + unit if unit else ''} after moving each "
                      f"binding or near-binding limit by {format_number(self.step)} of its unit",
                      _table(list(_step_columns(steps).items()))]
        hidden = max(len(all_variables), len(all_constraints)) - max_rows
        if hidden > 0:
            lines.append(f"... {hidden} more rows; use --format json or csv for all")
        return "\n".join(lines)

    @staticmethod
    def _bought(constraints: Table, variables: Table) -> np.ndarray | None:
        """Capacity bought per row of a resource with provisioning (its ``<resource>_provisioned`` values)."""
        names = [f"{group}_provisioned" + (f"[{label}]" if isinstance(label, str) and label else "")
                 for group, label in zip(constraints["group"].tolist(), constraints["label"].tolist(), strict=True)]
        provisioned = _provisioned_names(variables)
        if not any(name in provisioned for name in names):
            return None
        values = dict(zip(variables["name"].tolist(), np.asarray(variables["value"], dtype=float).tolist(),
                          strict=True))
        bought = np.array([values.get(name, np.nan) for name in names], dtype=float)  # NaN: not a resource row
        return bought if np.any(np.abs(np.nan_to_num(bought)) > 1e-9) else None

    def step_table(self) -> pd.DataFrame:
        """The MILP step re-solves as a table for people (what moved, +step, -step, status)."""
        import pandas as pd

        return pd.DataFrame(_step_columns(self.table("steps")))


def _provisioned_names(variables: Table) -> set[str]:
    return {name for name in variables["name"].tolist() if isinstance(name, str) and "_provisioned" in name}


def _step_columns(steps: Table) -> dict[str, Any]:
    return {
        "Limit": _objects([f"{what} of {name}" if what != "rhs" else name
                           for what, name in zip(steps["what"].tolist(), steps["name"].tolist(), strict=True)]),
        "Value": steps["limit"], "Unit": steps["unit"], "Change +step": steps["change_up"],
        "Change -step": steps["change_down"],
        "Status +/-": _objects([f"{up}/{down}" for up, down in zip(steps["status_up"].tolist(),
                                                                     steps["status_down"].tolist(), strict=True)]),
    }


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _row_dicts(table: Table) -> list[dict[str, Any]]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows()]


def _records(table: Table) -> list[dict[str, Any]]:
    return [{str(key): json_ready(value) for key, value in row.items()} for row in _row_dicts(table)]


def _table(columns: list[tuple[str, Any]]) -> str:
    return text_table(columns, _cell)


def _cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return format_number(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return "-" if value is None else str(value)


def json_number(value: Any) -> float | None:
    """A number for JSON: a finite float (0 for -0), or None for None, NaN and infinities."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return 0.0 if number == 0 else number


def sensitivity_report(source: AnalysisSource, *, one_sided: bool = True, max_one_sided: int = 1000,
                       options: dict[str, Any] | None = None, objective_unit: str = "", step: float = 1.0,
                       max_steps: int = DEFAULT_MAX_STEPS, step_time_limit: float = DEFAULT_STEP_TIME_LIMIT,
                       stage: int | str | None = None) -> SensitivityReport:
    """The local sensitivity report of an LP, a MILP, a QP or a cone program.

    ``source`` is a solved :class:`~opt_model.result.Result`, a Model, a
    StandardForm, an :class:`AnalysisModel` or a file path.

    - LP: solved with the simplex method in a :class:`~solvers.Session` that gives
      ranging (HiGHS, whatever solver produced the result; from the result's basis when
      it has one).  Cost and right-hand-side ranging, variable-bound ranging and reduced
      costs of active bounds; degenerate rows get one-sided shadow prices from warm
      re-solves (at most ``max_one_sided`` rows; ``one_sided=False`` skips them).  An LP
      whose matrix is empty gets its ranges from the reduced costs.
    - MILP: the report of the LP with the integers fixed (its duals labelled as such),
      plus ``steps``: for every binding or near-binding limit (slack below ``step``; at
      most ``max_steps``), the MILP re-solved with the limit moved by ``+step`` and
      ``-step`` (``step_time_limit`` seconds per re-solve; gaps reported).
    - QP and cone programs: the solver's duals in the project's convention
      (d objective / d rhs), no ranges (a note says so).

    ``stage`` picks the objective of a model with objectives by priority (number from 1
    or name; default the last stage, with earlier stages held at their optimum).

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
    from opt_model.sensitivity.stages import analysis_for_stage
    if not (math.isfinite(step) and step > 0):
        raise ModelError(f"step={step}: give a positive number of units")
    if max_steps < 0:
        raise ModelError(f"max_steps={max_steps}: give 0 or more")
    analysis, stage_name, stage_result = analysis_for_stage(source, stage, objective_unit)
    notes = list(analysis.notes)
    form = analysis.form
    backend = getattr(stage_result, "backend", None)
    if not isinstance(backend, BackendResult) or backend.x is None or backend.x.size != form.num_cols:
        backend = None
    if form.cones or (form.Q is not None and form.Q.nnz):
        report = _dual_report(analysis, backend, notes, options)
    elif form.is_mip:
        report = _milp_report(analysis, backend, notes, options, one_sided=one_sided, max_one_sided=max_one_sided,
                              step=step, max_steps=max_steps, step_time_limit=step_time_limit)
    else:
        report = _lp_report(analysis, backend, notes, options, one_sided=one_sided, max_one_sided=max_one_sided)
    report.stage = stage_name
    report.step = float(step)
    return report


def _lp_report(analysis: AnalysisModel, backend: BackendResult | None, notes: list[str],
               options: dict[str, Any] | None, *, one_sided: bool, max_one_sided: int) -> SensitivityReport:
    session = analysis.session(options, ranging=True)
    if backend is not None and backend.col_basis is not None and backend.row_basis is not None \
            and len(backend.col_basis) == analysis.form.num_cols and len(backend.row_basis) == analysis.form.num_rows:
        with contextlib.suppress(ValueError, RuntimeError):  # an unusable basis: the session solves cold
            session.set_basis_status(np.asarray(backend.col_basis), np.asarray(backend.row_basis))
    elif backend is not None:
        notes.append(f"the solve with {backend.solver} gave no basis (interior point without crossover, PDLP or "
                     "a non-simplex solver): the LP was re-solved with the simplex method for this report")
    result = session.solve()
    if result.status is SolveStatus.OPTIMAL and result.x is not None and result.row_dual is None \
            and analysis.form.num_rows == 0:
        result.row_dual = np.zeros(0)
        result.row_activity = np.zeros(0)
        result.reduced_cost = analysis.form.c.copy()
    if result.status is not SolveStatus.OPTIMAL or result.row_dual is None or result.x is None:
        hint = " (run diagnose_infeasibility / opt-model diagnose to see why)" \
            if result.status is SolveStatus.INFEASIBLE else ""
        error = SensitivityError(f"the LP ended {result.status.value}: there is no optimal basis to report on{hint}")
        error.status = result.status  # type: ignore[attr-defined]  # a solver outcome: the CLI exits 1
        raise error
    report = build_report(analysis, session, result, notes, one_sided=one_sided, max_one_sided=max_one_sided)
    report.solver = result.solver
    report.solve_iterations = int(result.iterations.get("simplex", -1))
    return report


def _milp_report(analysis: AnalysisModel, backend: BackendResult | None, notes: list[str],
                 options: dict[str, Any] | None, *, one_sided: bool, max_one_sided: int, step: float,
                 max_steps: int, step_time_limit: float) -> SensitivityReport:
    form = analysis.form
    if backend is None or backend.status not in (SolveStatus.OPTIMAL,):
        merged = {"time_limit": step_time_limit * 6, **(options or {})}
        mip = analysis.session(merged).solve()
        if mip.x is None:
            raise SensitivityError(f"the MILP has no solution (status {mip.status.value}); nothing to report")
        backend = mip
    x = np.asarray(backend.x)
    mip_objective = float(backend.objective)
    fixed = analysis.with_integers_fixed(x)
    report = _lp_report(fixed, None, [], options, one_sided=one_sided, max_one_sided=max_one_sided)
    report.analysis = analysis
    report.problem_class = MILP
    report.objective = mip_objective
    integer = np.asarray(form.integrality) != 0 if form.integrality is not None else np.zeros(form.num_cols, bool)
    report.bounds = report.bounds[~integer[report.bounds["column"].to_numpy(dtype=int)]] \
        if "column" in report.bounds and len(report.bounds) else report.bounds
    # among equally tight limits, those whose fixed-integer LP dual is largest are re-solved first
    weight = np.concatenate([np.abs(np.nan_to_num(report.variables["reduced_cost"].to_numpy(dtype=float))),
                             np.abs(np.nan_to_num(report.constraints["dual"].to_numpy(dtype=float)))])
    limits, left_out = milp_limits_skipped(analysis, x, step, max_steps, weight)
    skipped = len(left_out)
    import pandas as pd  # MILP step tables are DataFrames (step_effects)

    report.skipped_limits = pd.DataFrame.from_records(limit_names(analysis, left_out),
                                                      columns=["name", "what", "group", "label", "unit", "limit"])
    report.steps = step_effects(analysis, limits, mip_objective, step=step, options=options,
                                time_limit=step_time_limit, start=x)
    report.resolves += 2 * len(limits)
    gaps = report.steps[["gap_up", "gap_down"]].to_numpy(dtype=float)
    notes.append(f"the model has {int(integer.sum())} integer variables: the dual and range columns are those of "
                 "the LP with the integer variables fixed at their optimal values (fixed-integer LP duals), not "
                 "marginal values of the MILP; the MILP re-solves below give what one step of each binding or "
                 f"near-binding limit really changes ({len(limits)} limits, {2 * len(limits)} re-solves)")
    if skipped:
        notes.append(f"{skipped} more binding or near-binding limits were not re-solved (raise max_steps)")
    if np.isfinite(gaps).any() and (gaps[np.isfinite(gaps)] > GAP_TOLERANCE).any():
        notes.append(f"some MILP re-solves stopped above a {GAP_TOLERANCE:.0e} relative gap (time limit "
                     f"{format_number(step_time_limit)} s each): their changes are bounds, not proven values")
    report.notes = notes + [note for note in report.notes if "integer variables" not in note]
    report.degeneracy = report.degeneracy
    return report


def milp_limits(analysis: AnalysisModel, x: np.ndarray, step: float, max_steps: int) -> tuple[list[Limit], int]:
    """Binding or near-binding limits of a MILP solution ``x`` (slack below ``step``), in the order re-solved.

    Rows with a finite right-hand side, finite upper bounds of continuous and general
    integer columns, and nonzero lower bounds of those columns; binaries' 0/1 bounds are
    not limits anyone buys.  Limits the bottleneck report can name come first (the
    model's resources and variable bounds, then other inequality rows), balance rows
    (equalities) last; tightest first within each.  Returns the first ``max_steps`` and
    how many were left out (:func:`milp_limits_skipped` lists them).
    """
    chosen, skipped = milp_limits_skipped(analysis, x, step, max_steps)
    return chosen, len(skipped)


def milp_limits_skipped(analysis: AnalysisModel, x: np.ndarray, step: float, max_steps: int,
                        weight: np.ndarray | None = None) -> tuple[list[Limit], list[Limit]]:
    """:func:`milp_limits` with the limits left out (beyond ``max_steps``) as a list.

    ``weight`` (columns then rows, e.g. the fixed-integer LP's reduced costs and duals in
    absolute value) orders equally tight limits, largest first.
    """
    form = analysis.form
    activity = form.A @ x
    rhs, move_lower, move_upper = active_bounds(form, activity)
    with np.errstate(invalid="ignore"):
        row_slack = np.abs(rhs - activity)
    row_ok = np.isfinite(rhs) & (row_slack < step)
    integer = np.asarray(form.integrality) != 0 if form.integrality is not None else np.zeros(form.num_cols, bool)
    binary = integer & (form.col_lower >= 0) & (form.col_upper <= 1)
    up_slack = form.col_upper - x
    low_slack = x - form.col_lower
    up_ok = np.isfinite(form.col_upper) & ~binary & (up_slack < step) & (form.col_lower < form.col_upper)
    low_ok = np.isfinite(form.col_lower) & ~binary & (form.col_lower != 0) & (low_slack < step) \
        & (form.col_lower < form.col_upper)
    kinds = analysis.row_kinds()
    resource = np.zeros(form.num_rows, dtype=bool)
    for group in analysis.row_groups:
        resource[group.start:group.stop] = group.is_resource
    has_resources = bool(resource.any())
    candidates: list[tuple[int, float, Limit]] = []
    for row in np.flatnonzero(row_ok).tolist():
        side = "lower" if move_lower[row] and not move_upper[row] else "upper"
        rank = 2 if kinds[row] == EQ else 0 if (resource[row] or not has_resources) else 1
        candidates.append((rank, float(row_slack[row]), Limit(ROW, row, side)))
    candidates += [(0, float(up_slack[col]), Limit(UPPER, col)) for col in np.flatnonzero(up_ok).tolist()]
    candidates += [(0, float(low_slack[col]), Limit(LOWER, col)) for col in np.flatnonzero(low_ok).tolist()]
    n = form.num_cols
    weights = np.zeros(n + form.num_rows) if weight is None else np.asarray(weight, dtype=float)

    def order(item: tuple[int, float, Limit]) -> tuple[int, float, float]:
        rank, slack, limit = item
        position = n + limit.index if limit.kind == ROW else limit.index
        return rank, round(slack, 9), -float(weights[position])
    candidates.sort(key=order)
    limits = [limit for _, _, limit in candidates]
    return limits[:max_steps], limits[max_steps:]


def _dual_report(analysis: AnalysisModel, backend: BackendResult | None, notes: list[str],
                 options: dict[str, Any] | None) -> SensitivityReport:
    """QP and cone programs: the solver's duals, no ranges."""
    form = analysis.form
    if backend is None or backend.row_dual is None:
        from solvers import solve
        backend = solve(form, options=options)
    if backend.status is not SolveStatus.OPTIMAL or backend.x is None:
        raise SensitivityError(f"the model ended {backend.status.value}: there is no optimum to report on")
    kind = CONE if form.cones else QP
    x = np.asarray(backend.x)
    activity = backend.row_activity if backend.row_activity is not None else form.A @ x
    m, n = form.num_rows, form.num_cols
    dual = np.asarray(backend.row_dual, dtype=float) if backend.row_dual is not None else np.full(m, np.nan)
    reduced = np.asarray(backend.reduced_cost, dtype=float) if backend.reduced_cost is not None \
        else np.full(n, np.nan)
    what = "cone constraints" if form.cones else "a quadratic objective"
    notes.append(f"the model has {what}: there is no simplex basis, so the duals are {backend.solver}'s, in the "
                 "project's convention (change of the optimal objective per unit of a right-hand side, a local "
                 "rate); allowable ranges, one-sided prices and degeneracy are not defined")
    nan_n, nan_m = np.full(n, np.nan), np.full(m, np.nan)
    variables = _variable_frame(analysis, x, reduced, nan_n, nan_n, nan_n, nan_n, np.zeros(n, dtype=bool))
    kinds = analysis.row_kinds()
    rhs, _, _ = active_bounds(form, activity)
    constraints = _constraint_frame(analysis, kinds, activity, _zero_noise(dual, form), rhs, nan_m, nan_m,
                                    nan_m, nan_m, dual, dual, nan_m, nan_m, np.zeros(m, dtype=bool),
                                    np.zeros(m, dtype=bool))
    empty = np.zeros(0, dtype=np.int64)
    report = SensitivityReport(
        objective=float(backend.objective), sense=form.sense.value, variables=variables, constraints=constraints,
        degeneracy=Degeneracy(empty, empty, empty, empty), notes=notes, model_name=form.name,
        objective_unit=analysis.objective_unit, analysis=analysis, problem_class=kind, solver=backend.solver)
    report.bounds = _bound_frame(analysis, x, reduced, None, float(backend.objective))
    return report


def build_report(analysis: AnalysisModel, session: Session, result: BackendResult, notes: list[str],
                 one_sided: bool = True, max_one_sided: int = 1000) -> SensitivityReport:
    """Assemble the report from a session holding an optimal solve."""
    assert result.x is not None and result.row_activity is not None and result.row_dual is not None
    assert result.reduced_cost is not None
    form = session.form
    z = result.objective
    n = form.num_cols
    try:
        ranging = session.ranging()
        basic = session.basic_variables()
        basis: Basis | None = session.basis()
    except SensitivityError:
        if form.A.nnz and np.any(form.A.data != 0):
            raise
        ranging, basic = ranging_without_rows(form, result)
        basis = None
        notes.append("the constraint matrix is empty: ranges follow from the reduced costs (no simplex basis)")
    basic_col = np.zeros(n, dtype=bool)
    basic_col[basic[basic < n]] = True
    basic_row = np.zeros(form.num_rows, dtype=bool)
    basic_row[basic[basic >= n] - n] = True

    cost_lower = np.minimum(ranging.cost_down.value, form.c)
    cost_upper = np.maximum(ranging.cost_up.value, form.c)
    variables = _variable_frame(analysis, result.x, result.reduced_cost, cost_lower, cost_upper,
                                ranging.cost_down.objective, ranging.cost_up.objective, basic_col)
    rhs, rhs_lower, rhs_upper, kinds = rhs_ranges(analysis, result.row_activity, ranging, basic_row)
    dual = _zero_noise(result.row_dual, form)
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
    if one_sided and candidates.size and basis is not None:
        if candidates.size > max_one_sided:
            notes.append(f"{candidates.size} rows sit at an end of their rhs range; one-sided prices were computed "
                         f"for the first {max_one_sided} only (raise max_one_sided for more)")
            candidates = candidates[:max_one_sided]
        sides = one_sided_prices(session, candidates.tolist(), at_lower_end[candidates].tolist(),
                                 at_upper_end[candidates].tolist(), z, dual, result.row_activity, basis)
        dual_left, dual_right = _zero_noise(sides.left, form), _zero_noise(sides.right, form)
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
    constraints = _constraint_frame(analysis, kinds, result.row_activity, dual, rhs, rhs_lower, rhs_upper, obj_lower,
                                    obj_upper, dual_left, dual_right, left_from, right_to, degenerate, differs)
    if differs.any():
        count = int(differs.sum())
        notes.append(f"{count} constraint{' has' if count == 1 else 's have'} one-sided shadow prices (degenerate "
                     "optimum): the price for a decrease of the right-hand side differs from the price for an "
                     "increase (columns Price left and Price right; dual_left and dual_right in JSON and CSV)")
    report = SensitivityReport(
        objective=z, sense=form.sense.value, variables=variables, constraints=constraints, degeneracy=degeneracy,
        notes=notes, model_name=form.name, objective_unit=analysis.objective_unit, resolves=resolves,
        analysis=analysis)
    report.bounds = _bound_frame(analysis, result.x, result.reduced_cost, (ranging, basic_col), z)
    return report


def _zero_noise(values: np.ndarray, form: StandardForm) -> np.ndarray:
    """Duals below the solver's dual tolerance (relative to the largest cost) are 0, never -0 or 1e-13."""
    values = np.asarray(values, dtype=float)
    scale = 1e-9 * (1.0 + float(np.abs(form.c).max(initial=0.0)))
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(values) <= scale, 0.0, values)


def _constraint_frame(analysis: AnalysisModel, kinds: np.ndarray, activity: np.ndarray, dual: np.ndarray,
                      rhs: np.ndarray, rhs_lower: np.ndarray, rhs_upper: np.ndarray, obj_lower: np.ndarray,
                      obj_upper: np.ndarray, dual_left: np.ndarray, dual_right: np.ndarray, left_from: np.ndarray,
                      right_to: np.ndarray, degenerate: np.ndarray, one_sided: np.ndarray) -> Table:
    # an interior-point answer (QP, cone) meets its bounds only to the solver's tolerance
    tolerance = 1e-9 if analysis.form.Q is None and not analysis.form.cones else 1e-6
    with np.errstate(invalid="ignore"):
        slack = np.abs(np.where(np.isfinite(rhs), rhs - activity, np.nan))
        binding = np.isfinite(rhs) & (slack <= tolerance * (1.0 + np.abs(rhs)))
        slack = np.where(binding, 0.0, slack)
    groups, labels, units, resource = _row_groups(analysis)
    return Table({
        "name": analysis.row_names(), "group": groups, "label": labels, "kind": kinds, "activity": activity,
        "slack": slack, "dual": dual, "rhs": rhs, "rhs_lower": rhs_lower, "rhs_upper": rhs_upper,
        "allowable_increase": rhs_upper - rhs, "allowable_decrease": rhs - rhs_lower,
        "objective_at_rhs_lower": obj_lower, "objective_at_rhs_upper": obj_upper,
        "dual_left": dual_left, "dual_right": dual_right, "dual_left_from": left_from, "dual_right_to": right_to,
        "degenerate": degenerate, "one_sided": one_sided,
        "binding": binding, "resource": resource, "unit": units}, columns=CONSTRAINT_COLUMNS)


def ranging_without_rows(form: StandardForm, result: BackendResult) -> tuple[Ranging, np.ndarray]:
    """Ranging of an LP whose constraint matrix is empty, from the reduced costs alone.

    Each column is its own problem: one at an active bound keeps it while its
    reduced cost keeps its sign (the cost can move by the reduced cost towards 0 and
    freely the other way); a column strictly between its bounds has a zero reduced
    cost and no room (any cost change moves it to a bound or makes the LP
    unbounded); a fixed column has any cost.  An active bound can move freely away
    from the other bound and up to it; an inactive one down to the value.  Rows
    (all-zero) keep a zero dual and can move up to their activity 0.  These are
    JuMP's ``lp_sensitivity_report`` ranges for such models.

    Returns the :class:`~solvers.Ranging` and the basic positions (columns strictly
    between their bounds or free, rows whose bound is not met).
    """
    assert result.x is not None
    x, c = result.x, form.c
    n, m = form.num_cols, form.num_rows
    lower, upper = form.col_lower, form.col_upper
    d = result.reduced_cost if result.reduced_cost is not None else c.copy()
    sign = objective_sign(form.sense)  # +1 maximise
    d_min = -sign * d  # reduced cost of the equivalent minimisation
    tol = 1e-9 * (1.0 + np.abs(x))
    fixed = lower == upper
    at_lower = np.isfinite(lower) & (np.abs(x - lower) <= tol) & ~fixed
    at_upper = np.isfinite(upper) & (np.abs(x - upper) <= tol) & ~fixed & ~at_lower
    between = ~fixed & ~at_lower & ~at_upper
    # allowable changes of the minimisation cost
    down_min = np.where(at_lower, np.maximum(d_min, 0.0), np.where(at_upper, np.inf, 0.0))
    up_min = np.where(at_upper, np.maximum(-d_min, 0.0), np.where(at_lower, np.inf, 0.0))
    down_min = np.where(fixed, np.inf, down_min)
    up_min = np.where(fixed, np.inf, up_min)
    decrease, increase = (up_min, down_min) if sign > 0 else (down_min, up_min)
    z = float(result.objective)
    with np.errstate(invalid="ignore"):
        cost_down = RangingRecord(c - decrease, z - decrease * x, np.full(n, -1), np.full(n, -1))
        cost_up = RangingRecord(c + increase, z + increase * x, np.full(n, -1), np.full(n, -1))
    # bounds: the active one moves with the column (to the other bound), an inactive one down to the value
    bound_low = np.where(at_upper, lower, np.where(at_lower, -np.inf, x))
    bound_up = np.where(at_lower, upper, np.where(at_upper, np.inf, x))
    col_down = RangingRecord(bound_low, np.full(n, np.nan), np.full(n, -1), np.full(n, -1))
    col_up = RangingRecord(bound_up, np.full(n, np.nan), np.full(n, -1), np.full(n, -1))
    activity = np.zeros(m)
    row_down = RangingRecord(activity.copy(), np.full(m, z), np.full(m, -1), np.full(m, -1))
    row_up = RangingRecord(activity.copy(), np.full(m, z), np.full(m, -1), np.full(m, -1))
    basic = np.concatenate([np.flatnonzero(between), n + np.arange(m)]).astype(np.int64)
    return Ranging(cost_down, cost_up, col_down, col_up, row_down, row_up), basic


def _bound_frame(analysis: AnalysisModel, x: np.ndarray, reduced: np.ndarray,
                 ranged: tuple[Ranging, np.ndarray] | None, z: float) -> Table:
    """One row per finite upper bound and per nonzero finite lower bound of a column.

    ``reduced_cost`` is the change of the optimal objective per unit of the bound when
    the bound is active (0 when not); ``limit_lower`` / ``limit_upper`` the range of the
    bound over which that rate holds (from the simplex ranging; an inactive bound can
    move down to / up to the value with no effect).
    """
    form = analysis.form
    lower, upper = form.col_lower, form.col_upper
    fixed = lower == upper
    tol = 1e-9 * (1.0 + np.abs(x))
    has_upper = np.isfinite(upper)
    has_lower = np.isfinite(lower) & (lower != 0)
    at_upper = has_upper & (np.abs(upper - x) <= tol)
    at_lower = has_lower & (np.abs(x - lower) <= tol)
    rc = _zero_noise(np.nan_to_num(reduced, nan=0.0), form) if reduced is not None else np.zeros(form.num_cols)
    frames = []
    units = named_units(analysis)
    names = np.asarray(analysis.col_names(), dtype=object)
    groups = np.empty(form.num_cols, dtype=object)
    labels = np.empty(form.num_cols, dtype=object)
    for group in analysis.col_groups:
        groups[group.start:group.stop] = group.name
        labels[group.start:group.stop] = [group.label_text(k) for k in range(group.size)]
    for which, present, active, limit in (("upper", has_upper, at_upper, upper), ("lower", has_lower, at_lower, lower)):
        cols = np.flatnonzero(present)
        if not cols.size:
            continue
        act = active[cols]
        # an active bound of a column at both bounds (fixed) carries the whole reduced cost on one side only
        if which == "lower":
            act = act & ~(fixed[cols] & at_upper[cols])
        rate = np.where(act, rc[cols], 0.0)
        if ranged is not None:
            ranging, basic_col = ranged
            nonbasic_active = act & ~basic_col[cols]
            low = np.where(nonbasic_active, ranging.col_bound_down.value[cols], np.nan)
            up = np.where(nonbasic_active, ranging.col_bound_up.value[cols], np.nan)
            # the range of an active bound always contains the bound
            low = np.where(nonbasic_active, np.minimum(low, limit[cols]), low)
            up = np.where(nonbasic_active, np.maximum(up, limit[cols]), up)
        else:
            low = up = np.full(cols.size, np.nan)
        inactive = ~act
        value = x[cols]
        low = np.where(inactive & (which == "upper"), value, low)
        up = np.where(inactive & (which == "upper"), np.inf, up)
        low = np.where(inactive & (which == "lower"), -np.inf, low)
        up = np.where(inactive & (which == "lower"), value, up)
        with np.errstate(invalid="ignore"):
            obj_low = np.where(rate == 0, z, z + rate * (low - limit[cols]))
            obj_up = np.where(rate == 0, z, z + rate * (up - limit[cols]))
        frames.append({
            "name": names[cols], "group": groups[cols], "label": labels[cols],
            "unit": _objects([units.get(str(g), "") for g in groups[cols]]),
            "bound": _objects([which] * cols.size), "limit": limit[cols],
            "value": value, "active": act, "reduced_cost": rate, "limit_lower": low, "limit_upper": up,
            "objective_at_limit_lower": obj_low, "objective_at_limit_upper": obj_up, "column": cols})
    if not frames:
        return Table(None, [*BOUND_COLUMNS, "column"])
    return Table({name: np.concatenate([frame[name] for frame in frames]) for name in frames[0]},
                 [*BOUND_COLUMNS, "column"])


def _variable_frame(analysis: AnalysisModel, x: np.ndarray, reduced: np.ndarray, cost_lower: np.ndarray,
                    cost_upper: np.ndarray, obj_lower: np.ndarray, obj_upper: np.ndarray,
                    basic_col: np.ndarray) -> Table:
    form = analysis.form
    groups = np.empty(form.num_cols, dtype=object)
    labels = np.empty(form.num_cols, dtype=object)
    for group in analysis.col_groups:
        groups[group.start:group.stop] = group.name
        labels[group.start:group.stop] = [group.label_text(k) for k in range(group.size)]
    return Table({
        "name": analysis.col_names(), "group": groups, "label": labels, "value": x,
        "reduced_cost": _zero_noise(reduced, form), "cost": form.c, "cost_lower": cost_lower,
        "cost_upper": cost_upper, "allowable_increase": cost_upper - form.c, "allowable_decrease": form.c - cost_lower,
        "objective_at_cost_lower": obj_lower, "objective_at_cost_upper": obj_upper,
        "lower": form.col_lower, "upper": form.col_upper, "basic": basic_col}, columns=VARIABLE_COLUMNS)


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


def _row_groups(analysis: AnalysisModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = analysis.form.num_rows
    groups = np.empty(m, dtype=object)
    labels = np.empty(m, dtype=object)
    units = np.empty(m, dtype=object)
    resource = np.zeros(m, dtype=bool)
    given = named_units(analysis)  # units the spec gave constraints (flow conservation, ...)
    for group in analysis.row_groups:
        part = slice(group.start, group.stop)
        groups[part] = group.name
        labels[part] = [group.label_text(k) for k in range(group.size)]
        units[part] = group.unit or given.get(group.name, "")
        resource[part] = group.is_resource
    return groups, labels, units, resource


def objective_sign(sense: Sense | str) -> float:
    """+1 when larger objective values are better (maximise), -1 otherwise."""
    return 1.0 if str(getattr(sense, "value", sense)) == Sense.MAXIMIZE.value else -1.0
