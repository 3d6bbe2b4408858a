"""Whether an optimal simplex basis stays optimal when right-hand sides move: from its factor, no solve.

After an optimal LP solve HiGHS holds the basis and its factor.  The basis's duals do
not depend on the right-hand sides, so it stays optimal after row bounds move as long as
its basic variables stay within their bounds.  A nonbasic row sits at a bound and moves
with it; the basic variables move by ``B^{-1} e_row`` per unit of that row's activity
(:func:`solvers.highs.ranging.row_direction`).  Checking a move costs one solve with the
factor instead of a re-solve (a HiGHS run has a fixed cost of about a millisecond on a
few thousand variables, whatever the number of pivots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from solvers.highs.ranging import basic_bounds, basic_values, basic_variables, ratio_range, row_direction
from solvers.standard_form import StandardForm

FEASIBILITY = 1e-9
"""A basic variable may pass its bound by this much (relative to the bound, at least absolute) and count as
within it: a hundredth of HiGHS's primal feasibility tolerance, so that HiGHS would accept the basis as is."""


@dataclass(frozen=True)
class StaysOptimal:
    """A row move the basis survives: the row's dual (the derivative of the optimal objective along the
    move), HiGHS's ``(row_bound_dn, row_bound_up)`` at the moved bounds (None when the row is basic), and
    the row's activity there."""

    dual: float
    row_range: tuple[float, float] | None
    activity: float


@dataclass
class BasisMoves:
    """The basis of one optimal solve, for checking moves of row bounds made after it.

    ``x``, ``activity``, ``row_dual`` and the row bounds are the solve's; ``form`` is the live model
    whose row bounds may change afterwards (nothing else may: costs, column bounds and
    coefficients change the basis's duals or values in ways not followed here).
    """

    highs: Any
    form: StandardForm
    x: np.ndarray
    activity: np.ndarray
    row_dual: np.ndarray
    row_lower: np.ndarray
    """The row bounds the solve was made at (a copy)."""
    row_upper: np.ndarray
    directions: dict[int, np.ndarray] = field(init=False, default_factory=dict)
    _present_key: tuple[bytes, bytes, bytes] | None = field(init=False, default=None)
    _present_state: tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, float]] | None = field(init=False,
                                                                                              default=None)

    @cached_property
    def basic_index(self) -> np.ndarray:
        """HiGHS's basic variables (asked on first use: most solves never need them)."""
        return basic_variables(self.highs)

    @cached_property
    def values(self) -> np.ndarray:
        """The basic variables' values at the solve."""
        return basic_values(self.basic_index, self.x, self.activity)

    @cached_property
    def basic_row(self) -> np.ndarray:
        """Which rows are basic."""
        basic = np.zeros(self.form.num_rows, dtype=bool)
        basic[-1 - self.basic_index[self.basic_index < 0]] = True
        return basic

    def row_range(self, row: int) -> tuple[float, float] | None:
        """HiGHS's ``(row_bound_dn, row_bound_up)`` of ``row`` at the solve, or None when the row is basic: the
        right-hand side can move within it while the basis stays optimal.

        ``Highs.getRanging`` ranges every cost and bound (one FTRAN per nonbasic column and
        row, about as long as a warm re-solve, records as Python lists); this is one row's
        entry, computed as HiGHS does (:func:`solvers.highs.ranging.ratio_range`).
        """
        if self.basic_row[row]:
            return None
        lower, upper = basic_bounds(self.form, self.basic_index)
        return ratio_range(self.direction(row), self.values, lower, upper, float(self.row_lower[row]),
                           float(self.row_upper[row]), float(self.activity[row]))

    def direction(self, row: int) -> np.ndarray:
        """``B^{-1} e_row``, solved once per row."""
        alpha = self.directions.get(row)
        if alpha is None:
            alpha = self.directions[row] = row_direction(self.highs, self.form.num_rows, row)
        return alpha

    def check(self, row: int, lower: float, upper: float) -> StaysOptimal | None:
        """The basis at the present bounds with ``row``'s set to ``[lower, upper]``: optimal there and at the
        present bounds (so on the whole move), or None."""
        present = self._present()
        if present is None:
            return None  # not optimal at the present bounds: a move from there is not linear
        values, low, up, activity = present
        form = self.form
        if self.basic_row[row]:
            here = -float(values[np.flatnonzero(self.basic_index == -1 - row)[0]])
            if not (lower - _slack(lower) <= here <= upper + _slack(upper)):
                return None
            return StaysOptimal(float(self.row_dual[row]), None, here)
        here = activity.get(row, float(self.activity[row]))
        there = _at_same_side(here, float(form.row_lower[row]), float(form.row_upper[row]), lower, upper)
        alpha = self.direction(row)
        moved = values + alpha * (there - here)
        if not _within(moved, low, up):
            return None
        return StaysOptimal(float(self.row_dual[row]), ratio_range(alpha, moved, low, up, lower, upper, there),
                            there)

    def _present(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, float]] | None:
        """The basic variables' values and bounds and the moved nonbasic rows' activities at the present
        bounds, or None when a basic variable is out of its bounds there (kept until the bounds change)."""
        form = self.form
        moved = np.flatnonzero((form.row_lower != self.row_lower) | (form.row_upper != self.row_upper))
        key = (moved.tobytes(), form.row_lower[moved].tobytes(), form.row_upper[moved].tobytes())
        if self._present_key == key:
            return self._present_state
        values = self.values.copy()
        activity = {}
        for other in moved.tolist():
            if self.basic_row[other]:
                continue  # a basic row's bounds moved, not its value (checked below against the new bounds)
            now = _at_same_side(float(self.activity[other]), float(self.row_lower[other]),
                                float(self.row_upper[other]), float(form.row_lower[other]),
                                float(form.row_upper[other]))
            activity[other] = now
            if now != self.activity[other]:
                values += self.direction(other) * (now - float(self.activity[other]))
        low, up = basic_bounds(form, self.basic_index)
        self._present_key = key
        self._present_state = (values, low, up, activity) if _within(values, low, up) else None
        return self._present_state


def _at_same_side(activity: float, old_lower: float, old_upper: float, lower: float, upper: float) -> float:
    """A nonbasic row's activity after its bounds change: at the new bound on the side it sat (the nearer)."""
    if old_lower == old_upper or not np.isfinite(old_upper):
        return lower if np.isfinite(lower) else upper
    if not np.isfinite(old_lower):
        return upper
    return lower if abs(activity - old_lower) <= abs(activity - old_upper) else upper


def _slack(bound: float) -> float:
    return FEASIBILITY * max(1.0, abs(bound)) if np.isfinite(bound) else 0.0


def _within(values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        low_slack = FEASIBILITY * np.maximum(1.0, np.abs(lower))
        up_slack = FEASIBILITY * np.maximum(1.0, np.abs(upper))
        return bool(np.all((values >= lower - low_slack) & (values <= upper + up_slack)))
