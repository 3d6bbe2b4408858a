"""Monte Carlo robustness, uncertain parameters and validation verdicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import opt_model as om
from opt_model.sensitivity import robustness
from opt_model.sensitivity.outputs import utilisation
from opt_model.sensitivity.uncertainty import (
    Empirical,
    LogNormal,
    Normal,
    Triangular,
    Uncertain,
    Uniform,
    capacity,
    cost,
    parameters_from_spec,
    relative,
)
from opt_model.sensitivity.validation import evaluate
from tests.textbook import wyndor

PLANTS = ("plant1", "plant2", "plant3")


def wyndor_rhs(percent: float) -> list[Uncertain]:
    return [Uncertain(capacity(name), relative(percent)) for name in PLANTS]


def test_wyndor_nominal_plan_feasible_with_probability_one_quarter() -> None:
    model, _ = wyndor()
    report = robustness(model, wyndor_rhs(10), scenarios=400, seed=0, progress=False)
    low, high = report.feasible_interval
    assert low <= 0.25 <= high
    assert high - low < 0.1
    # every scenario's verdict matches the hand rule: plan (2, 6) needs b2 >= 12 and b3 >= 18
    factors = report.results.factor_values
    expected = (factors[:, 1] * 12 >= 12 - 1e-9) & (factors[:, 2] * 18 >= 18 - 1e-9)
    assert np.array_equal(report.samples["nominal_feasible"].to_numpy(), expected)
    # the overrun of plant2 is 12 - b2 when b2 < 12
    plant2 = report.violations.set_index("name").loc["plant2"]
    assert plant2["probability"] == pytest.approx(np.mean(factors[:, 1] < 1))
    assert plant2["max_overrun"] == pytest.approx(np.max(12 - 12 * factors[:, 1]))
    assert report.status_counts == {"optimal": 400}
    assert report.basis_change_rate == 0.0  # +-10% stays inside every rhs range


def test_scenario_objectives_match_fresh_solves_of_perturbed_models() -> None:
    model, _ = wyndor()
    report = robustness(model, wyndor_rhs(30), scenarios=40, seed=3, progress=False)
    factors = report.results.factor_values
    for k in (0, 7, 19, 33):
        fresh = om.Model()
        x1 = fresh.add_variable("x1")
        x2 = fresh.add_variable("x2")
        fresh.add_constraint("plant1", x1 <= 4 * factors[k, 0])
        fresh.add_constraint("plant2", 2 * x2 <= 12 * factors[k, 1])
        fresh.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18 * factors[k, 2])
        fresh.maximize(3 * x1 + 5 * x2)
        assert report.samples["objective"][k] == pytest.approx(fresh.solve().objective, rel=1e-9)
    regret = report.samples["regret"].dropna()
    assert (regret >= 0).all()
    assert report.basis_change_rate > 0  # +-30% moves plant3 past 24 or below 12 sometimes... or plant2 past 18
    assert report.objective_cvar <= report.objective["mean"]  # profit: CVaR is the mean of the worst (lowest) 5%


def test_cost_uncertainty_keeps_the_plan_feasible_and_has_regret() -> None:
    model, _ = wyndor()
    params = [Uncertain(cost("x1"), Normal(3.0, 2.0)), Uncertain(cost("x2"), Uniform(2.0, 8.0))]
    report = robustness(model, params, scenarios=200, seed=5, outputs=[utilisation("plant3")], progress=False)
    assert report.feasible_probability == 1.0
    assert report.regret["max"] > 0  # when c1 > 7.5, (4, 3) beats (2, 6)
    values = report.results.factor_values
    # the basis of (2, 6) stays optimal while 0 <= c1 / c2 <= 3/2 (c1 in [0, 7.5] at c2 = 5)
    switched = (values[:, 0] > 1.5 * values[:, 1]) | (values[:, 0] < 0)
    assert switched.any()
    assert np.array_equal(report.samples["basis_changed"].to_numpy(), switched)
    # plant3 (3 x1 + 2 x2 <= 18) is full at (2, 6) and (4, 3); at (0, 6) when c1 < 0 it is 12 / 18 full
    expected = np.where(values[:, 0] < 0, 2 / 3, 1.0)
    assert report.samples["utilisation of plant3"].to_numpy() == pytest.approx(expected)


def test_infeasible_scenarios_are_counted_not_dropped() -> None:
    m = om.Model()
    x = m.add_variable("x", ub=10)
    m.add_constraint("floor", x >= 4)
    m.add_constraint("cap", x <= 6)
    m.minimize(x)
    report = robustness(m, [Uncertain(capacity("cap"), Uniform(2.0, 8.0))], scenarios=100, seed=2, progress=False)
    infeasible = (report.results.factor_values[:, 0] < 4).sum()
    assert report.status_counts.get("infeasible", 0) == infeasible > 0
    assert report.scenarios == 100 and report.objective["count"] == 100 - infeasible
    assert report.feasible_probability == pytest.approx(np.mean(report.results.factor_values[:, 0] >= 4))


def test_shared_draw_is_one_factor_and_per_entry_draws_are_independent() -> None:
    m = om.Model()
    host = om.Dim("host", ["h1", "h2", "h3"])
    x = m.add_variables("x", dims=host, ub=5)
    m.add_resource("memory", unit="GiB", capacity=om.data([2.0, 3.0, 4.0], dims=host)).add_usage(1.0 * x)
    m.maximize(x.sum())
    shared = robustness(m, [Uncertain(capacity("memory"), relative(20), per_entry=False)], scenarios=30,
                        progress=False)
    assert shared.results.factor_values.shape == (30, 1)
    assert shared.samples["objective"].to_numpy() == pytest.approx(9.0 * shared.results.factor_values[:, 0])
    independent = robustness(m, [Uncertain(capacity("memory"), relative(20))], scenarios=30, progress=False)
    factors = independent.results.factor_values
    assert factors.shape == (30, 3)
    assert independent.samples["objective"].to_numpy() == pytest.approx(factors @ np.array([2.0, 3.0, 4.0]))


def test_distributions_have_the_right_shape() -> None:
    u = (np.arange(20000) + 0.5) / 20000
    assert Normal(5.0, 2.0).ppf(u).mean() == pytest.approx(5.0, abs=1e-3)
    assert Normal(5.0, 2.0).ppf(u).std() == pytest.approx(2.0, rel=2e-3)
    assert Triangular(1.0, 2.0, 6.0).ppf(u).mean() == pytest.approx(3.0, abs=1e-3)
    assert np.median(LogNormal(np.log(4.0), 0.5).ppf(u)) == pytest.approx(4.0, rel=1e-3)
    assert Uniform(2.0, 4.0).ppf(np.array([0.0, 0.25, 1.0])).tolist() == [2.0, 2.5, 4.0]
    assert relative(10, "triangular").ppf(np.array([0.5]))[0] == pytest.approx(1.0)
    with pytest.raises(om.ModelError):
        Uniform(3.0, 1.0)
    with pytest.raises(om.ModelError):
        relative(5, "cauchy")


def test_empirical_samples_from_csv_and_spec_entries(tmp_path: Path) -> None:
    (tmp_path / "demand.csv").write_text("day,load\n1,10\n2,12\n3,11\n4,30\n")
    empirical = Empirical.from_csv(tmp_path / "demand.csv", "load")
    drawn = empirical.sample(np.random.default_rng(0), 200)
    assert set(drawn.tolist()) <= {10.0, 11.0, 12.0, 30.0} and len(set(drawn.tolist())) == 4
    params = parameters_from_spec([
        {"target": "capacity", "of": "memory", "labels": {"host": "h1"}, "distribution": "relative", "percent": 10},
        {"target": "cost", "of": "x", "distribution": "empirical", "csv": "demand.csv", "column": "load",
         "per_entry": False, "name": "load"},
        {"target": "rhs", "of": "demand", "distribution": "lognormal", "median": 3, "sigma": 0.2},
        {"target": "coefficient", "of": "memory[h1]", "variable": "x[h1]", "distribution": "triangular",
         "low": 0.9, "mode": 1, "high": 1.2, "relative": True},
    ], base_dir=tmp_path)
    assert [p.target.kind for p in params] == ["rhs", "cost", "rhs", "coefficient"]
    assert params[0].target.label_map == {"host": "h1"} and params[1].label == "load"
    assert params[3].distribution.relative
    with pytest.raises(om.SpecError, match="unknown key 'sd'"):
        parameters_from_spec([{"target": "cost", "of": "x", "distribution": "normal", "mean": 1, "sd": 2}])
    with pytest.raises(om.SpecError, match="missing 'std'"):
        parameters_from_spec([{"target": "cost", "of": "x", "distribution": "normal", "mean": 1}])
    with pytest.raises(om.SpecError, match="target must be"):
        parameters_from_spec([{"target": "weight", "of": "x", "distribution": "relative", "percent": 5}])


def test_unknown_names_are_reported_with_a_suggestion() -> None:
    model, _ = wyndor()
    with pytest.raises(om.ModelError, match="did you mean 'plant2'"):
        robustness(model, [Uncertain(capacity("plant22"), relative(10))], scenarios=5, progress=False)


def test_verdict_from_thresholds() -> None:
    model, _ = wyndor()
    report = robustness(model, wyndor_rhs(10), scenarios=200, seed=0, progress=False)
    verdict = report.verdict({"min_feasible_probability": 0.95, "max_objective_cv": 0.1})
    assert not verdict.passed and verdict.exit_code == 1
    assert [check.passed for check in verdict.checks] == [False, True]
    assert report.verdict({"min_feasible_probability": 0.1, "max_basis_change_rate": 0.0}).exit_code == 0
    with pytest.raises(om.SpecError, match="did you mean 'max_objective_cv'"):
        evaluate(report, {"max_objectve_cv": 0.1})
    with pytest.raises(om.SpecError, match="finite number"):
        evaluate(report, {"max_objective_cv": "low"})
    assert verdict.to_dict()["checks"][0]["value"] == pytest.approx(report.feasible_probability)


def test_spec_sections_and_their_schemas() -> None:
    """The entry points the YAML spec loader calls: sections read from the model's spec metadata."""
    from opt_model.sensitivity import THRESHOLDS, UNCERTAINTY_SCHEMA, VALIDATION_SCHEMA
    from opt_model.sensitivity.problem import spec_section
    from opt_model.spec import loads_spec

    jsonschema = pytest.importorskip("jsonschema")
    entries = [{"target": "capacity", "of": "memory", "labels": {"host": "h1"}, "distribution": "relative",
                "percent": 10},
               {"target": "cost", "of": "x", "distribution": "normal", "mean": 1.0, "std": 0.05, "relative": True}]
    jsonschema.validate(entries, UNCERTAINTY_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"target": "cost", "of": "x", "distribution": "normal", "sd": 1}], UNCERTAINTY_SCHEMA)
    jsonschema.validate({"min_feasible_probability": 0.95}, VALIDATION_SCHEMA)
    assert "max_objective_cv" in THRESHOLDS
    model = loads_spec("version: 1\nvariables:\n  x: {upper: 2}\nobjective:\n  maximize: x\n")
    assert spec_section(model, "uncertainty") is None
    model.metadata["spec"].document["uncertainty"] = entries  # as the loader keeps a section it accepts
    assert spec_section(model, "uncertainty") == entries
    assert spec_section(om.Model(), "uncertainty") is None


def test_variable_bound_uncertainty_checks_the_plan_against_moved_bounds() -> None:
    from opt_model.sensitivity.uncertainty import bound
    m = om.Model()
    x = m.add_variable("x", ub=10)
    m.add_constraint("cap", x <= 8)
    m.maximize(x)
    report = robustness(m, [Uncertain(bound("x", "upper"), Uniform(6.0, 10.0))], scenarios=50, seed=1,
                        progress=False)
    upper = report.results.factor_values[:, 0]
    assert np.array_equal(report.samples["nominal_feasible"].to_numpy(), upper >= 8)
    assert report.results.col_violation == pytest.approx(np.maximum(8 - upper, 0))
    assert report.samples["objective"].to_numpy() == pytest.approx(np.minimum(upper, 8))
