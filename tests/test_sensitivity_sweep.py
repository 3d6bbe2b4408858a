"""Parametric sweeps: breakpoints from ranging, checked against independent solves."""

from __future__ import annotations

import numpy as np
import pytest

import opt_model as om
from opt_model.sensitivity.outputs import utilisation, value
from opt_model.sensitivity.sweep import parametric_sweep
from opt_model.sensitivity.uncertainty import capacity, coefficient, cost
from tests.textbook import dakota


def wyndor_with(plant2: float = 12.0, plant3: float = 18.0, c1: float = 3.0, a31: float = 3.0) -> om.Model:
    m = om.Model("wyndor")
    x1 = m.add_variable("x1")
    x2 = m.add_variable("x2")
    m.add_constraint("plant1", x1 <= 4)
    m.add_constraint("plant2", 2 * x2 <= plant2)
    m.add_constraint("plant3", a31 * x1 + 2 * x2 <= plant3)
    m.maximize(c1 * x1 + 5 * x2)
    return m


def test_rhs_sweep_finds_the_textbook_breakpoints_both_ways() -> None:
    up = parametric_sweep(wyndor_with(), capacity("plant3"), 0, 40, outputs=[value("x1")], progress=False)
    down = parametric_sweep(wyndor_with(), capacity("plant3"), 40, 0, progress=False)
    assert up.breakpoints == pytest.approx([12.0, 24.0]) and down.breakpoints == pytest.approx([12.0, 24.0])
    assert up.method == "ranging" and up.solves <= 8
    breaks = up.table[up.table["kind"] == "breakpoint"]
    assert breaks["slope_left"].tolist() == pytest.approx([2.5, 1.0])
    assert breaks["slope_right"].tolist() == pytest.approx([1.0, 0.0])
    assert breaks["value of x1"].tolist() == pytest.approx([0.0, 4.0])
    for b in np.random.default_rng(0).uniform(0, 40, 12):
        assert up.objective_at(b) == pytest.approx(wyndor_with(plant3=b).solve().objective, abs=1e-9)
        assert down.objective_at(b) == pytest.approx(wyndor_with(plant3=b).solve().objective, abs=1e-9)


def test_cost_sweep_slopes_are_the_plan() -> None:
    sweep = parametric_sweep(wyndor_with(), cost("x1"), -5, 20, outputs=[value("x1")], progress=False)
    assert sweep.breakpoints == pytest.approx([0.0, 7.5])
    rows = sweep.table.set_index("kind")
    assert rows.loc["start", "slope_right"] == 0.0 and rows.loc["end", "slope_left"] == 4.0
    for c1 in (-3.0, 0.5, 7.0, 8.0, 19.0):
        assert sweep.objective_at(c1) == pytest.approx(wyndor_with(c1=c1).solve().objective, abs=1e-9)


def test_sweep_from_an_infeasible_start_reports_the_feasibility_limit() -> None:
    sweep = parametric_sweep(wyndor_with(), capacity("plant2"), -5, 30, progress=False)
    assert sweep.breakpoints == pytest.approx([0.0, 6.0, 18.0], abs=1e-6)  # to within HiGHS feasibility tolerance
    assert sweep.table.iloc[0]["status"] == "infeasible"
    assert "feasibility limit" in sweep.table["kind"].tolist()
    assert sweep.objective_at(10.0) == pytest.approx(wyndor_with(plant2=10.0).solve().objective)


def test_coefficient_sweep_locates_the_basis_change_by_bisection() -> None:
    sweep = parametric_sweep(wyndor_with(), coefficient("plant3", "x1"), 0.5, 6, progress=False)
    assert sweep.method == "grid + bisection"
    assert sweep.breakpoints == pytest.approx([1.5], abs=1e-6)  # 1.5 * 4 + 2 * 6 = 18
    grid = sweep.table[sweep.table["kind"] == "grid"]
    for a, objective in zip(grid["value"], grid["objective"], strict=True):
        assert objective == pytest.approx(wyndor_with(a31=a).solve().objective, abs=1e-9)


def test_dakota_finishing_hours() -> None:
    model, _ = dakota()
    sweep = parametric_sweep(model, capacity("finishing"), 0, 60, progress=False)
    assert sweep.breakpoints == pytest.approx([16.0, 24.0])
    assert sweep.objective_at(20.0) == pytest.approx(280.0)


def test_resource_capacity_sweep_on_a_labelled_resource() -> None:
    m = om.Model("hosting")
    host = om.Dim("host", ["h1", "h2"])
    x = m.add_variables("x", dims=host)
    m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 64.0, "h2": 32.0}, dims=host)).add_usage(1.0 * x)
    m.add_constraint("demand", x.sum() == 100)
    m.minimize((om.data({"h1": 5.0, "h2": 1.8}, dims=host) * x).sum())
    sweep = parametric_sweep(m, capacity("memory", host="h2"), 8, 256, points=5,
                             outputs=[utilisation("memory", host="h2")], progress=False)
    # h1 alone is too small until h2 has 36 GiB; h2 takes everything from 100 GiB on
    assert sweep.breakpoints == pytest.approx([36.0, 100.0], abs=1e-7)
    assert sweep.table.iloc[0]["status"] == "infeasible"
    grid = sweep.table[(sweep.table["kind"] == "grid") & (sweep.table["status"] == "optimal")]
    expected = np.minimum(100.0, grid["value"].to_numpy()) / grid["value"].to_numpy()
    assert grid["utilisation of memory[host=h2]"].to_numpy() == pytest.approx(expected)


# MILP, QP and cone sweeps: breakpoints where the integer decisions / the active set change ----------------

def fresh(analysis, row: int, value: float):
    """A fresh solve (new solver, no start) with the right-hand side of ``row`` (a <= row) at ``value``."""
    import dataclasses

    from solvers import solve
    upper = analysis.form.row_upper.copy()
    upper[row] = value
    return solve(dataclasses.replace(analysis.form, row_upper=upper))


def check_points(sweep, analysis, row: int, rel: float = 1e-9) -> None:
    for point in sweep.table.to_dict("records"):
        assert point["objective"] == pytest.approx(fresh(analysis, row, point["value"]).objective, rel=rel,
                                                   abs=rel), point


def test_milp_sweep_breakpoints_are_where_the_integer_decisions_change() -> None:
    from opt_model.sensitivity.problem import AnalysisModel
    m = om.Model()
    x = m.add_variable("x", ub=10, integer=True)
    m.add_constraint("weight", 3 * x <= 9)
    m.maximize(5 * x)
    sweep = parametric_sweep(m, capacity("weight"), 6, 13, points=8, progress=False)
    assert sweep.method == "grid + bisection (integer decisions)"
    assert sweep.breakpoints == pytest.approx([9.0, 12.0], abs=1e-5)  # x = floor(capacity / 3) steps up
    assert any("optimal integer decisions change" in note for note in sweep.notes)
    analysis = AnalysisModel.from_model(m)
    check_points(sweep, analysis, 0)
    for point in sweep.breakpoints:  # a fresh solve just below and at the breakpoint chooses other integers
        assert fresh(analysis, 0, point - 1e-4).x[0] != fresh(analysis, 0, point).x[0]


def test_qp_sweep_breakpoints_are_where_the_active_set_changes() -> None:
    """min x^2 + y^2 - 6x - 4y, x + y <= cap, y <= 1.2: cap alone binds below 3.4, cap and y's bound up to 4.2,
    y's bound alone above (x = y + 1 on the cap row until y reaches 1.2)."""
    from opt_model.sensitivity.problem import AnalysisModel
    m = om.Model("qp")
    x = m.add_variable("x")
    y = m.add_variable("y", ub=1.2)
    m.add_resource("cap", unit="h", capacity=4.0).add_usage(x + y)
    m.minimize(x * x + y * y - 6 * x - 4 * y)
    sweep = parametric_sweep(m, capacity("cap"), 2, 5, points=7, progress=False)
    assert sweep.method == "grid + bisection (active set)"
    assert sweep.breakpoints == pytest.approx([3.4, 4.2], abs=1e-5)
    check_points(sweep, AnalysisModel.from_model(m), 0, rel=1e-7)


def test_cone_sweep_breakpoint_separates_two_binding_sets() -> None:
    from pathlib import Path

    from opt_model.sensitivity.problem import AnalysisModel
    from opt_model.sensitivity.uncertainty import Target
    from opt_model.spec import load_spec
    model = load_spec(Path(__file__).resolve().parent.parent / "problems" / "bandwidth_fairness.yaml")
    sweep = parametric_sweep(model, Target("rhs", "link[lon-par]"), 25, 35, points=3, progress=False)
    assert sweep.method == "grid + bisection (active set)" and len(sweep.breakpoints) == 1
    analysis = AnalysisModel.from_model(model)
    row = analysis.row_names().index("link[lon-par]")
    check_points(sweep, analysis, row, rel=1e-6)
    point = sweep.breakpoints[0]

    def binding(value: float) -> list[bool]:
        result = fresh(analysis, row, value)
        upper = analysis.form.row_upper.copy()
        upper[row] = value
        return (np.abs(result.row_activity - upper) <= 1e-6 * (1 + np.abs(upper))).tolist()
    assert binding(point - 1.0) != binding(point + 1.0)  # interior-point answers: binding within 1e-6 relative
    assert any("cone breakpoints are approximate" in note for note in sweep.notes)
