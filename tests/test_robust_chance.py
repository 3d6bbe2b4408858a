"""Chance constraints by scenarios: the sample-size bound, the scenario program, the indicator SAA,
and the out-of-sample check, each against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import opt_model as om
from opt_model.errors import ModelError
from opt_model.robust.chance import saa_form, scenario_count, scenario_epsilon, scenario_form, support_rank_bound
from opt_model.robust.plans import evaluate_plan
from opt_model.robust.protect import chance_constrained, robust_counterpart, row_uncertainty
from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity, coefficient, relative
from solvers import solve


def tail(count: int, eps: float, decisions: int) -> float:
    return sum(math.comb(count, i) * eps ** i * (1 - eps) ** (count - i) for i in range(decisions))


@pytest.mark.parametrize(("eps", "beta", "decisions"), [(0.05, 1e-3, 1), (0.05, 1e-3, 10), (0.1, 1e-6, 4),
                                                        (0.01, 0.05, 3)])
def test_scenario_count_is_the_smallest_n_of_the_campi_garatti_bound(eps: float, beta: float, decisions: int) -> None:
    count = scenario_count(eps, beta, decisions)
    assert tail(count, eps, decisions) <= beta < tail(count - 1, eps, decisions)
    achieved = scenario_epsilon(count, beta, decisions)
    assert achieved <= eps and tail(count, achieved, decisions) <= beta * (1 + 1e-6)


def test_scenario_count_rejects_bad_probabilities() -> None:
    with pytest.raises(ModelError, match="eps"):
        scenario_count(0.0, 1e-3, 2)
    with pytest.raises(ModelError, match="beta"):
        scenario_count(0.05, 1.5, 2)


def two_machines() -> tuple[om.Model, list[Uncertain]]:
    model = om.Model("two")
    x = model.add_variable("x", ub=10)
    y = model.add_variable("y", ub=10)
    model.add_constraint("hours", 2 * x + 3 * y <= 12)
    model.add_constraint("power", x + y <= 5)
    model.maximize(3 * x + 4 * y)
    params = [Uncertain(coefficient("hours", "x"), Uniform(1.5, 2.5)), Uncertain(coefficient("hours", "y"),
                                                                                  Uniform(2.0, 4.0)),
              Uncertain(capacity("power"), relative(20))]
    return model, params


def test_scenario_program_holds_in_every_sampled_scenario() -> None:
    model, params = two_machines()
    unc = row_uncertainty(model, params)
    count = 60
    form = scenario_form(unc, count, seed=3)
    result = solve(form)
    x = result.x[:2]
    samples = unc.sample(count, 3)  # the same draws, recomputed
    hours = samples[:, unc.coef_entries]
    assert (hours @ x <= 12 + 1e-7).all()
    assert np.isclose(hours @ x, 12).any()  # a sampled scenario is binding
    power = samples[:, unc.rhs_entries][:, 0]
    assert x.sum() <= power.min() + 1e-7
    # the rows that only had an uncertain capacity collapse to one row; the others are copied per scenario
    assert form.num_rows == model.compile().form.num_rows + count


def test_chance_constrained_states_its_guarantee() -> None:
    model, params = two_machines()
    unc = row_uncertainty(model, params)
    assert support_rank_bound(unc) == 2
    plan = chance_constrained(model, params, eps=0.1, beta=1e-3)
    assert plan.details["scenarios"] == scenario_count(0.1, 1e-3, 2)
    assert plan.details["eps_guaranteed"] <= 0.1
    assert "Campi & Garatti" in plan.guarantee and f"N={plan.details['scenarios']}" in plan.guarantee


def test_saa_drops_at_most_eps_n_scenarios_and_matches_the_order_statistic() -> None:
    # max x s.t. x <= b_k in every kept scenario: dropping k scenarios gives the (k+1)-th smallest b
    model = om.Model("one")
    x = model.add_variable("x", ub=100)
    model.add_constraint("cap", x <= 10)
    model.maximize(x)
    params = [Uncertain(capacity("cap"), Uniform(5, 15))]
    unc = row_uncertainty(model, params)
    count, eps = 40, 0.1
    plan = chance_constrained(model, params, method="saa", eps=eps, scenarios=count, seed=5)
    b = np.sort(unc.sample(count, 5)[:, unc.rhs_entries[0]])
    assert plan.objective == pytest.approx(b[int(eps * count)])
    form = saa_form(unc, count, eps, seed=5)
    assert form.problem_class.value == "MILP" and form.num_integers == count


def test_saa_needs_finite_bounds() -> None:
    model = om.Model("free")
    x = model.add_variable("x")
    model.add_constraint("cap", x <= 10)
    model.maximize(x)
    with pytest.raises(ModelError, match="finite upper bound on x"):
        chance_constrained(model, [Uncertain(capacity("cap"), Uniform(5, 15))], method="saa", scenarios=10)


def test_out_of_sample_probability_agrees_with_a_direct_monte_carlo() -> None:
    model, params = two_machines()
    plan = robust_counterpart(model, params, method="budget", gamma=1.0)
    evaluate_plan(plan, scenarios=600, seed=11)
    assert plan.evaluation is not None
    # the same question answered directly from fresh draws, without the engine
    unc = plan.uncertainty
    draws = unc.sample(4000, 123)
    x = plan.x
    hours_ok = draws[:, unc.coef_entries] @ x <= 12 + 1e-7
    power_ok = x.sum() <= draws[:, unc.rhs_entries][:, 0] + 1e-7
    direct = float((hours_ok & power_ok).mean())
    low, high = plan.feasible_interval
    assert low - 0.03 <= direct <= high + 0.03
    assert 0.0 < plan.feasible_probability < 1.0


def test_evaluation_of_a_milp_plan_fixes_its_integers() -> None:
    model = om.Model("whole")
    x = model.add_variable("x", ub=10, integer=True)
    model.add_constraint("cap", 3 * x <= 20)
    model.maximize(x)
    params = [Uncertain(capacity("cap"), Uniform(17, 23))]
    plan = robust_counterpart(model, params, method="box")
    assert plan.objective == pytest.approx(5.0)
    evaluate_plan(plan, scenarios=200, seed=2)
    assert plan.feasible_probability == pytest.approx(1.0)
    nominal = robust_counterpart(model, params, method="budget", gamma=0)
    evaluate_plan(nominal, scenarios=400, seed=2)
    # nominal x = 6 needs 18 hours of U(17, 23): feasible with probability 5/6
    assert nominal.feasible_interval[0] <= 5 / 6 <= nominal.feasible_interval[1]


def test_out_of_sample_check_gives_the_same_answer_with_worker_processes() -> None:
    model, params = two_machines()
    serial = evaluate_plan(robust_counterpart(model, params, method="budget", gamma=1.0), scenarios=64, seed=5)
    parallel = evaluate_plan(robust_counterpart(model, params, method="budget", gamma=1.0), scenarios=64, seed=5,
                             jobs=2)
    assert serial.evaluation is not None and parallel.evaluation is not None
    assert parallel.feasible_probability == serial.feasible_probability
    assert (parallel.evaluation.samples["nominal_feasible"].to_numpy()
            == serial.evaluation.samples["nominal_feasible"].to_numpy()).all()
