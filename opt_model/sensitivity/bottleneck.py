"""Bottlenecks in resource terms: which limit is worth raising, by how much, and how far.

From a :class:`~opt_model.sensitivity.report.SensitivityReport`: every binding
limit, ranked by the objective gain of one more unit (its one-sided rate in the
direction that relaxes it) and by the gain over the range where that rate holds.
Limits are the model's resources (or every inequality constraint when it declares
none) and the active bounds of its variables (lane capacities, per-item limits).
Balance rows (equalities such as flow conservation or "assign exactly once", whose
right-hand sides must move together) are not limits one buys: they are listed as
prices (potentials) in :attr:`BottleneckReport.prices`.

Every sentence is true for the whole step it names: where the rate holds for less
than one step the model is re-solved with the whole step ("1.36 USD per kWh for the
first 0.0076 kWh; +1 kWh saves 0.83 USD"); for a MILP the sentences come from MILP
re-solves, for QP and cone programs from the solver's dual and a re-solve.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.formatting import Readable, format_number, objective_unit_text
from opt_model.sensitivity.problem import EQ, GE, LE, RANGE, AnalysisSource
from opt_model.sensitivity.report import MILP, SensitivityReport, json_number, sensitivity_report
from opt_model.sensitivity.steps import LOWER, ROW, UPPER, Limit, effect_phrase, step_effects

TABLE_COLUMNS = ["name", "group", "label", "unit", "kind", "what", "activity", "capacity", "utilisation", "dual",
                 "direction", "gain_per_unit", "headroom", "gain_over_range", "binding", "step", "step_change",
                 "step_status", "tighten_change", "tighten_status"]
PRICE_COLUMNS = ["name", "group", "label", "unit", "activity", "rhs", "dual"]
DEFAULT_SENTENCES = 10


@dataclass
class BottleneckReport(Readable):
    """Limits ranked by what relaxing them is worth.

    ``table`` has one row per limit (binding first, best gain first): ``what`` is
    ``"rhs"`` for a constraint or resource, ``"upper bound"`` / ``"lower bound"`` for a
    variable bound; ``gain_per_unit`` the rate in the relaxing ``direction``,
    ``headroom`` how far it holds; ``step_change`` the objective change of one whole
    relaxing step (re-solved where the rate does not hold for the whole step, and for
    MILPs), ``tighten_change`` of one tightening step (MILPs).  ``by_range`` ranks the
    same rows by the gain over the range; ``groups`` summarises binding limits by name;
    ``prices`` lists balance rows (equalities) with their price.
    """

    table: pd.DataFrame
    by_range: pd.DataFrame
    groups: pd.DataFrame
    sense: str
    objective_unit: str = ""
    scope: str = "resources"
    prices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PRICE_COLUMNS))
    problem_class: str = "LP"
    stage: str = ""
    notes: list[str] = field(default_factory=list)
    unchecked: int = 0
    """MILP: binding or near-binding limits in scope that were not re-solved (beyond ``max_steps``)."""

    @property
    def bottlenecks(self) -> pd.DataFrame:
        """Binding limits whose relaxation improves the objective, best first."""
        table = self.table
        gain = table["gain_per_unit"].to_numpy(dtype=float)
        matters = gain > 0
        if self.problem_class == MILP:  # also limits whose tightening costs though relaxing gains nothing
            better = 1.0 if self.sense == "maximize" else -1.0
            with np.errstate(invalid="ignore"):
                matters |= -better * table["tighten_change"].to_numpy(dtype=float) > 1e-9
        return table[table["binding"].to_numpy(dtype=bool) & matters]

    def messages(self, top: int = DEFAULT_SENTENCES) -> list[str]:
        """One sentence per bottleneck, e.g. "memory on h2 is binding: +1 GiB saves 3.2 USD, up to +12 GiB"."""
        records: list[dict[Any, Any]] = self.bottlenecks.head(top).to_dict("records")
        return [self._sentence(row) for row in records]

    def _sentence(self, row: dict[str, Any]) -> str:
        unit = objective_unit_text(self.objective_unit)
        what = _describe(row)
        limit_unit = f" {row['unit']}" if row["unit"] else ""
        sign = "+" if row["direction"] > 0 else "-"
        step = float(row["step"])
        step_text = f"{sign}{format_number(step, 4)}{limit_unit}"
        rate = float(row["gain_per_unit"]) * (1.0 if self.sense == "maximize" else -1.0)  # per unit relaxed
        if self.problem_class == MILP:
            relaxed = effect_phrase(row["step_change"], self.sense, unit, row["step_status"])
            text = f"{what} is binding: {step_text} {relaxed}"
            tighten = "-" if sign == "+" else "+"
            text += f"; {tighten}{format_number(step, 4)}{limit_unit} " \
                f"{effect_phrase(row['tighten_change'], self.sense, unit, row['tighten_status'])} (MILP re-solves)"
            return text
        headroom = float(row["headroom"])
        per = f"per{limit_unit}" if limit_unit else "per unit"
        rate_text = " ".join(part for part in (format_number(abs(float(row["gain_per_unit"])), 4), unit, per) if part)
        if self.problem_class in ("QP", "cone"):
            text = f"{what} is binding: {rate_text} at the optimum (local rate, no range)"
            if math.isfinite(float(row["step_change"])) or row["step_status"]:
                text += f"; {step_text} {effect_phrase(row['step_change'], self.sense, unit, row['step_status'])}" \
                        " (re-solved)"
            return text
        if math.isfinite(headroom) and headroom >= step * (1 - 1e-9):
            change = rate * step
            return f"{what} is binding: {step_text} {effect_phrase(change, self.sense, unit)}, " \
                f"up to {sign}{format_number(headroom, 4)}{limit_unit}"
        if np.isinf(headroom):
            change = rate * step
            return f"{what} is binding: {step_text} {effect_phrase(change, self.sense, unit)}, with no limit in " \
                "this basis"
        effect = effect_phrase(row["step_change"], self.sense, unit, row["step_status"])
        if not math.isfinite(headroom):  # degenerate: the dual need not hold for any move; only the re-solve tells
            return f"{what} is binding: {step_text} {effect} (re-solved; degenerate optimum, so no rate is stated)"
        return f"{what} is binding: {rate_text} for the first {format_number(headroom, 4)}{limit_unit}; " \
            f"{step_text} {effect} (re-solved)"

    def none_text(self) -> str:
        """The sentence printed when no limit is a bottleneck (saying what was not checked, for MILPs)."""
        if self.unchecked:
            return f"none among the limits re-solved; {self.unchecked} more binding or near-binding limit(s) in " \
                "scope were not re-solved, so they may matter (raise max_steps / --max-steps)"
        return "none: no binding limit changes the objective"

    def claims(self, top: int = DEFAULT_SENTENCES) -> list[dict[str, Any]]:
        """What each sentence of :meth:`messages` states, as numbers a re-solve can check.

        Per sentence: the limit (``what``, ``name``, ``kind`` of the row, relaxing
        ``direction``), the ``step`` it speaks of and ``change``, the change of the
        optimal objective for that whole relaxing step; for MILPs ``tighten_change``,
        the change for one step the other way; where a rate is stated, ``rate`` (the
        change of the objective per unit moved in the relaxing direction) with
        ``rate_holds_for`` (how far it holds: a number, ``None`` for no limit in the basis)
        or ``rate_is_local`` (QP and cone programs: a derivative at the optimum only).
        """
        out = []
        records: list[dict[Any, Any]] = self.bottlenecks.head(top).to_dict("records")
        for row, sentence in zip(records, self.messages(top), strict=True):
            claim: dict[str, Any] = {"sentence": sentence, "what": row["what"], "name": row["name"],
                                     "kind": row["kind"], "direction": int(row["direction"]),
                                     "side": ("lower" if row["direction"] < 0 else "upper") if row["what"] == ROW
                                     else "", "step": float(row["step"]), "unit": row["unit"]}
            headroom = float(row["headroom"])
            signed = float(row["gain_per_unit"]) * (1.0 if self.sense == "maximize" else -1.0)
            if self.problem_class == MILP:
                claim.update(change=json_number(row["step_change"]), status=row["step_status"],
                             tighten_change=json_number(row["tighten_change"]), tighten_status=row["tighten_status"])
            elif self.problem_class in ("QP", "cone"):
                claim.update(change=json_number(row["step_change"]), status=row["step_status"], rate=signed,
                             rate_is_local=True)
            elif math.isfinite(headroom) and headroom >= float(row["step"]) * (1 - 1e-9):
                claim.update(change=signed * float(row["step"]), status="optimal", rate=signed,
                             rate_holds_for=headroom)
            elif np.isinf(headroom):
                claim.update(change=signed * float(row["step"]), status="optimal", rate=signed, rate_holds_for=None)
            elif math.isfinite(headroom):
                claim.update(change=json_number(row["step_change"]), status=row["step_status"], rate=signed,
                             rate_holds_for=headroom)
            else:
                claim.update(change=json_number(row["step_change"]), status=row["step_status"])
            out.append(claim)
        return out

    def to_dict(self) -> dict[str, Any]:
        records = []
        for row in self.table.itertuples(index=False):
            records.append({key: (json_number(value) if isinstance(value, (float, np.floating)) else
                                  bool(value) if isinstance(value, (bool, np.bool_)) else
                                  int(value) if isinstance(value, np.integer) else value)
                            for key, value in zip(TABLE_COLUMNS, row, strict=True)})
        groups = json.loads(self.groups.to_json(orient="records"))
        prices = json.loads(self.prices.to_json(orient="records"))
        return {"sense": self.sense, "objective_unit": self.objective_unit, "scope": self.scope,
                "problem_class": self.problem_class, "stage": self.stage, "messages": self.messages(),
                "claims": self.claims(), "unchecked": self.unchecked,
                "constraints": records, "groups": groups, "prices": prices, "notes": list(self.notes)}

    def to_text(self, top: int = 20) -> str:
        stage = f", {self.stage}" if self.stage else ""
        lines = [f"Bottlenecks ({self.scope}{stage})"]
        lines += [f"  {line}" for line in self.messages(top)] or [f"  {self.none_text()}"]
        if not self.groups.empty:
            table = self.groups.to_string(index=False, formatters={c: _fmt for c in self.groups.columns})
            lines += ["", "Binding limits by name", table]
        prices = self.prices[self.prices["dual"].abs() > 0] if len(self.prices) else self.prices
        if len(prices):
            unit = objective_unit_text(self.objective_unit)
            lines += ["", "Balance rows (prices / potentials: their right-hand sides must move together, "
                      "so they are not capacities to buy)"]
            for row in prices.head(top).to_dict("records"):
                per = f" {unit} per {row['unit']}" if row["unit"] else (f" {unit} per unit" if unit else "")
                where = f"{row['group']} on {row['label']}" if row["label"] else str(row["name"])
                lines.append(f"  {where}: price {format_number(float(row['dual']), 4)}{per}")
            if len(prices) > top:
                lines.append(f"  ... {len(prices) - top} more")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    return format_number(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def _describe(row: dict[str, Any]) -> str:
    where = f"{row['group']} on {row['label']}" if row["label"] else str(row["group"] or row["name"])
    if row["what"] == ROW:
        return where if row["label"] else str(row["name"])
    return f"{row['what']} of {row['name']}"


def bottleneck_report(source: SensitivityReport | AnalysisSource, *, resources_only: bool | None = None,
                      objective_unit: str = "", step: float | None = None, sentences: int = DEFAULT_SENTENCES,
                      **report_options: Any) -> BottleneckReport:
    """Rank resources (or all constraints) and active variable bounds by the gain of relaxing them.

    ``source`` is a :class:`SensitivityReport` or anything
    :func:`~opt_model.sensitivity.sensitivity_report` takes.  With
    ``resources_only=None`` the model's resources are ranked when it has any,
    else every inequality constraint; active variable bounds with a nonzero
    reduced cost are ranked too.  ``step`` (default the report's, 1 unit) is the
    change each sentence speaks of; the first ``sentences`` bottlenecks whose rate
    does not hold for a whole step are re-solved with it.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
    >>> x = m.add_variables("x", dims=host, ub=10)
    >>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 4, "h2": 8}, dims=host))
    >>> _ = mem.add_usage(2 * x)
    >>> m.maximize((om.data({"h1": 3.0, "h2": 1.0}, dims=host) * x).sum())
    >>> bottleneck_report(m.solve(), objective_unit="USD").messages()[0]
    'memory on h1 is binding: +1 GiB adds 1.5 USD, up to +16 GiB'
    """
    report = source if isinstance(source, SensitivityReport) else sensitivity_report(source, **report_options)
    step = float(step if step is not None else report.step)
    unit = objective_unit or report.objective_unit
    better = 1.0 if report.sense == "maximize" else -1.0
    frame = report.constraints
    if resources_only is None:
        resources_only = bool(frame["resource"].any())
    rows = frame[frame["resource"]] if resources_only else frame
    balance = rows["kind"].to_numpy() == EQ
    prices = pd.DataFrame({"name": rows["name"][balance], "group": rows["group"][balance],
                           "label": rows["label"][balance], "unit": rows["unit"][balance],
                           "activity": rows["activity"][balance], "rhs": rows["rhs"][balance],
                           "dual": rows["dual"][balance]}, columns=PRICE_COLUMNS)
    prices = prices.reindex(prices["dual"].abs().sort_values(ascending=False, kind="stable").index)
    rows = rows[~balance & (rows["kind"].to_numpy() != "free")]
    row_table = _row_candidates(rows, better)
    bounds = report.bounds
    bound_table = _bound_candidates(bounds[bounds["active"].astype(bool)] if len(bounds) else bounds, better)
    table = pd.concat([t for t in (row_table, bound_table) if len(t)] or [row_table], ignore_index=True)
    table["step"] = step
    for column in ("step_change", "tighten_change"):
        table[column] = np.nan
    table["step_status"] = ""
    table["tighten_status"] = ""
    if report.problem_class == MILP:
        _from_milp_steps(table, report, better)
    table = _sorted(table)
    notes: list[str] = []
    if report.problem_class != MILP and report.analysis is not None:
        table = _resolve_steps(table, report, step, sentences, notes)
    table = table[TABLE_COLUMNS]
    by_range = table.sort_values("gain_over_range", ascending=False, kind="stable", na_position="last")
    binding = table[table["binding"]]
    groups = (binding.groupby("group", sort=False)
              .agg(binding=("name", "size"), max_gain_per_unit=("gain_per_unit", "max"),
                   total_gain_per_unit=("gain_per_unit", "sum"), mean_utilisation=("utilisation", "mean"))
              .reset_index().sort_values("max_gain_per_unit", ascending=False, kind="stable"))
    sizes = pd.concat([frame["group"], bounds["group"] if len(bounds) else frame["group"][:0]]) \
        .value_counts(sort=False)
    groups.insert(2, "rows", groups["group"].map(sizes).to_numpy())
    scope = ("resources" if resources_only else "all constraints") + \
        (" and variable bounds" if len(bound_table) else "")
    unchecked = 0
    skipped = report.skipped_limits
    if report.problem_class == MILP and skipped is not None and len(skipped):
        in_scope = set(table["name"])  # the candidates this report ranks (rows in scope, active bounds)
        unchecked = int(sum(1 for name in skipped["name"] if name in in_scope))
        if unchecked:
            notes.append(f"{unchecked} binding or near-binding limit(s) in scope were not re-solved (at most "
                         "max_steps are): raise max_steps (--max-steps) to rank them")
    return BottleneckReport(table, by_range.reset_index(drop=True), groups.reset_index(drop=True), report.sense,
                            unit, scope, prices.reset_index(drop=True), report.problem_class, report.stage, notes,
                            unchecked)


def _row_candidates(rows: pd.DataFrame, better: float) -> pd.DataFrame:
    kind = rows["kind"].to_numpy()
    rhs = rows["rhs"].to_numpy(dtype=float)
    activity = rows["activity"].to_numpy(dtype=float)
    up_gain = better * rows["dual_right"].to_numpy(dtype=float)
    down_gain = -better * rows["dual_left"].to_numpy(dtype=float)
    up_room = rows["dual_right_to"].to_numpy(dtype=float) - rhs
    down_room = rhs - rows["dual_left_from"].to_numpy(dtype=float)
    # Relaxing a <= row raises its bound, a >= row lowers it; a range row moves its active side.
    upward = (kind == LE) | ((kind == RANGE) & (rhs >= activity))
    with np.errstate(invalid="ignore"):
        utilisation = np.where((kind == LE) & (rhs > 0), activity / rhs, np.nan)
    return _candidates(rows, ROW, kind, activity, rhs, utilisation, rows["dual"].to_numpy(dtype=float), upward,
                       up_gain, down_gain, up_room, down_room, rows["binding"].to_numpy(dtype=bool))


def _bound_candidates(bounds: pd.DataFrame, better: float) -> pd.DataFrame:
    if not len(bounds):
        return pd.DataFrame(columns=TABLE_COLUMNS[:15])
    which = bounds["bound"].to_numpy()
    limit = bounds["limit"].to_numpy(dtype=float)
    rate = bounds["reduced_cost"].to_numpy(dtype=float)
    upward = which == "upper"
    up_room = bounds["limit_upper"].to_numpy(dtype=float) - limit
    down_room = limit - bounds["limit_lower"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        utilisation = np.where(upward & (limit > 0), bounds["value"].to_numpy(dtype=float) / limit, np.nan)
    kind = np.where(upward, LE, GE)
    return _candidates(bounds, np.where(upward, UPPER, LOWER), kind, bounds["value"].to_numpy(dtype=float), limit,
                       utilisation, rate, upward, better * rate, -better * rate, up_room, down_room,
                       np.ones(len(bounds), dtype=bool))


def _candidates(rows: pd.DataFrame, what: Any, kind: np.ndarray, activity: np.ndarray, limit: np.ndarray,
                utilisation: np.ndarray, dual: np.ndarray, upward: np.ndarray, up_gain: np.ndarray,
                down_gain: np.ndarray, up_room: np.ndarray, down_room: np.ndarray,
                binding: np.ndarray) -> pd.DataFrame:
    gain = np.where(upward, up_gain, down_gain)
    room = np.where(upward, up_room, down_room)
    with np.errstate(invalid="ignore"):
        room = np.where(room <= 1e-9 * (1.0 + np.abs(limit)), np.nan, room)  # degenerate: not measured
        gain = np.where(np.abs(gain) <= 1e-12, 0.0, gain)
        over_range = np.where(gain == 0, 0.0, gain * room)
    return pd.DataFrame({
        "name": rows["name"].to_numpy(), "group": rows["group"].to_numpy(), "label": rows["label"].to_numpy(),
        "unit": rows["unit"].to_numpy(), "kind": kind, "what": what, "activity": activity, "capacity": limit,
        "utilisation": utilisation, "dual": dual, "direction": np.where(upward, 1, -1), "gain_per_unit": gain,
        "headroom": room, "gain_over_range": over_range, "binding": binding})


def _from_milp_steps(table: pd.DataFrame, report: SensitivityReport, better: float) -> None:
    """MILP: gains, binding and sentences from the report's MILP re-solves (not from fixed-integer duals)."""
    steps = report.steps
    table["binding"] = False
    table["gain_per_unit"] = 0.0
    table["headroom"] = np.nan
    table["gain_over_range"] = np.nan
    if steps is None or not len(steps):
        return
    keyed = {(row["what"], row["name"]): row for row in steps.to_dict("records")}
    for position, row in enumerate(table.to_dict("records")):
        found = keyed.get((row["what"], row["name"]))
        if found is None:
            continue
        relax, tighten = ("up", "down") if row["direction"] > 0 else ("down", "up")
        change = float(found[f"change_{relax}"])
        table.loc[position, "binding"] = True
        table.loc[position, "step_change"] = change
        table.loc[position, "step_status"] = found[f"status_{relax}"]
        table.loc[position, "tighten_change"] = float(found[f"change_{tighten}"])
        table.loc[position, "tighten_status"] = found[f"status_{tighten}"]
        table.loc[position, "step"] = float(found["step"])
        relax_gain = better * change / float(found["step"]) if math.isfinite(change) else 0.0
        table.loc[position, "gain_per_unit"] = max(relax_gain, 0.0)


SORT_KEYS = ["binding", "gain_per_unit", "utilisation"]


def _sorted(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(SORT_KEYS, ascending=[False, False, False], kind="stable").reset_index(drop=True)


def _resolve_steps(table: pd.DataFrame, report: SensitivityReport, step: float, sentences: int,
                   notes: list[str]) -> pd.DataFrame:
    """Re-solve the whole step for the first ``sentences`` bottlenecks whose rate does not hold for it.

    At a degenerate optimum (no range measured) the dual need not hold in the relaxing
    direction at all: there the re-solved step replaces the rate (its average over the
    step), so a limit whose relaxation changes nothing leaves the bottlenecks and the
    next one moves up (and is re-solved in turn when it needs it).  Returns the table,
    sorted again.
    """
    analysis = report.analysis
    assert analysis is not None
    always = report.problem_class in ("QP", "cone")
    better = 1.0 if report.sense == "maximize" else -1.0
    names = {name: k for k, name in enumerate(analysis.row_names())}
    columns = {name: k for k, name in enumerate(analysis.col_names())}
    resolved = np.zeros(len(table), dtype=bool)
    count = degenerate_zero = 0
    for _round in range(20):
        gain = table["gain_per_unit"].to_numpy(dtype=float)
        candidates = np.flatnonzero(table["binding"].to_numpy(dtype=bool) & (gain > 0))[:sentences]
        room = table["headroom"].to_numpy(dtype=float)
        need = [int(k) for k in candidates if not resolved[k] and (
            always or not (np.isinf(room[k]) or room[k] >= step * (1 - 1e-9)))]
        if not need:
            break
        for direction in (1, -1):
            chosen = [k for k in need if table["direction"].iat[k] == direction]
            limits = []
            for k in chosen:
                what, name = str(table.loc[k, "what"]), str(table.loc[k, "name"])
                index = names[name] if what == ROW else columns[name]
                side = "lower" if direction < 0 else "upper"  # relaxing a row downwards moves its lower bound
                limits.append(Limit(what, index, side if what == ROW else ""))
            if not limits:
                continue
            effects = step_effects(analysis, limits, report.objective, step=step, directions=(direction,))
            side = "up" if direction > 0 else "down"
            for k, effect in zip(chosen, effects.to_dict("records"), strict=True):
                change = float(effect[f"change_{side}"])
                table.loc[k, "step_change"] = change
                table.loc[k, "step_status"] = effect[f"status_{side}"]
                if not always and math.isnan(room[k]) and math.isfinite(change):
                    average = max(better * change / step, 0.0)
                    table.loc[k, "gain_per_unit"] = average
                    degenerate_zero += average == 0.0
        resolved[need] = True
        count += len(need)
        table = table.assign(_resolved=resolved)
        table = _sorted(table)
        resolved = table.pop("_resolved").to_numpy(dtype=bool)
    if count:
        why = "local rates of QP and cone programs have no range" if always else "the rate does not hold that far"
        notes.append(f"{count} bottleneck sentence(s) re-solved the whole step of {format_number(step)} unit(s): "
                     f"{why}")
    if degenerate_zero:
        notes.append(f"{degenerate_zero} limit(s) with a nonzero dual at a degenerate optimum change nothing when "
                     "relaxed by the whole step (re-solved): they are not bottlenecks")
    return table
