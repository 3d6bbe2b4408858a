"""Lexicographic and weighted objectives in the Python API (known answers)."""

from __future__ import annotations

import pytest

import opt_model as om
from opt_model.errors import ModelError
from opt_model.multiobjective import LexicographicResult, Objective, solve_lexicographic, weighted_sum


def _placement() -> tuple[om.Model, object, object, object]:
    m = om.Model("sites")
    site = om.Dim("site", ["cheap", "green", "mid"])
    x = m.add_variables("x", dims=site, ub=om.data({"cheap": 0.6, "green": 1, "mid": 1}, dims=site))
    m.add_constraints("demand", x.sum() == 1)
    cost = (x * om.data({"cheap": 10.0, "green": 14.0, "mid": 11.0}, dims=site)).sum()
    energy = (x * om.data({"cheap": 9.0, "green": 2.0, "mid": 6.0}, dims=site)).sum()
    return m, x, cost, energy


def test_cost_then_energy_holds_the_cost_within_its_tolerance() -> None:
    m, x, cost, energy = _placement()
    # cheapest: 0.6 cheap + 0.4 mid = 10.4; the 5 % slack (0.52) is best spent moving cheap to mid
    # (+1 cost, -3 energy per unit, the best ratio): 0.08 cheap + 0.92 mid, energy 0.72 + 5.52 = 6.24
    result = solve_lexicographic(m, [Objective(cost, "minimize", tolerance=0.05, name="cost"),
                                     Objective(energy, "minimize", name="energy")])
    assert isinstance(result, LexicographicResult)
    assert [s.name for s in result.stages] == ["cost", "energy"]
    assert result.stages[0].objective == pytest.approx(10.4)
    assert result.value(cost) == pytest.approx(10.92, rel=1e-7)
    # x_cheap + x_mid + x_green = 1, 10 c + 11 m + 14 g = 10.92, minimise 9 c + 6 m + 2 g
    values = result.value(x).to_dict()
    assert result.objective == pytest.approx(9 * values["cheap"] + 6 * values["mid"] + 2 * values["green"])
    assert result.objective == pytest.approx(6.24, rel=1e-6)
    assert result.to_dict()["stages"][1]["name"] == "energy"


def test_zero_tolerance_only_breaks_ties() -> None:
    m, x, cost, energy = _placement()
    result = solve_lexicographic(m, [(cost, "minimize"), (energy, "minimize")])
    assert result.objectives == pytest.approx([10.4, 0.6 * 9 + 0.4 * 6])


def test_the_model_is_not_changed_and_model_solve_uses_its_objectives() -> None:
    m, x, cost, energy = _placement()
    rows = m.compile().form.num_rows
    solve_lexicographic(m, [(cost, "minimize", 0.05), (energy, "minimize")])
    assert m.compile().form.num_rows == rows
    m.objectives.set([Objective(cost, "minimize", 0.05, name="cost"), Objective(energy, "minimize", name="energy")])
    result = m.solve()
    assert result.objective == pytest.approx(6.24, rel=1e-6)
    assert m.compile().form.num_rows == rows                      # still the model's own rows
    assert solve_lexicographic(m).objectives == pytest.approx(result.objectives, rel=1e-12)   # its objectives


def test_stages_of_a_maximised_and_a_minimised_objective_with_an_absolute_tolerance() -> None:
    m, x, cost, energy = _placement()
    # least energy: all on green (2.0); give up 1.3 of it (energy <= 3.3), then maximise -cost: with
    # g = 1 - c - m, cost = 14 - 4c - 3m and energy = 2 + 7c + 4m, so mid saves more per unit of energy
    # (3/4 > 4/7): m = 1.3 / 4 = 0.325, cost 14 - 0.975 = 13.025
    result = solve_lexicographic(m, [Objective(energy, "minimize", abs_tolerance=1.3, name="energy"),
                                     Objective(-1.0 * cost, "maximize", name="saving")])
    assert result.stages[0].objective == pytest.approx(2.0)
    assert result.stages[0].bound == pytest.approx(3.3, rel=1e-8)
    assert result.value(energy) == pytest.approx(3.3, rel=1e-7)
    assert result.objective == pytest.approx(-13.025, rel=1e-7)
    assert result.value(x).to_dict()["mid"] == pytest.approx(0.325, rel=1e-6)
    # brute force: the same LP with the held row written out by hand
    check = om.Model("check")
    site = om.Dim("site", ["cheap", "green", "mid"])
    y = check.add_variables("x", dims=site, ub=om.data({"cheap": 0.6, "green": 1, "mid": 1}, dims=site))
    check.add_constraints("demand", y.sum() == 1)
    check.add_constraint("held", (y * om.data({"cheap": 9.0, "green": 2.0, "mid": 6.0}, dims=site)).sum()
                         <= result.stages[0].bound)
    check.minimize((y * om.data({"cheap": 10.0, "green": 14.0, "mid": 11.0}, dims=site)).sum())
    assert -result.objective == pytest.approx(check.solve().objective, rel=1e-9)


def test_an_infeasible_first_stage_stops() -> None:
    m = om.Model()
    y = m.add_variable("y", ub=1)
    m.add_constraint("impossible", y >= 2)
    result = solve_lexicographic(m, [(y, "minimize"), (y, "maximize")])
    assert len(result.stages) == 1 and result.status.value == "infeasible"


def test_bad_objectives_are_refused() -> None:
    m, x, cost, energy = _placement()
    with pytest.raises(ModelError, match="sense"):
        Objective(cost, "smallest")
    with pytest.raises(ModelError, match="tolerance"):
        Objective(cost, "minimize", tolerance=-1)
    with pytest.raises(ModelError, match="quadratic"):
        solve_lexicographic(m, [(cost * cost, "minimize")])
    with pytest.raises(ModelError, match="at least one"):
        solve_lexicographic(m, [])


def test_weighted_sum() -> None:
    m, x, cost, energy = _placement()
    m.minimize(weighted_sum([(cost, 1.0), (energy, 1.0)]))
    # per unit: cheap 19, green 16, mid 17 -> all on green
    assert m.solve().objective == pytest.approx(16.0)
