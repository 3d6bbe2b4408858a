"""Flows on networks: Network from a graph, flow conservation, multi-commodity flows, specs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import opt_model as om
from opt_model.errors import ModelError, SpecError
from opt_model.network import Network, flow_conservation
from opt_model.spec import loads_spec


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for tail, head, capacity, cost in [("s", "a", 4, 2), ("s", "b", 2, 2), ("a", "b", 3, 1), ("a", "t", 1, 7),
                                       ("b", "t", 5, 2)]:
        graph.add_edge(tail, head, capacity=capacity, cost=cost)
    return graph


def test_min_cost_flow_matches_networkx() -> None:
    graph = _graph()
    net = Network.from_graph(graph)
    m = om.Model()
    flow = m.add_variables("flow", dims=net.edges, ub=net.edge_data("capacity"))
    supply = om.data({"s": 5, "a": 0, "b": 0, "t": -5}, dims=net.nodes)
    block = flow_conservation(m, flow, net, supply=supply)
    m.minimize((flow * net.edge_data("cost")).sum())
    result = m.solve()
    for node in graph.nodes:
        graph.nodes[node]["demand"] = {"s": -5, "t": 5}.get(node, 0)
    assert result.objective == pytest.approx(nx.min_cost_flow_cost(graph, weight="cost"))
    assert block.size == 4


def test_multi_commodity_flow_conserves_each_commodity() -> None:
    net = Network.from_edges(["s", "s", "a", "b"], ["a", "b", "t", "t"])
    commodity = om.Dim("commodity", ["red", "blue"])
    m = om.Model()
    flow = m.add_variables("flow", dims=(net.edges, commodity))
    supply = om.data({"s": {"red": 2, "blue": 3}, "a": {"red": 0, "blue": 0}, "b": {"red": 0, "blue": 0},
                      "t": {"red": -2, "blue": -3}}, dims=(net.nodes, commodity))
    block = flow_conservation(m, flow, net, supply=supply)
    m.add_constraints("shared", flow.sum("commodity") <= 3)
    cost = om.data({"s->a": 1, "s->b": 2, "a->t": 1, "b->t": 1}, dims=net.edges)
    m.minimize((flow * cost.expand(commodity)).sum())
    result = m.solve()
    assert [d.name for d in block.dims] == ["node", "commodity"]
    assert result.objective == pytest.approx(3 * 2 + 2 * 3)   # 3 units on the cheap path, 2 on the other


def test_network_errors() -> None:
    with pytest.raises(ModelError, match="loop"):
        Network.from_edges(["a"], ["a"])
    with pytest.raises(ModelError, match="not in the node list"):
        Network.from_edges(["a"], ["b"], nodes=["a"])
    net = Network.from_edges(["a"], ["b"])
    m = om.Model()
    x = m.add_variables("x", dims=om.Dim("other", ["e"]))
    with pytest.raises(ModelError, match="no edge dimension"):
        flow_conservation(m, x, net)


def test_spec_network_from_csv_with_flows(tmp_path) -> None:
    (tmp_path / "lanes.csv").write_text("from,to,capacity,cost\ns,a,4,2\ns,b,2,2\na,b,3,1\na,t,1,7\nb,t,5,2\n")
    model = loads_spec("""version: 1
networks:
  roads:
    edges: {csv: lanes.csv}
    units: {capacity: t, cost: USD/t}
    flow: {variable: ship, unit: t, supply: {s: 5 t, a: 0, b: 0, t: -5000 kg}}
objective: {minimize: "sum(edge_cost * ship)", unit: USD}
""", base_dir=tmp_path)
    result = model.solve()
    graph = _graph()
    for node in graph.nodes:
        graph.nodes[node]["demand"] = {"s": -5, "t": 5}.get(node, 0)
    assert result.objective == pytest.approx(nx.min_cost_flow_cost(graph, weight="cost"))
    assert np.allclose(model.constraints["roads_conservation"].definition.upper, [5, 0, 0, -5])


def test_undirected_network_allows_both_directions() -> None:
    model = loads_spec("""version: 1
networks:
  grid:
    directed: false
    edges: [{from: a, to: b, capacity: 3}, {from: b, to: c, capacity: 3}]
    flow: {variable: f, supply: {a: -2, b: 0, c: 2}}
objective: {minimize: "sum(f)"}
""")
    assert model.solve().value("f").to_dict() == pytest.approx({"a->b": -2, "b->c": -2})


@pytest.mark.parametrize(("edges", "fragment"), [
    ("[{from: a, to: a}]", "loop"),
    ("[{from: a, to: b}, {from: a, to: b}]", "given twice"),
    ("[{from: a, to: b, cost: 1}, {from: b, to: c}]", "has no 'cost'"),
])
def test_spec_network_errors(edges: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        loads_spec(f"version: 1\nnetworks:\n  n:\n    edges: {edges}\n")


def test_spec_supply_must_balance() -> None:
    with pytest.raises(SpecError, match="sums to"):
        loads_spec("""version: 1
networks:
  n:
    edges: [{from: a, to: b}]
    flow: {supply: {a: 1, b: 0}}
""")
