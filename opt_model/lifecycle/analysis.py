"""Phase 2, analysis: bottlenecks, shadow prices, allowable ranges, degeneracy; or why it is infeasible.

An optimal LP (or a MILP with its integer decisions fixed) gets the local
sensitivity report and the bottleneck ranking of
:mod:`opt_model.sensitivity`.  A cone program has no simplex basis: its shadow
prices are the conic solver's duals and no ranges are given.  An infeasible
model gets its irreducible infeasible subset and the smallest relaxation that
makes it feasible; the relaxation is applied to a copy of the model
(:mod:`opt_model.lifecycle.repair`) and the remaining phases run on that copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import SensitivityError
from opt_model.lifecycle.baseline import Baseline, store_monitor_baseline
from opt_model.lifecycle.context import Context
from opt_model.lifecycle.repair import AppliedChange, apply_relaxation
from opt_model.model import Model
from opt_model.result import Result
from opt_model.sensitivity.problem import LE

RESOURCE_COLUMNS = ["name", "resource", "label", "unit", "usage", "capacity", "utilisation_pct", "shadow_price",
                    "dual_left", "dual_right", "rhs_lower", "rhs_upper", "gain_per_unit", "headroom", "binding",
                    "degenerate", "bought"]
INFEASIBLE = ("infeasible", "infeasible_or_unbounded")


@dataclass
class Analysis:
    """The outcome of the analysis phase.

    ``table`` has one row per resource label (or per binding constraint when
    the model declares no resources): usage, capacity, shadow price (one-sided
    prices where the optimum is degenerate), the allowable range of the
    capacity, the gain of one more unit and how far it holds.  ``repair``
    lists the changes applied to an infeasible model; ``model`` and
    ``result`` are what later phases use (the repaired copy when repaired).
    """

    status: str
    feasible: bool
    table: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scope: str = "resources"
    stage: str = ""
    """Objectives by priority: the stage analysed (``"stage 2 of 2: energy in kWh, earlier stages held"``)."""
    objective_unit: str = ""
    """The unit of the analysed objective (that stage's)."""
    infeasibility: Any = None
    repair: list[AppliedChange] = field(default_factory=list)
    repaired_objective: float | None = None
    sensitivity: Any = field(default=None, repr=False)
    bottlenecks: Any = field(default=None, repr=False)
    model: Model | None = field(default=None, repr=False)
    result: Result | None = field(default=None, repr=False)

    @property
    def repaired(self) -> bool:
        return bool(self.repair)

    @property
    def binding(self) -> pd.DataFrame:
        """Rows of :attr:`table` that are binding."""
        return self.table[self.table["binding"].astype(bool)] if len(self.table) else self.table

    def repair_text(self) -> str:
        return "; ".join(change.describe() for change in self.repair)

    def to_dict(self) -> dict[str, Any]:
        records = [{key: _json_value(value) for key, value in row.items()}
                   for row in self.table.to_dict(orient="records")]
        return {
            "status": self.status, "feasible": self.feasible, "scope": self.scope, "stage": self.stage,
            "objective_unit": self.objective_unit, "messages": self.messages,
            "notes": self.notes, "table": records,
            "infeasibility": self.infeasibility.to_dict() if self.infeasibility is not None else None,
            "repair": [change.to_dict() for change in self.repair], "repaired_objective": self.repaired_objective,
            "sensitivity": self.sensitivity.to_dict() if self.sensitivity is not None else None,
            "bottlenecks": self.bottlenecks.to_dict() if self.bottlenecks is not None else None,
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=RESOURCE_COLUMNS)


def sensitivity_table(report: Any, bottlenecks: Any, result: Result) -> pd.DataFrame:
    """One row per resource label (or per binding constraint) and per binding variable bound.

    For a resource, usage and capacity are those of
    :meth:`~opt_model.result.Result.resource_table` (capacity including any
    provisioned amount), in the resource's unit; for a constraint, its activity
    and right-hand side; for a variable bound, the value and the bound.
    ``utilisation_pct`` is 100 x usage / capacity.  For a MILP, ``gain_per_unit`` is
    the objective gain of one relaxing step from a MILP re-solve (``shadow_price``
    is the fixed-integer LP dual).
    """
    table = bottlenecks.table
    rows_only = table[table["what"] == "rhs"]
    if bottlenecks.scope.startswith("all constraints"):
        rows_only = rows_only[rows_only["binding"]]
    bounds = table[(table["what"] != "rhs") & table["binding"] & (table["gain_per_unit"] > 0)]
    constraints = report.constraints.set_index("name")
    resources = result.resource_table() if bottlenecks.scope.startswith("resources") else pd.DataFrame()
    amounts = {(str(r["resource"]), str(r["label"])): (float(r["usage"]), float(r["capacity"]))
               for r in resources.to_dict(orient="records")}
    bought = {(str(r["resource"]), str(r["label"])): float(r.get("bought", 0.0))
              for r in resources.to_dict(orient="records")}  # capacity = base + bought (one display everywhere)
    rows = []
    for row in rows_only.to_dict(orient="records"):
        detail = constraints.loc[row["name"]]
        usage, capacity = amounts.get((str(row["group"]), str(row["label"])),
                                      (float(row["activity"]), float(row["capacity"])))
        utilisation = 100.0 * usage / capacity if capacity != 0.0 and math.isfinite(capacity) else math.nan
        if not bottlenecks.scope.startswith("resources") and row["kind"] != LE:
            utilisation = math.nan  # a requirement (>=): "use" of it means nothing
        rows.append({"name": row["name"], "resource": row["group"], "label": row["label"], "unit": row["unit"],
                     "usage": usage, "capacity": capacity, "utilisation_pct": utilisation,
                     "shadow_price": float(row["dual"]), "dual_left": float(detail["dual_left"]),
                     "dual_right": float(detail["dual_right"]), "rhs_lower": float(detail["rhs_lower"]),
                     "rhs_upper": float(detail["rhs_upper"]), "gain_per_unit": float(row["gain_per_unit"]),
                     "headroom": float(row["headroom"]), "binding": bool(row["binding"]),
                     "degenerate": bool(detail["one_sided"]),
                     "bought": bought.get((str(row["group"]), str(row["label"])), 0.0)})
    for row in bounds.to_dict(orient="records"):
        value, limit = float(row["activity"]), float(row["capacity"])
        rows.append({"name": f"{row['what']} of {row['name']}", "resource": row["group"], "label": row["label"],
                     "unit": row["unit"], "usage": value, "capacity": limit,
                     "utilisation_pct": 100.0 * value / limit if limit > 0 and math.isfinite(limit) else math.nan,
                     "shadow_price": float(row["dual"]), "dual_left": math.nan, "dual_right": math.nan,
                     "rhs_lower": math.nan, "rhs_upper": math.nan, "gain_per_unit": float(row["gain_per_unit"]),
                     "headroom": float(row["headroom"]), "binding": True, "degenerate": False, "bought": 0.0})
    return pd.DataFrame(rows, columns=RESOURCE_COLUMNS) if rows else _empty_table()


def dual_table(result: Result) -> pd.DataFrame:
    """Resource rows from the solver's own duals (cone programs and QPs: no basis, no ranges)."""
    table = result.resource_table()
    rows = []
    for record in table.to_dict(orient="records"):
        label = f"{record['resource']}[{record['label']}]" if record["label"] else str(record["resource"])
        usage, capacity = float(record["usage"]), float(record["capacity"])
        binding = math.isfinite(capacity) and usage >= capacity - 1e-6 * max(1.0, abs(capacity))
        price = float(record["shadow_price"])
        rows.append({"name": label, "resource": record["resource"], "label": record["label"], "unit": record["unit"],
                     "usage": usage, "capacity": capacity, "utilisation_pct": float(record["utilisation_pct"]),
                     "shadow_price": price, "dual_left": math.nan, "dual_right": math.nan, "rhs_lower": math.nan,
                     "rhs_upper": math.nan, "gain_per_unit": abs(price) if math.isfinite(price) else math.nan,
                     "headroom": math.nan, "binding": bool(binding), "degenerate": False,
                     "bought": float(record.get("bought", 0.0))})
    frame = pd.DataFrame(rows, columns=RESOURCE_COLUMNS) if rows else _empty_table()
    return frame.sort_values(["binding", "gain_per_unit"], ascending=[False, False], kind="stable") \
        .reset_index(drop=True) if len(frame) else frame


def _messages_from_duals(table: pd.DataFrame, sense: str, unit: str) -> list[str]:
    verb = "saves" if sense == "minimize" else "adds"
    lines = []
    for row in table[table["binding"]].head(10).to_dict(orient="records"):
        gain = row["gain_per_unit"]
        if not math.isfinite(gain) or gain <= 1e-12:
            continue
        where = f"{row['resource']} on {row['label']}" if row["label"] else row["resource"]
        lines.append(f"{where} is binding: +1 {row['unit']} {verb} {gain:.4g}{' ' + unit if unit else ''} "
                     "(the solver's dual; no range without a simplex basis)")
    return lines


def _analyse_optimal(analysis: Analysis, result: Result, unit: str, stage: int | str | None = None) -> None:
    """The sensitivity report and bottlenecks of ``opt-model sensitivity --bottlenecks``, for every model class."""
    from opt_model.sensitivity.bottleneck import bottleneck_report
    from opt_model.sensitivity.report import sensitivity_report

    form = result.compiled.form
    if result.model.objectives.lexicographic:
        unit = ""  # each stage has its own objective unit: the report takes the analysed stage's
    analysis.objective_unit = unit
    try:
        report = sensitivity_report(result, objective_unit=unit, stage=stage)
    except SensitivityError as error:
        if not (form.cones or (form.Q is not None and form.Q.nnz)):
            raise
        analysis.table = dual_table(result) if result.backend.row_dual is not None else _empty_table()
        analysis.messages = _messages_from_duals(analysis.table, form.sense.value, unit)
        analysis.notes.append(f"the sensitivity report failed ({error}): the table shows the solver's duals")
        return
    report.objective_unit = unit or report.objective_unit
    bottlenecks = bottleneck_report(report, objective_unit=report.objective_unit)
    analysis.sensitivity, analysis.bottlenecks = report, bottlenecks
    analysis.stage, analysis.objective_unit = report.stage, report.objective_unit
    analysis.scope = bottlenecks.scope
    analysis.table = sensitivity_table(report, bottlenecks, result)
    analysis.messages = bottlenecks.messages()
    analysis.notes.extend(report.notes)
    analysis.notes.extend(report.degeneracy.summary())
    analysis.notes.extend(bottlenecks.notes)
    if bottlenecks.scope.startswith("all constraints"):
        analysis.notes.append("the model declares no resources: the table lists its binding constraints and "
                              "variable bounds")


def run_analysis(ctx: Context, baseline: Baseline) -> Analysis:
    """Bottlenecks of an optimal model; IIS, smallest relaxation and repair of an infeasible one."""
    model = ctx.source.model
    result = baseline.result
    assert result is not None
    unit = baseline.objective_unit
    ctx.progress.start(2, "analysis", "bottlenecks and shadow prices" if result.has_solution
                       else f"the model is {baseline.status}: diagnose it")
    analysis = Analysis(baseline.status, result.has_solution, _empty_table(), model=model, result=result)
    if result.has_solution:
        if not baseline.optimal:
            analysis.notes.append(f"the solve ended {baseline.status} with a solution: the analysis uses it, but "
                                  "it is not proven optimal")
        _analyse_optimal(analysis, result, unit, ctx.settings.stage)
        binding = len(analysis.binding)
        ctx.progress.done(analysis.messages[0] if analysis.messages else
                          f"{binding} binding limit(s), none with a nonzero shadow price" if binding else
                          "no binding limit")
        return analysis
    if baseline.status not in INFEASIBLE:
        analysis.notes.append(f"the solve ended {baseline.status} without a solution: there is nothing to analyse; "
                              "the later phases are skipped")
        ctx.progress.done(f"nothing to analyse ({baseline.status})")
        return analysis
    _diagnose_and_repair(ctx, analysis, model, unit)
    ctx.progress.done(f"repaired: {analysis.repair_text()}" if analysis.repaired
                      else "no relaxation makes the model feasible")
    return analysis


def _diagnose_and_repair(ctx: Context, analysis: Analysis, model: Model, unit: str) -> None:
    from opt_model.sensitivity.infeasibility import diagnose_infeasibility

    try:
        diagnosis = diagnose_infeasibility(model)
    except (SensitivityError, ValueError) as error:
        analysis.notes.append(f"the infeasibility cannot be diagnosed: {error}")
        return
    analysis.infeasibility = diagnosis
    analysis.messages = diagnosis.messages()
    fix = diagnosis.relaxation
    if fix is None or not fix.changes:
        analysis.notes.append("no relaxation of the model's capacities makes it feasible: the later phases are "
                              "skipped")
        return
    repaired, applied = apply_relaxation(model, fix.changes)
    result = repaired.solve(options=ctx.solve_options())
    if not result.status.is_optimal:  # the relaxation sits on the boundary: give it a hair more room
        margin = [_with_margin(change) for change in fix.changes]
        repaired, applied = apply_relaxation(model, margin)
        result = repaired.solve(options=ctx.solve_options())
    if not result.status.is_optimal:
        analysis.notes.append(f"the repaired model ended {result.status.value}: the later phases are skipped")
        return
    analysis.repair = applied
    analysis.model, analysis.result = repaired, result
    analysis.feasible = True
    analysis.repaired_objective = result.objective  # None unless the repaired model solved to optimality
    analysis.notes.append("the remaining phases run on the repaired model (the spec itself is unchanged: apply "
                          f"the repair to it: {analysis.repair_text()})")
    try:
        _analyse_optimal(analysis, result, unit, ctx.settings.stage)
    except SensitivityError as error:
        analysis.notes.append(f"the repaired model's sensitivity report failed: {error}")
    if store_monitor_baseline(ctx, repaired):
        analysis.notes.append("the monitoring baseline is the repaired model's solve: 'opt-model monitor' on the "
                              "unchanged spec reports it infeasible until the repair is applied")


def _with_margin(change: Any) -> Any:
    import dataclasses

    return dataclasses.replace(change, amount=float(change.amount) * (1 + 1e-6) + 1e-9)
