"""Re-solve speed on the allocation LP: warm start vs cold re-solve vs rebuilding the model.

Each scenario redraws 1 % of the costs (c ~ U(1, 10)) of the N x M allocation
LP (see ``allocation.py``), the rest staying nominal.  Modes, measured in the
same run on the same scenarios:

* ``warm``: :class:`solvers.highs.HighsSession` changes the costs in place
  (``changeColsCost``) and re-solves from the previous basis; every answer is
  checked against the KKT conditions (cold fallback counted).
* ``raw highspy warm``: the same loop written directly against highspy, no
  checks: the floor.
* ``cold``: the same session, the basis dropped before each solve.
* ``rebuild``: the model rebuilt through the opt_model API with the new costs,
  compiled and solved from scratch (what a script without sessions does).

Figures are medians of per-scenario wall-clock times, shown as scenarios per
second.  Run ``python benchmarks/warm_start.py --help`` for sizes and counts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation import AllocationData, build_opt_model, make_data

from solvers.highs import HighsSession, new_highs, pass_model


def scenarios(data: AllocationData, count: int, share: float, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(column indices, new costs) per scenario: ``share`` of the costs redrawn from U(1, 10)."""
    rng = np.random.default_rng(seed)
    size = data.cost.size
    picked = max(1, round(share * size))
    return [(np.sort(rng.choice(size, picked, replace=False)).astype(np.int32), rng.uniform(1.0, 10.0, picked))
            for _ in range(count)]


def timed(run: Callable[[int], float], count: int) -> tuple[list[float], list[float]]:
    times, objectives = [], []
    for k in range(count):
        start = time.perf_counter()
        objectives.append(run(k))
        times.append(time.perf_counter() - start)
    return times, objectives


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--share", type=float, default=0.01, help="share of costs redrawn per scenario")
    parser.add_argument("--warm", type=int, default=60, help="scenarios for the warm modes")
    parser.add_argument("--cold", type=int, default=8, help="scenarios for the cold re-solve")
    parser.add_argument("--rebuild", type=int, default=5, help="scenarios for the rebuild")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    data = make_data(args.tasks, args.machines, seed=0)
    form = build_opt_model(data).compile().form
    nominal = form.c.copy()
    cases = scenarios(data, max(args.warm, args.cold, args.rebuild), args.share, args.seed)
    print(f"allocation LP: {args.tasks} tasks x {args.machines} machines: {form.num_rows} rows, {form.num_cols} "
          f"columns, {form.num_nonzeros} nonzeros; {args.share:.0%} of costs redrawn per scenario")

    # warm: the project's session, and the raw highspy loop, interleaved scenario by scenario ---------
    session = HighsSession(form, {"method": "simplex"})
    session.solve()
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    pass_model(h, form)
    h.run()
    previous = np.zeros(0, dtype=np.int32)
    raw_previous = np.zeros(0, dtype=np.int32)

    def warm(k: int) -> float:
        nonlocal previous
        cols, values = cases[k]
        touched = np.union1d(previous, cols)
        costs = nominal[touched].copy()
        costs[np.searchsorted(touched, cols)] = values
        session.change_costs(touched, costs)
        previous = cols
        result = session.solve()
        assert result.x is not None
        return result.objective

    def raw(k: int) -> float:
        nonlocal raw_previous
        cols, values = cases[k]
        touched = np.union1d(raw_previous, cols).astype(np.int32)
        costs = nominal[touched].copy()
        costs[np.searchsorted(touched, cols)] = values
        h.changeColsCost(touched.size, touched, costs)
        raw_previous = cols
        h.run()
        np.asarray(h.getSolution().col_value)  # the plan, as any user of a scenario needs it
        return float(h.getInfo().objective_function_value)

    warm_times: list[float] = []
    raw_times: list[float] = []
    warm_objectives: list[float] = []
    raw_objectives: list[float] = []
    for k in range(args.warm):
        for run, times, objectives in ((warm, warm_times, warm_objectives), (raw, raw_times, raw_objectives)):
            start = time.perf_counter()
            objectives.append(run(k))
            times.append(time.perf_counter() - start)

    # cold re-solve in the same session ----------------------------------------------------------
    cold_session_times = []
    cold_objectives = []
    for k in range(args.cold):
        cols, values = cases[k]
        touched = np.union1d(previous, cols)
        costs = nominal[touched].copy()
        costs[np.searchsorted(touched, cols)] = values
        session.change_costs(touched, costs)
        previous = cols
        start = time.perf_counter()
        result = session.solve(cold=True)
        cold_session_times.append(time.perf_counter() - start)
        cold_objectives.append(result.objective)

    # rebuild through the API ---------------------------------------------------------------------
    def rebuild(k: int) -> float:
        cols, values = cases[k]
        cost = data.cost.copy().reshape(-1)
        cost[cols] = values
        varied = AllocationData(cost.reshape(data.cost.shape), data.usage, data.capacity)
        return build_opt_model(varied).solve().objective
    rebuild_times, rebuild_objectives = timed(rebuild, args.rebuild)

    checks = [np.allclose(warm_objectives[: args.cold], cold_objectives, rtol=1e-9),
              np.allclose(warm_objectives[: args.rebuild], rebuild_objectives, rtol=1e-9),
              np.allclose(warm_objectives, raw_objectives, rtol=1e-9)]
    rows = [("warm (HighsSession, checked)", warm_times), ("raw highspy warm (floor)", raw_times),
            ("cold re-solve (same session)", cold_session_times), ("rebuild + compile + solve", rebuild_times)]
    base = 1.0 / statistics.median(warm_times)
    print(f"\n{'mode':32s} {'scenarios':>9s} {'median s':>10s} {'scen/s':>8s} {'vs warm':>8s}")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:32s} {len(times):9d} {median:10.4f} {1 / median:8.2f} {(1 / median) / base:8.2f}x")
    stats = session.stats
    print(f"\nsession: {stats.warm_solves} warm solves, {stats.cold_fallbacks} cold fallbacks after a failed check, "
          f"{stats.confirmations} non-optimal warm answers confirmed cold")
    print("objectives agree across modes:", all(checks))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
