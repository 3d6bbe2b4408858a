"""Scenario sweeps on the allocation LP: opt-model vs Pyomo, CVXPY and a raw highspy loop.

1,000 scenarios of the N x M allocation LP (``allocation.py``); each redraws
1 % of the costs from U(1, 10) and scales every capacity by U(0.97, 1.03).
Compared in the same run as scenarios per second:

* ``opt-model``: :func:`opt_model.sensitivity.engine.run_scenarios`: changes in
  place, each scenario warm-started from the nominal optimal basis, every answer
  checked (KKT residuals), nominal-plan feasibility, basis tracking; the total
  wall time including building the model and the nominal solve.
* ``raw highspy``: the same changes and warm re-solves written directly against
  highspy (reads objective and plan, no checks), both restarting each scenario
  from the nominal basis (the floor for the same algorithm) and chaining from
  the previous scenario's basis (what a plain loop does); total wall time.
* ``Pyomo``: the model rebuilt per scenario and solved with HiGHS (appsi_highs);
  median per scenario.
* ``CVXPY``: one problem with ``Parameter`` costs and capacities, re-solved with
  HiGHS per scenario (``warm_start=False``: CVXPY's default ``warm_start=True``
  hands HiGHS the previous solution and made each re-solve ~50x slower here);
  median per scenario after the first (compiling) solve.

Slow references run fewer scenarios (``--pyomo``, ``--cvxpy``).  Objectives of
the scenarios every tool ran are compared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation import RESOURCES, AllocationData, build_opt_model, make_data

from opt_model.sensitivity.engine import run_scenarios
from opt_model.sensitivity.plan import Changes
from opt_model.sensitivity.problem import AnalysisModel
from solvers.highs import new_highs, pass_model


class Scenario:
    """One scenario: costs redrawn at ``cols`` (flat task-major indices), capacities scaled."""

    def __init__(self, cols: np.ndarray, costs: np.ndarray, scale: np.ndarray) -> None:
        self.cols = cols
        self.costs = costs
        self.scale = scale  # (R, M)

    def cost(self, data: AllocationData) -> np.ndarray:
        cost = data.cost.copy().reshape(-1)
        cost[self.cols] = self.costs
        return cost.reshape(data.cost.shape)

    def capacity(self, data: AllocationData) -> np.ndarray:
        return data.capacity * self.scale


def make_scenarios(data: AllocationData, count: int, share: float, seed: int) -> list[Scenario]:
    rng = np.random.default_rng(seed)
    size = data.cost.size
    picked = max(1, round(share * size))
    return [Scenario(np.sort(rng.choice(size, picked, replace=False)), rng.uniform(1.0, 10.0, picked),
                     rng.uniform(0.97, 1.03, data.capacity.shape)) for _ in range(count)]


def project(data: AllocationData, scenarios: list[Scenario], jobs: int) -> tuple[float, np.ndarray, dict[str, int]]:
    start = time.perf_counter()
    analysis = AnalysisModel.from_model(build_opt_model(data))
    rows = np.concatenate([analysis.row_indices(name) for name in RESOURCES])
    changes = [Changes(cost_cols=s.cols, cost_values=s.costs, rhs_rows=rows, rhs_values=s.capacity(data).reshape(-1))
               for s in scenarios]
    results = run_scenarios(analysis, changes=changes, jobs=jobs, progress=False)
    elapsed = time.perf_counter() - start
    counts = {"fallbacks": int(results.fallback.sum()), "optimal": int(results.optimal.sum()),
              "nominal plan feasible": int(results.nominal_feasible.sum()),
              "basis changed": int(results.basis_changed.sum())}
    return elapsed, results.objective, counts


def raw_highspy(data: AllocationData, scenarios: list[Scenario], from_nominal: bool) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    form = build_opt_model(data).compile().form
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    pass_model(h, form)
    h.run()
    nominal_basis = h.getBasis()
    n_rows = form.num_rows
    cap_rows = np.arange(n_rows - data.capacity.size, n_rows, dtype=np.int32)  # resources come last
    lower = np.full(cap_rows.size, -np.inf)
    nominal = form.c
    previous = np.zeros(0, dtype=np.int64)
    objectives = np.full(len(scenarios), np.nan)
    for k, scenario in enumerate(scenarios):
        touched = np.union1d(previous, scenario.cols)
        costs = nominal[touched].copy()
        costs[np.searchsorted(touched, scenario.cols)] = scenario.costs
        h.changeColsCost(touched.size, touched.astype(np.int32), costs)
        h.changeRowsBounds(cap_rows.size, cap_rows, lower, scenario.capacity(data).reshape(-1))
        previous = scenario.cols
        if from_nominal:
            h.setBasis(nominal_basis)
        h.run()
        if h.getModelStatus().name == "kOptimal":
            np.asarray(h.getSolution().col_value)
            objectives[k] = h.getInfo().objective_function_value
    return time.perf_counter() - start, objectives


def pyomo_rebuild(data: AllocationData, scenarios: list[Scenario]) -> tuple[list[float], np.ndarray]:
    import pyomo.environ as pyo

    solver = pyo.SolverFactory("appsi_highs")
    n, m = data.cost.shape
    times, objectives = [], []
    for scenario in scenarios:
        start = time.perf_counter()
        cost = scenario.cost(data)
        capacity = scenario.capacity(data)
        model = pyo.ConcreteModel()
        model.I = pyo.RangeSet(0, n - 1)
        model.J = pyo.RangeSet(0, m - 1)
        model.R = pyo.RangeSet(0, len(RESOURCES) - 1)
        model.x = pyo.Var(model.I, model.J, bounds=(0, 1))
        model.assign = pyo.Constraint(model.I, rule=lambda mod, i: sum(mod.x[i, j] for j in mod.J) == 1)

        def resource_rule(mod: pyo.ConcreteModel, r: int, j: int, capacity: np.ndarray = capacity) -> object:
            return sum(float(data.usage[r, i, j]) * mod.x[i, j] for i in mod.I) <= float(capacity[r, j])
        model.resource = pyo.Constraint(model.R, model.J, rule=resource_rule)
        model.objective = pyo.Objective(expr=sum(float(cost[i, j]) * model.x[i, j] for i in model.I for j in model.J))
        solver.solve(model)
        objectives.append(pyo.value(model.objective))
        times.append(time.perf_counter() - start)
    return times, np.array(objectives)


def cvxpy_parameters(data: AllocationData, scenarios: list[Scenario]) -> tuple[list[float], float, np.ndarray]:
    import cvxpy as cp
    import scipy.sparse as sp

    n, m = data.cost.shape
    assign = sp.kron(sp.eye(n), np.ones((1, m)), format="csr")
    blocks = [sp.hstack([sp.diags(data.usage[r, i, :]) for i in range(n)], format="csr") for r in range(len(RESOURCES))]
    usage = sp.vstack(blocks, format="csr")
    x = cp.Variable(n * m)
    cost = cp.Parameter(n * m)
    capacity = cp.Parameter(usage.shape[0])
    problem = cp.Problem(cp.Minimize(cost @ x), [assign @ x == 1, usage @ x <= capacity, x >= 0, x <= 1])
    times, objectives = [], []
    first = float("nan")
    for k, scenario in enumerate(scenarios):
        start = time.perf_counter()
        cost.value = scenario.cost(data).reshape(-1)
        capacity.value = scenario.capacity(data).reshape(-1)
        objectives.append(problem.solve(solver=cp.HIGHS, warm_start=False))
        elapsed = time.perf_counter() - start
        if k == 0:
            first = elapsed
        else:
            times.append(elapsed)
    return times, first, np.array(objectives)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--pyomo", type=int, default=3, help="scenarios for the Pyomo rebuild loop")
    parser.add_argument("--cvxpy", type=int, default=6, help="scenarios for CVXPY (the first compiles)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for opt-model")
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    data = make_data(args.tasks, args.machines, seed=0)
    scenarios = make_scenarios(data, args.scenarios, args.share, args.seed)
    print(f"allocation LP {args.tasks} x {args.machines}; {args.scenarios} scenarios ({args.share:.0%} of costs "
          f"redrawn, capacities x U(0.97, 1.03))", flush=True)

    # the raw floor runs before and after opt-model, so drift in the machine's load hits both alike
    raw_before, raw_objectives = raw_highspy(data, scenarios, from_nominal=True)
    print(f"raw highspy (from nominal basis) done: {raw_before:.1f} s", flush=True)
    ours, our_objectives, counts = project(data, scenarios, args.jobs)
    print(f"opt-model done: {ours:.1f} s; {counts}", flush=True)
    raw_after, _ = raw_highspy(data, scenarios, from_nominal=True)
    print(f"raw highspy (from nominal basis) again: {raw_after:.1f} s", flush=True)
    raw = 0.5 * (raw_before + raw_after)
    chained, chained_objectives = raw_highspy(data, scenarios, from_nominal=False)
    print(f"raw highspy (chained) done: {chained:.1f} s", flush=True)
    pyomo_times, pyomo_objectives = pyomo_rebuild(data, scenarios[: args.pyomo])
    print(f"Pyomo done: {sum(pyomo_times):.1f} s", flush=True)
    cvxpy_times, cvxpy_first, cvxpy_objectives = cvxpy_parameters(data, scenarios[: args.cvxpy])
    print(f"CVXPY done: first solve {cvxpy_first:.1f} s, then {sum(cvxpy_times):.1f} s", flush=True)

    ours_rate = args.scenarios / ours
    rows = [("opt-model (warm, checked)", args.scenarios, ours_rate, "total wall time"),
            ("raw highspy, nominal basis", args.scenarios, args.scenarios / raw,
             f"total wall time, mean of {raw_before:.1f} s before and {raw_after:.1f} s after"),
            ("raw highspy, chained", args.scenarios, args.scenarios / chained, "total wall time"),
            ("Pyomo rebuild + HiGHS", len(pyomo_times), 1 / statistics.median(pyomo_times), "median per scenario"),
            ("CVXPY Parameters + HiGHS", len(cvxpy_times), 1 / statistics.median(cvxpy_times),
             f"median after a {cvxpy_first:.1f} s first solve")]
    print(f"\n{'tool':28s} {'scenarios':>9s} {'scen/s':>9s} {'opt-model is':>13s}  measured as")
    for name, count, rate, how in rows:
        print(f"{name:28s} {count:9d} {rate:9.3f} {ours_rate / rate:12.2f}x  {how}")
    agree = [np.allclose(our_objectives, raw_objectives, rtol=1e-7, equal_nan=True)
             and np.allclose(our_objectives, chained_objectives, rtol=1e-7, equal_nan=True),
             np.allclose(our_objectives[: args.pyomo], pyomo_objectives, rtol=1e-6),
             np.allclose(our_objectives[: args.cvxpy], cvxpy_objectives, rtol=1e-6)]
    print("objectives agree (raw, Pyomo, CVXPY):", agree)
    targets = {"Pyomo >= 20x": ours_rate * statistics.median(pyomo_times) >= 20,
               "CVXPY >= 5x": ours_rate * statistics.median(cvxpy_times) >= 5,
               "raw highspy >= 0.8x": ours_rate / (args.scenarios / raw) >= 0.8}
    print("targets:", targets)
    return 0 if all(agree) else 1


if __name__ == "__main__":
    raise SystemExit(main())
