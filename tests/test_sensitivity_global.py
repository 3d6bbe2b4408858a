"""Global sensitivity (SALib): known indices of an additive model; failed scenarios are reported."""

from __future__ import annotations

import numpy as np
import pytest

import opt_model as om
from opt_model.sensitivity.global_sa import morris, sobol
from opt_model.sensitivity.outputs import utilisation
from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity

pytest.importorskip("SALib")


def additive() -> tuple[om.Model, list[Uncertain]]:
    """Optimum = b1 + 2 b2 (the shared row x1 + x2 <= b3 never binds)."""
    m = om.Model("additive")
    x1 = m.add_variable("x1")
    x2 = m.add_variable("x2")
    m.add_constraint("a", x1 <= 1)
    m.add_constraint("b", x2 <= 1)
    m.add_constraint("shared", x1 + x2 <= 20)
    m.maximize(x1 + 2 * x2)
    params = [Uncertain(capacity("a"), Uniform(1, 2), name="b1"), Uncertain(capacity("b"), Uniform(1, 2), name="b2"),
              Uncertain(capacity("shared"), Uniform(10, 20), name="b3")]
    return m, params


def test_sobol_indices_of_an_additive_model() -> None:
    model, params = additive()
    result = sobol(model, params, base_samples=512, seed=1, outputs=[utilisation("a")], progress=False)
    assert result.valid and result.failed.empty
    assert result.scenarios == 512 * (3 + 2)
    s = result.indices["objective"]
    # Var(b1) : Var(2 b2) = 1 : 4, no interactions, b3 inert
    assert s.loc["b1", "S1"] == pytest.approx(0.2, abs=0.05) and s.loc["b2", "S1"] == pytest.approx(0.8, abs=0.05)
    assert s.loc["b1", "ST"] == pytest.approx(0.2, abs=0.05) and s.loc["b2", "ST"] == pytest.approx(0.8, abs=0.05)
    assert abs(s.loc["b3", "S1"]) < 0.02 and abs(s.loc["b3", "ST"]) < 0.02
    assert result.ranking() == ["b2", "b1", "b3"]
    # row "a" stays full whatever its capacity: its utilisation does not vary
    assert (result.indices["utilisation of a"][["S1", "ST"]].to_numpy() == 0).all()
    objective = result.results.objective
    values = result.results.factor_values
    assert objective == pytest.approx(values[:, 0] + 2 * values[:, 1])


def test_morris_elementary_effects_are_the_slopes() -> None:
    model, params = additive()
    result = morris(model, params, trajectories=6, levels=4, seed=2, progress=False)
    mu_star = result.indices["objective"]["mu_star"]
    # per unit of quantile: d(b1 + 2 b2)/du = 1 * (2 - 1) for b1, 2 * (2 - 1) for b2 (up to the unit clipping)
    assert mu_star["b1"] == pytest.approx(1.0, rel=0.01) and mu_star["b2"] == pytest.approx(2.0, rel=0.01)
    assert mu_star["b3"] == 0.0
    assert result.indices["objective"]["sigma"].max() < 1e-6


def test_failed_scenarios_are_recorded_and_invalidate_sobol() -> None:
    m = om.Model()
    x = m.add_variable("x", ub=10)
    m.add_constraint("floor", x >= 4)
    m.add_constraint("cap", x <= 6)
    m.minimize(x)
    params = [Uncertain(capacity("cap"), Uniform(2, 8)), Uncertain(capacity("floor"), Uniform(3, 5))]
    result = sobol(m, params, base_samples=64, progress=False)
    assert not result.valid and result.indices == {}
    values = result.results.factor_values
    expected = np.flatnonzero(values[:, 0] < values[:, 1])
    assert result.failed["scenario"].tolist() == expected.tolist()
    assert set(result.failed["status"]) == {"infeasible"}
    assert "holes" in result.notes[0]
    screened = morris(m, params, trajectories=20, seed=3, progress=False)
    assert not screened.failed.empty and "trajectories contain scenarios without an optimum" in screened.notes[0]


def test_sobol_needs_a_power_of_two() -> None:
    model, params = additive()
    with pytest.raises(om.ModelError, match="power of 2"):
        sobol(model, params, base_samples=100, progress=False)
