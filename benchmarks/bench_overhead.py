"""Harness overhead of an isolated benchmark run, beside the solver's own time measured in the same run.

For each isolation mode, runs afiro (or ``--problem``) ``--repeats`` times through
:class:`opt_model.bench.isolation.IsolatedExecutor` and reports medians of

- the wall time seen by the parent (dispatch to reaped child),
- the solver's own solve time (``BackendResult.solve_time_s`` from inside the child),
- the overhead: their difference (fork/spawn, JSON, reading the MPS file, hand-off),

plus the same read + solve done in this process without isolation, as the floor.

    python benchmarks/bench_overhead.py                  # afiro, 20 runs
    python benchmarks/bench_overhead.py --problem ../shared/data/netlib/25fv47.mps --repeats 10
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from opt_model.bench.isolation import IsolatedExecutor, RunLimits

NETLIB = Path(__file__).resolve().parents[2] / "shared" / "data" / "netlib"


def in_process(problem: str, solver: str, repeats: int) -> tuple[float, float]:
    """Median wall time of read + solve in this process, and median solver time."""
    from solvers import read_file, solve

    read_file(problem)  # warm imports
    walls, solves = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = solve(read_file(problem), solver)
        walls.append(time.perf_counter() - start)
        solves.append(result.solve_time_s)
    return statistics.median(walls), statistics.median(solves)


def isolated(problem: str, solver: str, repeats: int, mode: str) -> tuple[float, float, float, float]:
    """Medians of parent wall time, solver time and overhead; and the max overhead."""
    executor = IsolatedExecutor(mode)
    limits = RunLimits(time_limit=60.0)
    job = {"problem": problem, "solver": solver, "options": {"time_limit": 60.0}}
    try:
        executor.run(job, limits)  # start the fork server (not part of the per-run overhead)
        walls, solves, overheads = [], [], []
        for _ in range(repeats):
            outcome = executor.run(job, limits)
            record = outcome.record or {}
            if record.get("status") != "optimal":
                raise SystemExit(f"run failed: {outcome.classify(limits)}")
            walls.append(outcome.wall_s)
            solves.append(float(record["solve_time_s"]))
            overheads.append(outcome.wall_s - float(record["solve_time_s"]))
    finally:
        executor.close()
    return statistics.median(walls), statistics.median(solves), statistics.median(overheads), max(overheads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problem", default=str(NETLIB / "afiro.mps"))
    parser.add_argument("--solver", default="highs")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--modes", default="fork,spawn")
    args = parser.parse_args()
    print(f"problem {Path(args.problem).name}, solver {args.solver}, median of {args.repeats} runs (seconds)")
    print(f"{'mode':<12}{'wall':>10}{'solver':>10}{'overhead':>10}{'max ovh':>10}")
    wall, solve = in_process(args.problem, args.solver, args.repeats)
    print(f"{'in-process':<12}{wall:>10.4f}{solve:>10.4f}{wall - solve:>10.4f}{'':>10}")
    for mode in args.modes.split(","):
        wall, solve, overhead, worst = isolated(args.problem, args.solver, args.repeats, mode)
        print(f"{mode:<12}{wall:>10.4f}{solve:>10.4f}{overhead:>10.4f}{worst:>10.4f}")
    print("target: isolated overhead <= 0.2 s per run (fork is the default mode)")


if __name__ == "__main__":
    main()
