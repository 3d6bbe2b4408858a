"""Every number and sentence the analysis prints, checked against brute force.

For LP, MILP, max-flow, min-cost flow, lexicographic, QP and cone models: each
bottleneck sentence is compared with a fresh solve of the model with the limit moved
by the whole step (a new solver, no warm start, no shared code with the analysis but
``solvers.solve``), each rate with a finite difference, each MILP step with a fresh
MILP solve, and each range end with a solve at that end.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

import opt_model as om
from opt_model.formatting import format_number, objective_unit_text
from opt_model.network import Network, flow_conservation
from opt_model.sensitivity import bottleneck_report, sensitivity_report
from opt_model.sensitivity.problem import GE, AnalysisModel
from opt_model.spec import load_spec
from solvers import SolveStatus, StandardForm, solve

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


# brute force ---------------------------------------------------------------------------------

def moved(form: StandardForm, what: str, index: int, delta: float, kind: str = "") -> StandardForm:
    """A copy of ``form`` with one limit moved by ``delta`` (rows: the bound a ``<=``/``>=``/``==`` row moves)."""
    if what == "rhs":
        lower, upper = form.row_lower.copy(), form.row_upper.copy()
        if kind in (GE, "=="):
            lower[index] += delta
        if kind != GE:
            upper[index] += delta
        return dataclasses.replace(form, row_lower=lower, row_upper=upper)
    lower, upper = form.col_lower.copy(), form.col_upper.copy()
    if what == "upper bound":
        upper[index] += delta
    else:
        lower[index] += delta
    return dataclasses.replace(form, col_lower=lower, col_upper=upper)


def fresh_objective(form: StandardForm) -> float:
    result = solve(form)
    assert result.status is SolveStatus.OPTIMAL, result.status
    return float(result.objective)


def position(analysis: AnalysisModel, what: str, name: str) -> int:
    names = analysis.row_names() if what == "rhs" else analysis.col_names()
    return names.index(name)


def check_sentences(bottlenecks, report, rel: float = 1e-6, count: int = 10) -> int:
    """Each bottleneck sentence names the objective change a fresh solve gives for its step."""
    analysis = report.analysis
    form = analysis.form
    z = report.objective
    unit = objective_unit_text(report.objective_unit)
    checked = 0
    for row, sentence in zip(bottlenecks.bottlenecks.head(count).to_dict("records"), bottlenecks.messages(count),
                             strict=True):
        index = position(analysis, row["what"], row["name"])
        truth = fresh_objective(moved(form, row["what"], index, row["direction"] * row["step"], row["kind"])) - z
        amount = format_number(abs(truth), 4)
        assert amount in sentence, (sentence, truth)
        if unit and amount != "0":
            assert f"{amount} {unit}" in sentence, sentence
        better = truth > 0 if report.sense == "maximize" else truth < 0
        if amount != "0":
            verb = ("adds" if better else "loses") if report.sense == "maximize" else ("saves" if better else "costs")
            assert verb in sentence, sentence
        if report.problem_class == "MILP":  # the tightening step too
            tight = fresh_objective(moved(form, row["what"], index, -row["direction"] * row["step"], row["kind"])) - z
            assert format_number(abs(tight), 4) in sentence.split(";")[1], (sentence, tight)
        elif report.problem_class == "LP" and math.isfinite(row["headroom"]):
            # the rate holds up to the stated headroom
            end = fresh_objective(moved(form, row["what"], index, row["direction"] * row["headroom"], row["kind"]))
            rate = row["gain_per_unit"] * (1 if report.sense == "maximize" else -1)
            assert end - z == pytest.approx(rate * row["headroom"], rel=rel, abs=1e-7 * (1 + abs(z)))
            assert f"{format_number(row['headroom'], 4)}" in sentence
        checked += 1
    return checked


def check_duals(report, eps: float = 1e-4, rel: float = 1e-5, abs_tol: float = 1e-6) -> int:
    """Binding rows' duals (one-sided where given) and active bounds' reduced costs against finite differences."""
    analysis = report.analysis
    form = analysis.form
    z = report.objective
    checked = 0
    for row in report.constraints[report.constraints["binding"]].to_dict("records"):
        if row["kind"] == "==":
            continue  # balance rows cannot move alone: see check_balance_prices
        index = position(analysis, "rhs", row["name"])
        up = (fresh_objective(moved(form, "rhs", index, eps, row["kind"])) - z) / eps
        down = (z - fresh_objective(moved(form, "rhs", index, -eps, row["kind"]))) / eps
        right = row["dual_right"] if report.problem_class == "LP" else row["dual"]
        left = row["dual_left"] if report.problem_class == "LP" else row["dual"]
        assert up == pytest.approx(right, rel=rel, abs=abs_tol), (row["name"], up, right)
        assert down == pytest.approx(left, rel=rel, abs=abs_tol), (row["name"], down, left)
        checked += 1
    bounds = report.bounds[report.bounds["active"]] if len(report.bounds) else report.bounds
    for row in bounds.to_dict("records"):
        what = f"{row['bound']} bound"
        index = position(analysis, what, row["name"])
        direction = 1 if row["bound"] == "upper" else -1  # the side that stays feasible
        change = (fresh_objective(moved(form, what, index, direction * eps)) - z) / (direction * eps)
        assert change == pytest.approx(row["reduced_cost"], rel=rel, abs=abs_tol), (row["name"], change)
        checked += 1
    return checked


def check_balance_prices(report, source: str, sink: str, eps: float = 1e-3) -> None:
    """Balance rows move together: more supply at ``source`` and as much more demand at ``sink``
    changes the objective by the difference of their prices."""
    analysis = report.analysis
    form = analysis.form
    i, j = position(analysis, "rhs", source), position(analysis, "rhs", sink)
    both = moved(moved(form, "rhs", i, eps, "=="), "rhs", j, -eps, "==")
    prices = report.constraints.set_index("name")["dual"]
    change = (fresh_objective(both) - report.objective) / eps
    assert change == pytest.approx(prices[source] - prices[sink], rel=1e-6, abs=1e-7)


# models ------------------------------------------------------------------------------------

def energy_model(energy: float = 3.95) -> om.Model:
    """The energy rate (5 USD/kWh) holds for 0.05 kWh only; beyond it a cheaper job takes over (2 USD/kWh)."""
    m = om.Model("energy")
    m.objective_unit = "USD"
    x = m.add_variable("fast", ub=4)
    y = m.add_variable("slow", ub=10)
    m.add_resource("energy", unit="kWh", capacity=energy).add_usage(x + y)
    m.maximize(5 * x + 2 * y)
    return m


def max_flow() -> om.Model:
    """s -> a -> t and s -> b -> t with lane capacities; maximise the flow into t (balance rows at a, b)."""
    net = Network.from_edges(["s", "s", "a", "b", "a", "t"], ["a", "b", "t", "t", "b", "s"])
    m = om.Model("maxflow")
    m.objective_unit = "Gbit/s"
    capacity = om.data(dict(zip(net.edges.labels, [10.0, 4.0, 3.0, 8.0, 5.0, math.inf], strict=True)),
                       dims=net.edges)
    flow = m.add_variables("lane", dims=net.edges, ub=capacity)
    flow_conservation(m, flow, net, name="balance")
    m.maximize(flow.sel(edge=net.edges.labels[-1]))  # the return edge t -> s carries the throughput
    return m


def knapsack() -> om.Model:
    """A knapsack at 109.969 of 110 kg: the weight limit is near-binding, and one more kg changes the optimum."""
    m = om.Model("knapsack")
    m.objective_unit = "USD"
    items = om.Dim("item", ["a", "b", "c", "d", "e"])
    take = m.add_variables("take", dims=items, binary=True)
    weight = om.data({"a": 40.0, "b": 30.969, "c": 39.0, "d": 71.5, "e": 22.0}, dims=items)
    value = om.data({"a": 60.0, "b": 50.0, "c": 58.0, "d": 112.0, "e": 30.0}, dims=items)
    m.add_resource("weight", unit="kg", capacity=110.0).add_usage((weight * take).sum())
    m.maximize((value * take).sum())
    return m


def small_qp() -> om.Model:
    m = om.Model("qp")
    m.objective_unit = "USD"
    x = m.add_variable("x")
    y = m.add_variable("y", ub=1.2)
    m.add_resource("cap", unit="h", capacity=4.0).add_usage(x + y)
    m.minimize(x * x + y * y - 6 * x - 4 * y)
    return m


# tests -------------------------------------------------------------------------------------

def test_short_range_sentence_gives_rate_range_and_the_re_solved_step() -> None:
    report = sensitivity_report(energy_model())
    bottlenecks = bottleneck_report(report)
    sentence = bottlenecks.messages()[0]
    assert sentence == "energy is binding: 5 USD per kWh for the first 0.05 kWh; +1 kWh adds 2.15 USD (re-solved)"
    assert check_sentences(bottlenecks, report) == 1
    assert check_duals(report) >= 1


def test_sentence_with_a_long_range_states_the_exact_step_and_how_far() -> None:
    report = sensitivity_report(energy_model(2.0))
    bottlenecks = bottleneck_report(report)
    assert bottlenecks.messages()[0] == "energy is binding: +1 kWh adds 5 USD, up to +2 kWh"
    assert check_sentences(bottlenecks, report) == 1


def test_no_negative_zero_and_no_noise_in_the_text() -> None:
    text = str(sensitivity_report(knapsack())) + str(bottleneck_report(knapsack().solve()))
    assert " -0 " not in text and "e-1" not in text and "e-0" not in text


def test_max_flow_lane_capacities_are_bottlenecks_and_balance_rows_are_prices() -> None:
    report = sensitivity_report(max_flow())
    assert report.objective == pytest.approx(11.0)
    bottlenecks = bottleneck_report(report)
    named = set(bottlenecks.bottlenecks["name"])
    assert named == {"lane[a->t]", "lane[b->t]"}
    assert set(bottlenecks.bottlenecks["what"]) == {"upper bound"}
    assert not bottlenecks.table["name"].str.startswith("balance").any()
    assert set(bottlenecks.prices["group"]) == {"balance"}
    assert all("balance" not in line for line in bottlenecks.messages())
    assert bottlenecks.messages() == ["upper bound of lane[a->t] is binding: +1 adds 1 Gbit/s, up to +2",
                                      "upper bound of lane[b->t] is binding: +1 adds 1 Gbit/s, up to +1"]
    assert check_sentences(bottlenecks, report) == 2
    assert check_duals(report) >= 2


def test_min_cost_flow_spec_reports_lane_bounds_with_their_ranges() -> None:
    model = load_spec(PROBLEMS / "supply_network.yaml")
    report = sensitivity_report(model)
    bottlenecks = bottleneck_report(report)
    assert len(bottlenecks.bottlenecks) >= 3
    assert set(bottlenecks.bottlenecks["what"]) == {"upper bound"}
    assert (bottlenecks.bottlenecks["unit"] == "t").all()
    assert all(line.startswith("upper bound of ship[") and " t saves " in line and " USD" in line
               for line in bottlenecks.messages())
    assert check_sentences(bottlenecks, report) == len(bottlenecks.bottlenecks.head(10))
    assert not bottlenecks.table["group"].str.contains("conservation").any()
    assert (bottlenecks.prices["unit"] == "t").all() and len(bottlenecks.prices) >= 6
    check_balance_prices(report, "distribution_conservation[plant_north]", "distribution_conservation[store_4]")
    check_balance_prices(report, "distribution_conservation[plant_south]", "distribution_conservation[store_1]")
    # every active bound's range end: the rate holds up to it (fresh solve at the end)
    form = report.analysis.form
    for row in report.bounds[report.bounds["active"] & (report.bounds["reduced_cost"] != 0)].to_dict("records"):
        index = position(report.analysis, "upper bound", row["name"])
        for end, at in (("limit_upper", "objective_at_limit_upper"), ("limit_lower", "objective_at_limit_lower")):
            if math.isfinite(row[end]):
                z = fresh_objective(moved(form, "upper bound", index, row[end] - row["limit"]))
                assert z == pytest.approx(row[at], rel=1e-7, abs=1e-6)


def test_knapsack_near_binding_limit_is_re_solved_as_a_milp() -> None:
    report = sensitivity_report(knapsack())
    assert report.problem_class == "MILP" and report.dual_label == "fixed-integer LP dual"
    steps = report.steps.set_index("name")
    assert "weight" in steps.index
    bottlenecks = bottleneck_report(report)
    assert bottlenecks.messages()[0] == "weight is binding: +1 kg adds 2 USD; -1 kg loses 6 USD (MILP re-solves)"
    assert check_sentences(bottlenecks, report) >= 1
    form = report.analysis.form
    for row in report.steps.to_dict("records"):
        index = position(report.analysis, row["what"], row["name"])
        kind = report.analysis.row_kinds()[index] if row["what"] == "rhs" else ""
        for side, sign in (("up", 1), ("down", -1)):
            truth = fresh_objective(moved(form, row["what"], index, sign * row["step"], kind)) - report.objective
            assert row[f"change_{side}"] == pytest.approx(truth, abs=1e-6)


def test_milp_step_re_solves_start_from_the_incumbent_and_equal_cold_solves() -> None:
    from opt_model.sensitivity.steps import Limit, step_effects
    analysis = AnalysisModel.from_model(knapsack())
    session = analysis.session({})
    nominal = session.solve()
    table = step_effects(analysis, [Limit("rhs", 0)], nominal.objective, session=session, start=nominal.x)
    assert session.stats.mip_starts == 2  # +1 kg and -1 kg, each from the nominal incumbent
    for side, delta in (("up", 1.0), ("down", -1.0)):
        cold = fresh_objective(moved(analysis.form, "rhs", 0, delta)) - nominal.objective
        assert table[f"change_{side}"].iloc[0] == pytest.approx(cold, abs=1e-9)


def test_shift_cover_milp_sentences_come_from_milp_re_solves() -> None:
    report = sensitivity_report(load_spec(PROBLEMS / "workforce_shifts.yaml"))
    bottlenecks = bottleneck_report(report)
    lines = bottlenecks.messages()
    assert lines and all("(MILP re-solves)" in line and "USD" in line for line in lines)
    assert check_sentences(bottlenecks, report) == len(lines)


def test_qp_duals_and_sentences_match_finite_differences() -> None:
    report = sensitivity_report(small_qp().solve())
    assert report.problem_class == "QP"
    assert any("no simplex basis" in note for note in report.notes)
    assert check_duals(report, eps=1e-4, rel=1e-3, abs_tol=1e-4) >= 1
    bottlenecks = bottleneck_report(report)
    assert bottlenecks.messages(), bottlenecks.table
    assert check_sentences(bottlenecks, report) >= 1


def test_cone_model_duals_and_sentences_match_re_solves() -> None:
    report = sensitivity_report(load_spec(PROBLEMS / "bandwidth_fairness.yaml"))
    assert report.problem_class == "cone"
    assert check_duals(report, eps=1e-3, rel=2e-2, abs_tol=1e-4) >= 3
    bottlenecks = bottleneck_report(report)
    assert len(bottlenecks.messages()) == 3
    assert check_sentences(bottlenecks, report) == 3


# JuMP's lp_sensitivity_report tests for models with bounds only (test/test_lp_sensitivity2.jl) ------------

def bounds_only(sense: str) -> om.Model:
    m = om.Model("bounds")
    x = m.add_variable("x", lb=-1.0, ub=1.0)
    (m.minimize if sense == "min" else m.maximize)(1.0 * x)
    return m


@pytest.mark.parametrize("sense", ["min", "max"])
def test_jump_simple_bounds(sense: str) -> None:
    report = sensitivity_report(bounds_only(sense))
    x = report.variable("x")
    # JuMP: the cost of x may move by (-1, Inf) in both senses: down to 0 keeps x at its bound
    assert (x["cost_lower"] - x["cost"], x["cost_upper"] - x["cost"]) == (-1.0, math.inf)
    lower, upper = report.bound("x", "lower"), report.bound("x", "upper")
    # JuMP: x >= -1 may move by (-Inf, 2.0); x <= 1 by (-2, Inf)
    assert (lower["limit_lower"] - lower["limit"], lower["limit_upper"] - lower["limit"]) == (-math.inf, 2.0)
    assert (upper["limit_lower"] - upper["limit"], upper["limit_upper"] - upper["limit"]) == (-2.0, math.inf)
    active = lower if sense == "min" else upper
    # the project's convention: d objective / d bound (JuMP's MOI dual of x <= 1 in the max model is -1)
    assert active["active"] and active["reduced_cost"] == 1.0
    assert not (upper if sense == "min" else lower)["active"]


def test_jump_free_variable() -> None:
    m = om.Model("free")
    x = m.add_variable("x", lb=1.0)
    y = m.add_variable("y", lb=None)
    m.minimize(1.0 * x + 0.0 * y)
    report = sensitivity_report(m)
    vx, vy = report.variable("x"), report.variable("y")
    assert (vx["cost_lower"] - vx["cost"], vx["cost_upper"] - vx["cost"]) == (-1.0, math.inf)
    assert (vy["cost_lower"] - vy["cost"], vy["cost_upper"] - vy["cost"]) == (0.0, 0.0)
    bound = report.bound("x", "lower")
    assert (bound["limit_lower"], bound["limit_upper"]) == (-math.inf, math.inf)
    assert any("matrix is empty" in note for note in report.notes)


# robustness on MILP, QP and cones: every scenario re-solved by brute force -------------------------------

def scenario_capacities(report, name: str) -> np.ndarray:
    """The capacity of ``name`` in every scenario of a robustness report (one relative factor)."""
    results = report.results
    plan_nominal = report.model.form.row_upper[report.model.row_indices(name)][0]
    return results.factor_values[:, 0] * plan_nominal


@pytest.mark.parametrize("mode", ["plan", "reoptimise"])
def test_milp_robustness_modes_match_fresh_solves(mode: str) -> None:
    from opt_model.sensitivity import Uncertain, capacity, relative, robustness
    model = knapsack()
    report = robustness(model, [Uncertain(capacity("weight"), relative(3))], scenarios=24, seed=4, progress=False,
                        mode=mode)
    assert report.problem_class == "MILP" and report.mode == mode
    assert ("MIP start" if mode == "reoptimise" else "warm from the nominal optimal basis") in report.to_text()
    assert "Robustness (MILP, " + mode + " mode)" in report.to_text() and "USD" in report.to_text()
    base = AnalysisModel.from_model(model).form
    x = model.solve().backend.x
    fixed = AnalysisModel.from_model(model).with_integers_fixed(x).form
    for k, cap in enumerate(scenario_capacities(report, "weight").tolist()):
        upper = base.row_upper.copy()
        upper[0] = cap
        # the nominal plan stays feasible exactly when its weight fits the scenario's capacity
        assert report.samples["nominal_feasible"][k] == bool(109.969 <= cap + 1e-7 * (1 + cap))
        form = dataclasses.replace(base if mode == "reoptimise" else fixed, row_upper=upper)
        fresh = solve(form)
        if fresh.status is SolveStatus.OPTIMAL:
            assert report.samples["objective"][k] == pytest.approx(fresh.objective, abs=1e-6)
        else:
            assert report.samples["status"][k] != "optimal"


def test_qp_and_cone_robustness_objectives_match_fresh_solves() -> None:
    from opt_model.sensitivity import Uncertain, capacity, relative, robustness
    report = robustness(small_qp(), [Uncertain(capacity("cap"), relative(10))], scenarios=12, progress=False)
    assert report.problem_class == "QP" and "no simplex basis" in report.to_text()
    assert report.warm_solves == 0 and "cold: HiGHS's QP solver takes no starting basis" in report.to_text()
    base = AnalysisModel.from_model(small_qp()).form
    nominal = solve(base)
    for k, cap in enumerate(scenario_capacities(report, "cap").tolist()):
        form = dataclasses.replace(base, row_upper=np.array([cap]))
        fresh = solve(form)
        assert report.samples["objective"][k] == pytest.approx(fresh.objective, abs=1e-6)
        if report.samples["nominal_feasible"][k]:  # regret: the nominal plan's value (with the quadratic term)
            x0 = nominal.x
            plan_value = float(base.c @ x0 + 0.5 * x0 @ (base.Q @ x0) + base.constant)
            assert report.samples["regret"][k] == pytest.approx(max(fresh.objective - plan_value, 0) * -1 + 0
                                                                if False else max(plan_value - fresh.objective, 0),
                                                                abs=1e-5)
    cone = load_spec(PROBLEMS / "bandwidth_fairness.yaml")
    report = robustness(cone, [Uncertain(capacity("link"), relative(10), per_entry=False)], scenarios=6,
                        progress=False)
    assert report.problem_class == "cone" and "scenario solves: cold" in report.to_text()
    form = AnalysisModel.from_model(cone).form
    for k, factor in enumerate(report.results.factor_values[:, 0].tolist()):
        fresh = solve(dataclasses.replace(form, row_upper=form.row_upper * factor))
        assert report.samples["objective"][k] == pytest.approx(fresh.objective, rel=1e-5)


# priorities: every number labelled with the stage actually solved ---------------------------------------

@pytest.mark.parametrize("stage", [None, 1, "energy"])
def test_stage_labels_match_the_stage_solved(stage: int | str | None) -> None:
    from opt_model.multiobjective import solve_lexicographic
    from opt_model.sensitivity import Uncertain, capacity, relative, robustness
    model = load_spec(PROBLEMS / "cost_then_energy.yaml")
    levels = model.objectives[:]
    number = 2 if stage in (None, "energy") else 1
    truth = solve_lexicographic(model, levels[:number])
    report = sensitivity_report(model, stage=stage)
    name, unit = ("energy", "kWh") if number == 2 else ("bill", "USD")
    assert report.stage.startswith(f"stage {number} of 2: {name} in {unit}")
    assert report.objective_unit == unit
    assert report.objective == pytest.approx(truth.objective, rel=1e-9)
    assert report.sense == levels[number - 1].sense
    assert f"objective = {format_number(truth.objective, 10)} {unit}" in report.to_text()
    bottlenecks = bottleneck_report(report)
    assert all(f" {unit}" in line for line in bottlenecks.messages())
    check_sentences(bottlenecks, report)
    robust = robustness(model, [Uncertain(capacity("vcpus"), relative(5))], scenarios=5, progress=False, stage=stage)
    assert robust.stage == report.stage and robust.objective_unit == unit
    assert robust.nominal_objective == pytest.approx(truth.objective, rel=1e-7)
    assert f"nominal objective {format_number(robust.nominal_objective)} {unit}" in robust.to_text()


def test_unknown_stage_is_a_clear_error() -> None:
    from opt_model.errors import ModelError
    with pytest.raises(ModelError, match="stage 'carbon': no objective of that name; the stages are 1 \\(bill\\)"):
        sensitivity_report(load_spec(PROBLEMS / "cost_then_energy.yaml"), stage="carbon")


# tornado values in units; the report reuses the solve's basis; default perturbations include bounds -------

def test_tornado_shows_values_with_units_and_the_factor_beside() -> None:
    from opt_model.sensitivity import Uncertain, bound, capacity, relative, tornado
    model = load_spec(PROBLEMS / "supply_network.yaml")
    table = tornado(model, [Uncertain(bound("ship"), relative(10), per_entry=False),
                            Uncertain(capacity("distribution_conservation", node="store_1"), relative(10))],
                    low=0.0, high=1.0).set_index("factor")
    lanes = table.loc["upper of ship"] if "upper of ship" in table.index else table.iloc[0]
    assert lanes["unit"] == "t" and lanes["factor_low"] == pytest.approx(0.9)
    assert lanes["low"] == pytest.approx(0.9 * lanes["nominal"]) and lanes["objective_unit"] == "USD"


def test_result_sensitivity_starts_from_the_basis_of_the_solve() -> None:
    model = load_spec(PROBLEMS / "diet.yaml")
    result = model.solve()
    assert result.backend.col_basis is not None
    reused = result.sensitivity()
    assert reused.solve_iterations == 0
    assert sensitivity_report(model).solve_iterations > 0
    assert reused.objective == pytest.approx(result.objective, rel=1e-9)


def test_default_perturbations_include_variable_bounds() -> None:
    from opt_model.lifecycle.validation import default_parameters
    entries, why = default_parameters(AnalysisModel.from_model(load_spec(PROBLEMS / "supply_network.yaml")))
    assert {"target": "upper", "of": "ship", "distribution": "relative", "percent": 10.0} in entries
    assert "variable upper bound" in why


def test_cone_block_duals_follow_the_project_convention() -> None:
    """``extra["cone_duals"]``: d objective / d offset of each cone row, checked by central differences."""
    form = AnalysisModel.from_model(load_spec(PROBLEMS / "bandwidth_fairness.yaml")).form
    block = form.cones[0]
    duals = solve(form, "cvxpy:CLARABEL").extra["cone_duals"][0]  # (x, y, z) components of each cone
    eps = 1e-4
    for row in (0, 1, 2, 4, 5):
        cone, part = divmod(row, 3)
        ends = []
        for delta in (eps, -eps):
            offset = block.offset.copy()
            offset[row] += delta
            ends.append(fresh_objective(dataclasses.replace(form, cones=[dataclasses.replace(block, offset=offset)])))
        assert (ends[0] - ends[1]) / (2 * eps) == pytest.approx(duals[part][cone], rel=2e-3, abs=1e-4)


def test_grid_sweeps_of_milp_and_cone_models_match_fresh_solves(capsys: pytest.CaptureFixture[str]) -> None:
    from opt_model import cli
    from opt_model.sensitivity.sweep import parametric_sweep
    from opt_model.sensitivity.uncertainty import Target
    for spec, name, start, stop in (("workforce_shifts", "coverage[p04]", 5, 9),
                                    ("bandwidth_fairness", "link[lon-par]", 15, 25)):
        analysis = AnalysisModel.from_model(load_spec(PROBLEMS / f"{spec}.yaml"))
        grid = parametric_sweep(analysis, Target("rhs", name), start, stop, points=3, progress=False).table
        row = analysis.row_names().index(name)
        for value, objective in zip(grid["value"], grid["objective"], strict=True):
            upper = analysis.form.row_upper.copy()
            lower = analysis.form.row_lower.copy()
            (lower if analysis.row_kinds()[row] == GE else upper)[row] = value
            fresh = fresh_objective(dataclasses.replace(analysis.form, row_lower=lower, row_upper=upper))
            assert objective == pytest.approx(fresh, rel=1e-6)
        assert cli.main(["sensitivity", str(PROBLEMS / f"{spec}.yaml"), "--sweep", f"capacity:{name}",
                         "--from", str(start), "--to", str(stop)]) == 0
        out = capsys.readouterr().out
        assert "a re-solve at each of 25 grid points" in out and "breakpoints: " in out
