"""The solver-neutral :class:`Session` protocol and the value types it returns.

A session holds one model in a solver, lets the analysis change its numbers in
place (costs, bounds, right-hand sides, coefficients, sense) and re-solve it,
warm from the last basis where the backend can.  Ranging, irreducible
infeasible subsets and feasibility relaxations are optional: a session says
what it offers with the flags :attr:`Session.gives_ranging`,
:attr:`Session.gives_iis` and :attr:`Session.warm_start`, and asking for what
it lacks raises :class:`~solvers.errors.SensitivityError`.  A MILP re-solve can
start from a known solution (:meth:`Session.set_solution`, flag
:attr:`Session.takes_solution`): a session without MIP starts accepts the point
and solves from scratch, so callers need no branch.

Open one with :func:`solvers.open_session` (the backend is chosen by its declared
capabilities) or :meth:`solvers.Backend.open_session`.  HiGHS implements the whole
protocol (:class:`solvers.highs.HighsSession`); every other backend gets a
:class:`solvers.resolve.ResolveSession`, which keeps a changed copy of the form and
solves it from scratch through the backend.

Duals in every :class:`~solvers.result.BackendResult` a session returns follow the
project's convention (derivative of the optimal objective with respect to the active
bound, for minimisation and maximisation alike).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from solvers.errors import ModelError
from solvers.result import BackendResult
from solvers.standard_form import Sense, StandardForm
from solvers.status import SolveStatus


@dataclass
class SessionStats:
    """Counters of a session's solves."""

    solves: int = 0
    warm_solves: int = 0
    cold_solves: int = 0
    cold_fallbacks: int = 0
    """Warm answers that failed the optimality check and were re-solved cold."""
    confirmations: int = 0
    """Warm answers with a non-optimal status that were confirmed by a cold re-solve."""
    status_changed_on_confirm: int = 0
    """Of those, how many got a different status when solved cold."""
    failed_after_cold: int = 0
    """Answers that still failed the check after a cold re-solve (reported, not hidden)."""
    simplex_iterations: int = 0
    mip_starts: int = 0
    """MILP solves that started from a given solution (:meth:`Session.set_solution`)."""


def status_codes(statuses: Any) -> np.ndarray:
    """Basis status codes (0 lower, 1 basic, 2 upper, 3 zero, 4 nonbasic) as an int8 array.

    Takes any sequence of integers or integer-like enums (HiGHS's ``HighsBasisStatus``).

    Example
    -------
    >>> status_codes([1, 0, 2]).tolist()
    [1, 0, 2]
    """
    return np.fromiter(map(operator.index, statuses), dtype=np.int8, count=len(statuses))


@dataclass
class StatusBasis:
    """A basis as plain status-code arrays (what a backend without a basis object returns)."""

    col_status: np.ndarray
    row_status: np.ndarray


@dataclass
class Basis:
    """A basis of a session, to restore with :meth:`Session.set_basis`.

    ``raw`` is the backend's own basis object (cheap to take and to restore; for
    HiGHS a ``HighsBasis``, elsewhere a :class:`StatusBasis`); ``basic`` holds the
    sorted indices of the basic variables (columns ``0..n-1``, rows ``n + i``).
    The per-position statuses are made only when asked for.
    """

    raw: Any
    basic: np.ndarray
    num_cols: int

    @property
    def col_status(self) -> np.ndarray:
        """Basis status codes of the columns (0 lower, 1 basic, 2 upper, 3 zero, 4 nonbasic)."""
        return status_codes(self.raw.col_status)

    @property
    def row_status(self) -> np.ndarray:
        return status_codes(self.raw.row_status)

    def same_basic_set(self, other: Basis) -> bool:
        return bool(self.basic.shape == other.basic.shape and np.array_equal(self.basic, other.basic))


def basic_indices(col_status: np.ndarray, row_status: np.ndarray) -> np.ndarray:
    """Sorted indices of the basic positions: columns as ``j``, rows as ``num_cols + i``."""
    return np.concatenate([np.flatnonzero(np.asarray(col_status) == 1),
                           col_status.size + np.flatnonzero(np.asarray(row_status) == 1)]).astype(np.int64)


@dataclass
class RangingRecord:
    """One side of a ranging: the value at the range end and the objective there."""

    value: np.ndarray
    objective: np.ndarray
    entering: np.ndarray
    leaving: np.ndarray


@dataclass
class Ranging:
    """Ranging (sensitivity) information of an optimal LP basis, as arrays.

    ``cost_down/up``: the cost range of each column over which the basis stays
    optimal.  ``col_bound_down/up`` and ``row_bound_down/up``: for a nonbasic
    (active) bound, the range of that bound over which the basis stays
    optimal; for a basic column or row, the range of its *value* (activity).
    The ``objective`` arrays give the objective at each range end.
    """

    cost_down: RangingRecord
    cost_up: RangingRecord
    col_bound_down: RangingRecord
    col_bound_up: RangingRecord
    row_bound_down: RangingRecord
    row_bound_up: RangingRecord


@dataclass
class Iis:
    """An irreducible infeasible subset: rows and columns with the bounds that conflict.

    ``row_bounds[k]`` / ``col_bounds[k]`` say which bound of ``rows[k]`` /
    ``cols[k]`` takes part: ``"lower"``, ``"upper"``, ``"boxed"`` (both) or
    ``"free"`` (the entry is in the subset through its coefficients only).
    """

    rows: np.ndarray
    row_bounds: list[str]
    cols: np.ndarray
    col_bounds: list[str]
    irreducible: bool
    valid: bool


@dataclass
class Relaxation:
    """The outcome of :meth:`Session.feasibility_relaxation`."""

    status: SolveStatus
    total_penalty: float
    x: np.ndarray | None
    activity: np.ndarray | None
    row_violation: np.ndarray | None
    """Amount by which each row's activity lies outside its bounds (>= 0)."""
    col_violation: np.ndarray | None


@runtime_checkable
class Session(Protocol):
    """A model held in a solver, changed in place and re-solved (warm where the backend can).

    ``form`` is the session's current model (kept in step with every change).
    Flags say what the session offers: ``warm_start`` (re-solves start from the
    last basis), ``gives_basis`` (:meth:`basis` and :meth:`basic_variables` are
    meaningful), ``gives_ranging`` (:meth:`ranging`), ``gives_iis`` (:meth:`iis`
    and :meth:`feasibility_relaxation`), ``takes_solution`` (:meth:`set_solution`
    gives the next MILP solve a starting incumbent; elsewhere the point is accepted
    and ignored).  Methods a session lacks raise
    :class:`~solvers.errors.SensitivityError` saying which backend has them.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, open_session
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> session = open_session(form)
    >>> isinstance(session, Session), session.gives_ranging
    (True, True)
    >>> session.solve().objective
    36.0
    >>> session.change_row_bounds([1], [-np.inf], [13.0])
    >>> round(session.solve().objective, 9)
    37.5
    """

    form: StandardForm
    stats: SessionStats

    @property
    def warm_start(self) -> bool: ...
    @property
    def gives_basis(self) -> bool: ...
    @property
    def gives_ranging(self) -> bool: ...
    @property
    def gives_iis(self) -> bool: ...
    @property
    def takes_solution(self) -> bool: ...

    def change_costs(self, indices: Any, values: Any) -> None: ...
    def change_col_bounds(self, indices: Any, lower: Any, upper: Any) -> None: ...
    def change_row_bounds(self, indices: Any, lower: Any, upper: Any) -> None: ...
    def change_coefficients(self, rows: Any, cols: Any, values: Any) -> None: ...
    def change_sense(self, sense: Sense) -> None: ...

    def solve(self, *, cold: bool = False, basis: bool = False) -> BackendResult: ...

    def basis(self) -> Basis: ...
    def set_basis(self, basis: Basis) -> None: ...
    def set_basis_status(self, col_status: np.ndarray, row_status: np.ndarray) -> None: ...
    def basic_variables(self) -> np.ndarray: ...
    def clear_basis(self) -> None: ...
    def set_solution(self, x: Any) -> None: ...

    def ranging(self) -> Ranging: ...
    def iis(self, irreducible: bool = True) -> Iis: ...
    def feasibility_relaxation(self, row_penalty: Any = 1.0, col_lower_penalty: Any = -1.0,
                               col_upper_penalty: Any = -1.0) -> Relaxation: ...


# Helpers every session implementation shares -----------------------------------------------

def editable_copy(form: StandardForm) -> StandardForm:
    """A copy of ``form`` whose arrays a session may change in place (CSR matrix, sorted indices)."""
    import scipy.sparse as sp

    copy = StandardForm(
        c=np.array(form.c, dtype=np.float64), A=sp.csr_matrix(form.A, dtype=np.float64, copy=True),
        row_lower=np.array(form.row_lower, dtype=np.float64),
        row_upper=np.array(form.row_upper, dtype=np.float64),
        col_lower=np.array(form.col_lower, dtype=np.float64),
        col_upper=np.array(form.col_upper, dtype=np.float64),
        sense=form.sense, constant=form.constant,
        integrality=None if form.integrality is None else np.array(form.integrality),
        Q=form.Q, cones=form.cones, col_names=form.col_names, row_names=form.row_names, name=form.name,
        metadata=dict(form.metadata))
    copy.A.sort_indices()
    return copy


def index_values(indices: Any, values: Any, size: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated int32 positions and float values (broadcast) of one vectorised change."""
    idx = np.ascontiguousarray(indices, dtype=np.int32).reshape(-1)
    vals = np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), idx.shape))
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx[(idx < 0) | (idx >= size)][0])
        raise ModelError(f"{what} index {bad} is outside 0..{size - 1}")
    if np.isnan(vals).any():
        k = int(np.flatnonzero(np.isnan(vals))[0])
        raise ModelError(f"value for {what} {int(idx[k])} is NaN; give a number or +-inf")
    return idx, vals


def check_solution(form: StandardForm, x: Any) -> np.ndarray:
    """``x`` as a float array with one finite value per column of ``form`` (a starting point for a solve)."""
    values = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    if values.size != form.num_cols:
        raise ModelError(f"a starting solution needs one value per column: got {values.size}, the model has "
                         f"{form.num_cols} columns")
    if not np.isfinite(values).all():
        k = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ModelError(f"starting value of column {k} is {values[k]}; give a finite number")
    return values


def check_basis_shape(form: StandardForm, col_status: np.ndarray, row_status: np.ndarray) -> None:
    """Raise :class:`ModelError` unless a basis has one status per column and per row of ``form``."""
    if len(col_status) != form.num_cols or len(row_status) != form.num_rows:
        raise ModelError(f"basis has {len(col_status)} column and {len(row_status)} row statuses; the model "
                         f"has {form.num_cols} columns and {form.num_rows} rows")


def set_costs(form: StandardForm, indices: Any, values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate and write ``form.c[indices] = values``; the positions and values, for the solver."""
    idx, vals = index_values(indices, values, form.num_cols, "column")
    form.c[idx] = vals
    return idx, vals


def set_bounds(form: StandardForm, which: str, indices: Any, lower: Any,
               upper: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and write the bounds of columns (``which="col"``) or rows (``"row"``); positions, lower, upper."""
    size, what = (form.num_cols, "column") if which == "col" else (form.num_rows, "row")
    idx, low = index_values(indices, lower, size, what)
    _, up = index_values(indices, upper, size, what)
    getattr(form, f"{which}_lower")[idx] = low
    getattr(form, f"{which}_upper")[idx] = up
    return idx, low, up


def set_coefficients(form: StandardForm, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
    """Set ``form.A[rows[k], cols[k]] = values[k]`` in a CSR matrix with sorted indices (in bulk)."""
    import scipy.sparse as sp

    A = form.A
    positions = np.full(rows.size, -1, dtype=np.int64)
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        lo, hi = int(A.indptr[i]), int(A.indptr[i + 1])
        p = lo + int(np.searchsorted(A.indices[lo:hi], j))
        if p < hi and A.indices[p] == j:
            positions[k] = p
    found = positions >= 0
    A.data[positions[found]] = values[found]
    if not found.all():
        extra = sp.csr_matrix((values[~found], (rows[~found], cols[~found])), shape=A.shape)
        merged = (A + extra).tocsr()
        merged.sort_indices()
        form.A = merged
