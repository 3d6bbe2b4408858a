"""The rhs ranging of one row from HiGHS's basis factor, without ``getRanging``.

``Highs.getRanging`` ranges every cost and bound: one FTRAN per nonbasic column and
row, about as long as a warm re-solve, and its records come back as Python lists.
The sensitivity report needs only one row's range after each one-sided re-solve.
:func:`ratio_range` computes that row's entry the way HiGHS does
(``lp_data/HighsRanging.cpp``, "bounds ranging" of a nonbasic logical): one solve
with the basis (:func:`row_direction`, ``getBasisSolve``) and a primal ratio test over
the basic variables, with HiGHS's pivot tolerance and trimming, so that its answer
equals HiGHS's (:meth:`solvers.highs.moves.BasisMoves.row_range` puts them together).

HiGHS writes a row ``r = a'x`` as a logical ``s = -r`` (bounds ``[-U, -L]``, column
``e_row`` of ``[A I]``).  Raising ``s`` by ``t`` moves the basic variables by
``-t * B^{-1} e_row``; the ratio test finds how far ``s`` can rise and fall before a
basic variable leaves its bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from solvers.highs.core import highspy
from solvers.standard_form import StandardForm

PIVOT_TOLERANCE = 1e-9
"""HiGHS ignores entries of the pivotal column at most this large (``tol_a``)."""
TRIM = 1e-13
"""HiGHS reports range ends below this in magnitude as 0 (``H_TT``)."""


def basic_variables(highs: Any) -> np.ndarray:
    """HiGHS's basic variables in its order: column ``j`` as ``j``, row ``i`` as ``-1 - i``."""
    status, basic_index = highs.getBasicVariables()
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS holds no basis")
    return np.asarray(basic_index, dtype=np.int64)


def row_direction(highs: Any, num_rows: int, row: int) -> np.ndarray:
    """``B^{-1} e_row`` (in the order of :func:`basic_variables`): the basic variables move by ``t`` times
    this when the row's activity moves by ``t`` (its logical, nonbasic, by ``-t``)."""
    unit = np.zeros(num_rows)
    unit[row] = 1.0
    status, alpha = highs.getBasisSolve(unit)
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS could not solve with its basis")
    return np.asarray(alpha, dtype=np.float64)


def basic_bounds(form: StandardForm, basic_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the basic variables (a logical ``s = -r`` of row bounds ``[L, U]`` has ``[-U, -L]``)."""
    structural = basic_index >= 0
    cols, logicals = basic_index[structural], -1 - basic_index[~structural]
    lower = np.empty(basic_index.size)
    upper = np.empty(basic_index.size)
    lower[structural], upper[structural] = form.col_lower[cols], form.col_upper[cols]
    lower[~structural], upper[~structural] = -form.row_upper[logicals], -form.row_lower[logicals]
    return lower, upper


def basic_values(basic_index: np.ndarray, x: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """Values of the basic variables at a solution (columns ``x``, logicals ``-activity``)."""
    structural = basic_index >= 0
    values = np.empty(basic_index.size)
    values[structural] = x[basic_index[structural]]
    values[~structural] = -activity[-1 - basic_index[~structural]]
    return values


def ratio_range(alpha: np.ndarray, values: np.ndarray, lower: np.ndarray, upper: np.ndarray, row_lower: float,
                row_upper: float, activity: float) -> tuple[float, float]:
    """HiGHS's ``(row_bound_dn, row_bound_up)`` of a nonbasic row with bounds ``[row_lower, row_upper]`` and
    activity ``activity``, from its :func:`row_direction` ``alpha`` and the basic variables' values and bounds
    (all in basis order)."""
    keep = np.abs(alpha) > PIVOT_TOLERANCE
    alpha = alpha[keep]
    value = np.minimum(np.maximum(values[keep], lower[keep]), upper[keep])
    room_up = upper[keep] - value  # dxi_inc
    room_down = lower[keep] - value  # dxi_dec
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_inc = np.where(alpha < 0, room_up, room_down) / -alpha
        theta_dec = np.where(alpha > 0, room_up, room_down) / -alpha
    s_lower, s_upper = -row_upper, -row_lower
    if not (np.isfinite(s_lower) or np.isfinite(s_upper)):
        return -np.inf, np.inf  # a free row: HiGHS ranges it without limits
    s_value = _logical_value(s_lower, s_upper, activity)
    up = s_value + float(theta_inc.min()) if alpha.size else np.inf
    if s_value != s_upper and up > s_upper:
        up = s_upper
    down = s_value + float(theta_dec.max()) if alpha.size else -np.inf
    if s_value != s_lower and down < s_lower:
        down = s_lower
    row_dn, row_up = -up, -down
    row_dn = 0.0 if abs(row_dn) < TRIM else row_dn + 0.0
    row_up = 0.0 if abs(row_up) < TRIM else row_up + 0.0
    return float(row_dn), float(row_up)


def _logical_value(s_lower: float, s_upper: float, activity: float) -> float:
    """The logical's value at its nonbasic bound: exactly the bound nearer ``-activity``, as HiGHS holds it."""
    if not np.isfinite(s_lower):
        return s_upper if np.isfinite(s_upper) else -activity
    if not np.isfinite(s_upper):
        return s_lower
    return s_lower if abs(-activity - s_lower) <= abs(-activity - s_upper) else s_upper
