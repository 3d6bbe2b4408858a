"""Spec overhead: load + validate + compile a YAML spec with CSV data vs the Python API.

The model is the allocation LP of N tasks on M machines with 3 resources::

    minimise   sum_ij c[i,j] x[i,j]
    subject to sum_j x[i,j] = 1                              for every task i
               sum_i a[r,i,j] x[i,j] <= cap[r,j]             for every resource r and machine j
               0 <= x <= 1

with seeded data c ~ U(1, 10), a ~ U(0.5, 2), cap[r,j] = 1.05 * sum_i mean_j a[r,i,:] / M.  The
data are written once to CSV files (wide tables: a row per task, a column per machine).  Timed,
in the same process, median of ``--repeat`` runs each, interleaved:

* **spec**: ``load_spec`` (YAML, JSON Schema, names, units, vectorised CSV reading and expression
  evaluation) + ``Model.compile()``;
* **API from CSV**: the same CSV files read with ``pandas.read_csv``, the model built with the
  Python API, compiled -- what a Python user with the same data files writes;
* **API in memory**: the model built with the Python API from numpy arrays already in memory,
  compiled (the floor: no file reading at all).

Both builds are checked to give the same standard form.  The last line is the ratio of the
spec to the API reading the same CSV files (target: <= 1.5).

Run: ``python benchmarks/spec_overhead.py [--tasks 20000] [--machines 50] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import opt_model as om
from opt_model.spec import load_spec

RESOURCES = ("cpu", "mem", "disk")

SPEC = """\
version: 1
name: allocation
dims:
  task: {csv: cost.csv, column: task}
  machine: {csv: capacity.csv, column: machine}
  resource: [cpu, mem, disk]
data:
  cost: {dims: [task, machine], csv: cost.csv, columns: machine}
  need: {dims: [resource, task, machine], csv: need.csv, columns: machine}
  cap: {dims: [resource, machine], csv: capacity.csv, column: value}
variables:
  x: {dims: [task, machine], upper: 1}
resources:
  cpu: {unit: "1", capacity: "cap[resource='cpu']", usage: "sum(need[resource='cpu'] * x, over=task)"}
  mem: {unit: "1", capacity: "cap[resource='mem']", usage: "sum(need[resource='mem'] * x, over=task)"}
  disk: {unit: "1", capacity: "cap[resource='disk']", usage: "sum(need[resource='disk'] * x, over=task)"}
constraints:
  assign: "sum(x, over=machine) == 1"
objective:
  minimize: "sum(cost * x)"
"""


def write_data(folder: Path, tasks: int, machines: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1, 10, (tasks, machines))
    need = rng.uniform(0.5, 2, (len(RESOURCES), tasks, machines))
    cap = 1.05 * need.mean(axis=2).sum(axis=1) / machines          # per resource, the same for every machine
    task_labels = [f"t{i:06d}" for i in range(tasks)]
    machine_labels = [f"m{j:03d}" for j in range(machines)]
    frame = pd.DataFrame(cost, columns=machine_labels)
    frame.insert(0, "task", task_labels)
    frame.to_csv(folder / "cost.csv", index=False, float_format="%.6g")
    blocks = []
    for r, name in enumerate(RESOURCES):
        block = pd.DataFrame(need[r], columns=machine_labels)
        block.insert(0, "task", task_labels)
        block.insert(0, "resource", name)
        blocks.append(block)
    pd.concat(blocks).to_csv(folder / "need.csv", index=False, float_format="%.6g")
    pd.DataFrame([(name, m, cap[r]) for r, name in enumerate(RESOURCES) for m in machine_labels],
                 columns=["resource", "machine", "value"]).to_csv(folder / "capacity.csv", index=False,
                                                                  float_format="%.10g")
    (folder / "allocation.yaml").write_text(SPEC)


def build_api(task_labels: np.ndarray, machine_labels: np.ndarray, cost: np.ndarray, need: np.ndarray,
              cap: np.ndarray) -> om.Model:
    model = om.Model("allocation")
    task = om.Dim("task", task_labels)
    machine = om.Dim("machine", machine_labels)
    x = model.add_variables("x", dims=(task, machine), lb=0, ub=1)
    model.add_constraints("assign", x.sum("machine") == 1)
    for r, name in enumerate(RESOURCES):
        resource = model.add_resource(name, unit="1", capacity=om.data(cap[r], dims=machine))
        resource.add_usage((om.data(need[r], dims=(task, machine)) * x).sum("task"))
    model.minimize((om.data(cost, dims=(task, machine)) * x).sum())
    return model


def read_csv_arrays(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cost = pd.read_csv(folder / "cost.csv", dtype={"task": str})
    need = pd.read_csv(folder / "need.csv", dtype={"resource": str, "task": str})
    capacity = pd.read_csv(folder / "capacity.csv", dtype={"resource": str, "machine": str})
    machines = cost.columns[1:]
    tasks = cost["task"].to_numpy()
    need_values = need[machines].to_numpy().reshape(len(RESOURCES), len(tasks), len(machines))
    cap = capacity.pivot(index="resource", columns="machine", values="value").loc[list(RESOURCES), machines]
    return tasks, np.asarray(machines), cost[machines].to_numpy(), need_values, cap.to_numpy()


def median_time(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def same_form(left: om.Model, right: om.Model) -> bool:
    a, b = left.compile().form, right.compile().form
    return (a.num_cols == b.num_cols and a.num_rows == b.num_rows and a.num_nonzeros == b.num_nonzeros
            and np.allclose(a.c, b.c) and np.allclose(a.row_upper, b.row_upper)
            and np.allclose(a.row_lower, b.row_lower) and abs(a.A - b.A).max() < 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_data(folder, args.tasks, args.machines)
        spec = folder / "allocation.yaml"
        arrays = read_csv_arrays(folder)
        # warm up imports and caches (pint registry, jsonschema, highspy) outside the timings
        load_spec(spec).compile()
        build_api(*arrays).compile()

        spec_times, api_csv_times, api_memory_times = [], [], []
        for _ in range(args.repeat):
            spec_times.append(median_time(lambda: load_spec(spec).compile(), 1)[0])
            api_csv_times.append(median_time(lambda: build_api(*read_csv_arrays(folder)).compile(), 1)[0])
            api_memory_times.append(median_time(lambda: build_api(*arrays).compile(), 1)[0])
        spec_model = load_spec(spec)
        api_model = build_api(*arrays)
        form = api_model.compile().form
        spec_s = statistics.median(spec_times)
        csv_s = statistics.median(api_csv_times)
        memory_s = statistics.median(api_memory_times)
        print(f"allocation LP: {args.tasks} tasks x {args.machines} machines x {len(RESOURCES)} resources: "
              f"{form.num_cols} columns, {form.num_rows} rows, {form.num_nonzeros} nonzeros")
        print(f"same standard form from spec and API: {same_form(spec_model, api_model)}")
        print(f"median of {args.repeat} runs (seconds):")
        print(f"  spec: load + validate + compile          {spec_s:8.3f}")
        print(f"  Python API from the same CSV + compile    {csv_s:8.3f}")
        print(f"  Python API from arrays in memory + compile {memory_s:8.3f}")
        print(f"spec / API from arrays in memory: {spec_s / memory_s:.2f}x")
        print(f"spec / API from the same CSV files: {spec_s / csv_s:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
