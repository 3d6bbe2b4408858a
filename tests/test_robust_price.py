"""Bertsimas & Sim (2004), "The price of robustness", section 6.2: the simple portfolio example.

The example's data are formulas, so they are reproduced exactly: n = 150 stocks, expected return
p_i = 1.15 + 0.05 i / 150, return in [p_i - s_i, p_i + s_i] with s_i = 0.05 / 450 sqrt(2 i n (n + 1)),
maximise the return that survives any Gamma stocks at their worst, fully invested, no short sales.
The objective as a function of Gamma is checked against

* the published value 1.1709 at Gamma = 5 (the same model run in RSOME's documentation of this
  example; the paper itself reports its results as figures),
* closed forms at the ends: Gamma = 0 puts everything in stock 150 (return 1.2); the box
  (Gamma >= every stock) puts everything in the stock with the best p_i - s_i,
* a CVXPY model written separately (``sum_largest`` of the deviations, no duality by hand),
* the exact adversary of each plan (sort the deviations, take the Gamma largest, the fractional
  share of the next): the guaranteed return is the plan's objective.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import opt_model as om
from opt_model.robust.protect import robust_counterpart, row_uncertainty
from opt_model.sensitivity.uncertainty import Uncertain, Uniform, coefficient

N = 150
INDEX = np.arange(1, N + 1)
RETURN = 1.15 + INDEX * 0.05 / 150
SPREAD = 0.05 / 450 * np.sqrt(2 * INDEX * N * (N + 1))


@pytest.fixture(scope="module")
def uncertainty():  # type: ignore[no-untyped-def]
    model = om.Model("bertsimas_sim_portfolio")
    stock = om.Dim("stock", [f"s{k}" for k in INDEX])
    x = model.add_variables("x", dims=stock)
    guaranteed = model.add_variable("t", lb=None)
    model.add_constraints("invested", x.sum() == 1)
    # t <= sum_i r_i x_i with r_i uncertain: the row t - sum_i r_i x_i <= 0, coefficients -r_i
    model.add_constraint("return", guaranteed - (om.data(RETURN, dims=stock, name="p") * x).sum() <= 0)
    model.maximize(guaranteed)
    params = [Uncertain(coefficient("return", f"x[s{k}]"), Uniform(-RETURN[k - 1] - SPREAD[k - 1],
                                                                   -RETURN[k - 1] + SPREAD[k - 1]))
              for k in INDEX]
    return row_uncertainty(model, params)


def worst_return(x: np.ndarray, gamma: float) -> float:
    """The adversary: the floor(Gamma) largest deviations s_i x_i, and the fractional share of the next."""
    deviations = np.sort(SPREAD * x)[::-1]
    whole = min(math.floor(gamma), N)
    share = gamma - whole if whole < N else 0.0
    loss = deviations[:whole].sum() + (share * deviations[whole] if whole < N else 0.0)
    return float(RETURN @ x - loss)


def test_gamma_5_reproduces_the_published_objective(uncertainty) -> None:  # type: ignore[no-untyped-def]
    plan = robust_counterpart(uncertainty, method="budget", gamma=5)
    assert plan.status == "optimal"
    assert round(plan.objective, 4) == 1.1709
    x = plan.x[:N]
    assert x.sum() == pytest.approx(1.0) and (x >= -1e-9).all()
    assert worst_return(x, 5) == pytest.approx(plan.objective, abs=1e-7)


def test_the_ends_nominal_and_box(uncertainty) -> None:  # type: ignore[no-untyped-def]
    nominal = robust_counterpart(uncertainty, method="budget", gamma=0)
    assert nominal.objective == pytest.approx(1.2)  # everything in stock 150
    assert nominal.x[N - 1] == pytest.approx(1.0)
    box = robust_counterpart(uncertainty, method="box")
    best = int(np.argmax(RETURN - SPREAD))
    assert best == 0 and box.objective == pytest.approx(RETURN[0] - SPREAD[0])  # everything in stock 1
    assert box.x[best] == pytest.approx(1.0)
    # Gamma at the number of stocks is the box
    assert robust_counterpart(uncertainty, method="budget", gamma=N).objective == pytest.approx(box.objective)


@pytest.mark.parametrize("gamma", (1, 2, 3, 5, 10, 20, 40))
def test_objective_against_a_separate_cvxpy_model(uncertainty, gamma: int) -> None:  # type: ignore[no-untyped-def]
    cp = pytest.importorskip("cvxpy")
    plan = robust_counterpart(uncertainty, method="budget", gamma=gamma)
    weights = cp.Variable(N, nonneg=True)
    problem = cp.Problem(cp.Maximize(RETURN @ weights - cp.sum_largest(cp.multiply(SPREAD, weights), gamma)),
                         [cp.sum(weights) == 1])
    problem.solve()
    assert plan.objective == pytest.approx(problem.value, abs=1e-6)
    assert worst_return(plan.x[:N], gamma) == pytest.approx(plan.objective, abs=1e-7)


def test_objective_falls_with_gamma_and_fractional_budgets_hold(uncertainty) -> None:  # type: ignore[no-untyped-def]
    gammas = (0.0, 0.5, 1.0, 2.5, 5.0, 7.5, 20.0, 44.5, 150.0)
    plans = [robust_counterpart(uncertainty, method="budget", gamma=g) for g in gammas]
    objectives = [plan.objective for plan in plans]
    assert all(a >= b - 1e-9 for a, b in zip(objectives, objectives[1:], strict=False))
    for gamma, plan in zip(gammas, plans, strict=True):
        # the guaranteed return is exactly the worst case of the plan's own budget...
        assert worst_return(plan.x[:N], gamma) == pytest.approx(plan.objective, abs=1e-7)
    # ... and no plan of a smaller budget survives a larger budget's adversary as well
    for k in range(len(gammas) - 1):
        assert worst_return(plans[k].x[:N], gammas[k + 1]) <= plans[k + 1].objective + 1e-7
