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


def _priced_model() -> om.Model:
    host = om.Dim("host", ["h1", "h2"])
    model = om.Model()
    x = model.add_variables("x", dims=host, ub=10)
    memory = model.add_resource("memory", unit="GiB", capacity=om.data({"h1": 4, "h2": 8}, dims=host),
                                price=om.data({"h1": 2.0, "h2": 3.0}, dims=host))
    memory.add_usage(2 * x)
    model.add_constraint("total", x.sum() >= 1)
    model.maximize(x.sum())
    return model


def test_one_compiled_type_and_one_name_block_type() -> None:
    """The analysis model and the row blocks of the compiler are the same classes as the core's."""
    from opt_model.sensitivity import AnalysisModel, Group
    from solvers import NameBlock

    assert AnalysisModel is compiler.CompiledModel and Group is NameBlock and compiler.RowBlock is NameBlock


def test_compiled_blocks_carry_kind_unit_sense_and_price() -> None:
    compiled = _priced_model().compile()
    by_name = {block.name: block for block in compiled.row_blocks}
    memory, total = by_name["memory"], by_name["total"]
    assert (total.kind, total.sense, total.unit, total.price) == ("constraint", ">=", "", None)
    assert (memory.kind, memory.unit, memory.is_resource) == ("resource", "GiB", True)
    assert memory.price is not None and memory.price.tolist() == [2.0, 3.0]
    assert [block.kind for block in compiled.col_blocks] == ["variable"]
    assert compiled.row_price is not None
    assert np.isnan(compiled.row_price[0]) and compiled.row_price[1:].tolist() == [2.0, 3.0]
    assert compiled.is_resource_row().tolist() == [False, True, True]
    assert compiled.row_indices("memory", {"host": "h2"}).tolist() == [2]
    assert compiled.row_block(2).label_text(2 - memory.start) == "h2"
    assert set(compiled.rows) == {"total", "memory"}


def test_analysis_of_a_result_uses_the_result_s_own_compiled_model() -> None:
    """No second compile on the way from a result to its analysis."""
    from opt_model.sensitivity.problem import as_analysis_model

    result = _priced_model().solve()
    assert as_analysis_model(result) is result.compiled
    assert as_analysis_model(result, "USD").objective_unit == "USD"
    assert result.compiled.objective_unit == ""


def test_hold_rows_of_a_lexicographic_solve_are_not_model_rows() -> None:
    model = om.Model()
    x = model.add_variable("x", ub=4)
    y = model.add_variable("y", ub=4)
    model.add_constraint("budget", x + y <= 5)
    model.objectives.add(x, "maximize", name="first", tolerance=0.25)
    model.objectives.add(y, "maximize", name="second")
    result = model.solve()
    assert set(result.compiled.rows) == {"budget"}
    assert [block.name for block in result.compiled.row_blocks] == ["budget", "hold_first"]
    assert result.dual("budget") == pytest.approx(result.backend.row_dual[0])
