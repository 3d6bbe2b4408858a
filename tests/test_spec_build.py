"""Spec features, each checked against a known answer: tables, CSV layouts, broadcasting,
selection, where filters, shift, resources (price, cost, provision), expressions, objectives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from opt_model.errors import SpecError
from opt_model.spec import loads_spec

HEADER = "version: 1\ndims:\n  task: [a, b, c]\n  host: [h1, h2]\n"


def _values(text: str, name: str) -> np.ndarray:
    """Evaluate data ``name`` of a spec by using it as the objective's coefficients."""
    model = loads_spec(text + f"variables:\n  probe_var: {{dims: [task, host], upper: 1}}\n"
                              f'objective: {{maximize: "sum({name} * probe_var)"}}\n')
    form = model.compile().form
    return form.c.reshape(3, 2)


def test_inline_table_values_land_on_their_labels() -> None:
    data = HEADER + """data:
  mem: {dims: [task], unit: GiB, values: {a: 1, b: 2048 MiB, c: 3 GiB}}
  cost: {dims: [task, host], values: [[1, 2], [3, 4], [5, 6]]}
  sparse: {dims: [task, host], default: 0, values: {b: {h2: 7}}}
"""
    assert _values(data, "mem").tolist() == [[1, 1], [2, 2], [3, 3]]            # broadcast over host
    assert _values(data, "cost").tolist() == [[1, 2], [3, 4], [5, 6]]
    assert _values(data, "sparse").tolist() == [[0, 0], [0, 7], [0, 0]]
    assert _values(data, "cost[host='h2'] * mem").tolist() == [[2, 2], [8, 8], [18, 18]]


def test_csv_long_and_wide_in_any_row_order(tmp_path: Path) -> None:
    (tmp_path / "long.csv").write_text("host,task,price\nh2,c,6\nh1,a,1\nh2,a,2\nh1,b,3\nh2,b,4\nh1,c,5\n")
    (tmp_path / "wide.csv").write_text("task,h2,h1\nc,6,5\na,2,1\nb,4,3\n")
    (tmp_path / "labels.csv").write_text("name,size\nz,1\ny,2\nz,3\n")
    model = loads_spec(HEADER + """  extra: {csv: labels.csv, column: name}
data:
  long: {dims: [task, host], csv: long.csv, index: [task, host], column: price}
  wide: {dims: [task, host], csv: wide.csv, columns: host}
variables:
  x: {dims: [task, host], upper: 1}
constraints:
  same: "sum(long * x) == sum(wide * x)"
objective: {maximize: "sum(long * x)"}
""", base_dir=tmp_path)
    assert model.solve().objective == pytest.approx(21.0)
    form = model.compile().form
    assert form.A.toarray().tolist() == [[0.0] * 6]   # the two tables are identical
    assert model.metadata["spec"].document["dims"]["extra"]["csv"] == "labels.csv"


def test_csv_dims_take_distinct_labels_in_order(tmp_path: Path) -> None:
    (tmp_path / "jobs.csv").write_text("job,hours\nj2,1\nj1,2\nj2,3\n")
    model = loads_spec("""version: 1
dims:
  job: {csv: jobs.csv, column: job}
variables:
  x: {dims: [job]}
""", base_dir=tmp_path)
    assert model.variables["x"].dims[0].labels.tolist() == ["j2", "j1"]


def test_broadcasting_selection_and_where_filters() -> None:
    model = loads_spec(HEADER + """data:
  size: {dims: [task], values: {a: 1, b: 2, c: 3}}
  room: {dims: [host], values: {h1: 3, h2: 4}}
variables:
  x:
    dims: [task, host]
    upper: 1
    where: "size <= room - 1"        # a (1) fits both hosts, b (2) both, c (3) only h2
constraints:
  capacity: "sum(size * x, over=task) <= room"
  only_h1_for_a:
    expr: "x[task='a'] <= 0"
    foreach: [host]
    where: "host == 'h2'"
objective: {maximize: "sum(size * x)"}
""")
    result = model.solve()
    x = result.value("x")
    assert x["c", "h1"] == 0.0                                 # filtered out
    assert x["a", "h2"] == pytest.approx(0.0)                   # the where-filtered constraint
    assert result.objective == pytest.approx(7.0)               # h1: a + b = 3; h2: c = 3 (+ b's rest 0)
    block = model.constraints["only_h1_for_a"].definition
    assert np.isinf(block.upper[0]) and block.upper[1] == 0.0   # the h1 row is left free


def test_shift_links_consecutive_labels() -> None:
    model = loads_spec("""version: 1
dims: {month: [m1, m2, m3]}
data:
  demand: {dims: [month], values: {m1: 0, m2: 0, m3: 9}}
  capacity: {dims: [month], values: {m1: 5, m2: 5, m3: 0}}
  cost: {dims: [month], values: {m1: 1, m2: 1.5, m3: 3}}   # a unit made in m1 and held 2 months: 3
variables:
  make: {dims: [month], upper: capacity}
  stock: {dims: [month]}
constraints:
  balance: "stock == shift(stock, month) + make - demand"
objective: {minimize: "sum(cost * make) + sum(stock)"}
""")
    result = model.solve()
    assert result.value("make").to_dict() == pytest.approx({"m1": 4, "m2": 5, "m3": 0})
    assert result.value("stock").to_dict() == pytest.approx({"m1": 4, "m2": 9, "m3": 0})
    assert result.objective == pytest.approx(4 * 1 + 5 * 1.5 + 13)


def test_resource_price_cost_provision_and_units() -> None:
    model = loads_spec("""version: 1
dims: {host: [h1, h2]}
variables:
  load: {dims: [host], unit: GiB, upper: 100 GiB}
resources:
  memory:
    unit: GiB
    capacity: {h1: 10 GiB, h2: 20480 MiB}
    price: 0.5 USD/GiB
    provision: {max: 5 GiB, price: 2 USD/GiB}
    usage: "load"
objective:
  maximize: "10 USD/GiB * sum(load) - cost(memory)"
  unit: USD
""")
    result = model.solve()
    # every GiB earns 10 USD and costs 0.5; provisioned GiB cost 2 more: buy the 5 GiB on each host
    assert result.value("load").to_dict() == pytest.approx({"h1": 15, "h2": 25})
    assert result.objective == pytest.approx(40 * 9.5 - 10 * 2)
    table = result.resource_table()
    assert table["unit"].tolist() == ["GiB", "GiB"] and table["capacity"].tolist() == [15, 25]
    assert model.objective_unit == "USD"


def test_expressions_resources_and_data_may_refer_to_each_other_in_any_order() -> None:
    model = loads_spec("""version: 1
objective: {minimize: total}
expressions:
  total: {expr: "twice + 1 h", unit: min}
  twice: "2 * busy"
resources:
  busy: {unit: h, capacity: limit, usage: "x"}
variables:
  x: {unit: h, lower: minimum}
data:
  limit: "2 * minimum"
  minimum: 30 min
""")
    result = model.solve()
    assert result.objective == pytest.approx(2 * 30 + 60)       # in minutes
    assert model.metadata["units"]["total"] == "min"


def test_weighted_objective_with_unit_weights() -> None:
    model = loads_spec("""version: 1
dims: {site: [s1, s2]}
data:
  cost: {dims: [site], unit: USD, values: {s1: 10, s2: 12}}
  energy: {dims: [site], unit: kWh, values: {s1: 30, s2: 10}}
variables:
  share: {dims: [site], upper: 1}
constraints:
  all: "sum(share) == 1"
objective:
  - {minimize: "sum(cost * share)", weight: 1}
  - {minimize: "sum(energy * share)", weight: 0.2 USD/kWh}    # 10 + 6 = 16 vs 12 + 2 = 14
""")
    result = model.solve()
    assert result.value("share").to_dict() == pytest.approx({"s1": 0, "s2": 1})
    assert result.objective == pytest.approx(14.0)


def test_weighted_objective_needs_compatible_units() -> None:
    with pytest.raises(SpecError, match="give 'energy' a weight with a unit"):
        loads_spec("""version: 1
variables: {x: {upper: 1}}
data: {price: 3 USD, power: 2 kWh}
expressions: {cost: "price * x", energy: "power * x"}
objective:
  - {minimize: cost, weight: 1}
  - {minimize: energy, weight: 1}
""")


def test_options_and_solver_settings_reach_the_model() -> None:
    model = loads_spec("""version: 1
variables: {x: {upper: 1}}
objective: {maximize: x}
solver: highs
options: {time_limit: 2 min, mip_gap: 1e-4, threads: 1}
expected: {objective: 1}
""")
    assert model.solver == "highs"
    assert model.solver_options == {"time_limit": 120.0, "mip_gap": 0.0001, "threads": 1}
    assert model.metadata["expected"] == {"objective": 1}
    assert model.solve().objective == 1.0


def test_quadratic_objective_and_log_atom() -> None:
    model = loads_spec("""version: 1
dims: {i: [a, b]}
variables: {x: {dims: [i], lower: null}}
constraints: {total: "sum(x) == 4"}
objective: {minimize: "sum(x^2)"}
""")
    result = model.solve()
    assert result.value("x").to_dict() == pytest.approx({"a": 2, "b": 2}, abs=1e-6)
    pytest.importorskip("cvxpy")
    fair = loads_spec("""version: 1
dims: {user: [a, b]}
variables: {rate: {dims: [user]}}
constraints: {link: "sum(rate) <= 6"}
objective: {maximize: "sum(log(rate))"}
""")
    assert fair.solve().objective == pytest.approx(2 * np.log(3), rel=1e-6)
