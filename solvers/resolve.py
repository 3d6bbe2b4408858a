"""The generic session: a changed copy of the standard form, solved from scratch by any backend.

Every backend that has no live session of its own (CVXPY, Pyomo, a backend
registered by a user) gets this one from :meth:`solvers.Backend.open_session`,
so the analysis runs through one :class:`~solvers.session.Session` protocol
whatever solver holds the model.  Changes are written into the copy; each
:meth:`ResolveSession.solve` hands the whole copy to the backend.  Basis hints are
accepted and ignored (``warm_start`` is False), and so are MILP starting points
(``takes_solution`` is False); a basis is reported when the backend returns one.
Ranging, IIS and relaxations are not offered.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.errors import SensitivityError
from solvers.kkt import ResidualTolerances, check_optimality
from solvers.options import SolveOptions
from solvers.result import BackendResult
from solvers.session import (
    Basis,
    Iis,
    Ranging,
    Relaxation,
    SessionStats,
    StatusBasis,
    basic_indices,
    check_basis_shape,
    check_solution,
    editable_copy,
    index_values,
    set_bounds,
    set_coefficients,
    set_costs,
)
from solvers.standard_form import Sense, StandardForm
from solvers.status import SolveStatus

if TYPE_CHECKING:
    from solvers.backend import Backend


class ResolveSession:
    """A :class:`~solvers.session.Session` that re-solves a changed copy of the form through ``backend``.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, get_backend
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> session = ResolveSession(form, get_backend("highs"))
    >>> session.change_row_bounds([1], [-np.inf], [13.0])
    >>> result = session.solve()
    >>> round(result.objective, 9), result.extra["warm"], session.gives_ranging
    (37.5, False, False)
    """

    warm_start = False
    gives_ranging = False
    gives_iis = False
    takes_solution = False

    def __init__(self, form: StandardForm, backend: Backend, options: SolveOptions | Mapping[str, Any] | None = None,
                 *, verify: bool = True, tolerances: ResidualTolerances | None = None,
                 confirm_nonoptimal: bool = True) -> None:
        form.validate()
        self.form = editable_copy(form)
        self.backend = backend
        self.options = options if isinstance(options, SolveOptions) else SolveOptions.from_mapping(options)
        self.verify = verify
        self.tolerances = tolerances or ResidualTolerances()
        self.stats = SessionStats()
        self.handoff_time_s = 0.0
        self._last: BackendResult | None = None

    @property
    def gives_basis(self) -> bool:
        """True once a solve has returned a basis (simplex-based backends do, interior point ones do not)."""
        return self._last is not None and self._last.col_basis is not None and self._last.row_basis is not None

    # changes -----------------------------------------------------------------------------
    def change_costs(self, indices: Any, values: Any) -> None:
        set_costs(self.form, indices, values)

    def change_col_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        set_bounds(self.form, "col", indices, lower, upper)

    def change_row_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        set_bounds(self.form, "row", indices, lower, upper)

    def change_coefficients(self, rows: Any, cols: Any, values: Any) -> None:
        row_idx, vals = index_values(rows, values, self.form.num_rows, "row")
        col_idx, _ = index_values(cols, values, self.form.num_cols, "column")
        set_coefficients(self.form, row_idx, col_idx, vals)

    def change_sense(self, sense: Sense) -> None:
        self.form.sense = sense

    # bases (reported when the backend gives one; hints are ignored) ------------------------
    def basis(self) -> Basis:
        last = self._last
        if last is None or last.col_basis is None or last.row_basis is None:
            raise SensitivityError(f"{self.backend.full_name} returned no basis for the last solve; "
                                   "use a simplex backend (e.g. 'highs') for basis information")
        return Basis(StatusBasis(last.col_basis, last.row_basis), basic_indices(last.col_basis, last.row_basis),
                     self.form.num_cols)

    def set_basis(self, basis: Basis) -> None:
        """Accepted for the protocol; every solve of this session starts from scratch."""

    def set_basis_status(self, col_status: np.ndarray, row_status: np.ndarray) -> None:
        check_basis_shape(self.form, col_status, row_status)

    def basic_variables(self) -> np.ndarray:
        last = self._last
        if last is None or last.col_basis is None or last.row_basis is None:
            return np.zeros(0, dtype=np.int64)
        return basic_indices(last.col_basis, last.row_basis)

    def clear_basis(self) -> None:
        """Nothing to clear: every solve is cold."""

    def set_solution(self, x: Any) -> None:
        """Accepted for the protocol (checked for shape); every solve of this session starts from scratch."""
        check_solution(self.form, x)

    # solving ---------------------------------------------------------------------------------
    def solve(self, *, cold: bool = False, basis: bool = False) -> BackendResult:
        """Solve the current copy from scratch; ``extra`` holds ``warm`` (False), ``fallback`` and ``residuals``."""
        start = time.perf_counter()
        result = self.backend.solve(self.form, self.options)
        if not np.isfinite(result.solve_time_s):
            result.solve_time_s = time.perf_counter() - start
        self.stats.solves += 1
        self.stats.cold_solves += 1
        self._last = result
        if (self.verify and result.status is SolveStatus.OPTIMAL and result.x is not None and self.form.Q is None
                and not self.form.cones and not self.form.is_mip):
            activity = result.row_activity if result.row_activity is not None else self.form.A @ result.x
            residuals = check_optimality(self.form, result.x, activity, result.row_dual, result.reduced_cost,
                                         result.objective, self.tolerances)
            result.extra["residuals"] = residuals.as_dict()
            if not residuals.ok:
                self.stats.failed_after_cold += 1
                result.message = f"answer fails the optimality check of a cold solve: {residuals.reason}"
        result.extra["warm"] = False
        result.extra["fallback"] = False
        return result

    # what this session does not offer ------------------------------------------------------------
    def _lacks(self, what: str) -> SensitivityError:
        return SensitivityError(f"{what} needs a backend that declares it; {self.backend.full_name} does not "
                                "(open the session with solver='highs' for an LP)")

    def ranging(self) -> Ranging:
        raise self._lacks("ranging")

    def iis(self, irreducible: bool = True) -> Iis:
        raise self._lacks("an irreducible infeasible subset")

    def feasibility_relaxation(self, row_penalty: Any = 1.0, col_lower_penalty: Any = -1.0,
                               col_upper_penalty: Any = -1.0) -> Relaxation:
        raise self._lacks("a feasibility relaxation")
