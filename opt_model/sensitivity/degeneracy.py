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

    With a session that can check a basis against a move without solving
    (``basis_stays_optimal``: HiGHS, from its factor), sides are first moved
    ``BATCH`` at a time: one re-solve with all of them moved, then each side whose
    whole step *alone* the basis found survives takes that basis's dual (the
    derivative, as the step is linear for that basis), and so does any later side
    the basis at hand survives.  Sides no batch answered are re-solved one by one,
    each from the basis the last re-solve ended in.  The derivative does not depend
    on the basis; the range end reported beside it (``left_from`` / ``right_to``) is
    where the basis that answered stops being optimal, a true bound which another
    basis may place elsewhere.  The session's bounds and basis are restored afterwards.

    Rows not asked for get their dual on both sides.
    """
    left = duals.astype(np.float64, copy=True)
    right = duals.astype(np.float64, copy=True)
    out = OneSided(left, right, np.full(left.shape, np.nan), np.full(right.shape, np.nan))
    probe = _Probe(session, basis, out, objective, activity, rel_step, attempts, min_rel_step)
    todo = [(row, bool(want_left), bool(want_right))
            for row, want_left, want_right in zip(rows, need_left, need_right, strict=True)
            if np.isfinite(probe.rhs[row])]
    out.resolves, out.certified, out.notes = probe.run(todo) if todo else (0, 0, [])
    return out


BATCH = 20
"""Sides moved together in one re-solve: the basis found is optimal on most of their steps taken alone (on
the 2,000-arc flow of ``benchmarks/sensitivity_speed.py`` 435 sides took 261 re-solves one at a time, 31 in
batches of 20, 27 of 40)."""
USELESS_BATCHES = 2
"""Batching stops after this many batches in a row that each answered fewer than two sides: a batch costs a
re-solve, so on LPs whose bases do not carry over from side to side it would only add re-solves."""


class _Probe:
    """The re-solves of :func:`one_sided_prices` on one session, filling ``out``."""

    def __init__(self, session: Session, basis: Basis, out: OneSided, objective: float, activity: np.ndarray,
                 rel_step: float, attempts: int, min_rel_step: float) -> None:
        self.session, self.basis, self.out = session, basis, out
        self.objective = objective
        self.rhs, self.move_lower, self.move_upper = active_bounds(session.form, activity)
        self.worse = np.inf if session.form.sense == Sense.MINIMIZE else -np.inf
        self.rel_step, self.attempts, self.min_rel_step = rel_step, attempts, min_rel_step
        self.resolves = self.certified = 0
        self.notes: list[str] = []
        self.stays = getattr(session, "basis_stays_optimal", None)

    def run(self, todo: list[tuple[int, bool, bool]]) -> tuple[int, int, list[str]]:
        """Fill ``out`` at the rows of ``todo``; the re-solves made, the sides answered from a basis at hand
        and notes."""
        session, basis = self.session, self.basis
        pending = [(row, direction) for row, want_left, want_right in todo
                   for direction, wanted in ((-1.0, want_left), (1.0, want_right)) if wanted]
        alone: set[tuple[int, float]] = set()  # sides a batch did not answer: re-solved on their own
        useless = 0  # batches in a row that answered fewer than two sides (no re-solve saved)
        session.set_basis(basis)
        try:
            while pending:
                side = pending[0]
                if self._from_basis_at_hand(*side):
                    pending.pop(0)
                    continue
                if self.stays is not None and side not in alone and useless < USELESS_BATCHES:
                    batch = self._batch(pending, alone)
                    answered = self._solve_batch(batch)
                    useless = useless + 1 if len(answered) < 2 else 0
                    alone.update(member for member in batch if member not in answered)
                    pending = [member for member in pending if member not in answered]
                    if side in answered:
                        continue
                self._probe(*side)
                pending.pop(0)
        finally:
            session.set_basis(basis)
        return self.resolves, self.certified, self.notes

    def _target(self, row: int, direction: float) -> tuple[float, float, float]:
        """The first step's right-hand side and the row's bounds there."""
        base = float(self.rhs[row])
        target = base + direction * self.rel_step * max(1.0, abs(base))
        return (target, *self._bounds_at(row, target))

    def _bounds_at(self, row: int, target: float) -> tuple[float, float]:
        """The row's bounds with its active bound(s) at ``target``."""
        form = self.session.form
        return (target if self.move_lower[row] else float(form.row_lower[row]),
                target if self.move_upper[row] else float(form.row_upper[row]))

    def _from_basis_at_hand(self, row: int, direction: float) -> bool:
        """Answer the side without a re-solve when the basis at hand is optimal on its whole first step."""
        if self.stays is None:
            return False
        target, lower, upper = self._target(row, direction)
        known = self.stays(row, lower, upper)
        if known is None:
            return False
        low, high = known.row_range or _basic_row_range(known.activity, bool(self.move_lower[row]),
                                                        bool(self.move_upper[row]), target)
        if direction < 0:
            self.out.left[row], self.out.left_from[row] = known.dual, low
        else:
            self.out.right[row], self.out.right_to[row] = known.dual, high
        self.certified += 1
        return True

    def _batch(self, pending: list[tuple[int, float]], alone: set[tuple[int, float]]) -> list[tuple[int, float]]:
        """The next sides to move together: up to ``BATCH``, one per row, none a batch left unanswered."""
        batch: list[tuple[int, float]] = []
        rows: set[int] = set()
        for side in pending:
            if side[0] not in rows and side not in alone:
                batch.append(side)
                rows.add(side[0])
                if len(batch) == BATCH:
                    break
        return batch

    def _solve_batch(self, batch: list[tuple[int, float]]) -> set[tuple[int, float]]:
        """Move every side of ``batch`` by its first step at once, re-solve once, put the bounds back, and
        answer each side the basis found is optimal on (its whole step alone, checked from the factor)."""
        session = self.session
        form = session.form
        rows = [row for row, _ in batch]
        lower0, upper0 = form.row_lower[rows].copy(), form.row_upper[rows].copy()
        moved = [self._target(row, direction) for row, direction in batch]
        session.change_row_bounds(rows, [m[1] for m in moved], [m[2] for m in moved])
        solved = session.solve()
        self.resolves += 1
        session.change_row_bounds(rows, lower0, upper0)
        if solved.status is not SolveStatus.OPTIMAL:
            session.set_basis(self.basis)  # no optimal basis to go on from
            return set()
        return {side for side in batch if self._from_basis_at_hand(*side)}

    def _probe(self, row: int, direction: float) -> None:
        """Re-solve with the row moved alone, shrinking the step until the secant is the slope."""
        session, out = self.session, self.out
        form = session.form
        base = float(self.rhs[row])
        lower0, upper0 = float(form.row_lower[row]), float(form.row_upper[row])
        move_lower, move_upper = bool(self.move_lower[row]), bool(self.move_upper[row])
        step = self.rel_step * max(1.0, abs(base))
        smallest = self.min_rel_step * max(1.0, abs(base))
        estimate = float("nan")
        for _ in range(self.attempts):
            target = base + direction * step
            lower, upper = self._bounds_at(row, target)
            session.change_row_bounds([row], [lower], [upper])
            solved = session.solve()
            self.resolves += 1
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
                session.set_basis(self.basis)  # no optimal basis to go on from
            if accepted:
                break
            if solved.status is SolveStatus.INFEASIBLE:
                estimate = self.worse if direction > 0 else -self.worse  # moving this way leaves the feasible set
            elif solved.status is not SolveStatus.OPTIMAL:
                self.notes.append(f"row {row}: re-solve ended {solved.status.value}")
                break
            step /= 8.0
            if step < smallest:
                break
        if direction < 0:
            out.left[row] = estimate
        else:
            out.right[row] = estimate


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
