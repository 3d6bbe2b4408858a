"""Building a model does not copy its data until compile, and compile copies it exactly once.

Fresh pages are most of the cost of a 10M-variable build (benchmarks/build_overhead.py), so
``data * x`` references the data and the compiled form owns the only copy.
"""

from __future__ import annotations

import numpy as np
import pytest

import opt_model as om


def _allocation(use: np.ndarray, cost: np.ndarray, lb: float | None = 0.0) -> tuple[om.Model, om.Variable]:
    n, m = cost.shape
    task, machine = om.Dim("task", n), om.Dim("machine", m)
    model = om.Model("alloc")
    x = model.add_variables("x", dims=(task, machine), lb=lb, ub=1)
    model.add_constraints("assign", x.sum("machine") == 1)
    cpu = model.add_resource("cpu", capacity=om.data(np.full(m, 0.8 * n), dims=machine))
    cpu.add_usage((om.data(use, dims=(task, machine)) * x).sum("task"))
    model.minimize((om.data(cost, dims=(task, machine)) * x).sum())
    return model, x


def test_data_times_variable_references_the_data_read_only() -> None:
    rng = np.random.default_rng(0)
    use = rng.uniform(0.5, 2.0, (5, 3))
    task, machine = om.Dim("task", 5), om.Dim("machine", 3)
    model = om.Model()
    x = model.add_variables("x", dims=(task, machine))
    product = om.data(use, dims=(task, machine)) * x
    assert np.shares_memory(product.coeffs, use)
    np.testing.assert_array_equal(product.coeffs[..., 0], use)
    with pytest.raises(ValueError, match="read-only"):
        product.coeffs[0, 0, 0] = 5.0
    transposed = om.data(use.T.copy(), dims=(machine, task)) * x  # aligned to x's dims: a transposed view
    np.testing.assert_array_equal(transposed.coeffs[..., 0], use)
    scaled = om.data(use, dims=(task, machine)) * (2 * x)  # coefficients other than ones are multiplied
    assert not np.shares_memory(scaled.coeffs, use)
    np.testing.assert_array_equal(scaled.coeffs[..., 0], 2 * use)
    twice = om.data(use, dims=(task, machine)) * product  # and so is a product of a product
    np.testing.assert_array_equal(twice.coeffs[..., 0], use * use)


def test_compiled_form_owns_its_copy_of_the_data() -> None:
    rng = np.random.default_rng(1)
    use, cost = rng.uniform(0.5, 2.0, (6, 4)), rng.uniform(1.0, 10.0, (6, 4))
    model, x = _allocation(use, cost)
    form = model.compile().form
    for array in (form.A.data, form.c, form.col_lower, form.col_upper):
        assert not np.shares_memory(array, use) and not np.shares_memory(array, cost)
    np.testing.assert_array_equal(form.c, cost.ravel())
    dense = form.A.toarray()
    for j in range(4):  # row of machine j holds use[:, j] in the columns x[:, j]
        np.testing.assert_array_equal(dense[6 + j].reshape(6, 4)[:, j], use[:, j])
    use[:] = 100.0  # changing the data after compile changes nothing compiled or solved
    cost[:] = -1.0
    np.testing.assert_array_equal(form.A.toarray(), dense)
    result = model.solve()
    assert result.status.value == "optimal" and result.objective > 0


def test_data_changed_before_compile_is_what_compiles() -> None:
    """The expression reads its data array (as a numpy view does) until the model is compiled."""
    use, cost = np.ones((4, 2)), np.full((4, 2), 3.0)
    model, _ = _allocation(use, cost)
    cost[:, 1] = 1.0
    form = model.compile().form
    np.testing.assert_array_equal(form.c.reshape(4, 2), [[3.0, 1.0]] * 4)


@pytest.mark.parametrize(("lb", "expected"),
                         [(0.0, 0.0), (None, -np.inf), (-0.0, -0.0), (0.5, 0.5), (-np.inf, -np.inf)])
def test_column_lower_bounds_exact(lb: float | None, expected: float) -> None:
    model, x = _allocation(np.ones((3, 2)), np.ones((3, 2)), lb=lb)
    y = model.add_variables("y", dims=om.Dim("k", 2), lb=om.data([-1.0, 0.0], dims=om.Dim("k", 2)))
    model.add_constraints("ycap", y <= 4)
    form = model.compile().form
    lower = form.col_lower[:6]
    assert (lower == expected).all() and (np.signbit(lower) == np.signbit(expected)).all()
    assert form.col_lower[6:].tolist() == [-1.0, 0.0]
    np.testing.assert_array_equal(x.lower, np.full((3, 2), expected))


def test_column_ranges_known_only_for_contiguous_views_of_a_block_s_indices() -> None:
    from opt_model.variables import column_range_start

    model = om.Model()
    model.add_variables("y", dims=om.Dim("k", 3))
    x = model.add_variables("x", dims=(om.Dim("task", 4), om.Dim("machine", 5)))
    with pytest.raises(ValueError, match="read-only"):
        x.indices[0, 0] = 7
    assert column_range_start(x.indices) == 3
    assert column_range_start(x.indices[2:]) == 13
    assert column_range_start(x.indices[..., None]) == 3
    assert column_range_start(x.indices.T) is None  # transposed: not in C order
    assert column_range_start(x.indices[:, 1:]) is None  # strided
    assert column_range_start(np.arange(3, 23, dtype=np.int32)) is None  # equal values, but not known unread
    assert column_range_start(x.indices.copy()) is None
