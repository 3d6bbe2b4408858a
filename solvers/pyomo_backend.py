"""Pyomo backend: the only module that imports ``pyomo``.

Three things live here:

* :func:`form_to_pyomo` builds a Pyomo ``ConcreteModel`` from a standard form:
  ``model.x[j]`` is column ``j``, ``model.c[i]`` is row ``i`` (rows with no finite
  bound are left out; rows without a variable that hold at 0 are deactivated),
  ``model.obj`` the objective.  Each row body is a
  ``LinearExpression`` of ``MonomialTermExpression`` terms, Pyomo's cheapest way
  to construct a linear constraint that stays an ordinary, editable ``Constraint``.
* :func:`pyomo_to_form` imports any Pyomo model's linear constraints and linear or
  quadratic objective through Pyomo's own compiler
  (``LinearStandardFormCompiler`` for the constraint matrix, ``generate_standard_repn``
  for the one objective expression), keeping Pyomo's names.
* :class:`PyomoBackend`, registered as ``"pyomo"`` with one variant per solver
  (``"pyomo:cbc"``, ``"pyomo:glpk"``, ``"pyomo:highs"``, ``"pyomo:scip"``, ``"pyomo:ipopt"``).
  Shell solvers (CBC, GLPK, Ipopt) run through the classic ``SolverFactory`` and
  return duals through ``Suffix(direction=IMPORT)``; HiGHS and SCIP run through
  Pyomo's newer in-process interfaces (``pyomo.contrib.solver``), which return
  duals directly.  Both kinds already report duals as the derivative of the optimal
  objective with respect to the right-hand side, the project convention.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.backend import Backend, SolveOptions
from solvers.errors import ModelError, SolverError, SolverNotAvailableError, UnsupportedProblemError
from solvers.names import NameMap
from solvers.numbers import finite_or_none
from solvers.result import BackendResult
from solvers.standard_form import Integrality, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

try:
    import pyomo.environ as pyo
    from pyomo.common.errors import ApplicationError
    from pyomo.common.gc_manager import PauseGC
    from pyomo.contrib.solver.common.factory import SolverFactory as ContribSolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus as ContribSolutionStatus
    from pyomo.core.expr.numeric_expr import (
        LinearExpression,
        MonomialTermExpression,
        ProductExpression,
        SumExpression,
    )
    from pyomo.repn import generate_standard_repn
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
except ImportError:  # pragma: no cover - exercised only where pyomo is absent
    pyo = None
    ApplicationError = RuntimeError

# Every member of ``pyomo.opt.TerminationCondition`` (the classic solver interface), by name.
LEGACY_STATUS_MAP: dict[str, SolveStatus] = {
    "unknown": SolveStatus.ERROR,
    "maxTimeLimit": SolveStatus.TIME_LIMIT,
    "maxIterations": SolveStatus.ITERATION_LIMIT,
    "minFunctionValue": SolveStatus.OBJECTIVE_LIMIT,
    "minStepLength": SolveStatus.NUMERICAL_ERROR,
    "globallyOptimal": SolveStatus.OPTIMAL,
    "locallyOptimal": SolveStatus.OPTIMAL,  # the problem classes here are convex
    # Stopped with a feasible point and no proof of optimality (GLPK after a time limit or
    # its MIP gap); refined by the gap and the clock after the solve (see refine_feasible).
    "feasible": SolveStatus.ITERATION_LIMIT,
    "optimal": SolveStatus.OPTIMAL,
    "maxEvaluations": SolveStatus.ITERATION_LIMIT,  # node limits
    "other": SolveStatus.ERROR,
    "unbounded": SolveStatus.UNBOUNDED,
    "infeasible": SolveStatus.INFEASIBLE,
    "infeasibleOrUnbounded": SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    "invalidProblem": SolveStatus.ERROR,
    "intermediateNonInteger": SolveStatus.ERROR,
    "noSolution": SolveStatus.ERROR,
    "solverFailure": SolveStatus.ERROR,
    "internalSolverError": SolveStatus.ERROR,
    "error": SolveStatus.ERROR,
    "userInterrupt": SolveStatus.INTERRUPTED,
    "resourceInterrupt": SolveStatus.INTERRUPTED,  # what pyomo.contrib.solver's "interrupted" becomes
    "licensingProblems": SolveStatus.ERROR,
}

# Every member of ``pyomo.contrib.solver.common.results.TerminationCondition``, by name.
CONTRIB_STATUS_MAP: dict[str, SolveStatus] = {
    "convergenceCriteriaSatisfied": SolveStatus.OPTIMAL,
    "maxTimeLimit": SolveStatus.TIME_LIMIT,
    "iterationLimit": SolveStatus.ITERATION_LIMIT,
    "objectiveLimit": SolveStatus.OBJECTIVE_LIMIT,
    "minStepLength": SolveStatus.NUMERICAL_ERROR,
    "unbounded": SolveStatus.UNBOUNDED,
    "provenInfeasible": SolveStatus.INFEASIBLE,
    "locallyInfeasible": SolveStatus.INFEASIBLE,
    "infeasibleOrUnbounded": SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    "error": SolveStatus.ERROR,
    "interrupted": SolveStatus.INTERRUPTED,
    "licensingProblems": SolveStatus.ERROR,
    "emptyModel": SolveStatus.OPTIMAL,
    "unknown": SolveStatus.ERROR,
}

_LP, _MILP, _QP, _MIQP = ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP, ProblemClass.MIQP


@dataclass(frozen=True)
class PyomoSolver:
    """How one Pyomo solver is reached and what it can do (capabilities as data)."""

    factory: str
    """Name in ``SolverFactory`` (classic) or ``pyomo.contrib.solver`` 's factory."""
    contrib: bool
    """True for the in-process ``pyomo.contrib.solver`` interface, False for the classic one."""
    problem_classes: frozenset[ProblemClass]
    duals: bool
    """Duals and reduced costs for continuous problems, checked against HiGHS by the conformance tests."""
    mip_gap: str | None = None
    """Option name of the relative MIP gap (classic interface; contrib ones take ``rel_gap``)."""
    threads: str | None = None
    presolve_off: tuple[str, Any] | None = None
    description: str = ""


VARIANTS: dict[str, PyomoSolver] = {
    "cbc": PyomoSolver("cbc", False, frozenset({_LP, _MILP}), True, mip_gap="ratioGap", threads="threads",
                       presolve_off=("presolve", "off"), description="COIN-OR CBC executable"),
    "glpk": PyomoSolver("glpk", False, frozenset({_LP, _MILP}), True, mip_gap="mipgap",
                        presolve_off=("nopresol", None), description="GLPK glpsol executable"),
    "highs": PyomoSolver("highs", True, frozenset({_LP, _MILP, _QP}), True, presolve_off=("presolve", "off"),
                         description="HiGHS through pyomo.contrib.solver (highspy)"),
    "scip": PyomoSolver("scip_direct", True, frozenset({_LP, _MILP, _QP, _MIQP}), False,
                        description="SCIP through pyomo.contrib.solver (pyscipopt)"),
    # Ipopt's dual signs are not verified here (no executable on the test machines): no duals.
    "ipopt": PyomoSolver("ipopt", True, frozenset({_LP, _QP}), False, description="Ipopt executable"),
}

_HAS_SOLUTION = (SolveStatus.OPTIMAL, SolveStatus.TIME_LIMIT, SolveStatus.ITERATION_LIMIT,
                 SolveStatus.OBJECTIVE_LIMIT, SolveStatus.SOLUTION_LIMIT, SolveStatus.INTERRUPTED)


def map_legacy_status(raw: Any) -> SolveStatus:
    """The project's status for a ``pyomo.opt.TerminationCondition`` (or its name)."""
    name = raw if isinstance(raw, str) else getattr(raw, "name", str(raw))
    return LEGACY_STATUS_MAP.get(name, SolveStatus.ERROR)


def map_contrib_status(raw: Any) -> SolveStatus:
    """The project's status for a ``pyomo.contrib.solver`` ``TerminationCondition`` (or its name)."""
    name = raw if isinstance(raw, str) else getattr(raw, "name", str(raw))
    return CONTRIB_STATUS_MAP.get(name, SolveStatus.ERROR)


def _require_pyomo() -> None:
    if pyo is None:
        raise SolverNotAvailableError("pyomo is not installed; run 'pip install pyomo'")


# ----------------------------------------------------------------------------------------------
# StandardForm -> Pyomo


def _bound_list(values: np.ndarray) -> list[float | None]:
    """Bounds as Python floats with ``None`` for infinities (Pyomo's spelling)."""
    return [value if math.isfinite(value) else None for value in np.asarray(values, dtype=np.float64).tolist()]


def form_to_pyomo(form: StandardForm) -> Any:
    """A Pyomo ``ConcreteModel`` equal to ``form``.

    ``model.x[j]`` is column ``j`` (bounds and integrality from the form), ``model.c[i]``
    row ``i`` for every row with a finite bound (deactivated for a row without a variable that holds at 0),
    ``model.obj`` the objective (with the quadratic part when ``form.Q`` is set).  ``model.column_names`` and
    ``model.constraint_names`` hold the form's :class:`~solvers.NameMap` objects, so
    ``model.column_names.name(j)`` is the modeling-layer name of ``model.x[j]``.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> model = form_to_pyomo(form)
    >>> str(model.c[2].expr), model.x[1].bounds
    ('3.0*x[0] + 2.0*x[1]  <=  18.0', (0.0, None))
    """
    _require_pyomo()
    if form.cones:
        raise UnsupportedProblemError(
            f"model {form.name!r} has cone constraints, which the Pyomo path does not translate; "
            "solve it with solver='cvxpy:CLARABEL' (or another conic solver)")
    # Pausing the garbage collector while Pyomo allocates millions of small objects makes
    # construction several times faster (Pyomo's own writers do the same).
    with PauseGC():
        return _build_model(form)


def _build_model(form: StandardForm) -> Any:
    n = form.num_cols
    model = pyo.ConcreteModel(name=form.name)
    lower = _bound_list(form.col_lower)
    upper = _bound_list(form.col_upper)
    model.x = pyo.Var(range(n), dense=True)
    variables = list(model.x.values())
    integer = np.zeros(n, dtype=bool) if form.integrality is None else np.asarray(form.integrality) != 0
    for j, var in enumerate(variables):
        var.setlb(lower[j])
        var.setub(upper[j])
    for j in np.flatnonzero(integer).tolist():
        variables[j].domain = pyo.Integers

    A = form.A.tocsr()
    indptr = A.indptr.tolist()
    indices = A.indices.tolist()
    data = A.data.tolist()
    row_lower = _bound_list(form.row_lower)
    row_upper = _bound_list(form.row_upper)
    keep = np.flatnonzero(np.isfinite(form.row_lower) | np.isfinite(form.row_upper)).tolist()

    def row_rule(_model: Any, i: int) -> Any:
        start, stop = indptr[i], indptr[i + 1]
        lo, up = row_lower[i], row_upper[i]
        if start == stop:
            feasible = (lo is None or lo <= 0.0) and (up is None or up >= 0.0)
            return pyo.Constraint.Feasible if feasible else pyo.Constraint.Infeasible
        body = LinearExpression([MonomialTermExpression((data[k], variables[indices[k]]))
                                 for k in range(start, stop)])
        # relational operators are Pyomo's cheapest way to a constraint (half the cost of a tuple)
        if lo is None:
            return body <= up
        if up is None:
            return body >= lo
        if lo == up:
            return body == lo
        return pyo.inequality(lo, body, up)

    model.c = pyo.Constraint(keep, rule=row_rule)
    satisfied = (np.diff(A.indptr) == 0) & ~(form.row_lower > 0) & ~(form.row_upper < 0)
    for i in np.flatnonzero(satisfied).tolist():
        if i in model.c:
            model.c[i].deactivate()  # always satisfied, dual 0; scip_direct rejects a constraint without a variable
    model.obj = pyo.Objective(expr=_objective_expression(form, variables),
                              sense=pyo.maximize if form.sense == Sense.MAXIMIZE else pyo.minimize)
    model.column_names = form.column_names()
    model.constraint_names = form.constraint_names()
    return model


def _objective_expression(form: StandardForm, variables: list[Any]) -> Any:
    cost = np.asarray(form.c, dtype=np.float64)
    nonzero = np.flatnonzero(cost).tolist()
    terms: list[Any] = [float(form.constant)] if form.constant else []
    terms.extend(MonomialTermExpression((float(cost[j]), variables[j])) for j in nonzero)
    linear = LinearExpression(terms) if terms else LinearExpression([0.0])
    if form.Q is None or not form.Q.nnz:
        return linear
    upper = sp.triu(sp.coo_matrix(form.Q)).tocoo()
    # 0.5 x'Qx = sum_{i<j} Q_ij x_i x_j + sum_i 0.5 Q_ii x_i^2 (Q symmetric)
    coef = np.where(upper.row == upper.col, 0.5 * upper.data, upper.data)
    quadratic = [ProductExpression((MonomialTermExpression((float(value), variables[i])), variables[j]))
                 for value, i, j in zip(coef.tolist(), upper.row.tolist(), upper.col.tolist()) if value]
    return SumExpression([linear, *quadratic])


# ----------------------------------------------------------------------------------------------
# Pyomo -> StandardForm


def pyomo_to_form(model: Any, name: str | None = None) -> StandardForm:
    """Import a Pyomo model's linear constraints and linear or quadratic objective.

    The constraint matrix comes from Pyomo's ``LinearStandardFormCompiler`` (in its
    mixed form, so equality, one-sided and ranged rows keep their shape); the single
    active objective goes through ``generate_standard_repn(quadratic=True)``.  Columns
    are the model's unfixed variables in declaration order (fixed ones are constants);
    rows are its active constraints.  Names are Pyomo's (``x[3]``, ``demand[east]``), as
    :meth:`NameMap.plain` maps.  Nonlinear terms raise :class:`~solvers.ModelError`.

    Example
    -------
    >>> import pyomo.environ as pyo
    >>> m = pyo.ConcreteModel()
    >>> m.x = pyo.Var([1, 2], bounds=(0, None))
    >>> m.cap = pyo.Constraint(expr=m.x[1] + 2 * m.x[2] <= 4)
    >>> m.obj = pyo.Objective(expr=3 * m.x[1] + m.x[2], sense=pyo.maximize)
    >>> form = pyomo_to_form(m)
    >>> form.column_names().names(), form.row_upper.tolist(), form.sense.value
    (['x[1]', 'x[2]'], [4.0], 'maximize')
    """
    _require_pyomo()
    with PauseGC():
        return _import_model(model, name)


def _import_model(model: Any, name: str | None) -> StandardForm:
    objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objectives) > 1:
        raise ModelError(f"model {model.name!r} has {len(objectives)} active objectives "
                         f"({', '.join(o.name for o in objectives[:3])}); deactivate all but one")
    columns = [var for var in model.component_data_objects(pyo.Var, descend_into=True) if not var.fixed]
    position = {id(var): k for k, var in enumerate(columns)}
    for obj in objectives:
        obj.deactivate()
    try:
        info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    except Exception as exc:  # Pyomo raises several types for nonlinear or malformed constraints
        raise ModelError(f"Pyomo could not compile model {model.name!r} to linear standard form: {exc}; "
                         "only linear constraints can be imported") from exc
    finally:
        for obj in objectives:
            obj.activate()
    for var in info.columns:
        if id(var) not in position:  # a variable declared outside ``model`` (another block)
            position[id(var)] = len(columns)
            columns.append(var)

    sense = Sense.MINIMIZE
    constant = 0.0
    linear: list[tuple[int, float]] = []
    quadratic: list[tuple[int, int, float]] = []
    if objectives:
        objective = objectives[0]
        sense = Sense.MAXIMIZE if objective.sense == pyo.maximize else Sense.MINIMIZE
        repn = generate_standard_repn(objective.expr, quadratic=True, compute_values=True)
        if repn.nonlinear_expr is not None:
            raise ModelError(f"objective {objective.name!r} has nonlinear terms beyond quadratic; "
                             "only linear and quadratic objectives can be imported")
        constant = float(repn.constant)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            linear.append((_column(var, columns, position), float(coef)))
        for (var_a, var_b), coef in zip(repn.quadratic_vars, repn.quadratic_coefs):
            quadratic.append((_column(var_a, columns, position), _column(var_b, columns, position), float(coef)))

    n = len(columns)
    A, row_lower, row_upper, rows = _rows_from_info(info, n, columns, position)
    c = np.zeros(n)
    for j, coef in linear:
        c[j] += coef
    Q = None
    if quadratic:
        qi = np.array([t[0] for t in quadratic], dtype=np.int64)
        qj = np.array([t[1] for t in quadratic], dtype=np.int64)
        qv = np.array([t[2] for t in quadratic], dtype=np.float64)
        # coef * x_i * x_j is 0.5 * x' (coef * (e_i e_j' + e_j e_i')) x
        Q = sp.coo_matrix((np.concatenate((qv, qv)), (np.concatenate((qi, qj)), np.concatenate((qj, qi)))),
                          shape=(n, n)).tocsc()
        Q.sum_duplicates()
    # ``var.lb`` / ``var.ub`` include the domain's bounds (Binary: 0, 1) and cost a fortieth of ``var.bounds``
    col_lower = np.array([-np.inf if var.lb is None else var.lb for var in columns], dtype=np.float64)
    col_upper = np.array([np.inf if var.ub is None else var.ub for var in columns], dtype=np.float64)
    integer = np.fromiter((not var.is_continuous() for var in columns), dtype=bool, count=n)
    return StandardForm(
        c=c, A=A, row_lower=row_lower, row_upper=row_upper, col_lower=col_lower, col_upper=col_upper,
        sense=sense, constant=constant,
        integrality=(integer * Integrality.INTEGER).astype(np.int32) if integer.any() else None,
        Q=Q, col_names=NameMap.plain([var.name for var in columns]),
        row_names=NameMap.plain([con.name for con in rows]),
        name=name or str(model.name))


def _column(var: Any, columns: list[Any], position: dict[int, int]) -> int:
    key = id(var)
    if key not in position:
        position[key] = len(columns)
        columns.append(var)
    return position[key]


def _rows_from_info(info: Any, n: int, columns: list[Any], position: dict[int, int]
                    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, list[Any]]:
    """Merge the compiler's mixed-form rows (a ranged constraint appears twice) into one row each."""
    entries = info.rows
    count = len(entries)
    rhs = np.asarray(info.rhs, dtype=np.float64).reshape(-1)
    kind = np.fromiter((entry.bound_type for entry in entries), dtype=np.int8, count=count)
    constraints = [entry.constraint for entry in entries]
    repeat = np.zeros(count, dtype=bool)  # True for the second (lower-bound) entry of a ranged row
    if count > 1:
        repeat[1:] = np.fromiter((constraints[k] is constraints[k - 1] for k in range(1, count)),
                                 dtype=bool, count=count - 1)
    first = np.flatnonzero(~repeat)
    lower = np.full(count, -np.inf)
    upper = np.full(count, np.inf)
    upper[kind >= 0] = rhs[kind >= 0]
    lower[kind <= 0] = rhs[kind <= 0]
    second = np.flatnonzero(repeat)
    lower[second - 1] = rhs[second]  # ranged: the upper entry comes first, its lower entry next
    compiled = sp.csc_matrix(info.A)
    col_index = np.fromiter((position[id(var)] for var in info.columns), dtype=np.int64, count=len(info.columns))
    coo = compiled.tocoo()
    full = sp.csr_matrix((coo.data, (coo.row, col_index[coo.col])), shape=(count, n))
    A = full[first]
    A.sum_duplicates()
    A.indptr = A.indptr.astype(np.int32)
    A.indices = A.indices.astype(np.int32)
    return A, lower[first], upper[first], [constraints[k] for k in first.tolist()]


# ----------------------------------------------------------------------------------------------
# the backend


@functools.cache
def _solver_available(variant: str) -> bool:
    if pyo is None:
        return False
    spec = VARIANTS[variant]
    try:
        if spec.contrib:
            return bool(ContribSolverFactory(spec.factory).available())
        return bool(pyo.SolverFactory(spec.factory).available(exception_flag=False))
    except Exception:  # a broken plugin means "not available", not a crash of `opt-model solvers`
        return False


@functools.cache
def _solver_version(variant: str) -> str:
    spec = VARIANTS[variant]
    try:
        solver = ContribSolverFactory(spec.factory) if spec.contrib else pyo.SolverFactory(spec.factory)
        raw = solver.version()
    except Exception:  # a solver that cannot tell its version still solves
        raw = None
    if isinstance(raw, tuple):
        return ".".join(str(part) for part in raw)
    return str(raw) if raw else "unknown"


class PyomoBackend(Backend):
    """LP and MILP (QP and MIQP where the solver can) through Pyomo's solver interfaces.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, solve
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> result = solve(form, solver="pyomo:glpk")
    >>> result.objective, result.row_dual.tolist()
    (36.0, [0.0, 1.5, 1.0])
    """

    name: ClassVar[str] = "pyomo"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset().union(
        *(spec.problem_classes for spec in VARIANTS.values()))
    gives_duals: ClassVar[bool] = True
    gives_ranging: ClassVar[bool] = False
    warm_start: ClassVar[bool] = False
    variants: ClassVar[tuple[str, ...]] = tuple(VARIANTS)
    solver_variants: ClassVar[bool] = True
    description: ClassVar[str] = "Pyomo: CBC, GLPK, HiGHS, SCIP, Ipopt through Pyomo's solver interfaces"

    pyomo_solvers: ClassVar[dict[str, PyomoSolver]] = VARIANTS
    """How each variant is reached and what it solves (see :data:`VARIANTS`)."""
    DEFAULT_VARIANT: ClassVar[str] = "highs"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant.lower() if variant else None)

    @classmethod
    def is_available(cls) -> bool:
        return pyo is not None

    @classmethod
    def version(cls) -> str:
        if pyo is None:
            return ""
        from pyomo.version import version as pyomo_version

        return str(pyomo_version)

    @classmethod
    def installed_variants(cls) -> tuple[str, ...]:
        return tuple(variant for variant in cls.variants if _solver_available(variant))

    @classmethod
    def variant_problem_classes(cls, variant: str | None) -> frozenset[ProblemClass]:
        spec = cls.pyomo_solvers.get((variant or cls.DEFAULT_VARIANT).lower())
        return spec.problem_classes if spec is not None else frozenset()

    @classmethod
    def variant_gives_duals(cls, variant: str | None) -> bool:
        spec = cls.pyomo_solvers.get((variant or cls.DEFAULT_VARIANT).lower())
        return spec is not None and spec.duals

    @classmethod
    def variant_version(cls, variant: str | None) -> str:
        key = (variant or cls.DEFAULT_VARIANT).lower()
        if key not in VARIANTS or not _solver_available(key):
            return ""
        return f"{_solver_version(key)} (pyomo {cls.version()})"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        _require_pyomo()
        variant = self.variant or self.DEFAULT_VARIANT
        if variant not in VARIANTS:
            raise SolverNotAvailableError(f"Pyomo has no solver variant {variant!r} here; choose one of "
                                          f"{', '.join(VARIANTS)}")
        if not _solver_available(variant):
            raise SolverNotAvailableError(
                f"Pyomo solver {variant!r} is not installed; installed: "
                f"{', '.join(self.installed_variants()) or 'none'}; install it or choose one of those")
        spec = VARIANTS[variant]
        solver_name = f"pyomo:{variant}"
        infeasible_row = _infeasible_empty_row(form)
        if infeasible_row is not None:
            return BackendResult(status=SolveStatus.INFEASIBLE, solver=solver_name, raw_status="presolve",
                                 message=f"row {form.constraint_names().name(infeasible_row)} has no "
                                         "coefficients and bounds that exclude 0",
                                 solver_version=self.variant_version(variant))
        free_column = _integer_free_column(form)
        if free_column is not None:
            name = form.column_names().name(free_column)
            return BackendResult(status=SolveStatus.INFEASIBLE, solver=solver_name, raw_status="presolve",
                                 message=f"integer variable {name} has bounds [{form.col_lower[free_column]:g}, "
                                         f"{form.col_upper[free_column]:g}] that hold no integer",
                                 solver_version=self.variant_version(variant))
        trivial = _trivial_optimum(form)
        if trivial is not None:  # pyomo's HiGHS interface calls HiGHS's 'empty model' an unknown stop
            trivial.solver, trivial.solver_version = solver_name, self.variant_version(variant)
            return trivial
        start = time.perf_counter()
        model = form_to_pyomo(form)
        want_duals = spec.duals and not form.is_mip
        if want_duals and not spec.contrib:
            model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
            model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        handoff = time.perf_counter() - start
        if variant == "highs":
            _silence_highs_banner()
        start = time.perf_counter()
        if spec.contrib:
            outcome = _solve_contrib(model, spec, options, want_duals)
        else:
            outcome = _solve_legacy(model, spec, options, want_duals)
        wall = time.perf_counter() - start
        return _collect(form, model, outcome, solver_name, self.variant_version(variant), options,
                        handoff, wall)


def _trivial_optimum(form: StandardForm) -> BackendResult | None:
    """The answer of a model that sends the solver nothing (no coefficient in a row or the objective), or None.

    Every column then sits at the value in its bounds closest to zero (an integer one for integer
    columns); duals and reduced costs are zero.
    """
    if form.A.count_nonzero() or np.any(form.c) or (form.Q is not None and form.Q.count_nonzero()) or form.cones:
        return None
    x = _closest_to_zero(form)
    result = BackendResult(status=SolveStatus.OPTIMAL, solver="", raw_status="empty",
                           message="nothing to solve: no variable appears in a constraint or the objective",
                           solve_time_s=0.0)
    result.x = x
    result.objective = form.objective_value(x)
    result.row_activity = np.zeros(form.num_rows)
    if not form.is_mip:
        result.row_dual = np.zeros(form.num_rows)
        result.reduced_cost = np.zeros(form.num_cols)
    return result


def _closest_to_zero(form: StandardForm) -> np.ndarray:
    """Each column's value in its bounds closest to zero (an integer one for an integer column): what a column
    in no row and not in the objective takes (:func:`_integer_free_column` rules out empty integer ranges)."""
    lower, upper = form.col_lower, form.col_upper
    if form.integrality is not None:
        integer = np.asarray(form.integrality) != 0
        lower = np.where(integer, np.ceil(lower), lower)
        upper = np.where(integer, np.floor(upper), upper)
    return np.asarray(np.clip(0.0, lower, upper), dtype=np.float64)


def _integer_free_column(form: StandardForm) -> int | None:
    """The first integer column whose bounds hold no integer (the model is infeasible), or None."""
    if form.integrality is None:
        return None
    integer = np.asarray(form.integrality) != 0
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(integer & (np.ceil(form.col_lower) > np.floor(form.col_upper)))
    return int(bad[0]) if bad.size else None


def _infeasible_empty_row(form: StandardForm) -> int | None:
    empty = np.diff(form.A.tocsr().indptr) == 0
    bad = np.flatnonzero(empty & ((form.row_lower > 0) | (form.row_upper < 0)))
    return int(bad[0]) if bad.size else None


_highs_quiet = False


def _silence_highs_banner() -> None:
    """HiGHS prints a banner to stdout when a process makes its first instance; make that one quietly."""
    global _highs_quiet
    if not _highs_quiet:
        from solvers.highs.backend import HighsBackend

        HighsBackend.version()
        _highs_quiet = True


@dataclass
class SolveOutcome:
    status: SolveStatus
    raw: str
    x: dict[int, float] | None = None  # id(var) -> value
    duals: dict[int, float] | None = None  # id(constraint) -> value
    reduced_costs: dict[int, float] | None = None
    bound: float | None = None
    incumbent: float | None = None
    solver_time: float | None = None
    message: str = ""


def _options_error(spec: PyomoSolver, options: SolveOptions, exc: BaseException) -> SolverError:
    return SolverError(f"Pyomo solver {spec.factory!r} failed with options {dict(options.extra or {})}: {exc}; "
                       "check the option names and values in the solver's documentation")


def _solve_legacy(model: Any, spec: PyomoSolver, options: SolveOptions, want_duals: bool) -> SolveOutcome:
    solver = pyo.SolverFactory(spec.factory)
    kwargs: dict[str, Any] = {"load_solutions": False, "tee": bool(options.verbose)}
    if options.time_limit is not None:
        if not options.time_limit > 0:
            raise SolverError(f"time_limit must be a positive number of seconds, got {options.time_limit!r}")
        # glpsol takes whole seconds
        kwargs["timelimit"] = math.ceil(options.time_limit) if spec.factory == "glpk" else float(options.time_limit)
    if options.mip_gap is not None:
        if not options.mip_gap >= 0:
            raise SolverError(f"mip_gap must be a number >= 0, got {options.mip_gap!r}")
        if spec.mip_gap:
            solver.options[spec.mip_gap] = float(options.mip_gap)
    if options.threads is not None and spec.threads:
        solver.options[spec.threads] = int(options.threads)
    if options.presolve is False and spec.presolve_off is not None:
        solver.options[spec.presolve_off[0]] = spec.presolve_off[1]
    for key, value in (options.extra or {}).items():
        solver.options[key] = value
    handle, logfile = tempfile.mkstemp(suffix=".log", prefix="opt_model_pyomo_")
    os.close(handle)
    kwargs["logfile"] = logfile
    try:
        try:
            results = solver.solve(model, **kwargs)
        except ApplicationError as exc:  # the executable exited with an error (glpsol: bad option)
            if options.extra:
                raise _options_error(spec, options, exc) from exc
            return SolveOutcome(SolveStatus.ERROR, "error", message=f"{spec.factory} failed: {exc}")
        with open(logfile, errors="replace") as handle_log:
            log = handle_log.read()
    finally:
        with contextlib.suppress(FileNotFoundError):  # Pyomo removes it itself after some failures
            os.unlink(logfile)
    _check_rejected_options(spec, options, log)
    termination = results.solver.termination_condition
    raw = getattr(termination, "name", str(termination))
    status = map_legacy_status(termination)
    if spec.factory == "glpk" and raw in ("other", "unknown"):
        status, raw = glpk_status_from_log(log, status, raw)
    outcome = SolveOutcome(status, raw)
    problem = results.problem
    minimize = model.obj.sense == pyo.minimize
    lower, upper = finite_or_none(problem.lower_bound), finite_or_none(problem.upper_bound)
    outcome.bound, outcome.incumbent = (lower, upper) if minimize else (upper, lower)
    outcome.solver_time = finite_or_none(getattr(results.solver, "time", None))
    if len(results.solution) and status in _HAS_SOLUTION:
        model.solutions.load_from(results)
        outcome.x = {id(var): var.value for var in model.x.values() if var.value is not None}
        if want_duals:
            outcome.duals = {id(con): float(value) for con, value in model.dual.items()}
            outcome.reduced_costs = {id(var): float(value) for var, value in model.rc.items()}
    return outcome


_REJECTION_WORDS = ("unknown", "no match", "invalid option", "not valid", "illegal", "unrecognized")


def _check_rejected_options(spec: PyomoSolver, options: SolveOptions, log: str) -> None:
    """Solvers that skip an unknown option with a line in their log (CBC, HiGHS) fail loudly here."""
    for key in options.extra or {}:
        for line in log.splitlines():
            lowered = line.lower()
            if str(key).lower() in lowered and any(word in lowered for word in _REJECTION_WORDS):
                raise SolverError(f"Pyomo solver {spec.factory!r} rejected option {key!r}: {line.strip()}; "
                                  "check the option names in the solver's documentation")


def glpk_status_from_log(log: str, status: SolveStatus, raw: str) -> tuple[SolveStatus, str]:
    """GLPK 5 reports infeasible and unbounded LPs in wording Pyomo's parser does not know."""
    text = log.upper()
    if "HAS NO PRIMAL FEASIBLE SOLUTION" in text or "HAS NO INTEGER FEASIBLE SOLUTION" in text:
        return SolveStatus.INFEASIBLE, "infeasible (glpsol log)"
    if "HAS UNBOUNDED PRIMAL SOLUTION" in text:
        return SolveStatus.UNBOUNDED, "unbounded (glpsol log)"
    if "HAS NO DUAL FEASIBLE SOLUTION" in text:
        return SolveStatus.INFEASIBLE_OR_UNBOUNDED, "no dual feasible solution (glpsol log)"
    return status, raw




def _solve_contrib(model: Any, spec: PyomoSolver, options: SolveOptions, want_duals: bool) -> SolveOutcome:
    solver = ContribSolverFactory(spec.factory)
    config: dict[str, Any] = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False,
                              "tee": bool(options.verbose)}
    solver_options: dict[str, Any] = {}
    if options.time_limit is not None:
        if not options.time_limit > 0:
            raise SolverError(f"time_limit must be a positive number of seconds, got {options.time_limit!r}")
        config["time_limit"] = float(options.time_limit)
    if options.mip_gap is not None:
        if not options.mip_gap >= 0:
            raise SolverError(f"mip_gap must be a number >= 0, got {options.mip_gap!r}")
        if "rel_gap" in solver.config:
            config["rel_gap"] = float(options.mip_gap)
    if options.threads is not None and "threads" in solver.config:
        if spec.factory == "highs":
            # HiGHS fixes its thread pool at first use in a process; only highspy itself (the
            # "highs" backend) can reset it, and Pyomo's interface then fails with "unknown".
            warnings.warn("pyomo:highs ignores threads; use solver='highs' to set HiGHS's thread count",
                          stacklevel=4)
        else:
            config["threads"] = int(options.threads)
    if options.presolve is False and spec.presolve_off is not None:
        solver_options[spec.presolve_off[0]] = spec.presolve_off[1]
    solver_options.update(options.extra or {})
    if solver_options:
        config["solver_options"] = solver_options
    try:
        results = solver.solve(model, **config)
    except (ValueError, LookupError, TypeError, RuntimeError) as exc:
        if options.extra:  # SCIP raises KeyError('Not a valid parameter name') without naming it
            raise _options_error(spec, options, exc) from exc
        if isinstance(exc, RuntimeError):
            return SolveOutcome(SolveStatus.ERROR, "error", message=f"{spec.factory} failed: {exc}")
        raise
    _check_rejected_options(spec, options, str(getattr(results, "solver_log", "") or ""))
    termination = results.termination_condition
    status = map_contrib_status(termination)
    outcome = SolveOutcome(status, getattr(termination, "name", str(termination)))
    if status is SolveStatus.ERROR:
        log = str(getattr(results, "solver_log", "") or "").strip().splitlines()
        outcome.message = f"{spec.factory} stopped with {outcome.raw}: " + " / ".join(log[-3:])
    outcome.bound = finite_or_none(results.objective_bound)
    outcome.incumbent = finite_or_none(results.incumbent_objective)
    timing = results.timing_info
    outcome.solver_time = finite_or_none(timing.get("solver_wall_time")) if hasattr(timing, "get") else None
    feasible = results.solution_status in (ContribSolutionStatus.feasible, ContribSolutionStatus.optimal)
    if feasible and status in _HAS_SOLUTION:
        loader = results.solution_loader
        outcome.x = {id(var): float(value) for var, value in loader.get_vars().items() if value is not None}
        if want_duals:
            outcome.duals = {id(con): float(value) for con, value in loader.get_duals().items()}
            outcome.reduced_costs = {id(var): float(value) for var, value in loader.get_reduced_costs().items()}
    return outcome


def refine_feasible(outcome: SolveOutcome, options: SolveOptions, wall: float) -> SolveStatus:
    """Tell apart why a solver stopped with a feasible, unproven point (legacy ``feasible``)."""
    if outcome.raw != "feasible":
        return outcome.status
    if options.time_limit is not None and wall >= 0.9 * float(options.time_limit):
        return SolveStatus.TIME_LIMIT
    if outcome.bound is not None and outcome.incumbent is not None:
        gap = abs(outcome.incumbent - outcome.bound) / max(abs(outcome.incumbent), 1e-10)
        if gap <= (options.mip_gap if options.mip_gap is not None else 1e-4) + 1e-12:
            return SolveStatus.OPTIMAL
    return outcome.status


def _collect(form: StandardForm, model: Any, outcome: SolveOutcome, solver_name: str, version: str,
             options: SolveOptions, handoff: float, wall: float) -> BackendResult:
    status = refine_feasible(outcome, options, wall)
    result = BackendResult(status=status, solver=solver_name, raw_status=outcome.raw, message=outcome.message,
                           solver_version=version, handoff_time_s=handoff,
                           solve_time_s=outcome.solver_time if outcome.solver_time is not None else wall)
    result.extra["wall_time_s"] = wall
    if form.is_mip:
        result.mip_bound = outcome.bound
        if outcome.bound is not None and outcome.incumbent is not None:
            result.mip_gap = abs(outcome.incumbent - outcome.bound) / max(abs(outcome.incumbent), 1e-10)
    if outcome.x is None:
        return result
    variables = list(model.x.values())
    values = outcome.x
    # A column in no row and not in the objective is not sent to the solver: any value in its
    # bounds is optimal, so report the one closest to zero.
    fallback = _closest_to_zero(form)
    x = np.fromiter((values.get(id(var), np.nan) for var in variables), dtype=np.float64, count=len(variables))
    x = np.where(np.isnan(x), fallback, x)
    result.x = x
    result.row_activity = np.asarray(form.A @ x, dtype=np.float64)
    result.objective = form.objective_value(x)
    if outcome.duals is not None and outcome.reduced_costs is not None and status is SolveStatus.OPTIMAL:
        row_dual = np.zeros(form.num_rows)
        keys = list(model.c.keys())
        duals = outcome.duals
        row_dual[np.asarray(keys, dtype=np.int64)] = np.fromiter(
            (duals.get(id(con), 0.0) for con in model.c.values()), dtype=np.float64, count=len(keys))
        costs = outcome.reduced_costs
        result.row_dual = row_dual
        result.reduced_cost = np.fromiter((costs.get(id(var), 0.0) for var in variables), dtype=np.float64,
                                          count=len(variables))
    return result
