"""HiGHS backend: the only module that imports ``highspy``.

The standard form's arrays go to ``Highs.passModel`` in one call (the overload
that takes numpy buffers), column-wise from a CSC matrix or row-wise from a CSR
one (HiGHS then transposes it itself).  MPS and LP files are read and written here too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.backend import Backend, SolveOptions
from solvers.errors import InputFileError, ModelError, SensitivityError, SolverError, SolverNotAvailableError
from solvers.names import NameMap
from solvers.result import BackendResult
from solvers.standard_form import Integrality, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

try:
    import highspy
except ImportError:  # pragma: no cover - highspy is a core dependency
    highspy = None  # type: ignore[assignment]

_COLWISE = 1
_ROWWISE = 2
_TRIANGULAR = 1
_MINIMIZE = 1
_MAXIMIZE = -1

# Every HighsModelStatus, by name, mapped to the project's status.
STATUS_MAP: dict[str, SolveStatus] = {
    "kNotset": SolveStatus.ERROR,
    "kLoadError": SolveStatus.ERROR,
    "kModelError": SolveStatus.ERROR,
    "kPresolveError": SolveStatus.NUMERICAL_ERROR,
    "kSolveError": SolveStatus.NUMERICAL_ERROR,
    "kPostsolveError": SolveStatus.NUMERICAL_ERROR,
    "kModelEmpty": SolveStatus.OPTIMAL,
    "kOptimal": SolveStatus.OPTIMAL,
    "kInfeasible": SolveStatus.INFEASIBLE,
    "kUnboundedOrInfeasible": SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    "kUnbounded": SolveStatus.UNBOUNDED,
    "kObjectiveBound": SolveStatus.OBJECTIVE_LIMIT,
    "kObjectiveTarget": SolveStatus.OBJECTIVE_LIMIT,
    "kTimeLimit": SolveStatus.TIME_LIMIT,
    "kIterationLimit": SolveStatus.ITERATION_LIMIT,
    "kUnknown": SolveStatus.ERROR,
    "kSolutionLimit": SolveStatus.SOLUTION_LIMIT,
    "kInterrupt": SolveStatus.INTERRUPTED,
    "kMemoryLimit": SolveStatus.MEMORY_LIMIT,
    "kHighsInterrupt": SolveStatus.INTERRUPTED,
}

_METHODS = {"simplex": "simplex", "ipm": "ipm", "ipx": "ipm", "pdlp": "pdlp", "choose": "choose",
            "auto": "choose"}


def map_status(raw: Any) -> SolveStatus:
    """The project's status for a ``HighsModelStatus`` (or its name)."""
    name = raw if isinstance(raw, str) else raw.name
    return STATUS_MAP.get(name, SolveStatus.ERROR)


_banner_silenced = False


def _first_highs_quietly() -> Any:
    """Create the process's first ``Highs``; HiGHS prints a banner to fd 1 only then.

    The banner would corrupt JSON or CSV written to stdout by the CLI, so the
    first instance is made with fd 1 pointed at /dev/null.
    """
    global _banner_silenced
    _banner_silenced = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _new_highs(verbose: bool = False) -> Any:
    if highspy is None:
        raise SolverNotAvailableError("highspy is not installed; run 'pip install highspy'")
    h = highspy.Highs() if _banner_silenced else _first_highs_quietly()
    h.setOptionValue("output_flag", bool(verbose))
    return h


def _check(status: Any, action: str) -> None:
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the model while {action}; run with verbose=True to see why")


def pass_model(h: Any, form: StandardForm) -> None:
    """Hand ``form`` to a ``Highs`` instance in one ``passModel`` call (CSC or CSR as it is)."""
    A = form.A
    a_format = _COLWISE if A.format == "csc" else _ROWWISE
    if A.format not in ("csc", "csr"):
        A = A.tocsr()
    indptr = A.indptr if A.indptr.dtype == np.int32 else A.indptr.astype(np.int32)
    indices = A.indices if A.indices.dtype == np.int32 else A.indices.astype(np.int32)
    n, m = form.num_cols, form.num_rows
    integrality = (np.zeros(n, dtype=np.int32) if form.integrality is None
                   else np.ascontiguousarray(form.integrality, dtype=np.int32))
    sense = _MAXIMIZE if form.sense == Sense.MAXIMIZE else _MINIMIZE
    common = (np.ascontiguousarray(form.c, dtype=np.float64), form.col_lower, form.col_upper,
              form.row_lower, form.row_upper, indptr, indices, A.data)
    if form.Q is not None and form.Q.nnz:
        lower = sp.tril(form.Q, format="csc")
        lower.sort_indices()
        status = h.passModel(n, m, A.nnz, lower.nnz, a_format, _TRIANGULAR, sense, float(form.constant),
                             *common, lower.indptr.astype(np.int32), lower.indices.astype(np.int32),
                             lower.data.astype(np.float64), integrality)
    else:
        status = h.passModel(n, m, A.nnz, a_format, sense, float(form.constant), *common, integrality)
    _check(status, "loading it")


def apply_options(h: Any, options: SolveOptions, variant: str | None) -> None:
    """Set HiGHS options; an unknown option or bad value raises :class:`SolverError`."""
    values: dict[str, Any] = {}
    if options.time_limit is not None:
        values["time_limit"] = float(options.time_limit)
    if options.mip_gap is not None:
        values["mip_rel_gap"] = float(options.mip_gap)
    if options.threads is not None:
        values["threads"] = int(options.threads)
    if options.presolve is not None:
        values["presolve"] = "on" if options.presolve else "off"
    method = options.method or variant
    if method:
        if method.lower() not in _METHODS:
            raise SolverError(f"unknown HiGHS method {method!r}; choose one of simplex, ipm, pdlp, choose")
        values["solver"] = _METHODS[method.lower()]
    if options.seed is not None:
        values["random_seed"] = int(options.seed)
    values.update(options.extra or {})
    for key, value in values.items():
        status = h.setOptionValue(key, value)
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected option {key}={value!r}; see the HiGHS option list "
                              "(https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
    if "threads" in values:
        h.resetGlobalScheduler(True)


def collect_result(h: Any, form: StandardForm, solver: str, handoff: float, solve_time: float) -> BackendResult:
    """Read status, solution, duals and basis out of a solved ``Highs`` instance."""
    raw = h.getModelStatus()
    status = map_status(raw)
    info = h.getInfo()
    result = BackendResult(status=status, solver=solver, solver_version=HighsBackend.version(),
                           raw_status=raw.name, handoff_time_s=handoff, solve_time_s=solve_time)
    result.iterations = {
        "simplex": int(info.simplex_iteration_count), "ipm": int(info.ipm_iteration_count),
        "pdlp": int(info.pdlp_iteration_count), "crossover": int(info.crossover_iteration_count),
        "qp": int(info.qp_iteration_count), "mip_nodes": int(info.mip_node_count),
    }
    feasible = int(info.primal_solution_status) == 2 or raw.name == "kModelEmpty"
    if feasible:
        solution = h.getSolution()
        result.x = np.asarray(solution.col_value, dtype=np.float64)
        result.row_activity = np.asarray(solution.row_value, dtype=np.float64)
        result.objective = float(info.objective_function_value) if raw.name != "kModelEmpty" else form.constant
        if int(info.dual_solution_status) == 2 and not form.is_mip:
            result.row_dual = np.asarray(solution.row_dual, dtype=np.float64)
            result.reduced_cost = np.asarray(solution.col_dual, dtype=np.float64)
        basis = h.getBasis()
        if basis.valid:
            result.col_basis = _status_codes(basis.col_status)
            result.row_basis = _status_codes(basis.row_status)
    if form.is_mip:
        result.mip_bound = float(info.mip_dual_bound)
        result.mip_gap = float(info.mip_gap)
    result.extra["max_primal_infeasibility"] = float(info.max_primal_infeasibility)
    result.extra["max_dual_infeasibility"] = float(info.max_dual_infeasibility)
    return result


class HighsBackend(Backend):
    """LP, MILP and convex QP through HiGHS (simplex, interior point or PDLP)."""

    name: ClassVar[str] = "highs"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset(
        {ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP})
    gives_duals: ClassVar[bool] = True
    gives_ranging: ClassVar[bool] = True
    warm_start: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("simplex", "ipm", "pdlp", "choose")
    description: ClassVar[str] = "HiGHS via highspy: dual/primal simplex, interior point, PDLP, branch-and-cut"

    @classmethod
    def is_available(cls) -> bool:
        return highspy is not None

    @classmethod
    def version(cls) -> str:
        if highspy is None:
            return ""
        h = _new_highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        h = _new_highs(options.verbose)
        apply_options(h, options, self.variant)
        start = time.perf_counter()
        pass_model(h, form)
        handoff = time.perf_counter() - start
        start = time.perf_counter()
        run_status = h.run()
        solve_time = time.perf_counter() - start
        result = collect_result(h, form, self.full_name, handoff, solve_time)
        if run_status == highspy.HighsStatus.kError and result.status is SolveStatus.OPTIMAL:
            result.status = SolveStatus.ERROR
        return result


def read_model(path: str | Path) -> StandardForm:
    """Read an MPS or LP file (by extension, ``.gz`` allowed) into a standard form.

    Example
    -------
    >>> form = read_model("problems/mps/wyndor.mps")
    >>> form.num_rows, form.constraint_names().names()
    (3, ['plant1', 'plant2', 'plant3'])
    """
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"{file}: no such file; check the path")
    h = _new_highs()
    status = h.readModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not read it as an MPS or LP file; "
                             "check its format (free or fixed MPS, CPLEX LP)")
    model = h.getModel()
    lp = model.lp_
    n, m = int(lp.num_col_), int(lp.num_row_)
    matrix = lp.a_matrix_
    start = np.asarray(matrix.start_, dtype=np.int32)
    index = np.asarray(matrix.index_, dtype=np.int32)
    value = np.asarray(matrix.value_, dtype=np.float64)
    if matrix.format_.name == "kColwise":
        A = sp.csc_matrix((value, index, start), shape=(m, n)).tocsr()
    else:
        A = sp.csr_matrix((value, index, start), shape=(m, n))
    A.sum_duplicates()
    integrality = None
    if len(lp.integrality_):
        codes = np.array([int(v) for v in lp.integrality_], dtype=np.int32)
        if codes.any():
            integrality = (codes != 0).astype(np.int32) * Integrality.INTEGER
    Q = None
    hessian = model.hessian_
    if int(hessian.dim_) > 0 and len(hessian.value_):
        lower = sp.csc_matrix((np.asarray(hessian.value_, dtype=np.float64),
                               np.asarray(hessian.index_, dtype=np.int32),
                               np.asarray(hessian.start_, dtype=np.int32)), shape=(n, n))
        Q = (lower + sp.tril(lower, k=-1).T).tocsc()
    col_names = list(lp.col_names_)
    row_names = list(lp.row_names_)
    form = StandardForm(
        c=np.asarray(lp.col_cost_, dtype=np.float64), A=A,
        row_lower=np.asarray(lp.row_lower_, dtype=np.float64),
        row_upper=np.asarray(lp.row_upper_, dtype=np.float64),
        col_lower=np.asarray(lp.col_lower_, dtype=np.float64),
        col_upper=np.asarray(lp.col_upper_, dtype=np.float64),
        sense=Sense.MAXIMIZE if lp.sense_.name == "kMaximize" else Sense.MINIMIZE,
        constant=float(lp.offset_), integrality=integrality, Q=Q,
        col_names=NameMap.plain(col_names) if len(col_names) == n else None,
        row_names=NameMap.plain(row_names) if len(row_names) == m else None,
        name=lp.model_name_ or file.stem.split(".")[0])
    for arr in (form.col_lower, form.col_upper, form.row_lower, form.row_upper):
        arr[arr >= highspy.kHighsInf] = np.inf
        arr[arr <= -highspy.kHighsInf] = -np.inf
    return form


def write_model(form: StandardForm, path: str | Path) -> None:
    """Write ``form`` as MPS (``.mps``) or CPLEX LP (``.lp``) through HiGHS."""
    file = Path(path)
    if file.suffix.lower() not in {".mps", ".lp"}:
        raise InputFileError(f"{file}: unknown model file type {file.suffix!r}; use .mps or .lp")
    h = _new_highs()
    pass_model(h, form)
    col_names = form.column_names().names()
    row_names = form.constraint_names().names()
    for j, col in enumerate(col_names):
        h.passColName(j, _file_safe(col))
    for i, row in enumerate(row_names):
        h.passRowName(i, _file_safe(row))
    status = h.writeModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not write the model; check the folder exists and is writable")


def _file_safe(name: str) -> str:
    """MPS and LP names may not contain spaces; brackets and commas are fine for HiGHS."""
    return name.replace(" ", "_")


# ---------------------------------------------------------------------------------------
# Persistent sessions: pass a model once, change it in place, re-solve from the last basis.
# ---------------------------------------------------------------------------------------

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


def _bound_violation(values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Largest relative violation of ``lower <= values <= upper`` (infinite bounds are never violated)."""
    if not values.size:
        return 0.0
    finite_lower = np.isfinite(lower)
    finite_upper = np.isfinite(upper)
    below = np.where(finite_lower, lower - values, 0.0) / (1.0 + np.abs(np.where(finite_lower, lower, 0.0)))
    above = np.where(finite_upper, values - upper, 0.0) / (1.0 + np.abs(np.where(finite_upper, upper, 0.0)))
    return float(max(below.max(initial=0.0), above.max(initial=0.0), 0.0))


def _dual_side(duals: np.ndarray, values: np.ndarray, lower: np.ndarray, upper: np.ndarray, sign: float,
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
    has_lower = np.isfinite(lower)
    has_upper = np.isfinite(upper)
    missing = np.maximum(np.where(has_lower, 0.0, on_lower), np.where(has_upper, 0.0, on_upper))
    if scale is not None:
        missing = missing / (1.0 + scale)
    infeasibility = float(missing.max(initial=0.0))
    lower_gap = np.abs(values - np.where(has_lower, lower, values))
    upper_gap = np.abs(np.where(has_upper, upper, values) - values)
    # (not "@": a BLAS call next to HiGHS threads can cost milliseconds)
    return infeasibility, float(np.einsum("i,i->", on_lower, lower_gap) + np.einsum("i,i->", on_upper, upper_gap))


def check_optimality(form: StandardForm, x: np.ndarray, activity: np.ndarray, row_dual: np.ndarray | None,
                     reduced_cost: np.ndarray | None, objective: float,
                     tolerances: ResidualTolerances | None = None) -> Residuals:
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
    result = Residuals()
    if x.size:
        computed = form.A @ x
        result.primal_residual = float(np.abs(computed - activity).max(initial=0.0))
        act_scale = 1.0 + np.abs(activity).max(initial=0.0)
    else:
        act_scale = 1.0
    result.primal_infeasibility = max(_bound_violation(x, form.col_lower, form.col_upper),
                                      _bound_violation(activity, form.row_lower, form.row_upper))
    reasons = []
    if result.primal_residual > tol.primal * act_scale:
        reasons.append(f"|A x - activity| = {result.primal_residual:.3g}")
    if result.primal_infeasibility > tol.primal:
        reasons.append(f"bound violation {result.primal_infeasibility:.3g}")
    if row_dual is not None and reduced_cost is not None:
        sign = -1.0 if form.sense == Sense.MAXIMIZE else 1.0
        row_inf, row_gap = _dual_side(row_dual, activity, form.row_lower, form.row_upper, sign, None)
        col_inf, col_gap = _dual_side(reduced_cost, x, form.col_lower, form.col_upper, sign, np.abs(form.c))
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


@dataclass
class SessionStats:
    """Counters of a :class:`HighsSession`."""

    solves: int = 0
    warm_solves: int = 0
    cold_solves: int = 0
    cold_fallbacks: int = 0
    """Warm answers that failed :func:`check_optimality` and were re-solved cold."""
    confirmations: int = 0
    """Warm answers with a non-optimal status that were confirmed by a cold re-solve."""
    status_changed_on_confirm: int = 0
    """Of those, how many got a different status when solved cold."""
    failed_after_cold: int = 0
    """Answers that still failed the check after a cold re-solve (reported, not hidden)."""
    simplex_iterations: int = 0


@dataclass
class Basis:
    """A basis of a :class:`HighsSession`, to restore with :meth:`HighsSession.set_basis`.

    Holds HiGHS's own basis object (cheap to take and to restore) and the
    sorted indices of the basic variables (columns ``0..n-1``, rows ``n + i``);
    the per-position statuses are made only when asked for, as that costs a
    Python object per position.
    """

    raw: Any
    basic: np.ndarray
    num_cols: int

    @property
    def col_status(self) -> np.ndarray:
        """HiGHS basis status codes of the columns (0 lower, 1 basic, 2 upper, 3 zero, 4 nonbasic)."""
        return _status_codes(self.raw.col_status)

    @property
    def row_status(self) -> np.ndarray:
        return _status_codes(self.raw.row_status)

    def same_basic_set(self, other: Basis) -> bool:
        return bool(self.basic.shape == other.basic.shape and np.array_equal(self.basic, other.basic))


def _status_codes(statuses: Any) -> np.ndarray:
    import operator
    return np.fromiter(map(operator.index, statuses), dtype=np.int8, count=len(statuses))


@dataclass
class RangingRecord:
    """One side of HiGHS ranging: the value at the range end and the objective there."""

    value: np.ndarray
    objective: np.ndarray
    entering: np.ndarray
    leaving: np.ndarray


@dataclass
class Ranging:
    """HiGHS's ranging (sensitivity) information as arrays, in HiGHS's own terms.

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
    """The outcome of :meth:`HighsSession.feasibility_relaxation`."""

    status: SolveStatus
    total_penalty: float
    x: np.ndarray | None
    activity: np.ndarray | None
    row_violation: np.ndarray | None
    """Amount by which each row's activity lies outside its bounds (>= 0)."""
    col_violation: np.ndarray | None


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
                 confirm_nonoptimal: bool = True) -> None:
        opts = options if isinstance(options, SolveOptions) else SolveOptions.from_mapping(options)
        form.validate()
        if form.cones:
            raise SolverError("HighsSession takes LP, MILP and QP models; this model has cone constraints")
        self.form = StandardForm(
            c=np.array(form.c, dtype=np.float64), A=sp.csr_matrix(form.A, dtype=np.float64, copy=True),
            row_lower=np.array(form.row_lower, dtype=np.float64),
            row_upper=np.array(form.row_upper, dtype=np.float64),
            col_lower=np.array(form.col_lower, dtype=np.float64),
            col_upper=np.array(form.col_upper, dtype=np.float64),
            sense=form.sense, constant=form.constant,
            integrality=None if form.integrality is None else np.array(form.integrality),
            Q=form.Q, col_names=form.col_names, row_names=form.row_names, name=form.name,
            metadata=dict(form.metadata))
        self.form.A.sort_indices()
        self.verify = verify
        self.tolerances = tolerances or ResidualTolerances()
        self.confirm_nonoptimal = confirm_nonoptimal
        self.stats = SessionStats()
        self._highs = _new_highs(opts.verbose)
        apply_options(self._highs, opts, None)
        start = time.perf_counter()
        pass_model(self._highs, self.form)
        self.handoff_time_s = time.perf_counter() - start
        self._solved = False
        self._lp = form.problem_class is ProblemClass.LP
        self._version = f"{self._highs.versionMajor()}.{self._highs.versionMinor()}.{self._highs.versionPatch()}"

    # changes -------------------------------------------------------------------
    def change_costs(self, indices: Any, values: Any) -> None:
        """Set objective coefficients ``c[indices] = values`` (one vectorised call)."""
        idx, vals = _index_values(indices, values, self.form.num_cols, "column")
        self.form.c[idx] = vals
        _check(self._highs.changeColsCost(idx.size, idx, vals), "changing costs")

    def change_col_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        """Set variable bounds (``numpy.inf`` for none) in one vectorised call."""
        idx, low = _index_values(indices, lower, self.form.num_cols, "column")
        _, up = _index_values(indices, upper, self.form.num_cols, "column")
        self.form.col_lower[idx] = low
        self.form.col_upper[idx] = up
        _check(self._highs.changeColsBounds(idx.size, idx, low, up), "changing variable bounds")

    def change_row_bounds(self, indices: Any, lower: Any, upper: Any) -> None:
        """Set row bounds (right-hand sides) in one vectorised call."""
        idx, low = _index_values(indices, lower, self.form.num_rows, "row")
        _, up = _index_values(indices, upper, self.form.num_rows, "row")
        self.form.row_lower[idx] = low
        self.form.row_upper[idx] = up
        _check(self._highs.changeRowsBounds(idx.size, idx, low, up), "changing row bounds")

    def change_coefficients(self, rows: Any, cols: Any, values: Any) -> None:
        """Set constraint coefficients ``A[rows[k], cols[k]] = values[k]``.

        highspy changes one coefficient per call (``changeCoeff``); the local
        copy of ``A`` used by the optimality check is updated in bulk.
        """
        row_idx, vals = _index_values(rows, values, self.form.num_rows, "row")
        col_idx, _ = _index_values(cols, values, self.form.num_cols, "column")
        change = self._highs.changeCoeff
        for i, j, v in zip(row_idx.tolist(), col_idx.tolist(), vals.tolist(), strict=True):
            _check(change(i, j, v), "changing a coefficient")
        A = self.form.A
        positions = np.full(row_idx.size, -1, dtype=np.int64)
        for k, (i, j) in enumerate(zip(row_idx.tolist(), col_idx.tolist(), strict=True)):
            lo, hi = int(A.indptr[i]), int(A.indptr[i + 1])
            p = lo + int(np.searchsorted(A.indices[lo:hi], j))
            if p < hi and A.indices[p] == j:
                positions[k] = p
        found = positions >= 0
        A.data[positions[found]] = vals[found]
        if not found.all():
            extra = sp.csr_matrix((vals[~found], (row_idx[~found], col_idx[~found])), shape=A.shape)
            merged = (A + extra).tocsr()
            merged.sort_indices()
            self.form.A = merged

    def change_sense(self, sense: Sense) -> None:
        self.form.sense = sense
        _check(self._highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if sense == Sense.MAXIMIZE else highspy.ObjSense.kMinimize),
            "changing the objective sense")

    # bases -------------------------------------------------------------------------
    def basis(self) -> Basis:
        """The current basis (after a solve), to restore later with :meth:`set_basis`."""
        return Basis(self._highs.getBasis(), self.basic_variables(), self.form.num_cols)

    def set_basis(self, basis: Basis) -> None:
        """Make ``basis`` the starting point of the next solve."""
        _check(self._highs.setBasis(basis.raw), "setting a basis")
        self._solved = True

    def set_basis_status(self, col_status: np.ndarray, row_status: np.ndarray) -> None:
        """Start the next solve from a basis given as status codes (:attr:`Basis.col_status` layout).

        Lets another process or a fresh session start where this one ended.
        """
        if len(col_status) != self.form.num_cols or len(row_status) != self.form.num_rows:
            raise ModelError(f"basis has {len(col_status)} column and {len(row_status)} row statuses; the model "
                             f"has {self.form.num_cols} columns and {self.form.num_rows} rows")
        codes = [highspy.HighsBasisStatus(k) for k in range(5)]
        raw = highspy.HighsBasis()
        raw.col_status = [codes[k] for k in np.asarray(col_status, dtype=np.int64).tolist()]
        raw.row_status = [codes[k] for k in np.asarray(row_status, dtype=np.int64).tolist()]
        raw.valid = True
        _check(self._highs.setBasis(raw), "setting a basis")
        self._solved = True

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
        if residuals is not None:
            result.extra["residuals"] = residuals.as_dict()
        if basis and h.getBasis().valid:
            snapshot = self.basis()
            result.col_basis = snapshot.col_status
            result.row_basis = snapshot.row_status
        self._solved = True
        return result

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
                             "mip_nodes": int(info.mip_node_count)}
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
            reduced_cost = self.form.c - self.form.A.T @ row_dual
            reduced_cost[np.abs(reduced_cost) <= 1e-12 * (1.0 + np.abs(self.form.c))] = 0.0
            result.reduced_cost = reduced_cost
        if self.form.is_mip:
            result.mip_bound = float(info.mip_dual_bound)
            result.mip_gap = float(info.mip_gap)
        residuals = None
        if self.verify and result.status is SolveStatus.OPTIMAL and self.form.Q is None:
            residuals = check_optimality(self.form, x, activity, result.row_dual, result.reduced_cost,
                                         result.objective, self.tolerances)
        return result, residuals

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


def _index_values(indices: Any, values: Any, size: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    idx = np.ascontiguousarray(indices, dtype=np.int32).reshape(-1)
    vals = np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), idx.shape))
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx[(idx < 0) | (idx >= size)][0])
        raise ModelError(f"{what} index {bad} is outside 0..{size - 1}")
    if np.isnan(vals).any():
        k = int(np.flatnonzero(np.isnan(vals))[0])
        raise ModelError(f"value for {what} {int(idx[k])} is NaN; give a number or +-inf")
    return idx, vals
