"""CVXPY backend: the only module that imports ``cvxpy``.

The standard form becomes one ``cvxpy.Problem`` built from whole sparse blocks,
never a Python loop per row: one ``A_eq @ x == b`` constraint for the equality
rows, one ``A_up @ x <= u`` for the rows with a finite upper bound, one
``A_lo @ x >= l`` for the rows with a finite lower bound (a ranged row sits in
both), the same three for the column bounds, one ``SOC`` constraint per
distinct second-order cone size and one ``ExpCone`` for all exponential cones.
A quadratic objective is ``0.5 * quad_form(x, psd_wrap(Q))``.

CVXPY reports the multiplier of each constraint in the form it minimises;
:func:`_collect_duals` turns them into the project convention (derivative of the
optimal objective with respect to the active bound, for min and max alike).

Sub-solvers are variants: ``"cvxpy:CLARABEL"``, ``"cvxpy:SCS"``, ``"cvxpy:HIGHS"``,
``"cvxpy:SCIP"``...; ``"cvxpy"`` alone lets CVXPY choose.
"""

from __future__ import annotations

import functools
import importlib.metadata
import time
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.backend import Backend, SolveOptions
from solvers.errors import ModelError, SolverError, SolverNotAvailableError
from solvers.result import BackendResult
from solvers.standard_form import ConeBlock, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

try:
    import cvxpy as cp
    from cvxpy.error import SolverError as CvxpySolverError
except ImportError:  # pragma: no cover - exercised only where cvxpy is absent
    cp = None  # type: ignore[assignment]
    CvxpySolverError = RuntimeError  # type: ignore[misc,assignment]

# Every status string CVXPY can put in ``Problem.status`` (``cvxpy.settings``), mapped.
# "optimal_inaccurate" means the solver stopped without meeting its optimality tolerances (SCS
# after its iteration limit, Clarabel's "almost solved"): that is not the proven optimum that
# ``OPTIMAL`` promises, so it is a numerical error whose point is still returned for inspection.
# An inaccurate infeasibility or unboundedness certificate keeps its meaning (the message says
# it was inaccurate).  ``user_limit`` is a time or iteration limit, told apart by the clock after
# the solve (see ``refine_limit``).
STATUS_MAP: dict[str, SolveStatus] = {
    "optimal": SolveStatus.OPTIMAL,
    "optimal_inaccurate": SolveStatus.NUMERICAL_ERROR,
    "infeasible": SolveStatus.INFEASIBLE,
    "infeasible_inaccurate": SolveStatus.INFEASIBLE,
    "unbounded": SolveStatus.UNBOUNDED,
    "unbounded_inaccurate": SolveStatus.UNBOUNDED,
    "infeasible_or_unbounded": SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    "user_limit": SolveStatus.ITERATION_LIMIT,
    "solver_error": SolveStatus.NUMERICAL_ERROR,
}

_LP = ProblemClass.LP
_MILP = ProblemClass.MILP
_QP = ProblemClass.QP
_MIQP = ProblemClass.MIQP
_SOCP = ProblemClass.SOCP
_MISOCP = ProblemClass.MISOCP
_EXP = ProblemClass.EXP
_MIEXP = ProblemClass.MIEXP


def _classes(*members: ProblemClass) -> frozenset[ProblemClass]:
    return frozenset(members)


# What each CVXPY solver can solve through this backend (a QP reaches conic solvers as a
# second-order cone problem).  ``tests/test_cvxpy_backend.py`` checks this table against the
# constraint types and MIP flags that CVXPY's own solver interfaces declare.
VARIANT_CLASSES: dict[str, frozenset[ProblemClass]] = {
    "CLARABEL": _classes(_LP, _QP, _SOCP, _EXP),
    "SCS": _classes(_LP, _QP, _SOCP, _EXP),
    "ECOS": _classes(_LP, _QP, _SOCP, _EXP),
    "ECOS_BB": _classes(_LP, _QP, _SOCP, _EXP, _MILP, _MIQP, _MISOCP, _MIEXP),
    "OSQP": _classes(_LP, _QP),
    "PIQP": _classes(_LP, _QP),
    "PROXQP": _classes(_LP, _QP),
    "DAQP": _classes(_LP, _QP),
    "QOCO": _classes(_LP, _QP, _SOCP),
    "CVXOPT": _classes(_LP, _QP, _SOCP),
    "HIGHS": _classes(_LP, _MILP, _QP),
    "SCIPY": _classes(_LP, _MILP),
    "GLPK": _classes(_LP),
    "GLPK_MI": _classes(_LP, _MILP),
    "CBC": _classes(_LP, _MILP),
    "SCIP": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP),
    "GUROBI": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP),
    "CPLEX": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP),
    "XPRESS": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP),
    "MOSEK": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP, _EXP, _MIEXP),  # MOSEK >= 9
    "COPT": _classes(_LP, _MILP, _QP, _MIQP, _SOCP, _MISOCP, _EXP),
}

# Solvers whose duals CVXPY recovers correctly for continuous problems.  SCIP is left out on
# purpose: through CVXPY it reports zero multipliers for active variable bounds.
VARIANTS_WITH_DUALS: frozenset[str] = frozenset({
    "CLARABEL", "SCS", "ECOS", "OSQP", "PIQP", "PROXQP", "DAQP", "QOCO", "CVXOPT", "HIGHS", "SCIPY",
    "GLPK", "GUROBI", "CPLEX", "XPRESS", "MOSEK", "COPT",
})

# The Python distribution behind each solver, for versions in the capability table.
_DISTRIBUTIONS: dict[str, str] = {
    "CLARABEL": "clarabel", "SCS": "scs", "ECOS": "ecos", "ECOS_BB": "ecos", "OSQP": "osqp",
    "PIQP": "piqp", "PROXQP": "proxsuite", "DAQP": "daqp", "QOCO": "qoco", "CVXOPT": "cvxopt",
    "HIGHS": "highspy", "SCIPY": "scipy", "GLPK": "cvxopt", "GLPK_MI": "cvxopt", "CBC": "cylp",
    "SCIP": "pyscipopt", "GUROBI": "gurobipy", "CPLEX": "cplex", "XPRESS": "xpress", "MOSEK": "Mosek",
    "COPT": "coptpy",
}

# How each generic option is spelled per solver.  A key "name" is a keyword argument of
# ``Problem.solve``; "group/name" puts ``name`` into the dict passed as keyword ``group``
# (SCIP and SciPy take their parameters that way).
_TIME_LIMIT: dict[str, str] = {
    "CLARABEL": "time_limit", "SCS": "time_limit_secs", "OSQP": "time_limit", "HIGHS": "time_limit",
    "SCIP": "scip_params/limits/time", "SCIPY": "scipy_options/time_limit", "GUROBI": "TimeLimit",
    "QOCO": "time_limit", "PIQP": "max_time",
}
_MIP_GAP: dict[str, str] = {
    "HIGHS": "mip_rel_gap", "SCIP": "scip_params/limits/gap", "SCIPY": "scipy_options/mip_rel_gap",
    "GUROBI": "MIPGap", "ECOS_BB": "mi_rel_eps", "CBC": "allowableFractionGap",
}
# HiGHS is left out on purpose: it fixes its thread pool at first use in a process and a
# different "threads" later makes its run fail; only the "highs" backend can reset the pool.
_THREADS: dict[str, str] = {
    "CLARABEL": "max_threads", "GUROBI": "Threads", "SCIP": "scip_params/parallel/maxnthreads",
}
_SEED: dict[str, str] = {"HIGHS": "random_seed", "GUROBI": "Seed", "SCIP": "scip_params/randomization/randomseedshift"}
_NESTED_GROUPS = ("scip_params", "scipy_options")


@functools.lru_cache(maxsize=1)
def installed_solvers() -> tuple[str, ...]:
    """The CVXPY solvers installed here (``cvxpy.installed_solvers()``, computed once)."""
    if cp is None:
        return ()
    return tuple(cp.installed_solvers())


def map_status(raw: str | None) -> SolveStatus:
    """The project's status for a CVXPY status string (``None`` or unknown: ``error``)."""
    if raw is None:
        return SolveStatus.ERROR
    return STATUS_MAP.get(raw, SolveStatus.ERROR)


class CvxpyBackend(Backend):
    """LP, QP, second-order and exponential cone problems (and MIPs with SCIP or HiGHS) through CVXPY.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, solve
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> result = solve(form, solver="cvxpy:CLARABEL")
    >>> round(result.objective, 6), np.round(result.row_dual, 6).tolist()
    (36.0, [0.0, 1.5, 1.0])
    """

    name: ClassVar[str] = "cvxpy"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset().union(*VARIANT_CLASSES.values())
    gives_duals: ClassVar[bool] = True
    gives_ranging: ClassVar[bool] = False
    warm_start: ClassVar[bool] = False
    variants: ClassVar[tuple[str, ...]] = tuple(VARIANT_CLASSES)
    solver_variants: ClassVar[bool] = True
    description: ClassVar[str] = "CVXPY: conic and QP solvers (Clarabel, SCS, OSQP, HiGHS, SCIP, ...)"
    variant_classes: ClassVar[dict[str, frozenset[ProblemClass]]] = VARIANT_CLASSES
    """What each variant solves (see :data:`VARIANT_CLASSES`)."""
    variants_with_duals: ClassVar[frozenset[str]] = VARIANTS_WITH_DUALS

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant.upper() if variant else None)

    @classmethod
    def is_available(cls) -> bool:
        return cp is not None

    @classmethod
    def version(cls) -> str:
        return str(cp.__version__) if cp is not None else ""

    @classmethod
    def installed_variants(cls) -> tuple[str, ...]:
        installed = set(installed_solvers())
        return tuple(variant for variant in cls.variants if variant in installed)

    @classmethod
    def variant_problem_classes(cls, variant: str | None) -> frozenset[ProblemClass]:
        if variant is None:  # CVXPY's own choice: anything an installed solver can do
            return frozenset().union(*(cls.variant_classes[v] for v in cls.installed_variants()))
        return cls.variant_classes.get(variant.upper(), frozenset())

    @classmethod
    def variant_gives_duals(cls, variant: str | None) -> bool:
        return variant is None or variant.upper() in cls.variants_with_duals

    @classmethod
    def variant_version(cls, variant: str | None) -> str:
        if cp is None:
            return ""
        if variant is None:
            return cls.version()
        if variant.upper() not in installed_solvers():
            return ""
        try:
            return f"{importlib.metadata.version(_DISTRIBUTIONS[variant.upper()])} (cvxpy {cls.version()})"
        except (KeyError, importlib.metadata.PackageNotFoundError):
            return f"cvxpy {cls.version()}"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        if cp is None:
            raise SolverNotAvailableError("cvxpy is not installed; run 'pip install cvxpy'")
        if self.variant is not None and self.variant not in installed_solvers():
            raise SolverNotAvailableError(
                f"CVXPY solver {self.variant!r} is not installed; installed: "
                f"{', '.join(installed_solvers()) or 'none'}; install it or choose one of those")
        start = time.perf_counter()
        built = build_problem(form)
        handoff = time.perf_counter() - start
        solver = self.variant
        kwargs: dict[str, Any] = {"verbose": bool(options.verbose)}
        if solver is None and _needs_translation(options):
            solver = _default_solver(built.problem)  # to spell the options for the solver CVXPY picks
        kwargs.update(translate_options(solver, options, form.is_mip))
        if solver in (None, "HIGHS") and "HIGHS" in installed_solvers():
            _silence_highs_banner()
        start = time.perf_counter()
        message = ""
        try:
            built.problem.solve(solver=solver, **kwargs)
            raw = built.problem.status
        except (CvxpySolverError, ValueError, ArithmeticError, RuntimeError, TypeError, KeyError,
                AttributeError) as exc:
            if _mentions_option(exc, options):
                raise SolverError(f"CVXPY solver {solver or 'default'} rejected the options "
                                  f"{sorted(options.extra or {})}: {exc}; check the option names and values "
                                  "in the solver's documentation") from exc
            if not isinstance(exc, (CvxpySolverError, ValueError, ArithmeticError, RuntimeError)):
                raise  # TypeError, KeyError, AttributeError not about options: a bug, keep the traceback
            # The solver failed (CVXPY's "solver_error", or a solver library raising during setup,
            # e.g. SCS on a non-convex Q): a status with the reason, not an exception.
            raw, message = "solver_error", f"{solver or 'CVXPY default solver'} failed: {type(exc).__name__}: {exc}"
        wall = time.perf_counter() - start
        return _collect(built, form, solver, raw, message, options, handoff, wall)


# ----------------------------------------------------------------------------------------------
# building the problem


class _Built:
    """A CVXPY problem and the constraint blocks needed to read duals back."""

    def __init__(self) -> None:
        self.problem: Any = None
        self.x: Any = None
        # (constraint, positions, kind) with kind "eq", "up" or "lo"
        self.row_blocks: list[tuple[Any, np.ndarray, str]] = []
        self.col_blocks: list[tuple[Any, np.ndarray, str]] = []
        self.cones: list[Any] = []


def _trivial_rows(A: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rows without a nonzero whose bounds hold at 0: always satisfied, their dual is 0."""
    empty = np.diff(A.indptr) == 0
    return empty & ~(lower > 0) & ~(upper < 0)


def _bound_blocks(lower: np.ndarray, upper: np.ndarray) -> list[tuple[np.ndarray, str]]:
    fixed = lower == upper
    return [
        (np.flatnonzero(fixed), "eq"),
        (np.flatnonzero(np.isfinite(upper) & ~fixed), "up"),
        (np.flatnonzero(np.isfinite(lower) & ~fixed), "lo"),
    ]


def _relation(expr: Any, kind: str, bound: np.ndarray) -> Any:
    if kind == "eq":
        return expr == bound
    if kind == "up":
        return expr <= bound
    return expr >= bound


def build_problem(form: StandardForm) -> _Built:
    """A ``cvxpy.Problem`` equal to ``form``, built from sparse blocks (see the module docstring).

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm
    >>> form = StandardForm(c=np.ones(2), A=sp.csr_matrix(np.ones((1, 2))),
    ...     row_lower=np.array([1.0]), row_upper=np.array([np.inf]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> len(build_problem(form).problem.constraints)
    2
    """
    if cp is None:
        raise SolverNotAvailableError("cvxpy is not installed; run 'pip install cvxpy'")
    built = _Built()
    n = form.num_cols
    integer = np.flatnonzero(form.integrality) if form.integrality is not None else np.empty(0, dtype=np.int64)
    x = cp.Variable(n, name="x", integer=(integer,) if integer.size else False)
    built.x = x
    constraints: list[Any] = []
    A = form.A.tocsr()
    trivial = _trivial_rows(A, form.row_lower, form.row_upper)
    for rows, kind in _bound_blocks(form.row_lower, form.row_upper):
        rows = rows[~trivial[rows]]  # SCIP's interface fails on constraints without a variable
        if rows.size:
            bound = form.row_upper[rows] if kind == "up" else form.row_lower[rows]
            con = _relation(A[rows] @ x, kind, bound)
            constraints.append(con)
            built.row_blocks.append((con, rows, kind))
    for cols, kind in _bound_blocks(form.col_lower, form.col_upper):
        if cols.size:
            bound = form.col_upper[cols] if kind == "up" else form.col_lower[cols]
            con = _relation(x[cols], kind, bound)
            constraints.append(con)
            built.col_blocks.append((con, cols, kind))
    for cone in form.cones:
        built.cones.extend(_cone_constraints(cone, x))
    constraints.extend(built.cones)
    objective = form.c @ x + float(form.constant)
    if form.Q is not None and form.Q.nnz:
        Q = sp.csc_matrix(form.Q)
        if form.sense == Sense.MAXIMIZE:
            objective = objective - 0.5 * cp.quad_form(x, cp.psd_wrap(-Q))
        else:
            objective = objective + 0.5 * cp.quad_form(x, cp.psd_wrap(Q))
    goal = cp.Maximize(objective) if form.sense == Sense.MAXIMIZE else cp.Minimize(objective)
    built.problem = cp.Problem(goal, constraints)
    return built


def _cone_constraints(cone: ConeBlock, x: Any) -> list[Any]:
    matrix = sp.csr_matrix(cone.matrix)
    offset = np.asarray(cone.offset, dtype=np.float64)
    sizes = np.asarray(cone.sizes, dtype=np.int64)
    label = cone.name or cone.kind
    if matrix.shape != (int(sizes.sum()), x.shape[0]) or offset.shape != (matrix.shape[0],):
        raise ModelError(f"cone block {label!r}: matrix {matrix.shape} and offset {offset.shape} do not "
                         f"match sizes summing to {int(sizes.sum())} rows over {x.shape[0]} variables")
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    if cone.kind == "exp":
        if np.any(sizes != 3):
            bad = int(np.flatnonzero(sizes != 3)[0])
            raise ModelError(f"cone block {label!r}: exponential cone {bad} has {sizes[bad]} rows; "
                             "each exponential cone needs exactly 3 (r0, r1, r2)")
        parts = [matrix[starts + k] @ x + offset[starts + k] for k in range(3)]
        return [cp.constraints.ExpCone(*parts)]
    if cone.kind != "soc":
        raise ModelError(f"cone block {label!r} has kind {cone.kind!r}; CVXPY backend knows 'soc' and 'exp'")
    if np.any(sizes < 1):
        raise ModelError(f"cone block {label!r}: a second-order cone needs at least one row")
    result: list[Any] = []
    for size in np.unique(sizes):
        heads = starts[sizes == size]
        t = matrix[heads] @ x + offset[heads]
        if size == 1:
            result.append(t >= 0)
            continue
        tails = (heads[:, None] + np.arange(1, size)[None, :]).ravel()
        body = cp.reshape(matrix[tails] @ x + offset[tails], (heads.size, int(size) - 1), order="C")
        result.append(cp.SOC(t, body, axis=1))
    return result


# ----------------------------------------------------------------------------------------------
# options


def _needs_translation(options: SolveOptions) -> bool:
    return any(value is not None for value in (options.time_limit, options.mip_gap, options.threads,
                                               options.seed, options.presolve))


def _default_solver(problem: Any) -> str:
    """The solver CVXPY would pick for ``problem`` (asked through ``get_problem_data``)."""
    _, chain, _ = problem.get_problem_data(solver=None)
    return str(chain.solver.name())


def _put(target: dict[str, Any], spelled: str, value: Any) -> None:
    group, _, rest = spelled.partition("/")
    if group in _NESTED_GROUPS and rest:
        target.setdefault(group, {})[rest] = value
    else:
        target[spelled] = value


def translate_options(solver: str | None, options: SolveOptions, is_mip: bool) -> dict[str, Any]:
    """Keyword arguments for ``Problem.solve`` from generic options, spelled for ``solver``.

    A generic option that ``solver`` has no equivalent for is ignored with a warning;
    ``extra`` passes through unchanged (nested ``scip_params`` / ``scipy_options`` dicts
    are merged with the translated ones).

    Example
    -------
    >>> translate_options("SCIP", SolveOptions(time_limit=5.0), is_mip=True)
    {'scip_params': {'limits/time': 5.0}}
    """
    key = (solver or "").upper()
    kwargs: dict[str, Any] = {}
    if options.time_limit is not None:
        if not options.time_limit > 0:
            raise SolverError(f"time_limit must be a positive number of seconds, got {options.time_limit!r}")
        if key in _TIME_LIMIT:
            _put(kwargs, _TIME_LIMIT[key], float(options.time_limit))
        else:
            warnings.warn(f"CVXPY solver {key} has no time limit option; time_limit ignored", stacklevel=3)
    if options.mip_gap is not None:
        if not options.mip_gap >= 0:
            raise SolverError(f"mip_gap must be a number >= 0, got {options.mip_gap!r}")
        if key in _MIP_GAP:
            _put(kwargs, _MIP_GAP[key], float(options.mip_gap))
        elif is_mip:
            warnings.warn(f"CVXPY solver {key} has no MIP gap option; mip_gap ignored", stacklevel=3)
    if options.threads is not None:
        if key in _THREADS:
            _put(kwargs, _THREADS[key], int(options.threads))
        elif key == "HIGHS":
            warnings.warn("cvxpy:HIGHS ignores threads (HiGHS fixes its thread pool per process); "
                          "use solver='highs' to set it", stacklevel=3)
    if options.seed is not None and key in _SEED:
        _put(kwargs, _SEED[key], int(options.seed))
    if options.presolve is not None:
        if key == "HIGHS":
            kwargs["presolve"] = "on" if options.presolve else "off"
        elif key == "CLARABEL":
            kwargs["presolve_enable"] = bool(options.presolve)
        elif key == "SCIP" and not options.presolve:
            _put(kwargs, "scip_params/presolving/maxrounds", 0)
    for name, value in (options.extra or {}).items():
        if name in _NESTED_GROUPS and isinstance(value, Mapping):
            kwargs.setdefault(name, {}).update(value)
        else:
            kwargs[name] = value
    return kwargs


def _mentions_option(exc: BaseException, options: SolveOptions) -> bool:
    text = str(exc)
    names = list(options.extra or {})
    for value in (options.extra or {}).values():
        if isinstance(value, Mapping):
            names.extend(str(key) for key in value)
    return any(str(name) in text for name in names) or "nrecognized setting" in text


_highs_quiet = False


def _silence_highs_banner() -> None:
    """HiGHS prints a banner to stdout when a process makes its first instance; make that one quietly."""
    global _highs_quiet
    if not _highs_quiet:
        from solvers.highs.backend import HighsBackend

        HighsBackend.version()  # creates the first Highs instance with stdout silenced
        _highs_quiet = True


# ----------------------------------------------------------------------------------------------
# reading the result


def refine_limit(status: SolveStatus, options: SolveOptions, solve_time: float) -> SolveStatus:
    """CVXPY folds time and iteration limits into ``user_limit``; tell them apart by the clock."""
    if status is SolveStatus.ITERATION_LIMIT and options.time_limit is not None \
            and solve_time >= 0.9 * float(options.time_limit):
        return SolveStatus.TIME_LIMIT
    return status


def _collect(built: _Built, form: StandardForm, solver: str | None, raw: str, message: str,
             options: SolveOptions, handoff: float, wall: float) -> BackendResult:
    problem = built.problem
    stats = getattr(problem, "solver_stats", None)
    used = str(stats.solver_name) if stats is not None and stats.solver_name else (solver or "")
    solve_time = float(stats.solve_time) if stats is not None and stats.solve_time is not None else wall
    status = refine_limit(map_status(raw), options, solve_time)
    result = BackendResult(status=status, solver=f"cvxpy:{used}" if used else "cvxpy",
                           raw_status=str(raw), message=message,
                           solver_version=CvxpyBackend.variant_version(used or None),
                           handoff_time_s=handoff + max(wall - solve_time, 0.0), solve_time_s=solve_time)
    if stats is not None and stats.num_iters is not None:
        result.iterations = {"solver": int(stats.num_iters)}
    if raw.endswith("_inaccurate"):
        result.message = (f"{used} stopped with an inaccurate answer ({raw}); raise its iteration limit or "
                          "try another solver (cvxpy:CLARABEL, highs) to confirm")
    value = built.x.value
    has_solution = value is not None and (status in (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT,
                                                     SolveStatus.ITERATION_LIMIT) or raw == "optimal_inaccurate")
    if not has_solution:
        return result
    x = np.asarray(value, dtype=np.float64).reshape(-1)
    result.x = x
    result.row_activity = np.asarray(form.A @ x, dtype=np.float64)
    objective = problem.value
    result.objective = float(objective) if objective is not None and np.isfinite(objective) \
        else form.objective_value(x)
    if not form.is_mip and status is SolveStatus.OPTIMAL and CvxpyBackend.variant_gives_duals(used or None):
        sign = 1.0 if form.sense == Sense.MAXIMIZE else -1.0
        result.row_dual = _collect_duals(built.row_blocks, form.num_rows, sign)
        result.reduced_cost = _collect_duals(built.col_blocks, form.num_cols, sign)
        if result.row_dual is None or result.reduced_cost is None:
            result.row_dual = result.reduced_cost = None
        elif built.cones:
            result.extra["cone_duals"] = [_cone_dual(con, sign) for con in built.cones]
    return result


def _collect_duals(blocks: list[tuple[Any, np.ndarray, str]], size: int, sign: float) -> np.ndarray | None:
    """Project-convention duals from CVXPY multipliers.

    CVXPY's multiplier ``y >= 0`` of ``expr <= b`` (and the free ``y`` of ``expr == b``) enters
    the Lagrangian of the minimised problem as ``+ y * (expr - b)``, so the derivative of the
    minimum with respect to ``b`` is ``-y``; for ``expr >= b`` it is ``+y``.  A maximisation is
    solved as the minimisation of ``-f``, which flips each sign once more.  ``sign`` is ``+1``
    for maximisation and ``-1`` for minimisation.
    """
    duals = np.zeros(size, dtype=np.float64)
    for con, positions, kind in blocks:
        value = con.dual_value
        if value is None:
            return None
        value = np.asarray(value, dtype=np.float64).reshape(-1)
        duals[positions] += -sign * value if kind == "lo" else sign * value
    return duals


def _cone_dual(con: Any, sign: float) -> Any:
    """A cone block's dual in the project's convention: d objective / d offset of each cone row.

    CVXPY's dual ``z`` (in the dual cone) of ``G x + h in K`` enters the Lagrangian of the
    minimised problem as ``- z' (G x + h)``, so the derivative of the minimum in ``h`` is ``-z``;
    a maximisation flips it once more: the project's value is ``sign * z`` (``sign`` as in
    :func:`_collect_duals`).
    """
    value = con.dual_value
    if isinstance(value, list):
        return [sign * np.asarray(part, dtype=np.float64) for part in value]
    return None if value is None else sign * np.asarray(value, dtype=np.float64)
