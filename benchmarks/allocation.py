"""The allocation LP used by the project's benchmarks, with seeded data.

N tasks x M machines x R=3 resources::

    min  sum_ij c[i,j] x[i,j]
    s.t. sum_j x[i,j] = 1                       for each task i
         sum_i a[r,i,j] x[i,j] <= cap[r,j]      for each resource r, machine j
         0 <= x <= 1

with c ~ U(1,10), a ~ U(0.5,2), cap[r,j] = 1.05 * sum_i a[r,i,:].mean() / M.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESOURCES = ("cpu", "memory", "disk")


@dataclass
class AllocationData:
    cost: np.ndarray  # (N, M)
    usage: np.ndarray  # (R, N, M)
    capacity: np.ndarray  # (R, M)

    @property
    def shape(self) -> tuple[int, int]:
        return self.cost.shape  # type: ignore[return-value]


def make_data(n_tasks: int, n_machines: int, seed: int = 0) -> AllocationData:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1.0, 10.0, (n_tasks, n_machines))
    usage = rng.uniform(0.5, 2.0, (len(RESOURCES), n_tasks, n_machines))
    per_resource = 1.05 * usage.mean(axis=2).sum(axis=1) / n_machines
    capacity = np.repeat(per_resource[:, None], n_machines, axis=1)
    return AllocationData(cost, usage, capacity)


def build_opt_model(data: AllocationData):  # type: ignore[no-untyped-def]
    """The allocation LP through opt-model's public API."""
    import opt_model as om

    n, m = data.shape
    task = om.Dim("task", n)
    machine = om.Dim("machine", m)
    model = om.Model("allocation")
    x = model.add_variables("x", dims=(task, machine), lb=0, ub=1)
    model.add_constraints("assign", x.sum("machine") == 1)
    for r, name in enumerate(RESOURCES):
        resource = model.add_resource(name, capacity=om.data(data.capacity[r], dims=machine, name=f"cap_{name}"))
        resource.add_usage((om.data(data.usage[r], dims=(task, machine), name=f"use_{name}") * x).sum("task"))
    model.minimize((om.data(data.cost, dims=(task, machine), name="cost") * x).sum())
    return model
