"""Networks: flows on the edges of a graph, conserved at its nodes.

:class:`Network` holds a graph as two dims (nodes, edges) and the tail and
head of every edge; :func:`flow_conservation` adds, for every node (and every
label of any other dims of the flow, such as commodities),
``outflow - inflow == supply``, built as one block of arrays.

Example
-------
>>> import networkx as nx, opt_model as om
>>> from opt_model.network import Network, flow_conservation
>>> graph = nx.DiGraph()
>>> graph.add_edge("s", "t", capacity=5, cost=1.0)
>>> graph.add_edge("s", "m", capacity=9, cost=1.0)
>>> graph.add_edge("m", "t", capacity=9, cost=1.0)
>>> net = Network.from_graph(graph)
>>> m = om.Model("route")
>>> flow = m.add_variables("flow", dims=net.edges, ub=net.edge_data("capacity"))
>>> supply = om.data({"s": 8, "t": -8, "m": 0}, dims=net.nodes)
>>> _ = flow_conservation(m, flow, net, supply=supply)
>>> m.minimize((flow * net.edge_data("cost")).sum())
>>> m.solve().objective
11.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.constraints import ConstraintBlock
from opt_model.dims import Dim, dims_text
from opt_model.errors import ModelError
from opt_model.expressions import ExpressionOps, LinearExpression
from opt_model.labeled import LabeledArray

if TYPE_CHECKING:
    from opt_model.model import Model


@dataclass
class Network:
    """A graph as dims: ``nodes``, ``edges``, and each edge's ``tails``/``heads`` (node positions)."""

    nodes: Dim
    edges: Dim
    tails: np.ndarray
    heads: np.ndarray
    attributes: dict[str, np.ndarray]

    @classmethod
    def from_edges(cls, tails: Sequence[Any], heads: Sequence[Any], nodes: Sequence[Any] | None = None,
                   edge_labels: Sequence[Any] | None = None, node_dim: str = "node", edge_dim: str = "edge",
                   attributes: dict[str, Sequence[float]] | None = None) -> Network:
        """A network from parallel lists of edge tails and heads (node labels)."""
        tails_l = [str(t) for t in tails]
        heads_l = [str(h) for h in heads]
        if len(tails_l) != len(heads_l):
            raise ModelError(f"{len(tails_l)} edge tails but {len(heads_l)} heads; give one of each per edge")
        if nodes is None:
            nodes = list(dict.fromkeys([*tails_l, *heads_l]))
        node = Dim(node_dim, [str(n) for n in nodes])
        labels = [str(e) for e in edge_labels] if edge_labels is not None else \
            [f"{t}->{h}" for t, h in zip(tails_l, heads_l)]
        edge = Dim(edge_dim, labels)
        tail_pos = node.lookup(tails_l)
        head_pos = node.lookup(heads_l)
        unknown = np.flatnonzero((tail_pos < 0) | (head_pos < 0))
        if unknown.size:
            k = int(unknown[0])
            raise ModelError(f"edge {labels[k]!r} uses a node that is not in the node list")
        loops = np.flatnonzero(tail_pos == head_pos)
        if loops.size:
            raise ModelError(f"edge {labels[int(loops[0])]!r} is a loop; flows on loops are not conserved")
        data = {key: np.asarray(values, dtype=np.float64) for key, values in (attributes or {}).items()}
        for key, values in data.items():
            if values.shape != (len(labels),):
                raise ModelError(f"edge attribute {key!r} has {values.size} values for {len(labels)} edges")
        return cls(node, edge, np.asarray(tail_pos, np.intp), np.asarray(head_pos, np.intp), data)

    @classmethod
    def from_graph(cls, graph: Any, node_dim: str = "node", edge_dim: str = "edge") -> Network:
        """A network from a networkx (multi)graph; numeric edge attributes become edge data."""
        multi = graph.is_multigraph()
        edges = list(graph.edges(keys=True, data=True)) if multi else [(u, v, None, d) for u, v, d in
                                                                       graph.edges(data=True)]
        tails = [u for u, _, _, _ in edges]
        heads = [v for _, v, _, _ in edges]
        labels = [f"{u}->{v}" if key is None or not isinstance(key, str) else key for u, v, key, _ in edges]
        keys = sorted({k for *_, d in edges for k, v in d.items() if isinstance(v, (int, float))})
        attributes: dict[str, Sequence[float]] = {str(k): [float(d.get(k, np.nan)) for *_, d in edges] for k in keys}
        return cls.from_edges(tails, heads, list(graph.nodes), labels, node_dim, edge_dim, attributes)

    def edge_data(self, attribute: str) -> LabeledArray:
        """An edge attribute as data over the edges."""
        if attribute not in self.attributes:
            raise ModelError(f"the edges have no attribute {attribute!r}; they have {sorted(self.attributes)}")
        return LabeledArray(self.attributes[attribute], (self.edges,), attribute)


def flow_conservation(model: Model, flow: Any, network: Network | Dim, tails: Sequence[Any] | None = None,
                      heads: Sequence[Any] | None = None, *, supply: Any = 0.0, name: str = "conservation"
                      ) -> ConstraintBlock:
    """Add ``outflow - inflow == supply`` at every node (one constraint block).

    ``flow`` is a variable (or linear expression) over the network's edge dim
    and possibly more dims (commodities, periods); the constraints are over the
    node dim and those dims.  ``supply`` is positive where flow enters the
    network and negative where it leaves.  Pass a :class:`Network`, or the node
    dim with ``tails`` and ``heads`` (node labels, one per edge).
    """
    if isinstance(network, Dim):
        if tails is None or heads is None:
            raise ModelError("flow_conservation needs tails and heads when given a node dim")
        expr = flow.to_expr() if isinstance(flow, ExpressionOps) else flow
        edge_dim = expr.dims[0] if isinstance(expr, LinearExpression) and expr.dims else None
        if edge_dim is None:
            raise ModelError("flow must have dims, the edge dim first")
        network = Network(network, edge_dim, network.positions([str(t) for t in tails]),
                          network.positions([str(h) for h in heads]), {})
    expr = flow.to_expr() if isinstance(flow, ExpressionOps) else flow
    if not isinstance(expr, LinearExpression):
        raise ModelError(f"flow must be a variable or linear expression, got {type(flow).__name__}")
    names = [d.name for d in expr.dims]
    if network.edges.name not in names:
        raise ModelError(f"flow {expr.describe()} has no edge dimension {network.edges.name!r}")
    edge_axis = names.index(network.edges.name)
    if not expr.dims[edge_axis].same_as(network.edges):
        raise ModelError(f"flow's dimension {network.edges.name!r} has other labels than the network's edges")
    others = tuple(d for d in expr.dims if d.name != network.edges.name)
    # move the edge axis first: (edge, *others, term)
    order = (edge_axis, *[k for k in range(len(names)) if k != edge_axis])
    vars_e = np.transpose(expr.vars, (*order, len(names)))
    coeffs_e = np.transpose(expr.coeffs, (*order, len(names)))
    const_e = np.transpose(expr.const, order)
    node_count, edge_count = len(network.nodes), len(network.edges)
    # incidence entries: +1 at the tail (outflow), -1 at the head (inflow), sorted by node
    node_of = np.concatenate([network.tails, network.heads])
    edge_of = np.concatenate([np.arange(edge_count), np.arange(edge_count)])
    sign_of = np.concatenate([np.ones(edge_count), -np.ones(edge_count)])
    order_by_node = np.argsort(node_of, kind="stable")
    node_of, edge_of, sign_of = node_of[order_by_node], edge_of[order_by_node], sign_of[order_by_node]
    degree = np.bincount(node_of, minlength=node_count)
    width = int(degree.max()) if degree.size else 0
    slot = np.arange(node_of.size) - np.repeat(np.cumsum(degree) - degree, degree)
    edge_table = np.zeros((node_count, width), dtype=np.intp)
    sign_table = np.zeros((node_count, width))
    edge_table[node_of, slot] = edge_of
    sign_table[node_of, slot] = sign_of
    present = np.zeros((node_count, width), dtype=bool)
    present[node_of, slot] = True
    nterm = expr.nterm
    gathered_vars = vars_e[edge_table]            # (node, width, *others, term)
    gathered_coeffs = coeffs_e[edge_table]
    extra_axes = len(others)
    # bring width next to term: (node, *others, width, term) and merge the two
    perm = (0, *range(2, 2 + extra_axes), 1, 2 + extra_axes)
    gathered_vars = np.transpose(gathered_vars, perm)
    gathered_coeffs = np.transpose(gathered_coeffs, perm)
    shape_mask = (node_count, *([1] * extra_axes), width, 1)
    mask = present.reshape(shape_mask)
    signs = sign_table.reshape(shape_mask)
    out_shape = (node_count, *(len(d) for d in others), width * nterm)
    vars_n = np.where(mask, gathered_vars, -1).astype(np.int32).reshape(out_shape)
    coeffs_n = np.where(mask, gathered_coeffs * signs, 0.0).reshape(out_shape)
    const_n = np.zeros((node_count, *(len(d) for d in others)))
    np.add.at(const_n, node_of, const_e[edge_of] * sign_of.reshape((-1, *([1] * extra_axes))))
    dims = (network.nodes, *others)
    balance = LinearExpression(model, dims, vars_n, coeffs_n, const_n, expr.blocks, expr.unique and nterm == 1)
    if isinstance(supply, LabeledArray) and supply.dims and {d.name for d in supply.dims} != {d.name for d in dims}:
        raise ModelError(f"supply has dims {dims_text(supply.dims)}; the balance is over {dims_text(dims)}")
    return model.add_constraints(name, balance == supply)
