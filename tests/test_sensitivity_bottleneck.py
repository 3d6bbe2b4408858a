"""Bottleneck report and infeasibility diagnosis, with hand-computed answers."""

from __future__ import annotations

import math

import pytest

import opt_model as om
from opt_model.sensitivity import bottleneck_report, diagnose_infeasibility, sensitivity_report


def hosting(memory: dict[str, float], demand: float = 10.0, time_budget: float | None = None) -> om.Model:
    """Place ``demand`` units of work on hosts (1 GiB each; cost 5 on h1, 1.8 on h2) or batch (0.5 h each)."""
    m = om.Model("hosting")
    m.objective_unit = "USD"
    host = om.Dim("host", ["h1", "h2"])
    x = m.add_variables("x", dims=host)
    mem = m.add_resource("memory", unit="GiB", capacity=om.data(memory, dims=host),
                         price=om.data({"h1": 1.0, "h2": 2.0}, dims=host))
    mem.add_usage(1.0 * x)
    work = x.sum()
    cost = (om.data({"h1": 5.0, "h2": 1.8}, dims=host) * x).sum()
    if time_budget is not None:
        y = m.add_variable("batch")
        time = m.add_resource("time", unit="h", capacity=time_budget, price=10.0)
        time.add_usage(0.5 * y)
        work = work + y
        cost = cost + 9.0 * y
    m.add_constraint("demand", work == demand)
    m.minimize(cost)
    return m


def test_bottleneck_ranks_resources_by_gain_per_unit_and_says_how_far() -> None:
    report = bottleneck_report(hosting({"h1": 20.0, "h2": 8.0}).solve())
    top = report.bottlenecks.iloc[0]
    assert top["name"] == "memory[h2]"
    assert top["gain_per_unit"] == pytest.approx(3.2)
    assert top["headroom"] == pytest.approx(2.0)
    assert top["gain_over_range"] == pytest.approx(6.4)
    assert top["utilisation"] == pytest.approx(1.0)
    assert report.messages() == ["memory on h2 is binding: +1 GiB saves 3.2 USD, up to +2 GiB"]
    h1 = report.table.set_index("name").loc["memory[h1]"]
    assert not h1["binding"] and h1["utilisation"] == pytest.approx(0.1) and h1["gain_per_unit"] == 0.0
    assert report.groups.iloc[0].to_dict() == {
        "group": "memory", "binding": 1, "rows": 2, "max_gain_per_unit": pytest.approx(3.2),
        "total_gain_per_unit": pytest.approx(3.2), "mean_utilisation": pytest.approx(1.0)}


def test_bottleneck_gain_matches_a_resolve_with_one_more_unit() -> None:
    base = hosting({"h1": 20.0, "h2": 8.0}).solve().objective
    plus_one = hosting({"h1": 20.0, "h2": 9.0}).solve().objective
    report = sensitivity_report(hosting({"h1": 20.0, "h2": 8.0}))
    assert base - plus_one == pytest.approx(bottleneck_report(report).bottlenecks.iloc[0]["gain_per_unit"])


def test_bottleneck_of_a_model_without_resources_uses_all_constraints() -> None:
    m = om.Model()
    x1 = m.add_variable("x1")
    x2 = m.add_variable("x2")
    m.add_constraint("plant1", x1 <= 4)
    m.add_constraint("plant2", 2 * x2 <= 12)
    m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18)
    m.maximize(3 * x1 + 5 * x2)
    report = bottleneck_report(m.solve())
    assert report.scope == "all constraints"
    assert report.bottlenecks["name"].tolist() == ["plant2", "plant3"]
    assert report.by_range.iloc[0]["name"] == "plant2"  # 1.5 x 6 = 9 beats 1 x 6 = 6
    assert report.messages()[0] == "plant2 is binding: +1 adds 1.5, up to +6"


def test_infeasible_hosting_gets_an_iis_and_priced_alternatives() -> None:
    model = hosting({"h1": 4.0, "h2": 8.0}, demand=20.0, time_budget=3.0)
    report = diagnose_infeasibility(model, weights="price")
    assert not report.feasible and report.status == "infeasible"
    assert sorted(entry.name for entry in report.iis) == ["demand", "memory[h1]", "memory[h2]", "time"]
    bounds = {entry.name: entry.bound for entry in report.iis if entry.kind == "constraint"}
    assert bounds["memory[h1]"] == "upper" and bounds["time"] == "upper"
    assert report.relaxation is not None
    assert [(c.name, c.amount) for c in report.relaxation.changes] == [("memory[h1]", pytest.approx(2.0))]
    assert report.relaxation.penalty == pytest.approx(2.0)
    assert [fix.describe() for fix in report.alternatives] == ["add 2 GiB memory on h1", "add 1 h time"]
    assert report.messages()[1] == "to make it feasible: add 2 GiB memory on h1, or add 1 h time"


def test_unweighted_relaxation_and_named_constraints() -> None:
    model = hosting({"h1": 4.0, "h2": 8.0}, demand=20.0, time_budget=3.0)
    report = diagnose_infeasibility(model)  # unit weights: 1 h of time (fixes 2 units) beats 2 GiB
    assert report.relaxation is not None
    assert [(c.name, c.amount) for c in report.relaxation.changes] == [("time", pytest.approx(1.0))]
    only_demand = diagnose_infeasibility(model, relax=["demand"])
    assert only_demand.relaxation is not None
    change = only_demand.relaxation.changes[0]
    assert change.name == "demand" and change.bound == "lower" and change.amount == pytest.approx(2.0)
    assert only_demand.relaxation.describe() == "lower the requirement of demand by 2"


def test_no_relaxation_of_the_wrong_constraint_can_help() -> None:
    model = hosting({"h1": 4.0, "h2": 8.0}, demand=20.0, time_budget=3.0)
    with pytest.raises(om.ModelError, match="unknown constraint"):
        diagnose_infeasibility(model, relax=["memroy"])
    m = om.Model()
    x = m.add_variable("x", ub=1)
    m.add_resource("cap", capacity=5).add_usage(1.0 * x)
    m.add_constraint("need", x >= 2)
    m.minimize(x)
    report = diagnose_infeasibility(m)  # relaxing the resource cannot lift x's upper bound
    assert report.relaxation is None and report.alternatives == []
    assert report.messages()[-1] == "no relaxation of cap makes the model feasible"
    assert {entry.name for entry in report.iis} == {"need", "x"}


def test_feasible_model_has_nothing_to_diagnose() -> None:
    report = diagnose_infeasibility(hosting({"h1": 20.0, "h2": 8.0}))
    assert report.feasible and report.messages() == ["the model is feasible"]
    assert math.isfinite(hosting({"h1": 20.0, "h2": 8.0}).solve().objective)
