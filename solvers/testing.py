"""A conformance suite every backend can run: known answers, one call, capability-aware skips.

Like MathOptInterface's ``MOI.Test.runtests``: :func:`run_conformance` solves small problems
with hand-worked answers (optimal objective, primal values where unique, row duals and reduced
costs in the project convention, i.e. the derivative of the optimal objective with respect to
the active bound, for minimisation and maximisation alike) with one registered backend string,
skipping what its declarations say it cannot do (problem classes, duals), and reports every
mismatch.  It also checks the backend's :class:`~solvers.session.Session` (in-place change,
re-solve).  A backend added with :func:`solvers.register` runs it in one line::

    from solvers.testing import run_conformance
    run_conformance("mybackend").raise_for_failures()

:class:`MockBackend` answers with scripted arrays instead of solving, for tests of the layers
above (mapping results back to names, status handling) that must not depend on a solver.

Example
-------
>>> report = run_conformance("highs")
>>> report.ok, len(report.passed) > 5
(True, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.backend import Backend, backend_class, backend_names, get_backend, open_session, solve
from solvers.options import SolveOptions
from solvers.result import BackendResult
from solvers.standard_form import ConeBlock, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

# Relative tolerance per backend string: simplex / interior point solvers 1e-6, first-order ones looser.
TOLERANCE = {"cvxpy:SCS": 1e-4, "cvxpy:OSQP": 1e-4}
DEFAULT_TOLERANCE = 1e-6
CONE_DUAL_TOLERANCE = 1e-4
"""Interior-point conic solvers at their default tolerances recover exponential-cone multipliers to about
4e-5 (Clarabel: 2.71817 for e); primal values and objectives stay within 1e-6."""
X_TOLERANCE = {("pyomo:scip", ProblemClass.QP): 1e-3}
"""SCIP (through Pyomo) moves a quadratic objective into a constraint checked to its feasibility tolerance
1e-6; the objective is then right to 1e-7 but x, on a flat optimum, only to ~sqrt(1e-6)."""

INF = np.inf
OPTIMAL = frozenset({SolveStatus.OPTIMAL})
# Some solvers (HiGHS after presolve, GLPK's presolver) only prove "infeasible or unbounded".
INFEASIBLE = frozenset({SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED})
UNBOUNDED = frozenset({SolveStatus.UNBOUNDED, SolveStatus.INFEASIBLE_OR_UNBOUNDED})


@dataclass(frozen=True)
class Case:
    """A problem and its known answer (``None`` where a value is not unique or not checked)."""

    name: str
    build: Callable[[], StandardForm]
    statuses: frozenset[SolveStatus] = OPTIMAL
    objective: float | None = None
    x: tuple[float, ...] | None = None
    row_dual: tuple[float, ...] | None = None
    reduced_cost: tuple[float, ...] | None = None


def _form(c: Sequence[float], A: Sequence[Sequence[float]], row_lower: Sequence[float],
          row_upper: Sequence[float], col_lower: Sequence[float], col_upper: Sequence[float],
          sense: Sense = Sense.MINIMIZE,
          **fields: object) -> StandardForm:
    return StandardForm(
        c=np.array(c, dtype=float), A=sp.csr_matrix(np.array(A, dtype=float)),
        row_lower=np.array(row_lower, dtype=float), row_upper=np.array(row_upper, dtype=float),
        col_lower=np.array(col_lower, dtype=float), col_upper=np.array(col_upper, dtype=float),
        sense=sense, **fields)  # type: ignore[arg-type]


def wyndor_max() -> StandardForm:
    """max 3x1 + 5x2; x1 <= 4, 2x2 <= 12, 3x1 + 2x2 <= 18."""
    return _form([3, 5], [[1, 0], [0, 2], [3, 2]], [-INF] * 3, [4, 12, 18], [0, 0], [INF, INF],
                 Sense.MAXIMIZE, name="wyndor")


def wyndor_min() -> StandardForm:
    """The same problem as a minimisation of -3x1 - 5x2: duals flip sign."""
    return _form([-3, -5], [[1, 0], [0, 2], [3, 2]], [-INF] * 3, [4, 12, 18], [0, 0], [INF, INF])


def dakota() -> StandardForm:
    """max 60x1 + 30x2 + 20x3; 8x1+6x2+x3 <= 48, 4x1+2x2+1.5x3 <= 20, 2x1+1.5x2+0.5x3 <= 8, x2 <= 5 (a row)."""
    return _form([60, 30, 20], [[8, 6, 1], [4, 2, 1.5], [2, 1.5, 0.5], [0, 1, 0]], [-INF] * 4, [48, 20, 8, 5],
                 [0, 0, 0], [INF] * 3, Sense.MAXIMIZE, name="dakota")


def mixed_min() -> StandardForm:
    """A minimisation with >=, ==, ranged (active at each end) and free rows, and bounded columns.

    min x1 + 4x2 + x3 + 5x4 - x5 + x6
    r0: x1 + x2 + x3 + x4 >= 4
    r1: x1 - x2 == 1
    r2: 2 <= x1 + 2x3 <= 6          (active at its upper bound)
    r3: 1 <= x6 <= 4                (ranged, active at its lower bound)
    r4: x1 + x5 free                (no bound: dual 0)
    x >= 0, x3 <= 10, x5 <= 2

    At the optimum x = (4/3, 1/3, 7/3, 0, 2, 1) with r0, r1, r2 binding; solving
    c_B = B' y for the basic columns gives y = (3, -1, -1) and y3 = 1; x4 sits at its
    lower bound with reduced cost 5 - 3 = 2, x5 at its upper bound with reduced cost -1.
    """
    A = [[1, 1, 1, 1, 0, 0], [1, -1, 0, 0, 0, 0], [1, 0, 2, 0, 0, 0], [0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0]]
    return _form([1, 4, 1, 5, -1, 1], A, [4, 1, 2, 1, -INF], [INF, 1, 6, 4, INF],
                 [0] * 6, [INF, INF, 10, INF, 2, INF], name="mixed")


def knapsack() -> StandardForm:
    """max 10a + 13b + 7c + 8d; 4a + 6b + 3c + 5d <= 10; binary: a = b = 1 is the unique optimum."""
    return _form([10, 13, 7, 8], [[4, 6, 3, 5]], [-INF], [10], [0] * 4, [1] * 4, Sense.MAXIMIZE,
                 integrality=np.ones(4, dtype=np.int32), name="knapsack")


_Q = sp.csc_matrix(np.array([[2.0, 0.5], [0.5, 1.0]]))


def qp_min() -> StandardForm:
    """min 0.5 x'Qx - x1 - x2 with x1 + x2 >= 2: KKT gives x = (0.5, 1.5), multiplier 0.75, z = -0.25."""
    return _form([-1, -1], [[1, 1]], [2], [INF], [0, 0], [INF, INF], Q=_Q, name="qp")


def qp_max() -> StandardForm:
    """The same QP as a maximisation of its negative: z = 0.25 and the row dual flips to -0.75."""
    return _form([1, 1], [[1, 1]], [2], [INF], [0, 0], [INF, INF], Sense.MAXIMIZE, Q=-_Q, name="qp_max")


def socp() -> StandardForm:
    """min x1 + x2 + x4 with ||(x1, x2)|| <= t, |x4| <= 0.5 (cones of sizes 3 and 2) and the row t <= 1.

    Columns (x1, x2, t, x4), all free.  Optimum x1 = x2 = -1/sqrt2, t = 1, x4 = -0.5,
    z = -sqrt2 - 0.5; the row's dual is dz/d(bound of t) = -sqrt2.
    """
    cone = ConeBlock("soc", sp.csr_matrix(np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0],
                                                    [0, 0, 0, 0], [0, 0, 0, 1]], dtype=float)),
                     offset=np.array([0, 0, 0, 0.5, 0]), sizes=np.array([3, 2]), name="norms")
    return _form([1, 1, 0, 1], [[0, 0, 1, 0]], [-INF], [1], [-INF] * 4, [INF] * 4, cones=[cone], name="socp")


def exp_cone() -> StandardForm:
    """min y with exp(x) <= y, i.e. (x, 1, y) in the exponential cone, and the row x >= 1.

    Optimum x = 1, y = e; the row's dual is dz/d(lower bound of x) = e.
    """
    cone = ConeBlock("exp", sp.csr_matrix(np.array([[1, 0], [0, 0], [0, 1]], dtype=float)),
                     offset=np.array([0.0, 1.0, 0.0]), sizes=np.array([3]), name="exp")
    return _form([0, 1], [[1, 0]], [1], [INF], [-INF, -INF], [INF, INF], cones=[cone], name="exp")


def infeasible_lp() -> StandardForm:
    """x1 + x2 <= 1 and x1 + x2 >= 2."""
    return _form([1, 1], [[1, 1], [1, 1]], [-INF, 2], [1, INF], [0, 0], [INF, INF], name="infeasible")


def unbounded_lp() -> StandardForm:
    """max x1 + x2 with x1 - x2 <= 1, x >= 0."""
    return _form([1, 1], [[1, -1]], [-INF], [1], [0, 0], [INF, INF], Sense.MAXIMIZE, name="unbounded")


ROOT2 = math.sqrt(2.0)
CASES = [
    Case("wyndor_max", wyndor_max, objective=36.0, x=(2, 6), row_dual=(0, 1.5, 1), reduced_cost=(0, 0)),
    Case("wyndor_min", wyndor_min, objective=-36.0, x=(2, 6), row_dual=(0, -1.5, -1), reduced_cost=(0, 0)),
    Case("dakota", dakota, objective=280.0, x=(2, 0, 8), row_dual=(0, 10, 10, 0), reduced_cost=(0, -5, 0)),
    Case("mixed_min", mixed_min, objective=4.0, x=(4 / 3, 1 / 3, 7 / 3, 0, 2, 1), row_dual=(3, -1, -1, 1, 0),
         reduced_cost=(0, 0, 0, 2, -1, 0)),
    Case("knapsack", knapsack, objective=23.0, x=(1, 1, 0, 0)),
    Case("qp_min", qp_min, objective=-0.25, x=(0.5, 1.5), row_dual=(0.75,), reduced_cost=(0, 0)),
    Case("qp_max", qp_max, objective=0.25, x=(0.5, 1.5), row_dual=(-0.75,), reduced_cost=(0, 0)),
    Case("socp", socp, objective=-ROOT2 - 0.5, x=(-1 / ROOT2, -1 / ROOT2, 1, -0.5), row_dual=(-ROOT2,),
         reduced_cost=(0, 0, 0, 0)),
    Case("exp_cone", exp_cone, objective=math.e, x=(1, math.e), row_dual=(math.e,), reduced_cost=(0, 0)),
    Case("infeasible_lp", infeasible_lp, statuses=INFEASIBLE),
    Case("unbounded_lp", unbounded_lp, statuses=UNBOUNDED),
]




# Running the suite -------------------------------------------------------------------------------------

@dataclass
class ConformanceReport:
    """What :func:`run_conformance` found: case names passed, skipped (with the reason) and failed (with why)."""

    backend: str
    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> ConformanceReport:
        """Raise :class:`AssertionError` listing every failed case; return the report otherwise."""
        if self.failed:
            lines = "\n".join(f"  {name}: {why}" for name, why in self.failed.items())
            raise AssertionError(f"{self.backend} fails {len(self.failed)} conformance case(s):\n{lines}")
        return self


def _close(actual: Any, expected: Any, tol: float) -> bool:
    want = np.asarray(expected, dtype=float)
    got = np.asarray(actual, dtype=float)
    return bool(got.shape == want.shape and np.all(np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))))


def declares_duals(backend: str) -> bool:
    """Whether the backend string declares row duals and reduced costs for continuous problems."""
    name, _, variant = backend.partition(":")
    return backend_class(name).variant_gives_duals(variant or None)


def check_case(backend: str, case: Case, tolerance: float | None = None) -> str | None:
    """Solve ``case`` with ``backend``; ``None`` when it conforms, a skip reason (``"skip: ..."``) or a failure.

    Example
    -------
    >>> check_case("highs", CASES[0]) is None
    True
    """
    form = case.build()
    problem_class = form.problem_class
    if not get_backend(backend).supports(problem_class):
        return f"skip: {backend} declares no {problem_class.value} support"
    result = solve(form, solver=backend)
    if result.status not in case.statuses:
        return f"status {result.status.value} ({result.message or result.raw_status}), expected " + \
            " or ".join(sorted(status.value for status in case.statuses))
    if case.statuses != OPTIMAL:
        return None
    tol = tolerance if tolerance is not None else TOLERANCE.get(backend, DEFAULT_TOLERANCE)
    if case.objective is not None and not _close(result.objective, case.objective, tol):
        return f"objective {result.objective!r} != {case.objective!r}"
    if result.x is None:
        return "no primal solution for an optimal status"
    if case.x is not None and not _close(result.x, case.x, X_TOLERANCE.get((backend, problem_class), tol)):
        return f"x = {result.x.tolist()}, expected {list(case.x)}"
    if result.row_activity is None or not np.allclose(result.row_activity, form.A @ result.x, rtol=1e-9, atol=1e-9):
        return "row activity missing or different from A x"
    if form.is_mip:
        return "a MIP has no duals, but the backend returned some" if result.row_dual is not None else None
    if declares_duals(backend):
        if result.row_dual is None or result.reduced_cost is None:
            return "the backend declares duals but returned none"
        dual_tol = max(tol, CONE_DUAL_TOLERANCE) if form.cones else tol
        if case.row_dual is not None and not _close(result.row_dual, case.row_dual, dual_tol):
            return f"row duals {result.row_dual.tolist()} != {list(case.row_dual)}"
        if case.reduced_cost is not None and not _close(result.reduced_cost, case.reduced_cost, dual_tol):
            return f"reduced costs {result.reduced_cost.tolist()} != {list(case.reduced_cost)}"
    return None


def check_session(backend: str, tolerance: float | None = None) -> str | None:
    """The backend's session: solve Wyndor, raise one capacity in place, re-solve; ``None`` when it conforms.

    Known answer: with plant2's capacity 12 -> 13 the optimum is 37.5 and the dual of plant2 stays 1.5.
    """
    if not get_backend(backend).supports(ProblemClass.LP):
        return f"skip: {backend} declares no LP support"
    tol = tolerance if tolerance is not None else TOLERANCE.get(backend, DEFAULT_TOLERANCE)
    session = open_session(wyndor_max(), backend)
    first = session.solve()
    if first.status is not SolveStatus.OPTIMAL or not _close(first.objective, 36.0, tol):
        return f"session solve: {first.status.value}, objective {first.objective!r} (expected 36)"
    session.change_row_bounds([1], [-np.inf], [13.0])
    second = session.solve()
    if second.status is not SolveStatus.OPTIMAL or not _close(second.objective, 37.5, tol):
        return f"session re-solve after a change: {second.status.value}, objective {second.objective!r} (expected 37.5)"
    if declares_duals(backend) and (second.row_dual is None or not _close(second.row_dual[1], 1.5, tol)):
        return f"session re-solve: dual of the changed row {None if second.row_dual is None else second.row_dual[1]}"
    return None


def run_conformance(backend: str, cases: Sequence[Case] | None = None, *,
                    tolerance: float | None = None) -> ConformanceReport:
    """Run every known-answer case (and the session check) against ``backend`` (``"name"`` or ``"name:variant"``).

    Cases the backend's declarations exclude are skipped with the reason; an exception
    raised by the backend counts as a failure of that case, not of the run.
    """
    report = ConformanceReport(backend)
    checks: list[tuple[str, Callable[[], str | None]]] = [
        (case.name, functools.partial(check_case, backend, case, tolerance)) for case in (cases or CASES)]
    checks.append(("session", functools.partial(check_session, backend, tolerance)))
    for name, check in checks:
        try:
            outcome = check()
        except Exception as error:  # a crash is a failure of the case, reported with the others
            outcome = f"raised {type(error).__name__}: {error}"
        if outcome is None:
            report.passed.append(name)
        elif outcome.startswith("skip: "):
            report.skipped[name] = outcome[len("skip: "):]
        else:
            report.failed[name] = outcome
    return report


def conformance_backends(installed_only: bool = False) -> list[str]:
    """Every backend string of the registry: ``"name"``, or ``"name:variant"`` for each distinct solver.

    Example
    -------
    >>> "highs" in conformance_backends() and "cvxpy:CLARABEL" in conformance_backends()
    True
    """
    specs: list[str] = []
    for name in backend_names():
        try:
            cls = backend_class(name)
        except ImportError:
            continue
        found = [f"{name}:{variant}" for variant in cls.variants] if cls.solver_variants else [name]
        if installed_only:
            available = set(cls.installed_variants()) if cls.is_available() else set()
            found = [spec for spec in found if cls.is_available()
                     and (":" not in spec or spec.partition(":")[2] in available)]
        specs.extend(found)
    return specs


# A backend that answers from a script -------------------------------------------------------------------

class MockBackend(Backend):
    """A backend that does not solve: it returns the :class:`BackendResult` its ``script`` makes.

    For tests of the layers above (mapping arrays back to names, status and sign handling) that must
    not depend on a solver.  ``script(form)`` returns the result; every form received is kept in
    :attr:`received`.  Register it under a name with :func:`solvers.register`.

    Example
    -------
    >>> import numpy as np
    >>> class Ones(MockBackend):
    ...     script = staticmethod(lambda form: BackendResult(SolveStatus.OPTIMAL, "mock", objective=1.0,
    ...                                                      x=np.ones(form.num_cols)))
    >>> Ones().solve(wyndor_max(), SolveOptions()).x.tolist()
    [1.0, 1.0]
    """

    name: ClassVar[str] = "mock"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset(ProblemClass)
    gives_duals: ClassVar[bool] = True
    description: ClassVar[str] = "scripted answers for tests (solvers.testing.MockBackend)"
    script: ClassVar[Any] = None
    """``script(form) -> BackendResult``, set by the test."""
    received: ClassVar[list[StandardForm]] = []

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        type(self).received.append(form)
        script = type(self).script
        if script is None:
            return BackendResult(SolveStatus.ERROR, "mock", message="MockBackend.script is not set")
        result: BackendResult = script(form)
        return result
