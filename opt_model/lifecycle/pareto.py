"""The Pareto front of two objectives by the epsilon-constraint method, warm-started.

For objectives ``f1`` (the first priority) and ``f2`` (the second), the two
ends of the front come from the two lexicographic orders: ``f1`` at its best
with ``f2`` as good as possible then, and ``f2`` at its best with ``f1`` as good
as possible then.  Between them ``f1`` is held at ``points`` evenly spaced
levels (a row ``c1 x <= eps`` for a minimised ``f1``) while ``f2`` is
optimised.  The model is compiled once and passed to one :class:`~solvers.Session`;
each level only changes that row's bound and, in HiGHS, starts from the previous
basis.  Cone programs go to a conic backend's session, which solves each level cold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError
from opt_model.multiobjective import SAFETY, Lexicographic
from solvers import Sense, StandardForm, open_session


@dataclass
class ParetoFront:
    """Points ``(first, second)`` of the front, from the best ``first`` to the best ``second``.

    ``points`` has columns ``epsilon`` (the level ``first`` was held at),
    ``first``, ``second`` and ``status``; ``chosen`` is the model's own
    lexicographic solution (with its tolerances), ``(first, second)``.
    """

    names: tuple[str, str]
    units: tuple[str, str]
    senses: tuple[str, str]
    points: pd.DataFrame
    chosen: tuple[float, float] | None = None
    solves: int = 0
    warm: bool = True
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            return None if isinstance(value, float) and not math.isfinite(value) else value
        return {"objectives": list(self.names), "units": list(self.units), "senses": list(self.senses),
                "points": [{key: clean(value) for key, value in row.items()}
                           for row in self.points.to_dict(orient="records")],
                "chosen": list(self.chosen) if self.chosen is not None else None, "solves": self.solves,
                "warm_started": self.warm, "notes": self.notes}

    def trade_off(self) -> str:
        """One sentence on what improving the second objective costs in the first."""
        good = self.points[self.points["status"] == "optimal"]
        if len(good) < 2:
            return f"no trade-off: {self.names[0]} and {self.names[1]} are best at the same point"
        first, last = good.iloc[0], good.iloc[-1]
        d1 = abs(float(last["first"]) - float(first["first"]))
        d2 = abs(float(last["second"]) - float(first["second"]))
        u1 = f" {self.units[0]}" if self.units[0] else ""
        u2 = f" {self.units[1]}" if self.units[1] else ""
        if d1 <= 1e-9 * max(1.0, abs(float(first["first"]))) or d2 <= 1e-9 * max(1.0, abs(float(first["second"]))):
            return f"no trade-off: {self.names[0]} and {self.names[1]} are best at the same point"
        return (f"from the best {self.names[0]} to the best {self.names[1]}: {self.names[1]} improves by "
                f"{d2:.4g}{u2} while {self.names[0]} worsens by {d1:.4g}{u1} "
                f"(on average {d1 / d2:.4g}{u1} per{u2 or ' unit'})")

    def plot(self, path: str | Path | None = None) -> Any:
        """The front as a PNG (``path``) or a matplotlib figure."""
        from opt_model.lifecycle.plots import plot_pareto
        return plot_pareto(self, path)


class _Solver:
    """Optimise either objective with a bound on either one, in one :class:`~solvers.Session`.

    Models a warm-started session can hold (LP, MILP, QP) go to one (HiGHS); cone models to
    the chosen conic backend's session, which re-solves each level from scratch.
    """

    def __init__(self, form: StandardForm, options: Mapping[str, Any], solver: str, rows: np.ndarray) -> None:
        self.form = form
        self.rows = rows
        opts = {key: value for key, value in options.items() if key != "method"}
        if not form.is_mip and form.Q is None and not form.cones:
            opts["method"] = "simplex"
        self.session = open_session(form, solver if form.cones else "auto", opts)
        self.warm = self.session.warm_start
        self.solves = 0
        self.lower = form.row_lower.copy()
        self.upper = form.row_upper.copy()

    def optimise(self, c: np.ndarray, sense: str, rows: dict[int, tuple[float, float]]
                 ) -> tuple[str, np.ndarray | None]:
        self.solves += 1
        lower, upper = self.lower.copy(), self.upper.copy()
        for row, (low, high) in rows.items():
            lower[row], upper[row] = low, high
        self.session.change_costs(np.arange(c.size), c)
        self.session.change_sense(Sense.MAXIMIZE if sense == "maximize" else Sense.MINIMIZE)
        self.session.change_row_bounds(self.rows, lower[self.rows], upper[self.rows])
        result = self.session.solve()
        return result.status.value, result.x


def _hold(value: float, sense: str) -> tuple[float, float]:
    slack = SAFETY * max(1.0, abs(value))
    return (-np.inf, value + slack) if sense == "minimize" else (value - slack, np.inf)


def pareto_front(model: Any, *, points: int = 11, objectives: tuple[int, int] = (0, 1),
                 options: Mapping[str, Any] | None = None, solver: str | None = None,
                 chosen: Any = None) -> ParetoFront:
    """The Pareto front of two of a lexicographic model's objectives (epsilon-constraint, warm-started).

    ``model.objectives`` holds the objectives by priority (a spec with
    priorities sets them); ``objectives`` picks two of them (default: the first
    two priorities).  ``chosen`` (the model's solved result) marks the
    lexicographic solution on the front.  The forms come from the lexicographic
    transform (:meth:`~opt_model.multiobjective.Lexicographic.session_form`: the
    model's rows plus a ``hold_<name>`` row per objective).

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model("tradeoff"); x = m.add_variable("x", ub=4); y = m.add_variable("y", ub=4)
    >>> _ = m.add_constraint("budget", x + y <= 5)
    >>> _ = m.objectives.add(x, "maximize", name="x"); _ = m.objectives.add(y, "maximize", name="y")
    >>> front = pareto_front(m, points=3)
    >>> front.points[["first", "second"]].round(6).values.tolist()
    [[4.0, 1.0], [2.5, 2.5], [1.0, 4.0]]
    """
    levels = list(model.objectives)
    if len(levels) < 2:
        raise ModelError("the Pareto front needs at least two objectives (model.objectives)")
    if points < 2:
        raise ModelError(f"points={points}: give at least 2")
    transform = Lexicographic(model)
    i, j = objectives
    one, two = transform.objectives[i], transform.objectives[j]
    c1, k1 = transform.costs[i], transform.constants[i]
    c2, k2 = transform.costs[j], transform.constants[j]
    base = transform.base
    n = base.num_cols
    rows = base.num_rows
    form = replace(transform.session_form(), constant=0.0)
    merged = {**model.solver_options, **(options or {})}
    backend = solver or (model.solver if model.solver not in ("", "auto") or not base.cones else "auto")
    engine = _Solver(form, merged, backend, np.arange(rows, rows + transform.count))
    r1, r2 = rows + i, rows + j
    free = (-np.inf, np.inf)
    notes: list[str] = []
    if len(levels) > 2:
        notes.append(f"the model has {len(levels)} objectives: the front is of the first two "
                     f"({one.name}, {two.name})")

    def value(c: np.ndarray, k: float, x: np.ndarray) -> float:
        return float(c @ x) + k

    # the two ends: lexicographic in both orders, without tolerances
    status, x = engine.optimise(c1, one.sense, {r1: free, r2: free})
    if x is None:
        raise ModelError(f"optimising {one.name!r} ended {status}: no Pareto front")
    best1 = value(c1, k1, x)
    status, x = engine.optimise(c2, two.sense, {r1: _shift(_hold(best1, one.sense), k1), r2: free})
    end1 = (best1, value(c2, k2, x)) if x is not None else (best1, math.nan)
    status, x = engine.optimise(c2, two.sense, {r1: free, r2: free})
    if x is None:
        raise ModelError(f"optimising {two.name!r} ended {status}: no Pareto front")
    best2 = value(c2, k2, x)
    status, x = engine.optimise(c1, one.sense, {r1: free, r2: _shift(_hold(best2, two.sense), k2)})
    end2 = (value(c1, k1, x), best2) if x is not None else (math.nan, best2)
    records = [{"epsilon": end1[0], "first": end1[0], "second": end1[1], "status": "optimal"}]
    same = math.isfinite(end2[0]) and abs(end2[0] - end1[0]) <= 1e-7 * max(1.0, abs(end1[0])) and \
        abs(end2[1] - end1[1]) <= 1e-7 * max(1.0, abs(end1[1]))
    if same:
        notes.append(f"no trade-off: the best {one.name} and the best {two.name} are reached at the same point, "
                     "so the front is that one point")
    elif math.isfinite(end2[0]) and points > 2:
        for eps in np.linspace(end1[0], end2[0], points)[1:-1]:
            status, x = engine.optimise(c2, two.sense, {r1: _shift(_hold(float(eps), one.sense), k1), r2: free})
            records.append({"epsilon": float(eps), "first": value(c1, k1, x) if x is not None else math.nan,
                            "second": value(c2, k2, x) if x is not None else math.nan, "status": status})
    if not same:
        records.append({"epsilon": end2[0], "first": end2[0], "second": end2[1], "status": "optimal"})
    frame = pd.DataFrame(records, columns=["epsilon", "first", "second", "status"])
    marked = None
    if chosen is not None and getattr(chosen, "has_solution", False):
        x = chosen.backend.x
        marked = (value(c1, k1, x[:n]), value(c2, k2, x[:n]))
    return ParetoFront((one.name or "objective 1", two.name or "objective 2"), (one.unit, two.unit),
                       (one.sense, two.sense), frame, marked, engine.solves, engine.warm, notes)


def _shift(bounds: tuple[float, float], constant: float) -> tuple[float, float]:
    """Row bounds on ``c x`` from bounds on ``c x + constant``."""
    return bounds[0] - constant, bounds[1] - constant
