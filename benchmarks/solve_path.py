"""Build + solve + named results: opt-model against raw highspy on the same allocation LP, same run.

Each measurement runs in a fresh child process, alternating the two tools, and times
everything after the data exists:

- **raw highspy**: the floor's arrays (see ``build_overhead.py``), ``passModel``, ``run``,
  ``getSolution``, and the solution as numpy arrays;
- **opt-model**: the model through the public API, ``model.solve()``, and the results by
  name: the allocation as labelled values (``result.value(x)``) and the memory dual prices
  (``result.dual("memory")``).

Both solve with HiGHS's default (dual simplex, presolve on, one thread), so the solver's work
is the same (the same LP, column-wise, the same iterations); the difference is the modelling
layer.  Each run reports wall time and CPU time (``time.process_time``): with one HiGHS
thread the CPU time is the work done, while the wall time on a shared machine also measures
everybody else's load.

    python benchmarks/solve_path.py                      # 20000x50 (1M variables), 5 runs each
    python benchmarks/solve_path.py --sizes 2000x50 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation import make_data

TOOLS = ("highspy", "opt-model")


def run_highspy(n: int, m: int) -> dict[str, float]:
    import numpy as np
    from build_overhead import build_floor

    data = make_data(n, m, seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    h = build_floor(data)
    h.setOptionValue("threads", 1)
    h.run()
    solution = h.getSolution()
    x = np.asarray(solution.col_value).reshape(n, m)
    duals = np.asarray(solution.row_dual)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu_seconds": cpu, "objective": h.getInfo().objective_function_value,
            "check": float(x.sum() + duals.sum())}


def run_opt_model(n: int, m: int) -> dict[str, float]:
    from allocation import build_opt_model

    import opt_model.compiler
    import opt_model.model
    import opt_model.result  # noqa: F401
    import solvers.highs  # noqa: F401

    data = make_data(n, m, seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    model = build_opt_model(data)
    result = model.solve(options={"threads": 1})
    x = result.value(model.variables["x"])
    duals = sum(float(result.dual(name).values.sum()) for name in ("cpu", "memory", "disk"))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu_seconds": cpu, "objective": result.objective,
            "check": float(x.values.sum() + result.dual("assign").values.sum() + duals)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000x50", help="comma-separated NxM sizes")
    parser.add_argument("--repeats", type=int, default=5, help="runs per tool (median reported)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    if args.worker:
        n, m = sizes[0]
        record = run_highspy(n, m) if args.worker == "highspy" else run_opt_model(n, m)
        print(json.dumps(record))
        return
    print(f"# build + solve + results by name, medians of {args.repeats} runs in fresh processes, tools alternating")
    print(f"# machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}")
    for n, m in sizes:
        times: dict[str, list[float]] = {tool: [] for tool in TOOLS}
        cpus: dict[str, list[float]] = {tool: [] for tool in TOOLS}
        objectives: dict[str, float] = {}
        for _ in range(args.repeats):
            for tool in TOOLS:
                done = subprocess.run([sys.executable, __file__, "--worker", tool, "--sizes", f"{n}x{m}"],
                                      capture_output=True, text=True, check=True)
                record = json.loads(done.stdout.strip().splitlines()[-1])
                times[tool].append(record["seconds"])
                cpus[tool].append(record["cpu_seconds"])
                objectives[tool] = record["objective"]
        raw, ours = statistics.median(times["highspy"]), statistics.median(times["opt-model"])
        same = abs(objectives["highspy"] - objectives["opt-model"]) <= 1e-6 * max(1.0, abs(objectives["highspy"]))
        print(f"{f'{n}x{m}':>10} raw highspy {raw:8.3f} s   opt-model {ours:8.3f} s   ratio {ours / raw:.3f}x   "
              f"objectives {'equal' if same else 'DIFFER'} ({objectives['opt-model']:.6f})")
        raw_cpu, our_cpu = statistics.median(cpus["highspy"]), statistics.median(cpus["opt-model"])
        print(f"{'':>10} CPU time:   {raw_cpu:8.3f} s   opt-model {our_cpu:8.3f} s   ratio {our_cpu / raw_cpu:.3f}x   "
              f"(one HiGHS thread each: CPU time is the work; wall time adds the machine's other load)")
        print(f"  runs (wall): highspy {', '.join(f'{t:.2f}' for t in times['highspy'])}; "
              f"opt-model {', '.join(f'{t:.2f}' for t in times['opt-model'])}; load now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
