"""Differential property tests: backends agree on random feasible LPs and convex QPs.

Problems are built from a hypothesis-drawn seed and sizes, so a failure shrinks to a small
instance and ``@reproduce_failure`` / the printed seed rebuild it exactly:

* feasible by construction: a point ``x0`` is drawn inside the column box and every row's
  bounds are set around ``A @ x0`` (plus random slack), so ``x0`` satisfies all of them;
* bounded by construction: every column has finite bounds;
* QPs use ``Q = B'B + eps I`` (strictly convex);
* infeasible ones add a contradictory pair of rows ``a'x <= b`` and ``a'x >= b + 1``.

The backends are every registry backend string that declares LP (or QP) and is installed
(:func:`tests.backend_lists.backends_for`); each agrees with HiGHS to its stated accuracy.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers import ProblemClass, Sense, SolveStatus, StandardForm, solve
from tests.backend_lists import accuracy, backends_for, installed, require

LP_BACKENDS = backends_for(ProblemClass.LP)
QP_BACKENDS = backends_for(ProblemClass.QP)
INFEASIBLE = {SolveStatus.INFEASIBLE, SolveStatus.INFEASIBLE_OR_UNBOUNDED}

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(min_value=0, max_value=2**32 - 1)
columns = st.integers(min_value=1, max_value=6)
rows = st.integers(min_value=1, max_value=6)


def random_feasible_lp(seed: int, n: int, m: int) -> StandardForm:
    """A random LP that is feasible (x0 satisfies it) and bounded (finite column bounds)."""
    rng = np.random.default_rng(seed)
    lower = rng.uniform(-5, 0, size=n).round(1)
    upper = lower + rng.uniform(0.5, 6, size=n).round(1)
    x0 = rng.uniform(lower, upper)
    dense = rng.integers(-4, 5, size=(m, n)).astype(float) * (rng.random((m, n)) < 0.7)
    activity = dense @ x0
    kind = rng.integers(0, 4, size=m)  # 0: <=, 1: >=, 2: ==, 3: ranged
    slack_low = rng.uniform(0, 2, size=m)
    slack_up = rng.uniform(0, 2, size=m)
    row_lower = np.where(kind == 0, -np.inf, activity - slack_low)
    row_upper = np.where(kind == 1, np.inf, activity + slack_up)
    equal = kind == 2
    row_lower[equal] = row_upper[equal] = activity[equal]
    cost = rng.integers(-5, 6, size=n).astype(float)
    sense = Sense.MAXIMIZE if rng.random() < 0.5 else Sense.MINIMIZE
    return StandardForm(c=cost, A=sp.csr_matrix(dense), row_lower=row_lower, row_upper=row_upper,
                        col_lower=lower, col_upper=upper, sense=sense, constant=float(rng.integers(-3, 4)),
                        name=f"lp_{seed}_{n}x{m}")


def random_convex_qp(seed: int, n: int, m: int) -> StandardForm:
    """A random feasible LP with a strictly convex quadratic term (concave when maximising)."""
    form = random_feasible_lp(seed, n, m)
    rng = np.random.default_rng(seed + 1)
    B = rng.normal(size=(n, n))
    Q = B.T @ B + 0.1 * np.eye(n)
    form.Q = sp.csc_matrix(-Q if form.sense == Sense.MAXIMIZE else Q)
    form.name = f"qp_{seed}_{n}x{m}"
    return form


def random_infeasible_lp(seed: int, n: int, m: int) -> StandardForm:
    """A feasible LP plus the contradictory rows a'x <= b and a'x >= b + 1."""
    form = random_feasible_lp(seed, n, m)
    rng = np.random.default_rng(seed + 2)
    a = rng.integers(1, 4, size=n).astype(float)
    b = float(rng.uniform(-3, 3))
    form.A = sp.vstack([form.A, sp.csr_matrix(np.vstack([a, a]))]).tocsr()
    form.row_lower = np.append(form.row_lower, [-np.inf, b + 1])
    form.row_upper = np.append(form.row_upper, [b, np.inf])
    return form


def _assert_agree(form: StandardForm, backends: list[str]) -> None:
    reference = solve(form, solver="highs")
    assert reference.status is SolveStatus.OPTIMAL, f"{form.name}: highs says {reference.status}"
    for spec in backends:
        result = solve(form, solver=spec)
        assert result.status is SolveStatus.OPTIMAL, f"{form.name}: {spec} says {result.status} {result.message}"
        tol = accuracy(spec)
        assert abs(result.objective - reference.objective) <= tol * max(1.0, abs(reference.objective)), \
            f"{form.name}: {spec} {result.objective} vs highs {reference.objective}"
        assert result.x is not None
        feasibility = tol if tol > 1e-5 else 1e-6  # rows hold to 1e-6, or to a first-order method's accuracy
        slack = feasibility * (1 + np.abs(form.A @ result.x))
        assert np.all(form.A @ result.x >= form.row_lower - slack), f"{form.name}: {spec} violates a row"
        assert np.all(form.A @ result.x <= form.row_upper + slack), f"{form.name}: {spec} violates a row"


@PROPERTY
@given(seed=seeds, n=columns, m=rows)
def test_backends_agree_on_random_lps(seed: int, n: int, m: int) -> None:
    _assert_agree(random_feasible_lp(seed, n, m), installed(LP_BACKENDS))


@PROPERTY
@given(seed=seeds, n=columns, m=rows)
def test_backends_agree_on_random_convex_qps(seed: int, n: int, m: int) -> None:
    _assert_agree(random_convex_qp(seed, n, m), installed(QP_BACKENDS))


@PROPERTY
@given(seed=seeds, n=columns, m=rows)
def test_all_backends_report_random_contradictions_infeasible(seed: int, n: int, m: int) -> None:
    form = random_infeasible_lp(seed, n, m)
    for spec in installed(LP_BACKENDS):
        result = solve(form, solver=spec)
        assert result.status in INFEASIBLE, f"{form.name}: {spec} says {result.status} {result.message}"


def test_generators_keep_their_promises() -> None:
    """x0-based construction: the generated LP is feasible at a known point with finite bounds."""
    for seed in range(20):
        form = random_feasible_lp(seed, 4, 5)
        assert np.all(np.isfinite(form.col_lower)) and np.all(np.isfinite(form.col_upper))
        form.validate()
        qp = random_convex_qp(seed, 4, 5)
        assert qp.Q is not None
        eigen = np.linalg.eigvalsh(qp.Q.toarray())
        assert (eigen > 0).all() if qp.sense == Sense.MINIMIZE else (eigen < 0).all()


@pytest.mark.parametrize("spec", sorted({*LP_BACKENDS, *QP_BACKENDS}))
def test_every_differential_backend_is_installed(spec: str) -> None:
    """A backend of the derived lists that is not installed is a skip here (a failure in CI if CI installs it)."""
    require(spec)


def test_backend_lists_come_from_the_registry() -> None:
    assert {"highs", "cvxpy:CLARABEL", "pyomo:glpk", "pyomo:cbc"} <= set(LP_BACKENDS)
    assert {"highs", "cvxpy:CLARABEL", "pyomo:highs"} <= set(QP_BACKENDS)
    assert "pyomo:glpk" not in QP_BACKENDS  # GLPK declares no QP
