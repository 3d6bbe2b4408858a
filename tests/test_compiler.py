"""The compiler: the column-wise fast path and the row-wise path give the same standard form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opt_model as om
from opt_model import compiler


def _dense_rowwise(model: om.Model) -> np.ndarray:
    blocks = [(block, False) for block in model.constraints.values()]
    blocks += [(om.ConstraintBlock(r.name, r.constraint_expression()), True) for r in model.resources.values()]
    rows = sum(block.size for block, _ in blocks)
    return compiler._rowwise(blocks, rows, model.num_cols).toarray()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 5), seed=st.integers(0, 10_000), transpose=st.booleans())
def test_columnwise_matches_rowwise(n: int, m: int, seed: int, transpose: bool) -> None:
    rng = np.random.default_rng(seed)
    task = om.Dim("task", n)
    host = om.Dim("host", m)
    model = om.Model()
    x = model.add_variables("x", dims=(task, host))
    y = model.add_variables("y", dims=host)
    model.add_constraints("assign", x.sum("host") == 1)
    usage = rng.uniform(0.5, 2.0, (m, n) if transpose else (n, m))
    dims = (host, task) if transpose else (task, host)
    model.add_constraints("cap", (om.data(usage, dims=dims) * x).sum("task") - y <= 3)
    model.add_constraints("ybound", y <= 5)
    form = model.compile().form
    assert form.A.format == "csc"  # the fast path applies to this shape of model
    assert form.A.toarray() == pytest.approx(_dense_rowwise(model))


def test_general_path_for_overlapping_terms() -> None:
    host = om.Dim("host", ["a", "b", "c"])
    model = om.Model()
    x = model.add_variables("x", dims=host, ub=4)
    model.add_constraints("total", x.sum() <= 6)
    model.add_constraints("double", 2 * x + x <= 9)  # x appears twice per row: merged by the row-wise path
    form = model.compile().form
    assert form.A.format == "csr"
    assert form.A.toarray() == pytest.approx(np.array([[1.0, 1, 1], [3, 0, 0], [0, 3, 0], [0, 0, 3]]))
    model.maximize(x.sum())
    assert model.solve().objective == pytest.approx(6.0)


def test_compile_keeps_names_and_bounds() -> None:
    task = om.Dim("task", ["a", "b"])
    model = om.Model()
    x = model.add_variables("x", dims=task, lb=om.data([1, 2], dims=task), ub=5, integer=True)
    model.add_constraints("total", x.sum() <= 8)
    form = model.compile().form
    assert form.column_names().names() == ["x[a]", "x[b]"]
    assert form.constraint_names().names() == ["total"]
    assert form.col_lower.tolist() == [1.0, 2.0]
    assert form.integrality is not None and form.integrality.tolist() == [1, 1]
    assert form.problem_class.value == "MILP"


def test_compiled_form_holds_the_model_once_and_read_only() -> None:
    """After compile, coefficients and bounds are views of the form's (read-only) arrays, values unchanged."""
    rng = np.random.default_rng(3)
    task, machine = om.Dim("task", 6), om.Dim("machine", 3)
    m = om.Model("alloc")
    x = m.add_variables("x", dims=(task, machine), lb=0, ub=1)
    m.add_constraints("assign", x.sum("machine") == 1)
    use = rng.uniform(0.5, 2.0, (6, 3))
    cpu = m.add_resource("cpu", capacity=om.data(np.full(3, 5.0), dims=machine))
    cpu.add_usage((om.data(use, dims=(task, machine)) * x).sum("task"))
    cost = rng.uniform(1, 10, (6, 3))
    m.minimize((om.data(cost, dims=(task, machine)) * x).sum())
    before_usage = np.array(cpu.usage.coeffs)
    first = m.compile().form
    assert np.shares_memory(cpu.usage.coeffs, first.A.data)
    assert np.shares_memory(x.lower, first.col_lower)
    np.testing.assert_array_equal(cpu.usage.coeffs, before_usage)
    for array in (first.c, first.A.data, first.col_lower):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 99.0
    second = m.compile().form  # compiling again from the views gives the same arrays
    np.testing.assert_array_equal(second.A.toarray(), first.A.toarray())
    np.testing.assert_array_equal(second.c, first.c)
    result = m.solve()
    assert result.status.value == "optimal"
    assert result.objective == pytest.approx(float((cost * result.value(x).values).sum()))
    np.testing.assert_allclose(result.value(cpu.usage).values, (use * result.value(x).values).sum(axis=0))
