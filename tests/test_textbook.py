"""Textbook problems with published optima, duals and reduced costs (HiGHS)."""

from __future__ import annotations

import numpy as np
import pytest

import opt_model as om
from tests.textbook import dakota, wyndor


def test_wyndor_optimum_and_duals() -> None:
    model, x = wyndor()
    result = model.solve()
    assert result.status is om.SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(36.0)
    assert result.value(x["x1"]) == pytest.approx(2.0)
    assert result.value(x["x2"]) == pytest.approx(6.0)
    assert [result.dual(n) for n in ("plant1", "plant2", "plant3")] == pytest.approx([0.0, 1.5, 1.0])
    assert result.slack("plant1") == pytest.approx(2.0)
    assert result.slack("plant3") == pytest.approx(0.0)


def test_dakota_optimum_duals_and_reduced_cost() -> None:
    model, x = dakota()
    result = model.solve()
    assert result.objective == pytest.approx(280.0)
    assert result.value(x).values == pytest.approx([2.0, 0.0, 8.0])
    duals = [result.dual(n) for n in ("lumber", "finishing", "carpentry")]
    assert duals == pytest.approx([0.0, 10.0, 10.0])
    assert result.dual("demand") == pytest.approx(0.0)
    assert result.reduced_cost(x)["tables"] == pytest.approx(-5.0)


@pytest.mark.parametrize("sense", ["minimize", "maximize"])
def test_dual_is_derivative_of_objective_in_rhs(sense: str) -> None:
    """dual = d(optimal objective)/d(rhs), checked by finite differences, for min and max."""
    def build(rhs: float) -> om.Model:
        m = om.Model()
        x = m.add_variable("x")
        y = m.add_variable("y")
        m.add_constraint("mix", x + 2 * y >= rhs)
        m.add_constraint("cap", x <= 3)
        m.add_constraint("cap_y", y <= 10)
        objective = 2 * x + 3 * y
        if sense == "minimize":
            m.minimize(objective)
        else:
            m.maximize(-1 * objective)
        return m

    base = build(5.0).solve()
    bumped = build(5.001).solve()
    derivative = (bumped.objective - base.objective) / 0.001
    assert base.dual("mix") == pytest.approx(derivative, rel=1e-6)


@pytest.mark.parametrize("sense", ["minimize", "maximize"])
def test_reduced_cost_is_derivative_of_objective_in_bound(sense: str) -> None:
    def build(lower: float) -> om.Model:
        m = om.Model()
        x = m.add_variable("x", lb=lower)
        y = m.add_variable("y")
        m.add_constraint("total", x + y >= 4)
        objective = 5 * x + 1 * y
        m.minimize(objective) if sense == "minimize" else m.maximize(-1 * objective)
        return m

    base = build(1.0).solve()
    bumped = build(1.001).solve()
    derivative = (bumped.objective - base.objective) / 0.001
    x = base.model.variable("x")
    assert base.reduced_cost(x) == pytest.approx(derivative, rel=1e-6)
    assert abs(derivative) > 1.0  # the bound is active: the test can fail


def test_knapsack_milp() -> None:
    """0/1 knapsack, capacity 10: best is items b+c+d (weights 4+3+2... ) checked by enumeration."""
    weights = np.array([5.0, 4.0, 3.0, 2.0, 6.0])
    values = np.array([10.0, 40.0, 30.0, 25.0, 35.0])
    item = om.Dim("item", list("abcde"))
    m = om.Model("knapsack")
    take = m.add_variables("take", dims=item, binary=True)
    m.add_constraints("weight", (om.data(weights, dims=item) * take).sum() <= 10)
    m.maximize((om.data(values, dims=item) * take).sum())
    result = m.solve()
    best = max(
        (values @ bits, bits) for bits in (np.array([(k >> i) & 1 for i in range(5)]) for k in range(32))
        if weights @ bits <= 10)
    assert result.objective == pytest.approx(best[0])
    assert result.value(take).values == pytest.approx(best[1])
    with pytest.raises(om.SolverError, match="integer"):
        result.dual("weight")


def test_convex_qp_closed_form() -> None:
    """min (x-1)^2 + (y-2)^2 s.t. x + y <= 2: optimum at (0.5, 1.5), value 0.5, dual of the row -1."""
    m = om.Model("qp")
    x = m.add_variable("x", lb=None)
    y = m.add_variable("y", lb=None)
    m.add_constraint("budget", x + y <= 2)
    m.minimize(x * x - 2 * x + 1 + y * y - 4 * y + 4)
    result = m.solve()
    assert result.status is om.SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(0.5, abs=1e-7)
    assert [result.value(x), result.value(y)] == pytest.approx([0.5, 1.5], abs=1e-6)
    assert result.dual("budget") == pytest.approx(-1.0, abs=1e-6)


def test_quad_form_matches_products() -> None:
    asset = om.Dim("asset", ["a", "b"])
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    results = []
    for use_quad_form in (True, False):
        m = om.Model()
        w = m.add_variables("w", dims=asset)
        m.add_constraints("budget", w.sum() == 1)
        if use_quad_form:
            risk = om.quad_form(w, cov)
        else:
            wa, wb = w.sel(asset="a"), w.sel(asset="b")
            risk = om.quicksum([2.0 * wa * wa, 0.5 * wa * wb, 0.5 * wb * wa, 1.0 * wb * wb])
        m.minimize(risk)
        results.append(m.solve())
    # analytic minimum-variance portfolio: w = C^-1 1 / (1' C^-1 1)
    inv = np.linalg.inv(cov) @ np.ones(2)
    weights = inv / inv.sum()
    for result in results:
        assert result.objective == pytest.approx(weights @ cov @ weights, rel=1e-6)


def test_infeasible_and_unbounded_are_statuses() -> None:
    m = om.Model()
    x = m.add_variable("x")
    m.add_constraint("low", x >= 5)
    m.add_constraint("high", x <= 3)
    m.minimize(x)
    result = m.solve()
    assert result.status in (om.SolveStatus.INFEASIBLE, om.SolveStatus.INFEASIBLE_OR_UNBOUNDED)
    with pytest.raises(om.SolverError, match="no solution"):
        result.value(x)

    m = om.Model()
    x = m.add_variable("x")
    m.maximize(x)
    result = m.solve(presolve=False)
    assert result.status in (om.SolveStatus.UNBOUNDED, om.SolveStatus.INFEASIBLE_OR_UNBOUNDED)


def test_range_constraint_and_objective_constant() -> None:
    m = om.Model()
    x = m.add_variable("x", lb=None)
    m.add_constraint("band", x.between(2, 5))
    m.maximize(2 * x + 7)
    result = m.solve()
    assert result.objective == pytest.approx(17.0)
    m2 = om.Model()
    y = m2.add_variable("y", lb=None)
    m2.add_constraint("band", (2 <= y) <= 5)
    m2.minimize(y - 1)
    assert m2.solve().objective == pytest.approx(1.0)


def test_time_limit_status_on_hard_milp() -> None:
    """A tiny time limit on a MILP gives time_limit, not an exception."""
    rng = np.random.default_rng(3)
    item = om.Dim("item", 60)
    weights = rng.integers(20, 60, 60).astype(float)
    m = om.Model()
    take = m.add_variables("take", dims=item, binary=True)
    m.add_constraints("weight", (om.data(weights, dims=item) * take).sum() <= weights.sum() / 2 + 0.5)
    m.maximize((om.data(weights + rng.uniform(0, 1e-3, 60), dims=item) * take).sum())
    result = m.solve(time_limit=1e-4)
    assert result.status in (om.SolveStatus.TIME_LIMIT, om.SolveStatus.OPTIMAL)
