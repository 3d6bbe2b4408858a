"""The ``networks`` section: graphs whose edges carry flows.

A network declares nodes and edges (inline or from a CSV file), loaded into a
:class:`networkx.DiGraph` (or ``Graph`` with ``directed: false``, where each
edge may carry flow both ways).  It creates

* two dims, ``node_dim`` (default ``node``) and ``edge_dim`` (default ``edge``;
  an edge's label is its ``id`` or ``"from->to"``);
* one data item per numeric edge attribute, named ``<edge_dim>_<attribute>``
  (``edge_capacity``, ``edge_cost``, ``edge_latency``), in the unit given under
  ``units``;
* with ``flow:``, a flow variable over the edges (and any extra dims, such as
  commodities), bounded by ``upper`` (default: ``<edge_dim>_capacity`` when
  there is one), and flow conservation at every node:
  ``outflow - inflow == supply`` (see :func:`opt_model.network.flow_conservation`).

Example
-------
>>> from opt_model.spec import loads_spec
>>> model = loads_spec('''
... version: 1
... networks:
...   grid:
...     edges: [{from: s, to: t, capacity: 5, cost: 1}, {from: s, to: m, capacity: 9, cost: 1},
...             {from: m, to: t, capacity: 9, cost: 1}]
...     flow: {variable: flow, supply: {s: 8, m: 0, t: -8}}
... objective: {minimize: "sum(edge_cost * flow)"}
... ''')
>>> model.solve().objective
11.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim
from opt_model.errors import SpecError, did_you_mean
from opt_model.labeled import LabeledArray
from opt_model.network import Network, flow_conservation
from opt_model.spec.evaluate import Value, broadcast_values
from opt_model.spec.fields import entry_value, label_text
from opt_model.spec.loader import Loc, SpecList, SpecMap
from opt_model.spec.units import dimensionless, unit_text

if TYPE_CHECKING:
    from opt_model.spec.build import SpecBuilder


class _Edges:
    def __init__(self, tails: list[str], heads: list[str], ids: list[str], attributes: dict[str, list[Any]],
                 locs: list[Loc]) -> None:
        self.tails = tails
        self.heads = heads
        self.ids = ids
        self.attributes = attributes
        self.locs = locs


def declare_network_csv(builder: SpecBuilder, raw: Any) -> None:
    if not isinstance(raw, dict):
        return
    edges = raw.get("edges")
    if isinstance(edges, dict) and isinstance(edges.get("csv"), str):
        columns = [edges.get("from", "from"), edges.get("to", "to")]
        if "id" in edges:
            columns.append(edges["id"])
        builder.tables.declare(edges["csv"], [str(c) for c in columns])
    nodes = raw.get("nodes")
    if isinstance(nodes, dict) and isinstance(nodes.get("csv"), str):
        builder.tables.declare(nodes["csv"], [str(nodes.get("column", "node"))])


def network_dims(builder: SpecBuilder) -> list[str]:
    """Create the node and edge dims of every network; returns the names networks define."""
    section = builder.section("networks")
    defined: list[str] = []
    builder.network_graphs = {}  # type: ignore[attr-defined]
    for name, raw in section.items():
        loc = section.value_loc(name)
        node_dim = raw.get("node_dim", "node")
        edge_dim = raw.get("edge_dim", "edge")
        with builder.item(loc, name):
            for dim_name, key in ((node_dim, "node_dim"), (edge_dim, "edge_dim")):
                if dim_name in builder.dims:
                    at = raw.value_loc(key) if key in raw else loc
                    raise at.error(f"network {name!r}: dimension {dim_name!r} already exists; set {key} to "
                                   "another name")
            edges = _edges(builder, name, raw)
            nodes = _nodes(builder, name, raw, edges)
            graph = _graph(name, raw, nodes, edges, loc)
            builder.dims[node_dim] = Dim(node_dim, np.array(nodes))
            builder.dims[edge_dim] = Dim(edge_dim, np.array(edges.ids))
            builder.network_graphs[name] = (graph, edges)  # type: ignore[attr-defined]
            defined.extend([node_dim, edge_dim])
            for attribute in edges.attributes:
                defined.append(f"{edge_dim}_{attribute}")
            flow = raw.get("flow")
            if isinstance(flow, SpecMap):
                defined.append(flow.get("variable", f"{name}_flow"))
                defined.append(flow.get("conservation", f"{name}_conservation"))
    return defined


def _edges(builder: SpecBuilder, name: str, raw: SpecMap) -> _Edges:
    spec = raw["edges"]
    tails: list[str] = []
    heads: list[str] = []
    ids: list[str] = []
    attributes: dict[str, list[Any]] = {}
    locs: list[Loc] = []
    if isinstance(spec, list):
        for index, edge in enumerate(spec):
            loc = spec.item_loc(index) if isinstance(spec, SpecList) else raw.loc
            tails.append(label_text(edge["from"]))
            heads.append(label_text(edge["to"]))
            ids.append(label_text(edge["id"]) if "id" in edge else f"{tails[-1]}->{heads[-1]}")
            locs.append(loc)
            for key, value in edge.items():
                if key in ("from", "to", "id"):
                    continue
                attributes.setdefault(key, [None] * index)
                attributes[key].append((value, edge.value_loc(key) if isinstance(edge, SpecMap) else loc))
            for values in attributes.values():
                if len(values) < index + 1:
                    values.append(None)
        for key, values in attributes.items():
            missing = [k for k, v in enumerate(values) if v is None]
            if missing:
                raise locs[missing[0]].error(f"network {name!r}: edge {ids[missing[0]]} has no {key!r}; give every "
                                             "edge the same attributes")
        return _Edges(tails, heads, ids, attributes, locs)
    relpath = spec["csv"]
    csv_loc = spec.value_loc("csv")
    frame = builder.tables.frame(relpath, csv_loc)
    tail_col, head_col = spec.get("from", "from"), spec.get("to", "to")
    builder.tables.require_columns(relpath, frame, [tail_col, head_col], csv_loc)
    tails = frame[tail_col].astype(str).str.strip().tolist()
    heads = frame[head_col].astype(str).str.strip().tolist()
    if "id" in spec:
        builder.tables.require_columns(relpath, frame, [spec["id"]], csv_loc)
        ids = frame[spec["id"]].astype(str).str.strip().tolist()
    else:
        ids = [f"{t}->{h}" for t, h in zip(tails, heads)]
    numeric = [c for c in frame.columns if c not in (tail_col, head_col, spec.get("id"))]
    matrix = builder.tables.numbers(relpath, frame, numeric, allow_missing=False)
    for k, column in enumerate(numeric):
        attributes[column] = [(float(v), csv_loc) for v in matrix[:, k]]
    locs = [csv_loc] * len(tails)
    return _Edges(tails, heads, ids, attributes, locs)


def _nodes(builder: SpecBuilder, name: str, raw: SpecMap, edges: _Edges) -> list[str]:
    if "nodes" not in raw:
        seen: dict[str, None] = {}
        for tail, head in zip(edges.tails, edges.heads):
            seen.setdefault(tail)
            seen.setdefault(head)
        return list(seen)
    labels = builder.dim_labels(raw.get("node_dim", "node"), raw["nodes"], raw.value_loc("nodes"))
    nodes = [str(x) for x in labels.tolist()]
    known = set(nodes)
    errors = []
    for k, (tail, head) in enumerate(zip(edges.tails, edges.heads)):
        for end in (tail, head):
            if end not in known:
                errors.append(edges.locs[k].error(f"network {name!r}: edge {edges.ids[k]} uses node {end!r}, which "
                                                  f"is not in 'nodes'{did_you_mean(end, nodes)}"))
    if errors:
        raise SpecError.combine(errors[:5])
    return nodes


def _graph(name: str, raw: SpecMap, nodes: list[str], edges: _Edges, loc: Loc) -> Any:
    import networkx as nx

    directed = bool(raw.get("directed", True))
    graph: Any = nx.MultiDiGraph() if directed else nx.MultiGraph()
    graph.add_nodes_from(nodes)
    seen: dict[str, int] = {}
    for k, (tail, head, edge_id) in enumerate(zip(edges.tails, edges.heads, edges.ids)):
        if edge_id in seen:
            raise edges.locs[k].error(f"network {name!r}: edge {edge_id!r} is given twice (edge {seen[edge_id] + 1}); "
                                      "give parallel edges an 'id'")
        if tail == head:
            raise edges.locs[k].error(f"network {name!r}: edge {edge_id!r} is a loop from a node to itself")
        seen[edge_id] = k
        graph.add_edge(tail, head, key=edge_id)
    return graph


def build_networks(builder: SpecBuilder) -> None:
    """Create edge data, flow variables and conservation constraints."""
    section = builder.section("networks")
    graphs = getattr(builder, "network_graphs", {})
    for name, raw in section.items():
        if name not in graphs:
            continue
        loc = section.value_loc(name)
        with builder.item(loc, name):
            _build_network(builder, name, raw, loc, *graphs[name])


def _build_network(builder: SpecBuilder, name: str, raw: SpecMap, loc: Loc, graph: Any, edges: _Edges) -> None:
    node_dim = builder.dims[raw.get("node_dim", "node")]
    edge_dim = builder.dims[raw.get("edge_dim", "edge")]
    units: SpecMap = raw["units"] if isinstance(raw.get("units"), SpecMap) else SpecMap()
    for attribute, entries in edges.attributes.items():
        unit = builder.unit(units[attribute], units.value_loc(attribute), f"unit of {attribute}") \
            if attribute in units else None
        values = np.empty(len(entries))
        for k, (value, value_loc) in enumerate(entries):
            values[k], unit = entry_value(value, unit, value_loc, f"{attribute} of edge {edges.ids[k]}")
        data_name = f"{edge_dim.name}_{attribute}"
        builder.values[data_name] = Value("data", LabeledArray(values, (edge_dim,), data_name),
                                          unit or dimensionless(), (edge_dim,))
        builder.info.units[data_name] = unit_text(unit or dimensionless())
    flow = raw.get("flow")
    if not isinstance(flow, SpecMap):
        return
    variable = flow.get("variable", f"{name}_flow")
    extra = builder.dim_list(flow.get("dims", []), flow.value_loc("dims"), f"flow of network {name!r}")
    dims = (edge_dim, *extra)
    unit_value = builder.values.get(f"{edge_dim.name}_capacity")
    unit = builder.unit(flow["unit"], flow.value_loc("unit"), "unit of flow") if "unit" in flow else (
        unit_value.unit if unit_value is not None else dimensionless())
    upper: Any = None
    if "upper" in flow:
        if flow["upper"] is not None:
            upper = builder.numeric(flow["upper"], flow.value_loc("upper"), unit, dims, f"upper bound of {variable!r}",
                                    allow_inf=True)
    elif unit_value is not None:
        upper = builder.convert(unit_value, unit, loc, f"capacity of network {name!r}")
    upper_array = None if upper is None else (
        float(upper.obj) if upper.kind == "number" else
        LabeledArray(np.array(broadcast_values(upper.obj.values, upper.dims, dims)), dims))
    lower: Any = 0.0
    if not raw.get("directed", True):
        lower = None if upper_array is None else -upper_array
    var = builder.model.add_variables(variable, dims, lb=lower, ub=upper_array)
    builder.values[variable] = Value("expr", var.to_expr(), unit, dims)
    builder.info.units[variable] = unit_text(unit)
    supply_dims = (node_dim, *extra)
    if "supply" in flow:
        supply = builder.numeric(flow["supply"], flow.value_loc("supply"), unit, supply_dims,
                                 f"supply of network {name!r}")
        supply_data: Any = float(supply.obj) if supply.kind == "number" else LabeledArray(
            np.array(broadcast_values(supply.obj.values, supply.dims, supply_dims)), supply_dims)
    else:
        supply_data = 0.0
    if supply_data is not None and not isinstance(supply_data, float):
        total = supply_data.values.sum(axis=0)
        if np.abs(total).max() > 1e-9 * max(1.0, float(np.abs(supply_data.values).max())):
            raise flow.value_loc("supply").error(f"supply of network {name!r} sums to {float(np.max(total)):g}, "
                                                 "not 0: every unit supplied must be consumed somewhere")
    network = Network(node_dim, edge_dim, node_dim.positions(edges.tails), node_dim.positions(edges.heads), {})
    conservation = flow.get("conservation", f"{name}_conservation")
    flow_conservation(builder.model, var, network, supply=supply_data, name=conservation)
    builder.info.units[conservation] = unit_text(unit)
    del graph  # networkx validated the edges; conservation is built from the arrays
