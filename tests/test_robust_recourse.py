"""Two-stage recourse: the newsvendor solved by brute force over the same sampled demands."""

from __future__ import annotations

import numpy as np
import pytest

import opt_model as om
from opt_model.errors import ModelError
from opt_model.robust.loop import robustify
from opt_model.robust.plans import evaluate_plan
from opt_model.robust.protect import row_uncertainty
from opt_model.robust.recourse import two_stage
from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity

PRICE, COST = 5.0, 3.0


def newsvendor() -> tuple[om.Model, list[Uncertain]]:
    model = om.Model("newsvendor")
    sold = model.add_variable("sold")
    stock = model.add_resource("stock", unit="units", capacity=0, provision=om.Provision(max=100, price=COST))
    stock.add_usage(sold)
    model.add_constraint("demand", sold <= 50)
    model.maximize(PRICE * sold - stock.cost())
    return model, [Uncertain(capacity("demand"), Uniform(20, 80))]


def saa_value(order: float, demand: np.ndarray) -> float:
    return float(PRICE * np.minimum(order, demand).mean() - COST * order)


def test_newsvendor_extensive_form_matches_brute_force_over_the_same_scenarios() -> None:
    model, params = newsvendor()
    count, seed = 60, 4
    plan = two_stage(model, params, scenarios=count, seed=seed)
    unc = row_uncertainty(model, params)
    demand = unc.sample(count, seed)[:, unc.rhs_entries[0]]
    candidates = np.concatenate([[0.0, 100.0], demand])
    best = max(candidates, key=lambda q: saa_value(q, demand))
    order = plan.details["first_stage"]["stock_provisioned"]
    assert plan.objective == pytest.approx(saa_value(best, demand), rel=1e-7)
    assert saa_value(order, demand) == pytest.approx(plan.objective, rel=1e-7)
    # the SAA optimum is an empirical quantile at (price - cost) / price of the demand: order <= 40% quantile
    assert np.mean(demand < order - 1e-9) <= 1 - COST / PRICE + 1e-9
    assert plan.size["columns"] == 1 + count  # one first-stage column, the recourse once per scenario


def test_two_stage_plan_is_checked_out_of_sample_by_re_solving_the_recourse() -> None:
    model, params = newsvendor()
    plan = two_stage(model, params, scenarios=80, seed=1)
    evaluate_plan(plan, scenarios=300, seed=9)
    assert plan.evaluation is not None and plan.feasible_probability == pytest.approx(1.0)
    order = plan.details["first_stage"]["stock_provisioned"]
    # the recourse sells min(order, demand): the mean out-of-sample profit is close to its exact expectation
    demand_low, demand_high = 20.0, 80.0
    sold = (order ** 2 / 2 - demand_low ** 2 / 2 + order * (demand_high - order)) / (demand_high - demand_low)
    expected = PRICE * sold - COST * order
    assert plan.evaluation.objective["mean"] == pytest.approx(expected, rel=0.03)


def test_robustify_two_stage_and_first_stage_errors() -> None:
    model, params = newsvendor()
    report = robustify(model, params, method="two-stage", levels=[30], scenarios=100, target=0.9,
                       compare_box=False)
    assert report.passed and report.chosen is not None and report.chosen.method == "two-stage"
    assert "stock_provisioned" in report.to_dict()["details"]["first_stage"]
    plain = om.Model("plain")
    x = plain.add_variable("x")
    plain.add_constraint("cap", x <= 5)
    plain.maximize(x)
    with pytest.raises(ModelError, match="first-stage decisions"):
        two_stage(plain, [Uncertain(capacity("cap"), Uniform(4, 6))], scenarios=5)
    named = two_stage(plain, [Uncertain(capacity("cap"), Uniform(4, 6))], first_stage=["x"], scenarios=20, seed=0)
    assert named.objective == pytest.approx(min(row_uncertainty(plain, [Uncertain(capacity("cap"), Uniform(4, 6))])
                                                .sample(20, 0)[:, 0]))
