"""The solver-neutral optimality (KKT) check of an LP answer, on arrays only.

Every warm-started answer of a session is checked here before it is trusted:
primal feasibility, dual signs and the complementarity gap, all computed from
the standard form and the answer's arrays, whatever the solver claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.standard_form import Sense, StandardForm


@dataclass(frozen=True)
class ResidualTolerances:
    """Tolerances of the optimality check run on every warm-started answer.

    Each is relative: an entry fails when its violation exceeds
    ``tolerance * (1 + |the value it is compared with|)``.
    """

    primal: float = 1e-6
    """Bound violations of variables and row activities, and ``|A x - activity|``."""
    dual: float = 1e-6
    """Reduced costs or row duals of the wrong sign, or nonzero where no bound is finite."""
    gap: float = 1e-7
    """Complementarity gap ``sum |dual| * distance to the active bound``, relative to ``1 + |objective|``."""


@dataclass
class Residuals:
    """How far an answer is from a certified optimum (see :func:`check_optimality`)."""

    primal_residual: float = 0.0
    """max |A x - reported activity|."""
    primal_infeasibility: float = 0.0
    """Largest relative violation of a variable or row bound."""
    dual_infeasibility: float = 0.0
    """Largest relative dual sign violation (derivative pointing to a bound that is absent)."""
    gap: float = 0.0
    """Relative complementarity (duality) gap."""
    ok: bool = True
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"primal_residual": self.primal_residual, "primal_infeasibility": self.primal_infeasibility,
                "dual_infeasibility": self.dual_infeasibility, "gap": self.gap, "ok": self.ok,
                "reason": self.reason}


class BoundTerms:
    """What the check uses of one family's bounds (columns or rows), made once per change of them.

    A session checks every warm answer; its bounds change rarely (a probe moves one row), so it
    keeps these and passes them to :func:`check_optimality` (:meth:`set` updates one entry).
    """

    __slots__ = ("has_lower", "has_upper", "lower", "lower_scale", "upper", "upper_scale")

    def __init__(self, lower: np.ndarray, upper: np.ndarray) -> None:
        self.has_lower = np.isfinite(lower)
        self.has_upper = np.isfinite(upper)
        self.lower = np.where(self.has_lower, lower, 0.0)
        self.upper = np.where(self.has_upper, upper, 0.0)
        # infinite bounds: (0 - value) / inf = 0, never a violation
        self.lower_scale = np.where(self.has_lower, 1.0 + np.abs(self.lower), np.inf)
        self.upper_scale = np.where(self.has_upper, 1.0 + np.abs(self.upper), np.inf)

    def set(self, index: int, lower: float, upper: float) -> None:
        """Entry ``index`` now has bounds ``lower``, ``upper``."""
        for bound, has, value, scale in ((lower, self.has_lower, self.lower, self.lower_scale),
                                         (upper, self.has_upper, self.upper, self.upper_scale)):
            finite = bool(np.isfinite(bound))
            has[index] = finite
            value[index] = bound if finite else 0.0
            scale[index] = 1.0 + abs(bound) if finite else np.inf


def _bound_violation(values: np.ndarray, terms: BoundTerms) -> float:
    """Largest relative violation of ``lower <= values <= upper`` (infinite bounds are never violated)."""
    if not values.size:
        return 0.0
    with np.errstate(invalid="ignore"):  # an infinite value at an infinite bound: NaN, which fmax skips
        below = (terms.lower - values) / terms.lower_scale
        above = (values - terms.upper) / terms.upper_scale
    return float(max(np.fmax.reduce(below, initial=0.0), np.fmax.reduce(above, initial=0.0), 0.0)) + 0.0


def _dual_side(duals: np.ndarray, values: np.ndarray, terms: BoundTerms, sign: float,
               scale: np.ndarray | None) -> tuple[float, float]:
    """Dual sign violation and complementarity gap of one family (rows or columns).

    ``duals`` are derivatives of the objective with respect to the active
    bound; ``sign`` is +1 for minimisation, -1 for maximisation.  ``sign * dual
    > 0`` means the lower bound is active, ``< 0`` the upper bound.
    """
    if not duals.size:
        return 0.0, 0.0
    # Branch-free on purpose: the signs of the duals are random, so masked selects on them are slow.
    oriented = duals * sign
    on_lower = np.maximum(oriented, 0.0)
    on_upper = np.maximum(-oriented, 0.0)
    has_lower, has_upper = terms.has_lower, terms.has_upper
    missing = np.maximum(np.where(has_lower, 0.0, on_lower), np.where(has_upper, 0.0, on_upper))
    if scale is not None:
        missing = missing / (1.0 + scale)
    infeasibility = float(missing.max(initial=0.0))
    lower_gap = np.abs(values - np.where(has_lower, terms.lower, values))
    upper_gap = np.abs(np.where(has_upper, terms.upper, values) - values)
    # (not "@": a BLAS call next to HiGHS threads can cost milliseconds)
    return infeasibility, float(np.einsum("i,i->", on_lower, lower_gap) + np.einsum("i,i->", on_upper, upper_gap))


def check_optimality(form: StandardForm, x: np.ndarray, activity: np.ndarray, row_dual: np.ndarray | None,
                     reduced_cost: np.ndarray | None, objective: float,
                     tolerances: ResidualTolerances | None = None,
                     bounds: tuple[BoundTerms, BoundTerms] | None = None) -> Residuals:
    """Check an LP answer against the KKT conditions, independently of the solver.

    Primal: ``|A x - activity|`` and the bounds of ``x`` and of ``activity``.
    Dual (when duals are given, in the project's convention: derivatives of the
    objective with respect to the active bounds): every nonzero dual must point
    to a finite bound, and the complementarity gap ``sum |dual| * distance of
    the value to that bound`` must vanish.  With ``reduced_cost = c - A' y``
    a feasible answer with a zero gap is optimal, whatever the solver claimed.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense
    >>> form = StandardForm(c=np.array([1.0]), A=sp.csr_matrix(np.array([[1.0]])),
    ...     row_lower=np.array([2.0]), row_upper=np.array([np.inf]),
    ...     col_lower=np.zeros(1), col_upper=np.full(1, np.inf))
    >>> check_optimality(form, np.array([2.0]), np.array([2.0]), np.array([1.0]), np.array([0.0]), 2.0).ok
    True
    >>> check_optimality(form, np.array([3.0]), np.array([3.0]), np.array([1.0]), np.array([0.0]), 3.0).ok
    False
    """
    tol = tolerances or ResidualTolerances()
    cols, rows = bounds if bounds is not None else (BoundTerms(form.col_lower, form.col_upper),
                                                    BoundTerms(form.row_lower, form.row_upper))
    result = Residuals()
    if x.size:
        computed = form.A @ x
        result.primal_residual = float(np.abs(computed - activity).max(initial=0.0))
        act_scale = 1.0 + np.abs(activity).max(initial=0.0)
    else:
        act_scale = 1.0
    result.primal_infeasibility = max(_bound_violation(x, cols), _bound_violation(activity, rows))
    reasons = []
    if result.primal_residual > tol.primal * act_scale:
        reasons.append(f"|A x - activity| = {result.primal_residual:.3g}")
    if result.primal_infeasibility > tol.primal:
        reasons.append(f"bound violation {result.primal_infeasibility:.3g}")
    if row_dual is not None and reduced_cost is not None:
        sign = -1.0 if form.sense == Sense.MAXIMIZE else 1.0
        row_inf, row_gap = _dual_side(row_dual, activity, rows, sign, None)
        col_inf, col_gap = _dual_side(reduced_cost, x, cols, sign, np.abs(form.c))
        result.dual_infeasibility = max(row_inf, col_inf)
        scale = 1.0 + abs(objective) if np.isfinite(objective) else 1.0
        result.gap = (row_gap + col_gap) / scale
        if result.dual_infeasibility > tol.dual:
            reasons.append(f"dual infeasibility {result.dual_infeasibility:.3g}")
        if result.gap > tol.gap:
            reasons.append(f"complementarity gap {result.gap:.3g}")
    result.ok = not reasons
    result.reason = "; ".join(reasons)
    return result

