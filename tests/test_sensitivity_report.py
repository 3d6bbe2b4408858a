"""Local sensitivity report: textbook ranging, JSON layout, MILP, files, finite-difference checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import opt_model as om
from opt_model.sensitivity import AnalysisModel, SensitivityReport, sensitivity_report
from opt_model.sensitivity.degeneracy import active_bounds
from solvers import StandardForm
from solvers.highs import HighsSession
from tests.textbook import dakota, wyndor


def ranges(report: SensitivityReport) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    costs = {r.name: (r.cost_lower, r.cost_upper) for r in report.variables.itertuples()}
    rhs = {r.name: (r.rhs_lower, r.rhs_upper) for r in report.constraints.itertuples()}
    return costs, rhs


def test_wyndor_reproduces_the_published_report() -> None:
    model, _ = wyndor()
    report = model.solve().sensitivity()
    assert report.objective == 36.0
    costs, rhs = ranges(report)
    assert costs == {"x1": (0.0, 7.5), "x2": (2.0, math.inf)}
    assert rhs == {"plant1": (2.0, math.inf), "plant2": (6.0, 18.0), "plant3": (12.0, 24.0)}
    assert report.constraints["dual"].tolist() == [0.0, 1.5, 1.0]
    assert report.constraints["slack"].tolist() == [2.0, 0.0, 0.0]
    assert report.constraints["objective_at_rhs_lower"].tolist() == [36.0, 27.0, 30.0]
    assert report.constraints["objective_at_rhs_upper"].tolist() == [36.0, 45.0, 42.0]
    assert not report.constraints["degenerate"].any()


def test_dakota_reproduces_the_published_report() -> None:
    """Winston, Operations Research, Dakota furniture: the LINDO ranging output."""
    model, _ = dakota()
    report = model.solve().sensitivity()
    assert report.objective == pytest.approx(280.0)
    costs, rhs = ranges(report)
    assert costs["x[desks]"] == pytest.approx((56.0, 80.0))
    assert costs["x[tables]"][0] == -math.inf and costs["x[tables]"][1] == pytest.approx(35.0)
    assert costs["x[chairs]"] == pytest.approx((15.0, 22.5))
    assert rhs["lumber"][0] == pytest.approx(24.0) and rhs["lumber"][1] == math.inf
    assert rhs["finishing"] == pytest.approx((16.0, 24.0))
    assert rhs["carpentry"] == pytest.approx((20 / 3, 10.0))
    assert rhs["demand"][0] == pytest.approx(0.0) and rhs["demand"][1] == math.inf
    assert report.constraints["dual"].tolist() == pytest.approx([0, 10, 10, 0])
    assert report.variable("x[tables]")["reduced_cost"] == pytest.approx(-5.0)
    assert not report.variable("x[tables]")["basic"]


def test_degenerate_wyndor_reports_both_one_sided_prices() -> None:
    model, _ = wyndor(extra_row=True)
    report = model.solve().sensitivity()
    assert report.objective == 36.0
    left = dict(zip(report.constraints["name"], report.constraints["dual_left"], strict=True))
    right = dict(zip(report.constraints["name"], report.constraints["dual_right"], strict=True))
    assert left["plant2"] == pytest.approx(1.5) and right["plant2"] == pytest.approx(1.0)
    assert left["plant3"] == pytest.approx(1.0) and right["plant3"] == pytest.approx(0.0)
    assert left["extra"] == pytest.approx(3.0) and right["extra"] == pytest.approx(0.0)
    assert left["plant1"] == right["plant1"] == 0.0
    flagged = report.constraints.set_index("name")["one_sided"]
    assert flagged.to_dict() == {"plant1": False, "plant2": True, "plant3": True, "extra": True}
    assert report.degeneracy.primal and report.degeneracy.basic_rows_at_bound.size == 1
    text = report.to_text()
    assert "Price left" in text and "Price right" in text


def finite_difference(form: StandardForm, row: int, step: float) -> tuple[float, float]:
    """Left and right difference quotients of the optimal objective in a row's rhs (warm re-solves)."""
    session = HighsSession(form)
    base = session.solve()
    rhs, move_lower, move_upper = active_bounds(form, base.row_activity)
    basis = session.basis()
    quotients = []
    for direction in (-1.0, 1.0):
        target = rhs[row] + direction * step
        session.change_row_bounds([row], [target if move_lower[row] else form.row_lower[row]],
                                  [target if move_upper[row] else form.row_upper[row]])
        moved = session.solve()
        session.change_row_bounds([row], [form.row_lower[row]], [form.row_upper[row]])
        session.set_basis(basis)
        quotients.append(direction * (moved.objective - base.objective) / step)
    return quotients[0], quotients[1]


def random_model(seed: int) -> om.Model:
    rng = np.random.default_rng(seed)
    m = om.Model(f"random{seed}")
    item = om.Dim("item", 6)
    host = om.Dim("host", ["h1", "h2", "h3"])
    x = m.add_variables("x", dims=(item, host), ub=3)
    m.add_constraints("demand", x.sum("host") >= om.data(rng.uniform(0.5, 1.5, 6), dims=item))
    mem = m.add_resource("memory", unit="GiB", capacity=om.data(rng.uniform(3, 6, 3), dims=host))
    mem.add_usage((om.data(rng.uniform(0.5, 2, (6, 3)), dims=(item, host)) * x).sum("item"))
    m.minimize((om.data(rng.uniform(1, 5, (6, 3)), dims=(item, host)) * x).sum())
    return m


@pytest.mark.parametrize("build", [lambda: wyndor()[0], lambda: wyndor(True)[0], lambda: dakota()[0],
                                   lambda: random_model(1), lambda: random_model(2)],
                         ids=["wyndor", "wyndor-degenerate", "dakota", "random1", "random2"])
def test_every_shadow_price_matches_finite_differences(build: object) -> None:
    model = build()  # type: ignore[operator]
    report = sensitivity_report(model)
    form = model.to_standard_form()
    for row in range(form.num_rows):
        record = report.constraints.iloc[row]
        left, right = finite_difference(form, row, 1e-6)
        assert left == pytest.approx(record["dual_left"], abs=1e-5), record["name"]
        assert right == pytest.approx(record["dual_right"], abs=1e-5), record["name"]
        if not record["one_sided"]:
            assert record["dual"] == pytest.approx(left, abs=1e-5)


def test_rhs_range_of_a_slack_ge_row_ends_at_its_activity() -> None:
    m = om.Model()
    x = m.add_variable("x")
    y = m.add_variable("y")
    m.add_constraint("need", x + y >= 4)
    m.add_constraint("floor", x >= 0.5)
    m.add_constraint("cap", x <= 10)
    m.minimize(2 * x + 3 * y)
    report = m.solve().sensitivity()
    floor = report.constraint("floor")
    assert floor["activity"] == 4.0 and floor["rhs_lower"] == -math.inf and floor["rhs_upper"] == 4.0
    need = report.constraint("need")
    assert need["dual"] == 2.0 and need["rhs_lower"] == pytest.approx(0.5) and need["rhs_upper"] == 10.0
    assert report.constraint("cap")["rhs_lower"] == 4.0 and report.constraint("cap")["rhs_upper"] == math.inf


def test_json_layout_names_scalar_rows_and_uses_null_for_infinity() -> None:
    model = random_model(4)
    data = json.loads(sensitivity_report(model).to_json())
    assert set(data) >= {"objective", "variables", "constraints"}
    assert set(data["variables"][0]) >= {"name", "value", "reduced_cost", "cost", "cost_lower", "cost_upper"}
    assert set(data["constraints"][0]) >= {"name", "activity", "dual", "rhs", "rhs_lower", "rhs_upper",
                                           "dual_left", "dual_right", "degenerate"}
    names = [entry["name"] for entry in data["constraints"]]
    assert "memory[h1]" in names and "demand[0]" in names and len(names) == 9
    assert any(entry["rhs_upper"] is None for entry in data["constraints"])
    assert "x[0,h1]" in [entry["name"] for entry in data["variables"]]


def test_milp_reports_on_the_lp_with_integers_fixed() -> None:
    m = om.Model("knapsack")
    item = om.Dim("item", ["a", "b", "c"])
    x = m.add_variables("x", dims=item, binary=True)
    y = m.add_variable("y", ub=10)
    m.add_constraint("weight", (om.data([2, 3, 1], dims=item) * x).sum() + y <= 5.5)
    m.maximize((om.data([5, 4, 3], dims=item) * x).sum() + 0.5 * y)
    result = m.solve()
    report = result.sensitivity()
    assert any("integer variables fixed" in note for note in report.notes)
    assert report.objective == pytest.approx(result.objective)
    assert report.constraint("weight")["dual"] == pytest.approx(0.5)


def test_mps_file_and_model_give_the_same_report(tmp_path: Path) -> None:
    model, _ = dakota()
    path = tmp_path / "dakota.mps"
    model.to_mps(path)
    from_file = sensitivity_report(AnalysisModel.load(path))
    from_model = sensitivity_report(model)
    assert from_file.objective == pytest.approx(from_model.objective)
    assert from_file.constraints["rhs_lower"].tolist() == pytest.approx(from_model.constraints["rhs_lower"].tolist())
    assert from_file.constraints["name"].tolist() == ["lumber", "finishing", "carpentry", "demand"]


def test_infeasible_model_has_no_report() -> None:
    m = om.Model()
    x = m.add_variable("x", ub=1)
    m.add_constraint("need", x >= 2)
    m.minimize(x)
    with pytest.raises(om.SensitivityError, match="infeasible"):
        m.solve().sensitivity()
