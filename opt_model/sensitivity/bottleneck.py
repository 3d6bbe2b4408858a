"""Bottlenecks in resource terms: which capacity is worth raising, by how much, and how far.

From a :class:`~opt_model.sensitivity.report.SensitivityReport`: every binding
constraint (by default, every resource of the model) ranked by the objective
gain of one more unit of capacity (its one-sided shadow price in the direction
that relaxes it) and by the gain over the whole allowable range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opt_model.formatting import Readable
from opt_model.sensitivity.problem import EQ, LE, RANGE
from opt_model.sensitivity.report import SensitivityReport, _num, sensitivity_report

TABLE_COLUMNS = ["name", "group", "label", "unit", "kind", "activity", "capacity", "utilisation", "dual",
                 "direction", "gain_per_unit", "headroom", "gain_over_range", "binding"]


@dataclass
class BottleneckReport(Readable):
    """Resources and constraints ranked by what relaxing them is worth.

    ``table`` has one row per constraint (binding first, best gain first);
    ``by_range`` ranks the same rows by the gain over the allowable range;
    ``groups`` summarises binding constraints by name.
    """

    table: pd.DataFrame
    by_range: pd.DataFrame
    groups: pd.DataFrame
    sense: str
    objective_unit: str = ""
    scope: str = "resources"

    @property
    def bottlenecks(self) -> pd.DataFrame:
        """Binding rows whose relaxation improves the objective, best first."""
        return self.table[self.table["binding"] & (self.table["gain_per_unit"] > 0)]

    def messages(self, top: int = 10) -> list[str]:
        """One sentence per bottleneck: "memory on h2 is binding: +1 GiB saves 3.2 USD, up to +12 GiB"."""
        verb = "saves" if self.sense == "minimize" else "adds"
        lines = []
        records: list[dict[Any, Any]] = self.bottlenecks.head(top).to_dict("records")
        for row in records:
            unit = f" {row['unit']}" if row["unit"] else ""
            what = f"{row['group']} on {row['label']}" if row["label"] else str(row["name"])
            sign = "+" if row["direction"] > 0 else "-"
            gain = f"{row['gain_per_unit']:.4g}" + (f" {self.objective_unit}" if self.objective_unit else "")
            headroom = float(row["headroom"])
            if np.isinf(headroom):
                limit = "with no limit in this basis"
            elif np.isnan(headroom):
                limit = "how far it holds is unknown (degenerate optimum; run a parametric sweep)"
            else:
                limit = f"up to {sign}{headroom:.4g}{unit}"
            lines.append(f"{what} is binding: {sign}1{unit} {verb} {gain}, {limit}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        records = []
        for row in self.table.itertuples(index=False):
            records.append({key: (_num(value) if isinstance(value, (float, np.floating)) else
                                  bool(value) if isinstance(value, (bool, np.bool_)) else value)
                            for key, value in zip(TABLE_COLUMNS, row, strict=True)})
        groups = json.loads(self.groups.to_json(orient="records"))
        return {"sense": self.sense, "objective_unit": self.objective_unit, "scope": self.scope,
                "messages": self.messages(), "constraints": records, "groups": groups}

    def to_text(self, top: int = 20) -> str:
        lines = [f"Bottlenecks ({self.scope})"]
        lines += [f"  {line}" for line in self.messages(top)] or ["  none: no binding constraint limits the objective"]
        if not self.groups.empty:
            table = self.groups.to_string(index=False, float_format="{:.6g}".format)
            lines += ["", "Binding constraints by name", table]
        return "\n".join(lines)


def bottleneck_report(source: Any, *, resources_only: bool | None = None, objective_unit: str = "",
                      **report_options: Any) -> BottleneckReport:
    """Rank resources (or all constraints) by the gain of relaxing them.

    ``source`` is a :class:`SensitivityReport` or anything
    :func:`~opt_model.sensitivity.sensitivity_report` takes.  With
    ``resources_only=None`` the model's resources are ranked when it has any,
    else every constraint.

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
    frame = report.constraints
    unit = objective_unit or report.objective_unit
    better = 1.0 if report.sense == "maximize" else -1.0
    if resources_only is None:
        resources_only = bool(frame["resource"].any())
    rows = frame[frame["resource"]] if resources_only else frame
    kind = rows["kind"].to_numpy()
    rhs = rows["rhs"].to_numpy(dtype=float)
    up_gain = better * rows["dual_right"].to_numpy(dtype=float)
    down_gain = -better * rows["dual_left"].to_numpy(dtype=float)
    # how far the one-sided price holds (the plain rhs range when the optimum is not degenerate)
    up_room = rows["dual_right_to"].to_numpy(dtype=float) - rhs
    down_room = rhs - rows["dual_left_from"].to_numpy(dtype=float)
    # Relaxing a <= row raises its bound, a >= row lowers it; an equality goes the better way.
    upward = (kind == LE) | ((kind == RANGE) & (rhs >= rows["activity"].to_numpy(dtype=float)))
    upward = np.where(kind == EQ, up_gain >= down_gain, upward)
    gain = np.where(upward, up_gain, down_gain)
    room = np.where(upward, up_room, down_room)
    room = np.where(room <= 0, np.nan, room)  # degenerate and not measured
    with np.errstate(invalid="ignore"):
        over_range = np.where(np.abs(gain) <= 1e-12, 0.0, gain * room)
        utilisation = np.where((kind == LE) & (rhs > 0), rows["activity"].to_numpy(dtype=float) / rhs, np.nan)
    gain = np.where(np.abs(gain) <= 1e-12, 0.0, gain)
    table = pd.DataFrame({
        "name": rows["name"].to_numpy(), "group": rows["group"].to_numpy(), "label": rows["label"].to_numpy(),
        "unit": rows["unit"].to_numpy(), "kind": kind, "activity": rows["activity"].to_numpy(),
        "capacity": rhs, "utilisation": utilisation, "dual": rows["dual"].to_numpy(),
        "direction": np.where(upward, 1, -1), "gain_per_unit": gain, "headroom": room,
        "gain_over_range": over_range, "binding": rows["binding"].to_numpy(dtype=bool)}, columns=TABLE_COLUMNS)
    table = table.sort_values(["binding", "gain_per_unit", "utilisation"], ascending=[False, False, False],
                              kind="stable").reset_index(drop=True)
    by_range = table.sort_values("gain_over_range", ascending=False, kind="stable", na_position="last")
    binding = table[table["binding"]]
    groups = (binding.groupby("group", sort=False)
              .agg(binding=("name", "size"), max_gain_per_unit=("gain_per_unit", "max"),
                   total_gain_per_unit=("gain_per_unit", "sum"), mean_utilisation=("utilisation", "mean"))
              .reset_index().sort_values("max_gain_per_unit", ascending=False, kind="stable"))
    sizes = frame.groupby("group", sort=False).size()
    groups.insert(2, "rows", groups["group"].map(sizes).to_numpy())
    return BottleneckReport(table, by_range.reset_index(drop=True), groups.reset_index(drop=True), report.sense,
                            unit, "resources" if resources_only else "all constraints")
