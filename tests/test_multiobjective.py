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


def test_the_model_is_not_changed_and_model_solve_uses_the_metadata() -> None:
    m, x, cost, energy = _placement()
    rows = m.compile().form.num_rows
    solve_lexicographic(m, [(cost, "minimize", 0.05), (energy, "minimize")])
    assert m.compile().form.num_rows == rows
    m.metadata["lexicographic"] = [Objective(cost, "minimize", 0.05), Objective(energy, "minimize")]
    assert m.solve().objective == pytest.approx(6.24, rel=1e-6)


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
