"""Models from MPS files and Pyomo models, and back to Pyomo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import opt_model as om
from tests.conftest import netlib_optima
from tests.textbook import dakota, wyndor

pyo = pytest.importorskip("pyomo.environ")


def test_read_mps_keeps_names_and_duals(tmp_path: Path) -> None:
    model, _ = wyndor()
    path = tmp_path / "wyndor.mps"
    model.to_mps(path)
    imported = om.Model.read(path)
    result = imported.solve()
    assert result.objective == pytest.approx(36.0)
    assert result.value("x").to_dict() == pytest.approx({"x1": 2.0, "x2": 6.0})
    assert result.variable_values() == pytest.approx({"x1": 2.0, "x2": 6.0})
    assert imported.compile().form.constraint_names().names() == ["plant1", "plant2", "plant3"]
    assert result.dual("row").to_dict() == pytest.approx({"plant1": 0.0, "plant2": 1.5, "plant3": 1.0})


def test_round_trip_of_structured_model_keeps_blocks() -> None:
    model, _ = dakota()
    again = om.Model.from_standard_form(model.compile().form)
    assert set(again.variables) == {"x"} and set(again.constraints) == {"lumber", "finishing", "carpentry", "demand"}
    result = again.solve()
    assert result.objective == pytest.approx(280.0)
    assert result.reduced_cost("x")["tables"] == pytest.approx(-5.0)


def test_mixed_integrality_is_kept() -> None:
    m = om.Model()
    x = m.add_variable("x", ub=3.5, integer=True)
    y = m.add_variable("y", ub=0.5)
    m.maximize(x + y)
    form = m.compile().form
    merged = om.Model.from_standard_form(form)
    assert merged.solve().objective == pytest.approx(3.5)


def test_from_pyomo_matches_pyomo_model() -> None:
    p = pyo.ConcreteModel()
    p.I = pyo.Set(initialize=["a", "b", "c"])
    p.x = pyo.Var(p.I, domain=pyo.NonNegativeReals)
    weights = {"a": 3.0, "b": 2.0, "c": 4.0}
    p.cap = pyo.Constraint(expr=sum(weights[i] * p.x[i] for i in p.I) <= 12)
    p.each = pyo.Constraint(p.I, rule=lambda mdl, i: mdl.x[i] <= 2)
    p.obj = pyo.Objective(expr=5 * p.x["a"] + 3 * p.x["b"] + 6 * p.x["c"], sense=pyo.maximize)
    model = om.Model.from_pyomo(p)
    result = model.solve()
    # greedy by value/weight: a (5/3) then b (3/2) then c (6/4): a=2 (6), b=2 (4), c=0.5 (2) -> 10 + 6 + 3
    assert result.objective == pytest.approx(19.0)
    values = result.variable_values()
    assert values["x[a]"] == pytest.approx(2.0)
    assert result.dual("row").values.max() > 0


def test_to_pyomo_solves_to_the_same_optimum() -> None:
    model, _ = dakota()
    pyomo_model = model.to_pyomo()
    assert isinstance(pyomo_model, pyo.ConcreteModel)
    back = om.Model.from_pyomo(pyomo_model)
    assert back.solve().objective == pytest.approx(280.0)


def test_quadratic_objective_survives_import() -> None:
    m = om.Model("qp")
    x = m.add_variable("x", lb=None)
    y = m.add_variable("y", lb=None)
    m.add_constraint("budget", x + y <= 2)
    m.minimize(x * x - 2 * x + y * y - 4 * y + 5)
    again = om.Model.from_standard_form(m.compile().form)
    assert again.solve().objective == pytest.approx(0.5, abs=1e-7)


def test_netlib_through_model_layer() -> None:
    optima = netlib_optima()
    if not optima:
        pytest.skip("netlib not present")
    from tests.conftest import NETLIB
    for name in ("afiro", "sc50a", "adlittle"):
        result = om.Model.read(NETLIB / f"{name}.mps").solve()
        assert result.objective == pytest.approx(optima[name], rel=1e-6)
        assert np.isfinite(result.dual("row").values).all()
