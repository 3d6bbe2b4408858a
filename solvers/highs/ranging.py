"""The rhs ranging of one row from HiGHS's basis factor, without ``getRanging``.

``Highs.getRanging`` ranges every cost and bound: one FTRAN per nonbasic column and
row, about as long as a warm re-solve, and its records come back as Python lists.
The sensitivity report needs only one row's range after each one-sided re-solve.
:func:`row_bound_range` computes that row's entry the way HiGHS does
(``lp_data/HighsRanging.cpp``, "bounds ranging" of a nonbasic logical): one solve
with the basis (``getBasisSolve``) and a primal ratio test over the basic variables,
with HiGHS's pivot tolerance and trimming, so that its answer equals HiGHS's.
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


def row_bound_range(highs: Any, form: StandardForm, row: int, x: np.ndarray,
                    activity: np.ndarray) -> tuple[float, float] | None:
    """``(row_bound_dn, row_bound_up)`` of HiGHS's ranging for ``row``, or None when the row is basic.

    ``highs`` holds an optimal simplex basis with its factor (right after a solve);
    ``x`` and ``activity`` are that solve's column values and row activities.  The
    range is of the row's active bound: the right-hand side can move within it while
    the basis stays optimal.

    HiGHS writes a row ``r = a'x`` as a logical ``s = -r`` (bounds ``[-U, -L]``, column
    ``e_row`` of ``[A I]``).  Raising ``s`` by ``t`` moves the basic variables by
    ``-t * B^{-1} e_row``; the ratio test finds how far ``s`` can rise and fall before a
    basic variable leaves its bounds.
    """
    status, basic_index = highs.getBasicVariables()
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS holds no basis")
    basic_index = np.asarray(basic_index, dtype=np.int64)
    if np.any(basic_index == -1 - row):
        return None
    unit = np.zeros(form.num_rows)
    unit[row] = 1.0
    status, alpha = highs.getBasisSolve(unit)
    if status == highspy.HighsStatus.kError:
        raise ValueError("HiGHS could not solve with its basis")
    alpha = np.asarray(alpha, dtype=np.float64)
    keep = np.abs(alpha) > PIVOT_TOLERANCE
    alpha = alpha[keep]
    which = basic_index[keep]
    structural = which >= 0
    cols = which[structural]
    logicals = -1 - which[~structural]
    value = np.empty(alpha.size)
    lower = np.empty(alpha.size)
    upper = np.empty(alpha.size)
    value[structural] = x[cols]
    lower[structural] = form.col_lower[cols]
    upper[structural] = form.col_upper[cols]
    value[~structural] = -activity[logicals]
    lower[~structural] = -form.row_upper[logicals]
    upper[~structural] = -form.row_lower[logicals]
    value = np.minimum(np.maximum(value, lower), upper)
    room_up = upper - value  # dxi_inc
    room_down = lower - value  # dxi_dec
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_inc = np.where(alpha < 0, room_up, room_down) / -alpha
        theta_dec = np.where(alpha > 0, room_up, room_down) / -alpha
    s_lower, s_upper = -float(form.row_upper[row]), -float(form.row_lower[row])
    if not (np.isfinite(s_lower) or np.isfinite(s_upper)):
        return -np.inf, np.inf  # a free row: HiGHS ranges it without limits
    s_value = _logical_value(s_lower, s_upper, float(activity[row]))
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
