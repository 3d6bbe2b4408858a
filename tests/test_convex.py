"""Convex atoms lowered to cones, solved with solver="auto" (CVXPY/Clarabel for cones, HiGHS for QP)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

import opt_model as om

pytest.importorskip("cvxpy")

USER = om.Dim("user", ["a", "b", "c"])
TARGET = om.data([1.0, 2.0, 3.0], dims=USER, name="target")


@pytest.mark.parametrize("capacity", [6.0, 9.0])
def test_proportional_fairness_closed_form(capacity: float) -> None:
    """Equal weights, one capacity: x_i = capacity / n, objective n log(capacity/n), dual n / capacity."""
    m = om.Model("fair")
    x = m.add_variables("x", dims=USER)
    m.add_constraints("link", x.sum() <= capacity)
    m.maximize(om.log(x).sum())
    result = m.solve()
    assert result.status is om.SolveStatus.OPTIMAL
    assert result.solver.startswith("cvxpy")
    assert result.value(x).values == pytest.approx(np.full(3, capacity / 3), rel=1e-4)
    assert result.objective == pytest.approx(3 * math.log(capacity / 3), rel=1e-6, abs=1e-6)
    assert result.dual("link") == pytest.approx(3 / capacity, rel=1e-4)


def test_weighted_fairness() -> None:
    """max sum w_i log x_i s.t. sum x <= C gives x_i = C w_i / sum w."""
    weights = np.array([1.0, 2.0, 3.0])
    m = om.Model()
    x = m.add_variables("x", dims=USER)
    m.add_constraints("link", x.sum() <= 12)
    m.maximize((om.data(weights, dims=USER) * om.log(x)).sum())
    assert m.solve().value(x).values == pytest.approx(12 * weights / weights.sum(), rel=1e-4)


def test_norm2_projection() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=USER, lb=None)
    m.add_constraints("total", x.sum() == 3)
    m.minimize(om.norm2(x - TARGET))
    result = m.solve()
    assert result.objective == pytest.approx(math.sqrt(3), rel=1e-6)
    assert result.value(x).values == pytest.approx([0.0, 1.0, 2.0], abs=1e-5)


def test_sum_squares_objective_is_a_qp_for_highs() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=USER, lb=None)
    m.add_constraints("total", x.sum() == 3)
    m.minimize(om.sum_squares(x - TARGET))
    assert m.compile().form.problem_class.value == "QP"
    result = m.solve()
    assert result.solver == "highs"
    assert result.objective == pytest.approx(3.0, rel=1e-6)


def test_sum_squares_constraint_is_a_rotated_cone() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=USER, lb=None)
    m.add_constraints("total", x.sum() == 3)
    m.add_constraints("ball", om.sum_squares(x - TARGET) <= 4)
    m.minimize(x.sel(user="c"))
    result = m.solve()
    assert result.objective == pytest.approx(2 - math.sqrt(2 / 3), rel=1e-5)


def test_entropy_exp_and_log_bounds() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=USER)
    m.add_constraints("simplex", x.sum() == 1)
    m.maximize(om.entropy(x).sum())
    assert m.solve().objective == pytest.approx(math.log(3), rel=1e-5)

    m = om.Model()
    y = m.add_variable("y", lb=None)
    m.add_constraints("budget", om.exp(y) <= 5)
    m.maximize(y)
    assert m.solve().objective == pytest.approx(math.log(5), rel=1e-5)

    m = om.Model()
    z = m.add_variable("z", lb=None)
    w = m.add_variable("w", ub=4)
    m.add_constraints("hypograph", z <= om.log(w))
    m.maximize(z)
    assert m.solve().objective == pytest.approx(math.log(4), rel=1e-5)


def test_log_sum_exp_against_scipy() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=USER, lb=None)
    m.add_constraints("total", x.sum() == 3)
    m.add_constraints("soft_max", om.log_sum_exp(x) <= 2.5)
    m.minimize((om.data([1.0, 0.5, 0.2], dims=USER) * x).sum())
    ours = m.solve().objective
    reference = scipy_minimize(
        lambda v: v @ [1.0, 0.5, 0.2], np.ones(3), method="SLSQP",
        constraints=[{"type": "eq", "fun": lambda v: v.sum() - 3},
                     {"type": "ineq", "fun": lambda v: 2.5 - np.log(np.exp(v).sum())}],
        options={"ftol": 1e-12, "maxiter": 500})
    assert reference.success
    assert ours == pytest.approx(reference.fun, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("build, message", [
    (lambda m, x: m.minimize(om.log(x).sum()), "minimize log"),
    (lambda m, x: m.maximize(om.norm2(x)), "cannot maximise a convex"),
    (lambda m, x: m.add_constraints("c", om.log(x).sum() <= 1), "cannot be bounded at most"),
    (lambda m, x: m.add_constraints("c", om.norm2(x) >= 1), "cannot be bounded at least"),
    (lambda m, x: m.add_constraints("c", om.exp(x).sum() == 1), "equality with a nonlinear atom"),
    (lambda m, x: m.maximize(om.log(x).sum() - om.log(x).sum() * 2 + om.exp(x).sum()), "mixed"),
    (lambda m, x: m.minimize(om.log(x)), "must be a scalar"),
    (lambda m, x: m.minimize(om.exp(x) * x), "only be multiplied by numbers or data"),
])
def test_non_convex_uses_are_rejected_with_reasons(build, message: str) -> None:  # type: ignore[no-untyped-def]
    m = om.Model()
    x = m.add_variables("x", dims=USER)
    with pytest.raises(om.ModelError, match=message):
        build(m, x)
