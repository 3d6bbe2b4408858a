"""Parametric analysis: the optimum as one parameter moves over a range, with its breakpoints.

For a single right-hand side or cost the sweep walks from range end to range
end: at each point HiGHS's ranging gives the interval over which the current
basis stays optimal, the objective is linear there (slope = the dual, or the
variable's value for a cost), and the next solve starts just past the end of
that interval, warm.  The breakpoints are where the optimal basis changes,
found exactly rather than on a grid.  Any other parameter (a block of
numbers, a bound, a coefficient) is swept on a grid, and breakpoints are
located by bisection between grid points whose optimal bases differ.

MILPs, QPs and cone programs have no basis to walk from.  They are re-solved on
a grid (MILPs time-limited, each from the previous point's solution as a MIP
start), and a breakpoint is where *what the optimum looks like* changes,
located by bisection between grid points that differ: for a MILP the optimal
integer decisions, for a QP or a cone program the set of binding constraints
and active bounds (the active set).  Between two such breakpoints a MILP is the
LP of its fixed integers (the objective piecewise linear in a right-hand side or
cost), a QP the same equality-constrained QP (piecewise quadratic); a cone
program's objective is smooth but curved there.  A breakpoint found this way is
real (the two sides differ) but a change that happens and undoes itself between
two grid points is not seen, and alternative optima can change the chosen
solution at an equal objective: the notes say so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError
from opt_model.formatting import format_number
from opt_model.sensitivity.engine import INTERIOR_BINDING_TOLERANCE
from opt_model.sensitivity.outputs import Output, ResolvedOutput, resolve_outputs
from opt_model.sensitivity.plan import COST, RHS, Applier, ScenarioPlan, build_plan
from opt_model.sensitivity.problem import AnalysisModel, AnalysisSource
from opt_model.sensitivity.progress import Progress
from opt_model.sensitivity.report import rhs_ranges
from opt_model.sensitivity.stages import analysis_for_stage
from opt_model.sensitivity.steps import DEFAULT_STEP_TIME_LIMIT
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


def parametric_sweep(source: AnalysisSource, target: Target, start: float, stop: float, *,
                     outputs: Sequence[Output | str] = (), points: int = 0, options: dict[str, Any] | None = None,
                     progress: bool = True, max_segments: int = 10000, tolerance: float = 1e-7, max_solves: int = 400,
                     stage: int | str | None = None) -> SweepResult:
    """Sweep one parameter from ``start`` to ``stop`` and find where the optimal basis changes.

    ``points`` adds that many evenly spaced grid points (for smooth plots of
    outputs that are not linear, such as a utilisation whose capacity moves).

    MILPs, QPs and cone programs are re-solved on a grid of ``points`` points (default 25)
    and their breakpoints are where the optimal integer decisions (MILP) or the active
    set (QP, cone) change, bisected to 1e-6 of the range (1e-3 for cone programs, whose
    interior-point answers meet their bounds only to a tolerance; at most ``max_solves``
    re-solves in all; the notes say when that cut the search short).  ``stage`` picks the
    objective of a model with objectives by priority (default the last).

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
    analysis = analysis_for_stage(source, stage)[0]
    plan = build_plan(analysis, [Uncertain(target, Uniform(min(start, stop), max(start, stop)), per_entry=False)])
    resolved = resolve_outputs(analysis, outputs)
    form = analysis.form
    if form.is_mip or form.cones or (form.Q is not None and form.Q.nnz):
        return _active_set_sweep(analysis, target, plan, resolved, float(start), float(stop), points or 25,
                                 options, progress, max_solves)
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
    table = _points_table(walker.records, [o.label for o in resolved])
    return SweepResult(target.describe(), float(start), float(stop), table,
                       sorted(set(walker.breakpoints)), method, walker.solves, [o.label for o in resolved],
                       walker.notes)


def _points_table(records: list[list[Any]], output_labels: list[str]) -> pd.DataFrame:
    """One row per value: a named point (start, end, breakpoint, limit) replaces the grid point it coincides with."""
    table = pd.DataFrame.from_records(records, columns=COLUMNS + output_labels)
    table = table.assign(_grid=(table["kind"] == "grid").astype(int)) \
        .sort_values(["value", "_grid", "kind"], kind="stable").drop_duplicates(["value"]).drop(columns="_grid")
    return table.reset_index(drop=True)


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
        analysis = replace(self.analysis, form=self.session.form)
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


MILP_CHANGE = "the optimal integer decisions change"
ACTIVE_CHANGE = "the active set (binding constraints and bounds) changes"


def _active_set_sweep(analysis: AnalysisModel, target: Target, plan: ScenarioPlan, outputs: list[ResolvedOutput],
                      start: float, stop: float, points: int, options: dict[str, Any] | None, progress: bool,
                      max_solves: int) -> SweepResult:
    """A grid sweep of a MILP, QP or cone program with breakpoints where the solution's structure changes."""
    form = analysis.form
    merged = dict(options or {})
    if form.is_mip:
        merged.setdefault("time_limit", DEFAULT_STEP_TIME_LIMIT)
    session = analysis.session(merged)
    walker = _StructureWalker(analysis, session, Applier(session, form), plan, outputs, max_solves)
    with Progress(1000, f"sweep {target.describe()}", enabled=progress) as bar:
        walker.grid_and_bisect(start, stop, points, bar)
    kind = "MILP" if form.is_mip else "cone program" if form.cones else "QP"
    what = MILP_CHANGE if form.is_mip else ACTIVE_CHANGE
    notes = [f"{kind}: no simplex basis to walk from; a re-solve at each of {points} grid points"
             + (" (each MILP from the previous point's solution as a MIP start, time-limited)" if form.is_mip else "")
             + f", and breakpoints where {what}, bisected to {walker.precision_text(start, stop)}",
             "a change that happens and undoes itself between two grid points is not seen; alternative optima can "
             "change the chosen solution at an equal objective" if form.is_mip else
             "a change that happens and undoes itself between two grid points is not seen"]
    if form.cones:
        notes.append("between breakpoints the objective of a cone program is smooth but curved: interpolation "
                     "between points (objective_at) is approximate")
        notes.append("interior-point answers meet their bounds only to the solver's tolerance: a constraint counts as "
                     f"binding within {INTERIOR_BINDING_TOLERANCE:g} (relative), so a constraint that becomes binding "
                     "with a zero price is seen somewhat late; cone breakpoints are approximate")
    elif form.is_mip:
        notes.append("between breakpoints the MILP is the LP of its fixed integers; at a breakpoint the objective "
                     "may jump")
    notes.extend(walker.notes)
    table = _points_table(walker.records, [o.label for o in outputs])
    method = f"grid + bisection ({'integer decisions' if form.is_mip else 'active set'})"
    return SweepResult(target.describe(), start, stop, table, sorted(set(walker.breakpoints)),
                       method, walker.solves, [o.label for o in outputs], notes)


class _StructureWalker:
    """Re-solves on a grid; breakpoints where the integer decisions (MILP) or the active set (QP, cone) change."""

    def __init__(self, analysis: AnalysisModel, session: Session, applier: Applier, plan: ScenarioPlan,
                 outputs: list[ResolvedOutput], max_solves: int) -> None:
        self.analysis = analysis
        self.session = session
        self.applier = applier
        self.plan = plan
        self.outputs = outputs
        self.max_solves = max_solves
        self.records: list[list[Any]] = []
        self.breakpoints: list[float] = []
        self.notes: list[str] = []
        self.solves = 0
        self.iterations = 0
        form = analysis.form
        self.integer = np.asarray(form.integrality) != 0 if form.integrality is not None else None
        self.tolerance = INTERIOR_BINDING_TOLERANCE if (form.cones or form.Q is not None) else 1e-7
        self.last_x: np.ndarray | None = None
        self.cut_short = False
        self.relative_precision = 1e-3 if form.cones else 1e-6
        """Bisection stops at this fraction of the range (interior-point answers do not support finer)."""

    def solve_at(self, value: float) -> tuple[BackendResult, bytes]:
        values = self.plan.entry_values(np.array([[value]]))[0]
        self.applier.apply(self.plan.changes(values))
        if self.integer is not None and self.last_x is not None and self.session.takes_solution:
            self.session.set_solution(self.last_x)
        self.solves += 1
        result = self.session.solve()
        if result.x is not None:
            self.last_x = result.x
        return result, self.signature(result)

    def signature(self, result: BackendResult) -> bytes:
        """What must stay the same between breakpoints: status, and integer decisions or the active set."""
        status = result.status.value.encode()
        if result.status is not SolveStatus.OPTIMAL or result.x is None:
            return status
        x = result.x
        if self.integer is not None:
            return status + np.round(x[self.integer]).astype(np.int64).tobytes()
        form = self.session.form
        activity = result.row_activity if result.row_activity is not None else form.A @ x
        tol = self.tolerance
        with np.errstate(invalid="ignore"):
            parts = [np.isfinite(bound) & (np.abs(value - bound) <= tol * (1.0 + np.abs(bound)))
                     for value, bound in ((activity, form.row_lower), (activity, form.row_upper),
                                          (x, form.col_lower), (x, form.col_upper))]
        return status + np.packbits(np.concatenate(parts)).tobytes()

    def record(self, value: float, kind: str, result: BackendResult) -> None:
        form = self.session.form
        solved = result.status is SolveStatus.OPTIMAL and result.x is not None
        outputs = [o.evaluate(result, form) if solved else np.nan for o in self.outputs]
        objective = result.objective if solved else np.nan
        self.records.append([value, objective, result.status.value, kind, np.nan, np.nan, *outputs])

    def precision_text(self, start: float, stop: float) -> str:
        return f"{format_number(self.relative_precision * abs(stop - start), 3)} of the parameter"

    def grid_and_bisect(self, start: float, stop: float, points: int, bar: Progress) -> None:
        grid = np.linspace(start, stop, points)
        previous: tuple[float, bytes, np.ndarray | None] | None = None
        for k, value in enumerate(grid.tolist()):
            result, signature = self.solve_at(value)
            self.record(value, "start" if k == 0 else "end" if k == points - 1 else "grid", result)
            if previous is not None and signature != previous[1]:
                self.bisect(previous[0], value, previous[1], abs(stop - start))
                self.last_x = result.x  # continue from this grid point's solution
            previous = (value, signature, result.x)
            bar.update(max(0, int(1000 * (k + 1) / points) - bar.done))

    def bisect(self, low: float, high: float, low_signature: bytes, span: float) -> None:
        """Narrow the change between ``low`` (signature ``low_signature``) and ``high`` down to
        :attr:`relative_precision` of the span."""
        while abs(high - low) > self.relative_precision * span:
            if self.solves >= self.max_solves:
                if not self.cut_short:
                    self.notes.append(f"stopped bisecting after {self.max_solves} re-solves (max_solves): some "
                                      "breakpoints are located only to within their grid interval")
                    self.cut_short = True
                break
            middle = 0.5 * (low + high)
            _, signature = self.solve_at(middle)
            if signature == low_signature:
                low = middle
            else:
                high = middle
        self.breakpoints.append(high)  # the first value seen with the new structure (the change lies in (low, high])
        result, _ = self.solve_at(high)
        self.record(high, "breakpoint", result)
