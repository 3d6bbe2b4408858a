"""The HiGHS session: a model passed once, changed in place, re-solved from the last basis.

Implements the whole :class:`solvers.session.Session` protocol, ranging, IIS,
feasibility relaxation and MIP starts (``setSolution``) included.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from solvers.backend import SolveOptions
from solvers.errors import SensitivityError, SolverError
from solvers.highs.core import apply_options, check_status, highspy, map_status, new_highs, pass_model
from solvers.highs.moves import BasisMoves, StaysOptimal
from solvers.kkt import BoundTerms, Residuals, ResidualTolerances, check_optimality
from solvers.result import BackendResult
from solvers.session import (
    Basis,
    Iis,
    Ranging,
    RangingRecord,
    Relaxation,
    SessionStats,
    check_basis_shape,
    check_solution,
    editable_copy,
    index_values,
    set_bounds,
    set_coefficients,
    set_costs,
)
from solvers.standard_form import ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus


def _ranging_record(record: Any, size: int) -> RangingRecord:
    """Arrays of one ranging record, cut to ``size`` (HiGHS pads cost records with the rows)."""
    value = np.asarray(record.value_, dtype=np.float64)[:size].copy()
    objective = np.asarray(record.objective_, dtype=np.float64)[:size].copy()
    for array in (value, objective):
        array[array >= highspy.kHighsInf] = np.inf
        array[array <= -highspy.kHighsInf] = -np.inf
        array += 0.0  # -0.0 -> 0.0
    return RangingRecord(value, objective, np.asarray(record.in_var_, dtype=np.int64)[:size],
                         np.asarray(record.ou_var_, dtype=np.int64)[:size])


_IIS_BOUND = {-1: "dropped", 0: "none", 1: "free", 2: "lower", 3: "upper", 4: "boxed"}


class HighsSession:
    """A model held in a live HiGHS instance, changed in place and re-solved warm.

    The model is passed once.  Costs, bounds and coefficients then change in
    place (vectorised where highspy allows) and :meth:`solve` starts from the
    previous basis.  Every warm answer is checked against the KKT conditions
    (:func:`check_optimality`); an answer that fails is solved again from
    scratch and counted in :attr:`stats`, guarding against warm starts that
    return a non-optimal point marked optimal (HiGHS 1.15-1.16).

    Duals follow the project's convention (derivatives of the optimal objective
    with respect to the active bounds), for minimisation and maximisation alike;
    the reduced costs returned are ``c - A' y`` from the row duals.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> session = HighsSession(form)
    >>> session.solve().objective
    36.0
    >>> session.change_row_bounds([1], [-np.inf], [13.0])
    >>> result = session.solve()
    >>> round(result.objective, 9), result.extra["warm"]
    (37.5, True)
    """

    def __init__(self, form: StandardForm, options: SolveOptions | Mapping[str, Any] | None = None, *,
                 verify: bool = True, tolerances: ResidualTolerances | None = None,
                 confirm_nonoptimal: bool = True, variant: str | None = None) -> None:
        opts = options if isinstance(options, SolveOptions) else SolveOptions.from_mapping(options)
        form.validate()
        if form.cones:
            raise SolverError("a HiGHS session takes LP, MILP and QP models; this model has cone constraints "
                              "(open it with solvers.open_session, which picks a conic backend)")
        self.form = editable_copy(form)
        self.verify = verify
        self.tolerances = tolerances or ResidualTolerances()
        self.confirm_nonoptimal = confirm_nonoptimal
        self.stats = SessionStats()
        self._highs = new_highs(opts.verbose)
        apply_options(self._highs, opts, variant)
        start = time.perf_counter()
        pass_model(self._highs, self.form)
        self.handoff_time_s = time.perf_counter() - start
        self._solved = False
        self._start = False
        self._lp = form.problem_class is ProblemClass.LP
        self._transpose: tuple[Any, Any] | None = None  # (A, A' as CSR): reduced costs c - A'y after each solve
        # made once per change, for the check of every answer: bound terms of columns and rows, and the
        # size below which a reduced cost is round-off
        self._col_terms: BoundTerms | None = None
        self._row_terms: BoundTerms | None = None
        self._zero_cost: np.ndarray | None = None
        # the last optimal LP solve while its basis is current and only row bounds changed since (basis_stays_optimal)
        self._moves: BasisMoves | None = None
        self._version = f"{self._highs.versionMajor()}.{self._highs.versionMinor()}.{self._highs.versionPatch()}"

    # capabilities (the Session protocol's flags) ----------------------------------------
    @property
    def warm_start(self) -> bool:
        """Re-solves start from the last basis (LPs; MILPs and QPs are re-solved by HiGHS from scratch)."""
        return self._lp

    @property
    def gives_basis(self) -> bool:
        """A basis after LP and QP solves (none after branch-and-bound)."""
        return not self.form.is_mip

    @property
    def gives_ranging(self) -> bool:
        return self._lp

    @property
    def gives_iis(self) -> bool:
        return self._lp

    @property
    def takes_solution(self) -> bool:
        """MILPs: :meth:`set_solution` hands branch-and-bound a starting incumbent (HiGHS ``setSolution``)."""
        return self.form.is_mip

    # changes -------------------------------------------------------------------
    def change_costs(self, indices: Any, values: Any) -> None:
        """Set objective coefficients ``c[indices] = values`` (one vectorised call)."""
        idx, vals = set_costs(self.form, indices, values)
        self._zero_cost = None
        self._moves = None
        check_status(self._highs.changeColsCost(idx.size, idx, vals), "changing costs")

    def change_col_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        """Set variable bounds (``numpy.inf`` for none) in one vectorised call."""
        idx, low, up = set_bounds(self.form, "col", indices, lower, upper)
        self._col_terms = None
        self._moves = None
        check_status(self._highs.changeColsBounds(idx.size, idx, low, up), "changing variable bounds")

    def change_row_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        """Set row bounds (right-hand sides) in one vectorised call."""
        if type(indices) is list and len(indices) == 1 and type(lower) is list and type(upper) is list \
                and len(lower) == 1 and len(upper) == 1:  # one row (re-solve loops): no array round trip
            row, low_value, up_value = indices[0], lower[0], upper[0]
            if isinstance(row, (int, np.integer)) and 0 <= row < self.form.row_lower.shape[0] \
                    and isinstance(low_value, float) and isinstance(up_value, float) \
                    and low_value == low_value and up_value == up_value:  # (NaN fails ==; the general path says why)
                self.form.row_lower[row] = low_value
                self.form.row_upper[row] = up_value
                if self._row_terms is not None:
                    self._row_terms.set(int(row), low_value, up_value)
                check_status(self._highs.changeRowBounds(int(row), low_value, up_value), "changing row bounds")
                return
        idx, low, up = set_bounds(self.form, "row", indices, lower, upper)
        self._row_terms = None
        check_status(self._highs.changeRowsBounds(idx.size, idx, low, up), "changing row bounds")

    def change_coefficients(self, rows: Any, cols: Any, values: Any) -> None:
        """Set constraint coefficients ``A[rows[k], cols[k]] = values[k]``.

        highspy changes one coefficient per call (``changeCoeff``); the local
        copy of ``A`` used by the optimality check is updated in bulk.
        """
        row_idx, vals = index_values(rows, values, self.form.num_rows, "row")
        col_idx, _ = index_values(cols, values, self.form.num_cols, "column")
        change = self._highs.changeCoeff
        for i, j, v in zip(row_idx.tolist(), col_idx.tolist(), vals.tolist(), strict=True):
            check_status(change(i, j, v), "changing a coefficient")
        set_coefficients(self.form, row_idx, col_idx, vals)
        self._transpose = None
        self._moves = None

    def change_sense(self, sense: Sense) -> None:
        self.form.sense = sense
        self._moves = None
        check_status(self._highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if sense == Sense.MAXIMIZE else highspy.ObjSense.kMinimize),
            "changing the objective sense")

    # bases -------------------------------------------------------------------------
    def basis(self) -> Basis:
        """The current basis (after a solve), to restore later with :meth:`set_basis`."""
        return Basis(self._highs.getBasis(), self.basic_variables(), self.form.num_cols)

    def set_basis(self, basis: Basis) -> None:
        """Make ``basis`` the starting point of the next solve."""
        check_status(self._highs.setBasis(basis.raw), "setting a basis")
        self._solved = True
        self._moves = None

    def set_basis_status(self, col_status: np.ndarray, row_status: np.ndarray) -> None:
        """Start the next solve from a basis given as status codes (:attr:`Basis.col_status` layout).

        Lets another process or a fresh session start where this one ended.
        """
        check_basis_shape(self.form, col_status, row_status)
        codes = [highspy.HighsBasisStatus(k) for k in range(5)]
        raw = highspy.HighsBasis()
        raw.col_status = [codes[k] for k in np.asarray(col_status, dtype=np.int64).tolist()]
        raw.row_status = [codes[k] for k in np.asarray(row_status, dtype=np.int64).tolist()]
        raw.valid = True
        check_status(self._highs.setBasis(raw), "setting a basis")
        self._solved = True
        self._moves = None

    def basic_variables(self) -> np.ndarray:
        """Sorted indices of the basic variables: columns as ``j``, rows as ``num_cols + i``."""
        status, basic = self._highs.getBasicVariables()
        if status == highspy.HighsStatus.kError:
            return np.zeros(0, dtype=np.int64)
        basic = np.asarray(basic, dtype=np.int64)
        return np.sort(np.where(basic >= 0, basic, self.form.num_cols - 1 - basic))

    def clear_basis(self) -> None:
        """Forget the basis: the next solve is cold."""
        self._highs.clearSolver()
        self._start = False
        self._moves = None

    def set_solution(self, x: Any) -> None:
        """Start the next MILP solve from the point ``x`` (one value per column), e.g. the last incumbent.

        HiGHS checks the point against the current model: a feasible one becomes the
        first incumbent (a bound that prunes the tree from the start), an infeasible
        one is dropped, so the answer is the same as a cold solve's.  Set it after the
        changes and before :meth:`solve`; the solve's ``extra["mip_start"]`` says it
        was given.  LPs (warm from the basis) and QPs accept the point and ignore it.
        """
        values = check_solution(self.form, x)
        if not self.form.is_mip:
            return
        n = self.form.num_cols
        check_status(self._highs.setSolution(n, np.arange(n, dtype=np.int32), values),
                     "setting a starting solution")
        self._start = True

    # solving ---------------------------------------------------------------------------
    def solve(self, *, cold: bool = False, basis: bool = False) -> BackendResult:
        """Solve (warm from the current basis unless ``cold``) and check the answer.

        Returns a :class:`BackendResult`; ``extra`` holds ``warm`` (whether the
        answer came from a warm start), ``fallback`` (whether it was re-solved
        cold after failing the check) and ``residuals``.  ``basis=True`` also
        fills ``col_basis`` / ``row_basis`` (a Python object per position: slow
        on large models).
        """
        h = self._highs
        warm = self._solved and not cold and self._lp and bool(h.getBasis().valid)
        mip_start = self._start and not cold
        self._start = False
        if cold:
            h.clearSolver()
        result, residuals = self._run(warm)
        fallback = False
        if warm and self.verify:
            if result.status is SolveStatus.OPTIMAL and residuals is not None and not residuals.ok:
                self.stats.cold_fallbacks += 1
                fallback = True
            elif result.status is not SolveStatus.OPTIMAL and self.confirm_nonoptimal:
                self.stats.confirmations += 1
                fallback = True
            if fallback:
                first_status = result.status
                h.clearSolver()
                result, residuals = self._run(False)
                if first_status is not SolveStatus.OPTIMAL and result.status is not first_status:
                    self.stats.status_changed_on_confirm += 1
        if residuals is not None and not residuals.ok:
            if fallback:
                self.stats.failed_after_cold += 1
            how = "after a cold re-solve" if fallback else "of a cold solve"
            result.message = f"answer fails the optimality check {how}: {residuals.reason}"
        result.extra["warm"] = warm and not fallback
        result.extra["fallback"] = fallback
        if self.form.is_mip:
            result.extra["mip_start"] = mip_start
            if mip_start:
                self.stats.mip_starts += 1
        if residuals is not None:
            result.extra["residuals"] = residuals.as_dict()
        if basis and h.getBasis().valid:
            snapshot = self.basis()
            result.col_basis = snapshot.col_status
            result.row_basis = snapshot.row_status
        self._solved = True
        self._moves = None
        if self._lp and result.status is SolveStatus.OPTIMAL and result.x is not None \
                and result.row_activity is not None and result.row_dual is not None:
            self._moves = self._basis_moves(result)
        return result

    def _basis_moves(self, result: BackendResult) -> BasisMoves:
        """``result``'s basis, taken as the one HiGHS holds, at the present row bounds."""
        assert result.x is not None and result.row_activity is not None
        row_dual = result.row_dual if result.row_dual is not None else np.zeros(self.form.num_rows)
        return BasisMoves(self._highs, self.form, result.x, result.row_activity, row_dual,
                          self.form.row_lower.copy(), self.form.row_upper.copy())

    def _run(self, warm: bool) -> tuple[BackendResult, Residuals | None]:
        h = self._highs
        start = time.perf_counter()
        run_status = h.run()
        elapsed = time.perf_counter() - start
        self.stats.solves += 1
        if warm:
            self.stats.warm_solves += 1
        else:
            self.stats.cold_solves += 1
        raw = h.getModelStatus()
        info = h.getInfo()
        result = BackendResult(status=map_status(raw), solver="highs:session",
                               solver_version=self._version,
                               raw_status=raw.name, handoff_time_s=0.0, solve_time_s=elapsed)
        if run_status == highspy.HighsStatus.kError and result.status is SolveStatus.OPTIMAL:
            result.status = SolveStatus.ERROR
        iterations = int(info.simplex_iteration_count)
        self.stats.simplex_iterations += iterations
        result.iterations = {"simplex": iterations, "ipm": int(info.ipm_iteration_count),
                             "qp": int(info.qp_iteration_count), "mip_nodes": int(info.mip_node_count)}
        if not (int(info.primal_solution_status) == 2 or raw.name == "kModelEmpty"):
            return result, None
        solution = h.getSolution()
        x = np.fromiter(solution.col_value, dtype=np.float64, count=self.form.num_cols)
        activity = np.fromiter(solution.row_value, dtype=np.float64, count=self.form.num_rows)
        result.x = x
        result.row_activity = activity
        result.objective = (float(info.objective_function_value) if raw.name != "kModelEmpty"
                            else self.form.constant)
        if self._lp and int(info.dual_solution_status) == 2:
            row_dual = np.fromiter(solution.row_dual, dtype=np.float64, count=self.form.num_rows)
            result.row_dual = row_dual
            reduced_cost = self.form.c - self._a_transpose() @ row_dual
            if self._zero_cost is None:
                self._zero_cost = 1e-12 * (1.0 + np.abs(self.form.c))
            reduced_cost[np.abs(reduced_cost) <= self._zero_cost] = 0.0
            result.reduced_cost = reduced_cost
        if self.form.is_mip:
            result.mip_bound = float(info.mip_dual_bound)
            result.mip_gap = float(info.mip_gap)
        residuals = None
        if self.verify and result.status is SolveStatus.OPTIMAL and self.form.Q is None:
            residuals = check_optimality(self.form, x, activity, result.row_dual, result.reduced_cost,
                                         result.objective, self.tolerances, self._bound_terms())
        return result, residuals

    def _bound_terms(self) -> tuple[BoundTerms, BoundTerms]:
        if self._col_terms is None:
            self._col_terms = BoundTerms(self.form.col_lower, self.form.col_upper)
        if self._row_terms is None:
            self._row_terms = BoundTerms(self.form.row_lower, self.form.row_upper)
        return self._col_terms, self._row_terms

    def _a_transpose(self) -> Any:
        """``A'`` as a CSR matrix, made once per matrix (the same sums, in the same order, as ``A.T @ y``)."""
        A = self.form.A
        if self._transpose is None or self._transpose[0] is not A:
            self._transpose = (A, A.T.tocsr())
        return self._transpose[1]

    # analysis -------------------------------------------------------------------------------
    def ranging(self) -> Ranging:
        """HiGHS's ranging of the last optimal LP solve as arrays (see :class:`Ranging`)."""
        if not self._lp:
            raise SensitivityError("ranging exists for LPs only; fix the integer variables first")
        status, ranging = self._highs.getRanging()
        if status == highspy.HighsStatus.kError or not ranging.valid:
            raise SensitivityError("HiGHS has no ranging for this solve: it needs an optimal simplex basis "
                                   "(solve the LP to optimality first)")
        n, m = self.form.num_cols, self.form.num_rows
        return Ranging(*(_ranging_record(getattr(ranging, part), size) for part, size in (
            ("col_cost_dn", n), ("col_cost_up", n), ("col_bound_dn", n), ("col_bound_up", n),
            ("row_bound_dn", m), ("row_bound_up", m))))

    def row_bound_range(self, row: int, result: BackendResult) -> tuple[float, float] | None:
        """One row's entry of :meth:`ranging` (``row_bound_down``, ``row_bound_up`` values) after ``result``,
        the last optimal LP solve; None when the row is basic.  One solve with the basis instead of
        ranging everything (see :mod:`solvers.highs.ranging`)."""
        if not self._lp or result.x is None or result.row_activity is None:
            raise SensitivityError("ranging exists for LPs solved to optimality only")
        moves = self._moves if self._moves is not None and self._moves.x is result.x else self._basis_moves(result)
        return moves.row_range(row)

    def basis_stays_optimal(self, row: int, lower: float, upper: float) -> StaysOptimal | None:
        """Whether the basis of the last solve stays optimal with ``row``'s bounds at ``[lower, upper]``.

        Answers without a solve, from the basis factor (:mod:`solvers.highs.moves`): the
        row's dual (the derivative of the optimal objective along the whole move) and its
        range at the moved bounds when the basis is optimal at the present bounds and at the
        moved ones; None when it is not, or when anything but row bounds changed since an
        optimal LP solve.
        """
        return None if self._moves is None else self._moves.check(row, float(lower), float(upper))

    def iis(self, irreducible: bool = True) -> Iis:
        """An irreducible infeasible subset of an infeasible LP (``getIis``).

        ``irreducible=False`` asks only for HiGHS's cheaper, possibly larger, subset.
        """
        strategy = int(highspy._core.IisStrategy.kIisStrategyFromLp)
        if irreducible:
            strategy |= int(highspy._core.IisStrategy.kIisStrategyIrreducible)
        h = self._highs
        _, previous = h.getOptionValue("iis_strategy")
        h.setOptionValue("iis_strategy", strategy)
        try:
            status, iis = h.getIis()
        finally:
            h.setOptionValue("iis_strategy", previous)
        if status == highspy.HighsStatus.kError:
            raise SensitivityError("HiGHS could not compute an infeasible subset for this model")
        return Iis(rows=np.asarray(iis.row_index_, dtype=np.int64),
                   row_bounds=[_IIS_BOUND.get(int(b), str(b)) for b in iis.row_bound_],
                   cols=np.asarray(iis.col_index_, dtype=np.int64),
                   col_bounds=[_IIS_BOUND.get(int(b), str(b)) for b in iis.col_bound_],
                   irreducible=irreducible, valid=bool(iis.valid_))

    def feasibility_relaxation(self, row_penalty: Any = 1.0, col_lower_penalty: Any = -1.0,
                               col_upper_penalty: Any = -1.0) -> Relaxation:
        """Smallest weighted violation of bounds that makes the model feasible (HiGHS's elastic LP).

        Penalties are per unit of violation: a number for all rows (columns) or
        an array; a negative penalty keeps that bound hard.  The model itself is
        not changed; the next :meth:`solve` is cold.
        """
        self._moves = None
        rows = np.broadcast_to(np.asarray(row_penalty, dtype=np.float64), (self.form.num_rows,))
        lows = np.broadcast_to(np.asarray(col_lower_penalty, dtype=np.float64), (self.form.num_cols,))
        ups = np.broadcast_to(np.asarray(col_upper_penalty, dtype=np.float64), (self.form.num_cols,))
        h = self._highs
        status = h.feasibilityRelaxation(-1.0, -1.0, -1.0, np.ascontiguousarray(lows),
                                         np.ascontiguousarray(ups), np.ascontiguousarray(rows))
        self._solved = False
        # The solution is of the original model (so marked infeasible); the objective is the penalty.
        info = h.getInfo()
        penalty = float(info.objective_function_value)
        solution = h.getSolution()
        feasible = bool(solution.value_valid) and np.isfinite(penalty) and abs(penalty) < highspy.kHighsInf
        h.clearSolver()
        if status == highspy.HighsStatus.kError:
            return Relaxation(SolveStatus.ERROR, float("nan"), None, None, None, None)
        if not feasible:
            return Relaxation(SolveStatus.INFEASIBLE, float("inf"), None, None, None, None)
        x = np.asarray(solution.col_value, dtype=np.float64)
        activity = np.asarray(solution.row_value, dtype=np.float64)
        form = self.form
        row_violation = np.maximum(np.maximum(form.row_lower - activity, activity - form.row_upper), 0.0)
        col_violation = np.maximum(np.maximum(form.col_lower - x, x - form.col_upper), 0.0)
        return Relaxation(SolveStatus.OPTIMAL, penalty, x, activity, row_violation, col_violation)
