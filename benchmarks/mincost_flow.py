"""A seeded min-cost flow on a grid-like network, with degenerate rows, written as an MPS file.

Nodes on an ``R x C`` grid, arcs right and left (some) and down and up, plus random shortcuts;
sources in the first column (up to 12 units each), sinks in the last (10 units each), every
other node transit.  Integral data make many basic arcs sit at a bound: the optimum is primal
degenerate, so the sensitivity report needs one-sided prices.

    python benchmarks/mincost_flow.py --arcs 2000 --out /tmp/flow.mps

:func:`flow_form` is imported by ``benchmarks/sensitivity_speed.py``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np


def flow_form(arcs: int = 2000, seed: int = 0) -> Any:
    """The min-cost flow with about ``arcs`` arcs as a ``solvers.StandardForm``.

    Source rows are ``outflow - inflow <= 12`` (supply with slack), sink rows
    ``outflow - inflow == -10``, transit rows ``== 0``; arcs have integral costs and capacities.
    """
    import scipy.sparse as sp

    from solvers import NameMap, Sense, StandardForm

    rng = np.random.default_rng(seed)
    side = max(int(np.sqrt(arcs / 3.4)), 3)
    rows, cols = side, side
    tails: list[int] = []
    heads: list[int] = []
    for r in range(rows):
        for c in range(cols):
            here = r * cols + c
            if c + 1 < cols:
                tails.append(here); heads.append(here + 1)  # noqa: E702
                if rng.random() < 0.3:
                    tails.append(here + 1); heads.append(here)  # noqa: E702
            if r + 1 < rows:
                tails.append(here); heads.append(here + cols)  # noqa: E702
                tails.append(here + cols); heads.append(here)  # noqa: E702
    seen = set(zip(tails, heads))
    while len(tails) < arcs:
        a, b = (int(v) for v in rng.integers(0, rows * cols, 2))
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            tails.append(a)
            heads.append(b)
    tail, head = np.array(tails[:arcs]), np.array(heads[:arcs])
    num_nodes, num_arcs = rows * cols, tail.size
    arc = np.arange(num_arcs)
    A = sp.csr_matrix((np.concatenate([np.ones(num_arcs), -np.ones(num_arcs)]),
                       (np.concatenate([tail, head]), np.concatenate([arc, arc]))), shape=(num_nodes, num_arcs))
    lower, upper = np.zeros(num_nodes), np.zeros(num_nodes)
    sources = np.arange(rows) * cols
    sinks = sources + cols - 1
    lower[sources], upper[sources] = -np.inf, 12.0
    lower[sinks] = upper[sinks] = -10.0
    node_names = [f"balance[n{i // cols}_{i % cols}]" for i in range(num_nodes)]
    arc_names = [f"flow[n{t // cols}_{t % cols}->n{h // cols}_{h % cols}]" for t, h in zip(tail, head)]
    return StandardForm(c=rng.integers(1, 10, num_arcs).astype(float), A=A, row_lower=lower, row_upper=upper,
                        col_lower=np.zeros(num_arcs), col_upper=rng.integers(5, 25, num_arcs).astype(float),
                        sense=Sense.MINIMIZE, col_names=NameMap.plain(arc_names),
                        row_names=NameMap.plain(node_names), name=f"mincost_flow_{arcs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arcs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="MPS file to write")
    args = parser.parse_args()
    from solvers import write_file

    write_file(flow_form(args.arcs, args.seed), args.out)
    print(args.out)


if __name__ == "__main__":
    main()
