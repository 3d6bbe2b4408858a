"""Modeling API: alignment, arithmetic, selections, and every bad-input path."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import opt_model as om

TASK = om.Dim("task", ["etl", "train", "serve"])
HOST = om.Dim("host", ["h1", "h2"])


def placement() -> tuple[om.Model, om.Variable]:
    m = om.Model("placement")
    x = m.add_variables("x", dims=(TASK, HOST), ub=1)
    return m, x


def test_issue_example_end_to_end() -> None:
    m, x = placement()
    m.add_constraints("assign", x.sum("host") == 1)
    need = om.data({"etl": 8, "train": 48, "serve": 16}, dims=TASK, name="mem_need").expand(HOST)
    mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 32, "h2": 64}, dims=HOST))
    mem.add_usage((need * x).sum("task"))
    price = om.data({("etl", "h1"): 1, ("etl", "h2"): 2, ("train", "h1"): 3, ("train", "h2"): 4,
                     ("serve", "h1"): 2, ("serve", "h2"): 1}, dims=(TASK, HOST), name="price")
    m.minimize((price * x).sum())
    result = m.solve()
    # hand solution: etl->h1, serve->h2, train split 0.5/0.5 (h1 has 24 GiB left): 1 + 3.5 + 1
    assert result.objective == pytest.approx(5.5)
    assert result.value(x).sel(task="train").values == pytest.approx([0.5, 0.5])
    assert result.usage("memory").values == pytest.approx([32.0, 40.0])
    assert result.dual("memory")["h1"] == pytest.approx(-1.0 / 48.0)
    table = result.resource_table()
    assert list(table["utilisation_pct"]) == pytest.approx([100.0, 62.5])
    frame = result.to_pandas()
    assert len(frame) == 6 and set(frame.columns) >= {"variable", "index", "value", "reduced_cost"}
    assert result.value(x).to_pandas().loc[("train", "h2")] == pytest.approx(0.5)


def test_transposed_operands_align_by_name() -> None:
    m, x = placement()
    cost = om.data(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), dims=(HOST, TASK))
    expr = (cost * x).sum("host")
    assert [d.name for d in expr.dims] == ["task"]
    m.add_constraints("assign", x.sum("host") == 1)
    m.minimize((cost * x).sum())
    assert m.solve().objective == pytest.approx(1 + 2 + 3)


def test_mismatched_dims_raise_naming_both_sides() -> None:
    m, x = placement()
    other = om.Dim("host", ["h1", "h3"])
    with pytest.raises(om.ModelError, match=r"dimension 'host' has labels \[h1, h2\].*\[h1, h3\]"):
        _ = x + om.data([1, 2], dims=other).expand(TASK)
    with pytest.raises(om.ModelError, match=r"expression\(task, host\) of x.*expression\(host\) of y"):
        _ = x + m.add_variables("y", dims=HOST)
    with pytest.raises(om.ModelError, match="dimensions differ"):
        _ = om.data([1, 2, 3], dims=TASK) * x


def test_scalar_broadcast_only_for_numbers() -> None:
    m, x = placement()
    y = m.add_variable("y")
    assert (x + 2).shape == (3, 2)
    with pytest.raises(om.ModelError, match="expand"):
        _ = x + y
    assert (x + y.expand(TASK, HOST)).to_expr().nterm == 2


def test_duplicate_terms_are_merged_when_compiled() -> None:
    m = om.Model()
    x = m.add_variables("x", dims=HOST, ub=10)
    m.add_constraints("twice", x + x <= om.data([4, 6], dims=HOST))
    m.maximize(x.sum() + x.sum())
    form = m.compile().form
    assert form.A.toarray() == pytest.approx(np.array([[2.0, 0.0], [0.0, 2.0]]))
    assert form.c == pytest.approx([2.0, 2.0])
    assert m.solve().objective == pytest.approx(10.0)


def test_selection_and_scalar_indexing() -> None:
    m, x = placement()
    assert x["etl", "h1"].shape == ()
    assert x.sel(host=["h2"]).shape == (3, 1)
    with pytest.raises(om.ModelError, match="'h9' is not a label of dimension 'host'"):
        x.sel(host="h9")
    with pytest.raises(om.ModelError, match="no dimension 'hots'"):
        x.sel(hots="h1")
    with pytest.raises(om.ModelError, match="needs 2 labels"):
        _ = x["etl"]


def test_sum_over_unknown_dim() -> None:
    _, x = placement()
    with pytest.raises(om.ModelError, match=r"cannot sum over \['hots'\]"):
        x.sum("hots")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_coefficients_name_the_entry(bad: float) -> None:
    _, x = placement()
    values = np.ones((3, 2))
    values[1, 0] = bad
    with pytest.raises(om.ModelError, match=r"coefficient need\[task=train, host=h1\] is (nan|inf|-inf)"):
        _ = om.data(values, dims=(TASK, HOST), name="need") * x


def test_non_finite_rhs_and_bounds() -> None:
    m, x = placement()
    cap = np.array([1.0, np.nan])
    with pytest.raises(om.ModelError, match=r"right-hand side\[host=h2\].*nan"):
        m.add_constraints("cap", x.sum("task") <= om.data(cap, dims=HOST))
    with pytest.raises(om.ModelError, match=r"right-hand side\[host=h1\] of a '==' constraint.*inf"):
        m.add_constraints("eq", x.sum("task") == om.data([np.inf, 1.0], dims=HOST))
    with pytest.raises(om.ModelError, match="lower bound of z is NaN"):
        m.add_variable("z", lb=math.nan)
    with pytest.raises(om.ModelError, match=r"lower bound 2.0 above upper bound 1.0"):
        m.add_variable("w", lb=2, ub=1)
    # +inf on a <= row means "no limit" and is accepted
    m.add_constraints("loose", x.sum("task") <= om.data([np.inf, 1.0], dims=HOST))
    with pytest.raises(om.ModelError, match=r"lower bound 3\.0 above upper bound 1\.0"):
        x.sum().between(3, 1)


def test_names_must_be_unique_and_valid() -> None:
    m, _ = placement()
    with pytest.raises(om.ModelError, match="already used by a variable"):
        m.add_variables("x", dims=HOST)
    with pytest.raises(om.ModelError, match="is not valid"):
        m.add_variable("bad name")


def test_chained_comparison_gives_clear_error() -> None:
    _, x = placement()
    with pytest.raises(om.ModelError, match="between"):
        _ = 0 <= x.sum() <= 1  # type: ignore[operator]


def test_constraint_must_be_a_comparison() -> None:
    m, x = placement()
    with pytest.raises(om.ModelError, match="must be a comparison"):
        m.add_constraints("c", x.sum())  # type: ignore[arg-type]


def test_variables_of_another_model_rejected() -> None:
    m1, x = placement()
    m2 = om.Model()
    y = m2.add_variables("x", dims=(TASK, HOST))
    with pytest.raises(om.ModelError, match="different models"):
        _ = x + y
    with pytest.raises(om.ModelError, match="another model"):
        m2.add_constraints("c", x.sum() <= 1)


def test_objective_must_be_scalar() -> None:
    m, x = placement()
    with pytest.raises(om.ModelError, match="must be a scalar"):
        m.minimize(x.sum("task"))


def test_quadratic_constraint_rejected() -> None:
    m, x = placement()
    with pytest.raises(om.ModelError, match="quadratic constraints are not supported"):
        _ = x * x <= 1


def test_division_and_power() -> None:
    m = om.Model()
    x = m.add_variable("x", ub=4)
    assert (x / 2).to_expr().coeffs.item() == 0.5
    with pytest.raises(om.ModelError, match="only the power 2"):
        _ = x ** 3
    with pytest.raises(om.ModelError, match="cannot divide"):
        _ = x / x


def test_builtin_sum_and_quicksum() -> None:
    m = om.Model()
    xs = [m.add_variable(f"x{i}", ub=1) for i in range(4)]
    m.maximize(sum(xs))
    assert m.solve().objective == pytest.approx(4.0)
    assert om.quicksum(xs).nterm == 4  # type: ignore[union-attr]


def test_data_constructors() -> None:
    assert om.data(3.0).values.shape == ()
    from_list = om.data([1, 2], dims=HOST)
    from_dict = om.data({"h2": 2, "h1": 1}, dims=HOST)
    from_series = om.data(pd.Series({"h1": 1, "h2": 2}), dims=HOST)
    assert from_list.values.tolist() == from_dict.values.tolist() == from_series.values.tolist() == [1.0, 2.0]
    nested = om.data({"etl": {"h1": 1, "h2": 2}, "train": {"h1": 3, "h2": 4}, "serve": {"h1": 5, "h2": 6}},
                     dims=(TASK, HOST))
    frame = pd.DataFrame([[1, 2], [3, 4], [5, 6]], index=pd.Index(["etl", "train", "serve"], name="task"),
                         columns=pd.Index(["h1", "h2"], name="host"))
    from_frame = om.data(frame)
    assert nested.values.tolist() == from_frame.values.tolist()
    assert [d.name for d in from_frame.dims] == ["task", "host"]
    multi = pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([("a", "p"), ("b", "p")], names=["u", "v"]))
    assert om.data(multi).shape == (2, 1)


def test_data_errors() -> None:
    with pytest.raises(om.ModelError, match=r"no value for \[host=h2\]"):
        om.data({"h1": 1}, dims=HOST, name="cap")
    with pytest.raises(om.ModelError, match="'h3' is not a label"):
        om.data({"h1": 1, "h2": 2, "h3": 3}, dims=HOST, name="cap")
    with pytest.raises(om.ModelError, match="shape"):
        om.data([1, 2, 3], dims=HOST)
    with pytest.raises(om.ModelError, match="give dims"):
        om.data([1, 2])
    with pytest.raises(om.ModelError, match="repeated labels"):
        om.Dim("host", ["a", "a"])
    with pytest.raises(om.ModelError, match="no labels"):
        om.Dim("host", [])


def test_resources_price_and_provisioning() -> None:
    """Buy memory at 3/GiB or place tasks elsewhere: provisioning is a decision."""
    m = om.Model("buy")
    x = m.add_variables("x", dims=(TASK, HOST), ub=1)
    m.add_constraints("assign", x.sum("host") == 1)
    need = om.data([[8, 8], [48, 48], [16, 16]], dims=(TASK, HOST))
    mem = m.add_resource("memory", unit="GiB", dims=HOST, capacity=om.data({"h1": 32, "h2": 16}, dims=HOST),
                         provision=om.Provision(max=om.data({"h1": 0, "h2": 100}, dims=HOST), price=3.0))
    mem.add_usage((need * x).sum("task"))
    energy = m.add_resource("energy", unit="kWh", capacity=1000, dims=HOST, price=0.5)
    energy.add_usage((om.data(np.full((3, 2), 10.0), dims=(TASK, HOST)) * x).sum("task"))
    m.minimize(mem.cost() + energy.cost())
    result = m.solve()
    # 72 GiB needed: h1 holds 32, h2 16, the other 24 are bought on h2 at 3 each; energy 30 kWh at 0.5
    assert result.objective == pytest.approx(24 * 3 + 15)
    assert result.value(mem.provisioned).values == pytest.approx([0.0, 24.0])
    assert result.capacity("memory").values == pytest.approx([32.0, 40.0])
    assert result.dual("memory")["h2"] == pytest.approx(-3.0)


def test_negative_capacity_rejected() -> None:
    m = om.Model()
    with pytest.raises(om.ModelError, match=r"capacity of memory\[host=h2\] is -4.0"):
        m.add_resource("memory", capacity=om.data([8, -4], dims=HOST))
    with pytest.raises(om.ModelError, match="needs a capacity"):
        m.add_resource("cpu")


def test_usage_dims_must_match_resource() -> None:
    m, x = placement()
    mem = m.add_resource("memory", capacity=om.data([8, 4], dims=HOST))
    with pytest.raises(om.ModelError, match=r"sum it over the other dims"):
        mem.add_usage(x)


def test_result_lookups_by_name() -> None:
    m, x = placement()
    m.add_constraints("assign", x.sum("host") == 1)
    m.minimize(x.sum())
    result = m.solve()
    assert result.value("x").shape == (3, 2)
    with pytest.raises(om.ModelError, match="did you mean 'assign'"):
        result.dual("asign")
    with pytest.raises(om.ModelError, match="unknown variable 'y'"):
        result.value("y")
    assert result.activity("assign").values == pytest.approx([1.0, 1.0, 1.0])
    assert set(result.variable_values()) == {f"x[{t},{h}]" for t in TASK for h in HOST}
    payload = result.to_dict()
    assert payload["status"] == "optimal" and payload["objective"] == pytest.approx(3.0)
