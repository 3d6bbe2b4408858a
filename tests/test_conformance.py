"""Cross-backend conformance: the same small problems, known answers, every installed backend.

Each backend string in :data:`BACKENDS` runs every case its declarations say it can solve
(``Backend.supports``) and skips the others with the reason.  Answers are checked against
values worked out by hand: optimal objective, primal solution where it is unique, and row
duals / reduced costs in the project convention (derivative of the optimal objective with
respect to the active bound) wherever the backend declares duals.

An uninstalled backend is a skip; set ``OPT_MODEL_REQUIRE_SOLVERS=1`` (CI does) to make it
a failure instead, so that a missing install step cannot hide behind a green run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import (
    ConeBlock,
    ProblemClass,
    Sense,
    SolverNotAvailableError,
    SolveStatus,
    StandardForm,
    backend_class,
    get_backend,
    solve,
)

BACKENDS = [
    "highs",
    "cvxpy:CLARABEL",
    "cvxpy:SCS",
    "cvxpy:OSQP",
    "cvxpy:HIGHS",
    "cvxpy:SCIP",
    "pyomo:cbc",
    "pyomo:glpk",
    "pyomo:highs",
    "pyomo:scip",
]

# Relative tolerance per backend: simplex / interior point solvers 1e-6, first-order ones looser.
TOLERANCE = {"cvxpy:SCS": 1e-4, "cvxpy:OSQP": 1e-4}
DEFAULT_TOLERANCE = 1e-6
# Interior-point conic solvers at their default tolerances recover exponential-cone multipliers
# to about 4e-5 (Clarabel: 2.71817 for e); primal values and objectives stay within 1e-6.
CONE_DUAL_TOLERANCE = 1e-4
# SCIP (through Pyomo) moves a quadratic objective into a constraint checked to its feasibility
# tolerance 1e-6; the objective is then right to 1e-7 but x, on a flat optimum, only to ~sqrt(1e-6).
# (With extra={"numerics/feastol": 1e-9} it is exact: see test_pyomo_backend.py.)
X_TOLERANCE = {("pyomo:scip", ProblemClass.QP): 1e-3}

REQUIRE_ALL = os.environ.get("OPT_MODEL_REQUIRE_SOLVERS", "") not in ("", "0")

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


@pytest.fixture(params=BACKENDS, scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """A backend string from :data:`BACKENDS`, skipped (or failed, in CI) when not installed."""
    spec = str(request.param)
    try:
        get_backend(spec)
    except SolverNotAvailableError as exc:
        if REQUIRE_ALL:
            pytest.fail(f"{spec} must be installed (OPT_MODEL_REQUIRE_SOLVERS is set): {exc}")
        pytest.skip(f"{spec} is not installed: {exc}")
    return spec


def _close(actual: np.ndarray | float, expected: tuple[float, ...] | float, tol: float) -> bool:
    want = np.asarray(expected, dtype=float)
    got = np.asarray(actual, dtype=float)
    return bool(got.shape == want.shape and np.all(np.abs(got - want) <= tol * np.maximum(1.0, np.abs(want))))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_known_answer(backend: str, case: Case) -> None:
    form = case.build()
    instance = get_backend(backend)
    problem_class = form.problem_class
    if not instance.supports(problem_class):
        pytest.skip(f"{backend} declares no {problem_class.value} support")
    result = solve(form, solver=backend)
    assert result.status in case.statuses, f"{backend} on {case.name}: {result.status} ({result.message})"
    assert result.solver.startswith(backend.split(":")[0])
    if case.statuses != OPTIMAL:
        return
    tol = TOLERANCE.get(backend, DEFAULT_TOLERANCE)
    assert case.objective is not None
    assert _close(result.objective, case.objective, tol), f"objective {result.objective} != {case.objective}"
    assert result.x is not None
    if case.x is not None:
        x_tol = X_TOLERANCE.get((backend, problem_class), tol)
        assert _close(result.x, case.x, x_tol), f"x = {result.x}, expected {case.x}"
    assert result.row_activity is not None
    np.testing.assert_allclose(result.row_activity, form.A @ result.x, rtol=1e-9, atol=1e-9)
    name, _, variant = backend.partition(":")
    declares_duals = backend_class(name).variant_gives_duals(variant or None)
    if form.is_mip:
        assert result.row_dual is None, "a MIP has no duals"
    elif declares_duals:
        assert result.row_dual is not None and result.reduced_cost is not None, f"{backend} declares duals"
        if form.cones:
            tol = max(tol, CONE_DUAL_TOLERANCE)
        if case.row_dual is not None:
            assert _close(result.row_dual, case.row_dual, tol), f"row duals {result.row_dual} != {case.row_dual}"
        if case.reduced_cost is not None:
            assert _close(result.reduced_cost, case.reduced_cost, tol), \
                f"reduced costs {result.reduced_cost} != {case.reduced_cost}"


def test_backend_list_names_real_variants() -> None:
    """A typo in :data:`BACKENDS` would silently skip a backend forever; catch it here."""
    for spec in BACKENDS:
        name, _, variant = spec.partition(":")
        cls = backend_class(name)
        assert not variant or variant in cls.variants, spec


def test_cases_cover_every_continuous_class_and_mip() -> None:
    classes = {case.build().problem_class for case in CASES}
    assert {ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP, ProblemClass.SOCP, ProblemClass.EXP} <= classes


def test_expected_answers_are_feasible() -> None:
    """The hand-worked optimal points satisfy their own problems (guards the expected values)."""
    for case in CASES:
        if case.x is None:
            continue
        form = case.build()
        x = np.array(case.x)
        activity = form.A @ x
        assert np.all(activity >= form.row_lower - 1e-9) and np.all(activity <= form.row_upper + 1e-9), case.name
        assert np.all(x >= form.col_lower - 1e-9) and np.all(x <= form.col_upper + 1e-9), case.name
        assert form.objective_value(x) == pytest.approx(case.objective, abs=1e-9), case.name
