"""Parametric analysis: the optimum as one parameter moves over a range, with its breakpoints.

For a single right-hand side or cost the sweep walks from range end to range
end: at each point HiGHS's ranging gives the interval over which the current
basis stays optimal, the objective is linear there (slope = the dual, or the
variable's value for a cost), and the next solve starts just past the end of
that interval, warm.  The breakpoints are where the optimal basis changes,
found exactly rather than on a grid.  Any other parameter (a block of
numbers, a bound, a coefficient) is swept on a grid, and breakpoints are
located by bisection between grid points whose optimal bases differ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError
from opt_model.formatting import format_number
from opt_model.sensitivity.outputs import Output, ResolvedOutput, resolve_outputs
from opt_model.sensitivity.plan import COST, RHS, Applier, build_plan
from opt_model.sensitivity.problem import AnalysisModel, as_analysis_model
from opt_model.sensitivity.progress import Progress
from opt_model.sensitivity.report import rhs_ranges
from opt_model.sensitivity.uncertainty import Target, Uncertain, Uniform
from solvers import BackendResult, Session, SolveStatus

COLUMNS = ["value", "objective", "status", "kind", "slope_left", "slope_right"]
SLOPE_LEFT, SLOPE_RIGHT = 4, 5


@dataclass
class SweepResult:
    """Points of a parametric sweep; ``breakpoints`` are where the optimal basis changes."""

    parameter: str
    start: float
    stop: float
    table: pd.DataFrame
    breakpoints: list[float]
    method: str
    solves: int = 0
    output_labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def objective_at(self, value: float) -> float:
        """The optimal objective at ``value`` by linear interpolation between recorded points (exact for
        a single rhs or cost, whose optimum is piecewise linear with these breakpoints)."""
        frame = self.table[self.table["status"] == "optimal"].sort_values("value")
        return float(np.interp(value, frame["value"].to_numpy(), frame["objective"].to_numpy()))

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "start": self.start, "stop": self.stop, "method": self.method,
                "breakpoints": self.breakpoints, "solves": self.solves, "notes": self.notes,
                "points": json.loads(self.table.to_json(orient="records"))}

    def to_text(self) -> str:
        lines = [f"Parametric sweep of {self.parameter} from {self.start:g} to {self.stop:g} ({self.method}, "
                 f"{self.solves} re-solves)",
                 "breakpoints: " + (", ".join(f"{b:.6g}" for b in self.breakpoints) or "none"),
                 self.table.to_string(index=False, float_format=lambda v: format_number(float(v), 10), na_rep="-")]
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def plot(self, path: str | None = None, output: str | None = None) -> Any:
        from opt_model.sensitivity.plots import plot_sweep
        return plot_sweep(self, path, output)


def parametric_sweep(source: Any, target: Target, start: float, stop: float, *, outputs: Sequence[Output | str] = (),
                     points: int = 0, options: dict[str, Any] | None = None, progress: bool = True,
                     max_segments: int = 10000, tolerance: float = 1e-7) -> SweepResult:
    """Sweep one parameter from ``start`` to ``stop`` and find where the optimal basis changes.

    ``points`` adds that many evenly spaced grid points (for smooth plots of
    outputs that are not linear, such as a utilisation whose capacity moves).

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import capacity
    >>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4); _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18); m.maximize(3 * x1 + 5 * x2)
    >>> sweep = parametric_sweep(m, capacity("plant3"), 0, 40, progress=False)
    >>> sweep.breakpoints, sweep.objective_at(18.0)
    ([12.0, 24.0], 36.0)
    """
    if not (np.isfinite(start) and np.isfinite(stop)) or start == stop:
        raise ModelError(f"sweep range [{start}, {stop}] must be two different finite numbers")
    analysis = as_analysis_model(source)
    if analysis.form.is_mip:
        raise ModelError("parametric sweeps re-solve LPs from a basis; fix the integer variables first")
    plan = build_plan(analysis, [Uncertain(target, Uniform(min(start, stop), max(start, stop)), per_entry=False)])
    resolved = resolve_outputs(analysis, outputs)
    session = analysis.session(options, ranging=True)
    applier = Applier(session, analysis.form)
    walker = _Walker(analysis, session, applier, plan, resolved, tolerance)
    single = plan.entry_kind.size == 1 and int(plan.entry_kind[0]) in (RHS, COST)
    with Progress(1000, f"sweep {target.describe()}", enabled=progress) as bar:
        if single:
            walker.walk(float(start), float(stop), max_segments, bar)
            method = "ranging"
        else:
            walker.grid_and_bisect(float(start), float(stop), max(points, 20), bar)
            method = "grid + bisection"
        if points and single:
            for value in np.linspace(start, stop, points):
                walker.record(float(value), "grid")
    table = pd.DataFrame.from_records(walker.records, columns=COLUMNS + [o.label for o in resolved])
    # one row per value: a named point (start, end, breakpoint, limit) replaces the grid point it coincides with
    table = table.assign(_grid=(table["kind"] == "grid").astype(int)) \
        .sort_values(["value", "_grid", "kind"], kind="stable").drop_duplicates(["value"]).drop(columns="_grid")
    return SweepResult(target.describe(), float(start), float(stop), table.reset_index(drop=True),
                       sorted(set(walker.breakpoints)), method, walker.solves, [o.label for o in resolved],
                       walker.notes)


class _Walker:
    def __init__(self, analysis: AnalysisModel, session: Session, applier: Applier, plan: Any,
                 outputs: list[ResolvedOutput], tolerance: float) -> None:
        self.analysis = analysis
        self.session = session
        self.applier = applier
        self.plan = plan
        self.outputs = outputs
        self.tolerance = tolerance
        self.records: list[list[Any]] = []
        self.breakpoints: list[float] = []
        self.notes: list[str] = []
        self.solves = 0
        self.kind = int(plan.entry_kind[0])
        self.row = int(plan.entry_row[0])
        self.col = int(plan.entry_col[0])

    def solve_at(self, value: float) -> BackendResult:
        values = self.plan.entry_values(np.array([[value]]))[0]
        self.applier.apply(self.plan.changes(values))
        self.solves += 1
        return self.session.solve()

    def record(self, value: float, kind: str, result: BackendResult | None = None) -> BackendResult:
        result = result or self.solve_at(value)
        form = self.session.form
        outputs = [o.evaluate(result, form) if result.status is SolveStatus.OPTIMAL else np.nan
                   for o in self.outputs]
        objective = result.objective if result.status is SolveStatus.OPTIMAL else np.nan
        self.records.append([value, objective, result.status.value, kind, np.nan, np.nan, *outputs])
        return result

    def basic(self) -> np.ndarray:
        return self.session.basic_variables()

    def local_range(self, result: BackendResult) -> tuple[float, float, float]:
        """Interval of the parameter over which the current basis stays optimal, and the slope there."""
        ranging = self.session.ranging()
        if self.kind == COST:
            return (float(ranging.cost_down.value[self.col]), float(ranging.cost_up.value[self.col]),
                    float(result.x[self.col]) if result.x is not None else np.nan)
        n = self.analysis.form.num_cols
        basic = self.basic()
        basic_row = np.zeros(self.analysis.form.num_rows, dtype=bool)
        basic_row[basic[basic >= n] - n] = True
        analysis = AnalysisModel(self.session.form, self.analysis.row_groups, self.analysis.col_groups)
        assert result.row_activity is not None and result.row_dual is not None
        _, lower, upper, _ = rhs_ranges(analysis, result.row_activity, ranging, basic_row)
        return float(lower[self.row]), float(upper[self.row]), float(result.row_dual[self.row])

    def walk(self, start: float, stop: float, max_segments: int, bar: Progress) -> None:
        direction = 1.0 if stop > start else -1.0
        before, after = (SLOPE_LEFT, SLOPE_RIGHT) if direction > 0 else (SLOPE_RIGHT, SLOPE_LEFT)
        span = abs(stop - start)
        result = self.record(start, "start")
        if result.status is not SolveStatus.OPTIMAL:
            found = self.first_feasible(start, stop)
            if found is None:
                self.notes.append("the model is infeasible over the whole range")
                self.record(stop, "end")
                return
            result = found
        current = len(self.records) - 1
        for _ in range(max_segments):
            low, high, slope = self.local_range(result)
            self.records[current][after] = slope
            end = high if direction > 0 else low
            if (end - stop) * direction >= 0:
                self.record(stop, "end")
                self.records[-1][before] = slope
                bar.update(1000 - bar.done)
                return
            self.record(end, "breakpoint")
            self.records[-1][before] = slope
            self.breakpoints.append(end)
            current = len(self.records) - 1
            bar.update(max(0, int(1000 * abs(end - start) / span) - bar.done))
            step = self.tolerance * (1.0 + abs(end))
            for _attempt in range(30):  # step just past the end of the range, into the next basis's range
                value = end + direction * step
                result = self.solve_at(value)
                if result.status is not SolveStatus.OPTIMAL:
                    break
                low, high, _ = self.local_range(result)
                if (high - value if direction > 0 else value - low) > step:
                    break
                step *= 4.0
            if result.status is not SolveStatus.OPTIMAL:
                self.records[current][3] = "feasibility limit"
                self.notes.append(f"the model is infeasible beyond {end:.6g}")
                self.record(stop, "end")
                return
        self.notes.append(f"stopped after {max_segments} segments")

    def first_feasible(self, start: float, stop: float) -> BackendResult | None:
        """The first value from ``start`` towards ``stop`` where the LP is feasible (an interval of values)."""
        candidates = np.linspace(start, stop, 33)[1:]
        feasible = None
        for value in candidates:
            result = self.solve_at(float(value))
            if result.status is SolveStatus.OPTIMAL:
                feasible = float(value)
                break
        if feasible is None:
            return None
        low, high = (feasible - (candidates[1] - candidates[0]) if len(candidates) > 1 else start), feasible
        for _ in range(60):
            middle = 0.5 * (low + high)
            if self.solve_at(middle).status is SolveStatus.OPTIMAL:
                high = middle
            else:
                low = middle
            if abs(high - low) <= 1e-10 * (1.0 + abs(high)):
                break
        self.breakpoints.append(high)
        return self.record(high, "feasibility limit")

    def grid_and_bisect(self, start: float, stop: float, points: int, bar: Progress) -> None:
        grid = np.linspace(start, stop, points)
        previous_value, previous_basis, previous_status = None, None, None
        for k, value in enumerate(grid):
            result = self.record(float(value), "grid")
            basis = self.basic() if result.status is SolveStatus.OPTIMAL else None
            if previous_value is not None and (previous_status != result.status or (
                    basis is not None and previous_basis is not None and not np.array_equal(basis, previous_basis))):
                self.bisect(previous_value, float(value), previous_basis, previous_status)
                self.record(float(value), "grid")
            previous_value, previous_basis, previous_status = float(value), basis, result.status
            bar.update(max(0, int(1000 * (k + 1) / points) - bar.done))

    def bisect(self, low: float, high: float, low_basis: np.ndarray | None, low_status: Any) -> None:
        for _ in range(60):
            if abs(high - low) <= 1e-10 * (1.0 + abs(high)):
                break
            middle = 0.5 * (low + high)
            result = self.solve_at(middle)
            basis = self.basic() if result.status is SolveStatus.OPTIMAL else None
            same = result.status == low_status and (basis is None or low_basis is None or
                                                    np.array_equal(basis, low_basis))
            if same:
                low = middle
            else:
                high = middle
        self.breakpoints.append(0.5 * (low + high))
        self.record(0.5 * (low + high), "breakpoint")
