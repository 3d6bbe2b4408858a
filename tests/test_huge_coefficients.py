"""Coefficients the solvers cannot take are refused by the Python API with a name (issue 12).

HiGHS reads a cost from 1e20 as infinite (the model came back "optimal" with an infinite objective) and
refuses matrix entries from 1e15 without saying which; specs and model files refuse them at their line,
and ``Model.solve`` names the constraint or the objective.
"""
from __future__ import annotations

import pytest

import opt_model as om
from opt_model.errors import ModelError

HUGE = [1e15, -3e16, 1e25]  # (inf and NaN are refused earlier, by the data layer)


ITEMS = om.Dim("item", ["a", "b", "c"])


def _model() -> tuple[om.Model, om.Variable]:
    model = om.Model("huge")
    return model, model.add_variables("x", dims=[ITEMS], lb=0, ub=1)


def _per_item(values: list[float]) -> om.LabeledArray:
    return om.data(dict(zip(ITEMS.labels, values, strict=True)), dims=ITEMS)


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_objective_coefficient_is_refused_naming_the_objective(value: float) -> None:
    model, x = _model()
    model.maximize((x * _per_item([1.0, value, 2.0])).sum())
    with pytest.raises(ModelError, match=r"the objective: coefficient .* \(term 1\) must be finite and smaller"):
        model.solve()


@pytest.mark.parametrize("value", HUGE)
def test_a_huge_matrix_coefficient_is_refused_naming_the_constraint_and_entry(value: float) -> None:
    model, x = _model()
    model.add_constraints("cap", x * _per_item([1.0, 2.0, value]) <= 5)
    model.maximize(x.sum())
    with pytest.raises(ModelError, match=r"constraint cap: coefficient .* \(entry 2, term 0\)"):
        model.solve()


def test_large_coefficients_below_the_limit_and_huge_bounds_still_solve() -> None:
    model, x = _model()
    model.add_constraints("cap", x * 1e14 <= 1e30)
    model.maximize(x.sum() * 9.9e14)
    result = model.solve()
    assert result.status.is_optimal
    assert result.objective == pytest.approx(3 * 9.9e14)
