"""Degeneracy of an optimal LP basis and one-sided shadow prices.

At a degenerate optimum the optimal objective is not differentiable in some
right-hand sides: its left and right derivatives differ, and the single dual a
solver reports is only one element of the subdifferential.  This module finds
where that can happen and measures both one-sided derivatives by warm-started
re-solves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from opt_model.formatting import plural
from solvers import BackendResult, Basis, Sense, Session, SolveStatus, StandardForm


@dataclass
class Degeneracy:
    """Where an optimal basis is degenerate (indices of rows and columns)."""

    basic_cols_at_bound: np.ndarray
    """Primal degeneracy: basic variables sitting at one of their bounds."""
    basic_rows_at_bound: np.ndarray
    """Primal degeneracy: basic (zero-dual) rows whose activity sits at a bound."""
    nonbasic_cols_zero_cost: np.ndarray
    """Dual degeneracy: nonbasic variables with a zero reduced cost (alternative optima may exist)."""
    binding_rows_zero_dual: np.ndarray
    """Binding rows with a zero dual (basic at their bound, or nonbasic with a zero dual)."""

    @property
    def primal(self) -> bool:
        return bool(self.basic_cols_at_bound.size or self.basic_rows_at_bound.size)

    @property
    def dual(self) -> bool:
        return bool(self.nonbasic_cols_zero_cost.size)

    def as_dict(self) -> dict[str, object]:
        return {"primal_degenerate": self.primal, "dual_degenerate": self.dual,
                "basic_variables_at_bound": int(self.basic_cols_at_bound.size),
                "basic_rows_at_bound": int(self.basic_rows_at_bound.size),
                "nonbasic_variables_with_zero_reduced_cost": int(self.nonbasic_cols_zero_cost.size),
                "binding_rows_with_zero_dual": int(self.binding_rows_zero_dual.size)}

    def summary(self) -> list[str]:
        lines = []
        if self.primal:
            lines.append(f"primal degenerate: {plural(self.basic_cols_at_bound.size, 'basic variable')} and "
                         f"{plural(self.basic_rows_at_bound.size, 'basic row')} sit at a bound; a shadow price may "
                         "then hold for an increase of the right-hand side but not for a decrease (or the other way)")
        if self.dual:
            zero = plural(self.nonbasic_cols_zero_cost.size, "nonbasic variable")
            lines.append(f"dual degenerate: {zero} with a zero reduced cost; other optimal allocations with the "
                         "same objective exist")
        return lines


def _at_bound(values: np.ndarray, lower: np.ndarray, upper: np.ndarray, tol: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        near_lower = np.isfinite(lower) & (np.abs(values - lower) <= tol * (1.0 + np.abs(lower)))
        near_upper = np.isfinite(upper) & (np.abs(values - upper) <= tol * (1.0 + np.abs(upper)))
    return near_lower | near_upper


def detect_degeneracy(form: StandardForm, result: BackendResult, basic: np.ndarray,
                      tol: float = 1e-9) -> Degeneracy:
    """Classify the degeneracy of an optimal basic solution.

    ``basic`` holds the indices of the basic variables (columns ``j``, rows
    ``num_cols + i``), as :meth:`solvers.Session.basic_variables` returns them.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, open_session
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2], [1, 1]])),
    ...     row_lower=np.full(4, -np.inf), row_upper=np.array([4.0, 12, 18, 8]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> session = open_session(form)
    >>> result = session.solve()
    >>> detect_degeneracy(form, result, session.basic_variables()).basic_rows_at_bound.tolist()
    [3]
    """
    assert result.x is not None and result.row_activity is not None
    n, m = form.num_cols, form.num_rows
    basic_col = np.zeros(n, dtype=bool)
    basic_row = np.zeros(m, dtype=bool)
    basic_col[basic[basic < n]] = True
    basic_row[basic[basic >= n] - n] = True
    col_at_bound = _at_bound(result.x, form.col_lower, form.col_upper, tol)
    row_at_bound = _at_bound(result.row_activity, form.row_lower, form.row_upper, tol)
    d = result.reduced_cost if result.reduced_cost is not None else np.zeros(n)
    y = result.row_dual if result.row_dual is not None else np.zeros(m)
    dual_tol = tol * (1.0 + np.abs(form.c).max(initial=0.0))
    free_col = ~np.isfinite(form.col_lower) & ~np.isfinite(form.col_upper)
    return Degeneracy(
        basic_cols_at_bound=np.flatnonzero(basic_col & col_at_bound),
        basic_rows_at_bound=np.flatnonzero(basic_row & row_at_bound),
        nonbasic_cols_zero_cost=np.flatnonzero(~basic_col & ~free_col & (np.abs(d) <= dual_tol)
                                               & (form.col_lower < form.col_upper)),
        binding_rows_zero_dual=np.flatnonzero(row_at_bound & (np.abs(y) <= dual_tol)),
    )


@dataclass
class OneSided:
    """Left and right derivatives of the optimal objective in right-hand sides."""

    left: np.ndarray
    right: np.ndarray
    left_from: np.ndarray
    """How far down the left price holds (the rhs where the next basis change happens)."""
    right_to: np.ndarray
    """How far up the right price holds."""
    resolves: int = 0
    certified: int = 0
    """Sides answered without a re-solve: the basis at hand stays optimal on the whole step."""
    notes: list[str] = field(default_factory=list)


def active_bounds(form: StandardForm, activity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-hand side of each row and which bounds move with it (lower, upper).

    ``<=`` rows move their upper bound, ``>=`` rows their lower bound,
    equalities both; a ranged row moves the bound its activity is nearer.
    """
    lower, upper = form.row_lower, form.row_upper
    low, up = np.isfinite(lower), np.isfinite(upper)
    with np.errstate(invalid="ignore"):
        nearer_upper = np.where(low & up, np.abs(upper - activity) <= np.abs(activity - lower), up)
    move_upper = up & (nearer_upper | (lower == upper))
    move_lower = low & (~nearer_upper | (lower == upper))
    rhs = np.where(move_upper, upper, np.where(move_lower, lower, np.nan))
    return rhs, move_lower, move_upper


def one_sided_prices(session: Session, rows: Sequence[int], need_left: Sequence[bool],
                     need_right: Sequence[bool], objective: float, duals: np.ndarray, activity: np.ndarray,
                     basis: Basis, rel_step: float = 1e-4, attempts: int = 10, min_rel_step: float = 1e-6) -> OneSided:
    """One-sided derivatives of the optimal objective in the right-hand sides of ``rows``.

    For each requested side the right-hand side moves by ``h`` and the LP is
    re-solved warm.  The dual of the re-solved LP is the one-sided derivative
    when no further breakpoint lies within ``h``; that is confirmed by the
    difference quotient matching it, else ``h`` shrinks (by 8, at most
    ``attempts`` times, never below ``min_rel_step * max(1, |rhs|)``: smaller
    moves are within the solver's feasibility tolerance, where a quotient
    measures round-off, not the LP).  A move that makes the LP infeasible gives
    an infinite derivative; the LPs that are feasible form an interval of moves
    around 0, so once the smallest step is infeasible every step is.

    Each re-solve starts from the basis the last one ended in (optimal at the
    original right-hand sides more often than ``basis``, so most re-solves need
    few pivots), and a side whose whole step that basis survives (a session's
    ``basis_stays_optimal``: HiGHS, from its factor) takes its dual without a
    re-solve.  The derivative does not depend on the basis found, and the range
    end reported beside it (``left_from`` / ``right_to``) is where *that* basis
    stops being optimal, a true bound which another basis may place elsewhere.
    The session's bounds and basis are restored afterwards.

    Rows not asked for get their dual on both sides.
    """
    form = session.form
    left = duals.astype(np.float64, copy=True)
    right = duals.astype(np.float64, copy=True)
    rhs, move_lower, move_upper = active_bounds(form, activity)
    out = OneSided(left, right, np.full(left.shape, np.nan), np.full(right.shape, np.nan))
    todo = [(row, bool(want_left), bool(want_right))
            for row, want_left, want_right in zip(rows, need_left, need_right, strict=True)
            if np.isfinite(rhs[row])]
    probe = _Probe(objective, rhs, move_lower, move_upper, np.inf if form.sense == Sense.MINIMIZE else -np.inf,
                   rel_step, attempts, min_rel_step)
    out.resolves, out.certified, out.notes = probe.run(session, todo, basis, out) if todo else (0, 0, [])
    return out


@dataclass
class _Probe:
    """The re-solves of :func:`one_sided_prices`."""

    objective: float
    rhs: np.ndarray
    move_lower: np.ndarray
    move_upper: np.ndarray
    worse: float
    rel_step: float
    attempts: int
    min_rel_step: float

    def run(self, session: Session, todo: list[tuple[int, bool, bool]], basis: Basis,
            out: OneSided) -> tuple[int, int, list[str]]:
        """Fill ``out`` at the rows of ``todo``; the re-solves made, the sides answered from a basis at hand
        and notes."""
        form = session.form
        resolves = certified = 0
        notes: list[str] = []
        stays = getattr(session, "basis_stays_optimal", None)
        session.set_basis(basis)
        try:
            for row, want_left, want_right in todo:
                base = float(self.rhs[row])
                lower0, upper0 = float(form.row_lower[row]), float(form.row_upper[row])
                move_lower, move_upper = bool(self.move_lower[row]), bool(self.move_upper[row])
                for direction, wanted in ((-1.0, want_left), (1.0, want_right)):
                    if not wanted:
                        continue
                    step = self.rel_step * max(1.0, abs(base))
                    smallest = self.min_rel_step * max(1.0, abs(base))
                    if stays is not None:
                        target = base + direction * step
                        known = stays(row, target if move_lower else lower0, target if move_upper else upper0)
                        if known is not None:  # the basis at hand is optimal on the whole step: its dual
                            low, high = known.row_range or _basic_row_range(known.activity, move_lower,
                                                                            move_upper, target)
                            if direction < 0:
                                out.left[row], out.left_from[row] = known.dual, low
                            else:
                                out.right[row], out.right_to[row] = known.dual, high
                            certified += 1
                            continue
                    estimate = float("nan")
                    for _ in range(self.attempts):
                        target = base + direction * step
                        session.change_row_bounds([row], [target if move_lower else lower0],
                                                  [target if move_upper else upper0])
                        solved = session.solve()
                        resolves += 1
                        accepted = False
                        if solved.status is SolveStatus.OPTIMAL and solved.row_dual is not None:
                            estimate = (solved.objective - self.objective) / (direction * step)
                            dual_there = float(solved.row_dual[row])
                            if abs(estimate - dual_there) <= 1e-6 * (1.0 + abs(dual_there)):
                                # the secant equals the slope at the far end: linear on the whole step
                                estimate, accepted = dual_there, True
                                low, high = _row_range(session, solved, row, move_lower, move_upper, target)
                                if direction < 0:
                                    out.left_from[row] = low
                                else:
                                    out.right_to[row] = high
                        session.change_row_bounds([row], [lower0], [upper0])
                        if solved.status is not SolveStatus.OPTIMAL:
                            session.set_basis(basis)  # no optimal basis to go on from
                        if accepted:
                            break
                        if solved.status is SolveStatus.INFEASIBLE:
                            estimate = self.worse if direction > 0 else -self.worse  # this way leaves the feasible set
                        elif solved.status is not SolveStatus.OPTIMAL:
                            notes.append(f"row {row}: re-solve ended {solved.status.value}")
                            break
                        step /= 8.0
                        if step < smallest:
                            break
                    if direction < 0:
                        out.left[row] = estimate
                    else:
                        out.right[row] = estimate
        finally:
            session.set_basis(basis)
        return resolves, certified, notes


def _row_range(session: Session, result: BackendResult, row: int, move_lower: bool, move_upper: bool,
               rhs: float) -> tuple[float, float]:
    """The rhs range of one row at the session's current optimum (see ``report.rhs_ranges``).

    A session that ranges one row on its own (``row_bound_range``: HiGHS, from its basis
    factor) is asked for that row only; others range everything.
    """
    one_row = getattr(session, "row_bound_range", None)
    if one_row is not None:
        nonbasic = one_row(row, result)
    else:
        n = session.form.num_cols
        ranging = session.ranging()
        nonbasic = None if (n + row) in set(session.basic_variables().tolist()) else (
            float(ranging.row_bound_down.value[row]), float(ranging.row_bound_up.value[row]))
    if nonbasic is None:
        assert result.row_activity is not None
        return _basic_row_range(float(result.row_activity[row]), move_lower, move_upper, rhs)
    return nonbasic


def _basic_row_range(activity: float, move_lower: bool, move_upper: bool, rhs: float) -> tuple[float, float]:
    """The rhs range of a basic row: its bound can move freely away from the activity, not past it."""
    if move_upper and not move_lower:
        return activity, float("inf")
    if move_lower and not move_upper:
        return float("-inf"), activity
    return rhs, rhs
