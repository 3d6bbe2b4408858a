"""Aggregate measures over runs: per-cell times, shifted geometric means, performance ratios.

A *cell* is one (problem, solver) pair; its repeats are folded into one time
(the median, failed repeats counted at the time limit) and one solved flag
(solved when every repeat solved).  Unsolved cells count at the time limit in
the shifted geometric mean (Mittelmann's convention, also used by the Open
Energy Benchmark) and as an infinite ratio in performance profiles.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SOLVED_STATUSES = frozenset({"optimal", "infeasible", "unbounded", "infeasible_or_unbounded"})
"""A run counts as solved when it ends with one of these (and was not found ``wrong``)."""

TIME_COLUMNS = ("wall_time_s", "solve_time_s")


@dataclass
class Cell:
    """The repeats of one problem with one solver."""

    problem: str
    solver: str
    statuses: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    time_limit: float = math.inf
    objective: float | None = None

    @property
    def solved(self) -> bool:
        return bool(self.statuses) and all(status in SOLVED_STATUSES for status in self.statuses)

    @property
    def status(self) -> str:
        """The one status of the cell: solved status, or the first failure among repeats."""
        failures = [status for status in self.statuses if status not in SOLVED_STATUSES]
        return failures[0] if failures else (self.statuses[0] if self.statuses else "missing")

    @property
    def time(self) -> float:
        """Median time over repeats, failed repeats at the time limit."""
        return statistics.median(self.times) if self.times else math.nan

    @property
    def spread(self) -> float:
        """(max - min) / median of the repeats' times (0 with one repeat)."""
        if len(self.times) < 2 or self.time <= 0:
            return 0.0
        return (max(self.times) - min(self.times)) / self.time


def cells(runs: Iterable[Mapping[str, Any]], time_column: str = "wall_time_s") -> dict[tuple[str, str], Cell]:
    """Group runs by (problem, solver); unsolved runs are timed at their time limit.

    Example
    -------
    >>> runs = [{"problem": "p", "solver": "s", "status": "optimal", "wall_time_s": 1.0, "time_limit": 60},
    ...         {"problem": "p", "solver": "s", "status": "optimal", "wall_time_s": 3.0, "time_limit": 60}]
    >>> cell = cells(runs)[("p", "s")]
    >>> cell.solved, cell.time, cell.spread
    (True, 2.0, 1.0)
    """
    if time_column not in TIME_COLUMNS:
        raise ValueError(f"unknown time column {time_column!r}; choose one of {', '.join(TIME_COLUMNS)}")
    grouped: dict[tuple[str, str], Cell] = {}
    for run in runs:
        key = (str(run["problem"]), str(run["solver"]))
        cell = grouped.setdefault(key, Cell(*key))
        limit = float(run.get("time_limit") or math.inf)
        cell.time_limit = min(cell.time_limit, limit) if math.isfinite(cell.time_limit) else limit
        status = str(run["status"])
        cell.statuses.append(status)
        value = run.get(time_column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = run.get("wall_time_s")
        solved = status in SOLVED_STATUSES
        seconds = float(value) if value is not None else limit
        cell.times.append(min(seconds, limit) if solved else limit)
        if solved and run.get("objective") is not None:
            cell.objective = float(run["objective"])
    return grouped


def shifted_geometric_mean(values: Sequence[float], shift: float = 10.0) -> float:
    """``exp(mean(log(t + shift))) - shift``.

    Example
    -------
    >>> round(shifted_geometric_mean([1.0, 100.0], shift=10.0), 4)   # sqrt(11 * 110) - 10
    24.7851
    >>> shifted_geometric_mean([], 10.0)
    nan
    """
    if not values:
        return math.nan
    return math.exp(sum(math.log(value + shift) for value in values) / len(values)) - shift


@dataclass
class SolverSummary:
    """One line of the summary table."""

    solver: str
    problems: int
    solved: int
    counts: dict[str, int]
    sgm: float
    sgm_ratio: float


def solver_summary(grouped: Mapping[tuple[str, str], Cell], shift: float = 10.0,
                   solvers: Sequence[str] | None = None) -> tuple[list[SolverSummary], list[str]]:
    """Solved counts and the shifted geometric mean per solver, normalised to the best.

    The mean is taken over the problems that every solver ran (so that means are
    comparable); returns the summaries and that list of common problems.

    Example
    -------
    >>> runs = [{"problem": "p", "solver": "a", "status": "optimal", "wall_time_s": 1.0, "time_limit": 60},
    ...         {"problem": "p", "solver": "b", "status": "time_limit", "wall_time_s": 61.0, "time_limit": 60}]
    >>> table, common = solver_summary(cells(runs))
    >>> [(s.solver, s.solved, round(s.sgm_ratio, 3)) for s in table]
    [('a', 1, 1.0), ('b', 0, 60.0)]
    """
    names = list(solvers) if solvers is not None else sorted({solver for _, solver in grouped})
    problems_by_solver = {name: {problem for problem, solver in grouped if solver == name} for name in names}
    common = sorted(set.intersection(*problems_by_solver.values())) if names else []
    rows = []
    for name in names:
        mine = [grouped[(problem, name)] for problem in sorted(problems_by_solver[name])]
        counts: dict[str, int] = {}
        for cell in mine:
            counts[cell.status] = counts.get(cell.status, 0) + 1
        sgm = shifted_geometric_mean([grouped[(problem, name)].time for problem in common], shift)
        rows.append(SolverSummary(name, len(mine), sum(cell.solved for cell in mine), counts, sgm, math.nan))
    finite = [row.sgm for row in rows if math.isfinite(row.sgm)]
    best = min(finite) if finite else math.nan
    for row in rows:
        row.sgm_ratio = row.sgm / best if best and math.isfinite(best) and best > 0 else math.nan
    return rows, common


def performance_ratios(grouped: Mapping[tuple[str, str], Cell],
                       solvers: Sequence[str] | None = None) -> tuple[list[str], dict[str, list[float]]]:
    """Dolan-More ratios ``t[p, s] / min over s of t[p, s]`` (``inf`` when ``s`` did not solve ``p``).

    Only problems that every solver ran are used.  Returns the problems and,
    per solver, its ratios in that order.

    Example
    -------
    >>> runs = [{"problem": "p", "solver": "a", "status": "optimal", "wall_time_s": 1.0},
    ...         {"problem": "p", "solver": "b", "status": "optimal", "wall_time_s": 4.0}]
    >>> performance_ratios(cells(runs))
    (['p'], {'a': [1.0], 'b': [4.0]})
    """
    names = list(solvers) if solvers is not None else sorted({solver for _, solver in grouped})
    problems = sorted(set.intersection(*({p for p, s in grouped if s == name} for name in names))) if names else []
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for problem in problems:
        solved_times = [max(grouped[(problem, name)].time, 1e-9) for name in names
                        if grouped[(problem, name)].solved]
        best = min(solved_times) if solved_times else math.nan
        for name in names:
            cell = grouped[(problem, name)]
            ratios[name].append(max(cell.time, 1e-9) / best if cell.solved else math.inf)
    return problems, ratios


def profile_curve(ratios: Sequence[float]) -> tuple[list[float], list[float]]:
    """Step points ``(tau, fraction of problems with ratio <= tau)`` of one solver's profile.

    Example
    -------
    >>> profile_curve([1.0, 2.0, float("inf")])
    ([1.0, 2.0], [0.3333333333333333, 0.6666666666666666])
    """
    finite = sorted(ratio for ratio in ratios if math.isfinite(ratio))
    total = len(ratios)
    taus: list[float] = []
    fractions: list[float] = []
    for index, ratio in enumerate(finite, start=1):
        if taus and ratio == taus[-1]:
            fractions[-1] = index / total
        else:
            taus.append(ratio)
            fractions.append(index / total)
    return taus, fractions
