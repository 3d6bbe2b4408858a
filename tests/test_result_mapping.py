"""Mapping a backend's arrays back to names, statuses and signs, with a scripted backend (no solver involved).

:class:`solvers.testing.MockBackend` answers with arrays the test chooses, so every number the
Result reports can be traced to a known position: values by labels, duals and reduced costs by
block, activities computed from x when the backend gives none, and non-optimal statuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pytest

import opt_model as om
from solvers import BackendResult, SolveStatus, StandardForm, register, unregister
from solvers.testing import MockBackend

TASK = ["etl", "train", "serve"]
HOST = ["h1", "h2"]


@pytest.fixture
def mock() -> Iterator[type[MockBackend]]:
    class Scripted(MockBackend):
        received: ClassVar[list[StandardForm]] = []

    register("mock", Scripted)
    try:
        yield Scripted
    finally:
        unregister("mock")


def placement() -> om.Model:
    m = om.Model("placement")
    task, host = om.Dim("task", TASK), om.Dim("host", HOST)
    x = m.add_variables("x", dims=(task, host), lb=0, ub=1)
    m.add_constraints("assign", x.sum("host") == 1)
    mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 32, "h2": 64}, dims=host))
    mem.add_usage((om.data([[8, 8], [48, 48], [16, 16]], dims=(task, host), name="need") * x).sum("task"))
    m.minimize((om.data([[1, 2], [3, 4], [2, 1]], dims=(task, host), name="price") * x).sum())
    return m


def test_values_duals_and_reduced_costs_map_to_their_labels(mock: type[MockBackend]) -> None:
    positions = np.arange(6, dtype=float)  # x[etl,h1]=0, x[etl,h2]=1, ..., x[serve,h2]=5
    duals = np.array([10.0, 11.0, 12.0, 20.0, 21.0])  # assign[etl..serve], memory[h1], memory[h2]
    mock.script = staticmethod(lambda form: BackendResult(  # type: ignore[assignment]
        SolveStatus.OPTIMAL, "mock", objective=42.0, x=positions.copy(), row_dual=duals.copy(),
        reduced_cost=-positions.copy()))
    result = placement().solve("mock")
    form = mock.received[-1]
    assert (form.num_cols, form.num_rows) == (6, 5)
    assert result.objective == 42.0 and result.solver == "mock"
    values = result.value("x")
    assert float(values.sel(task="train", host="h2").values) == 3.0
    assert float(values.sel(task="serve", host="h1").values) == 4.0
    assert result.dual("assign").values.tolist() == [10.0, 11.0, 12.0]
    assert float(result.dual("memory").sel(host="h2").values) == 21.0
    assert float(result.reduced_cost("x").sel(task="etl", host="h2").values) == -1.0
    # no activity from the backend: computed from x through the compiled matrix
    expected = form.A @ positions
    np.testing.assert_allclose(result.activity("memory").values, expected[3:])
    assert result.activity("assign").values.tolist() == [1.0, 5.0, 9.0]


def test_a_limit_keeps_the_incumbent_apart_from_the_optimum(mock: type[MockBackend]) -> None:
    mock.script = staticmethod(lambda form: BackendResult(  # type: ignore[assignment]
        SolveStatus.TIME_LIMIT, "mock", objective=7.0, x=np.ones(form.num_cols), mip_bound=5.0))
    result = placement().solve("mock")
    assert result.objective is None and result.incumbent_objective == 7.0 and result.best_bound == 5.0
    with pytest.raises(om.SolverError, match="incumbent=True"):
        result.value("x")
    assert result.value("x", incumbent=True).values.sum() == 6.0


def test_no_solution_and_no_duals_are_errors_that_say_why(mock: type[MockBackend]) -> None:
    mock.script = staticmethod(lambda form: BackendResult(  # type: ignore[assignment]
        SolveStatus.INFEASIBLE, "mock", message="rows 1 and 2 conflict"))
    result = placement().solve("mock")
    assert result.objective is None and not result.has_solution
    with pytest.raises(om.SolverError, match=r"infeasible.*rows 1 and 2 conflict"):
        result.value("x")
    mock.script = staticmethod(lambda form: BackendResult(  # type: ignore[assignment]
        SolveStatus.OPTIMAL, "mock", objective=1.0, x=np.zeros(form.num_cols)))
    with pytest.raises(om.SolverError, match="solver mock does not report them"):
        placement().solve("mock").dual("assign")
