"""Build + hand-off to HiGHS: opt-model against the numpy floor, linopy, CVXPY and Pyomo.

Every measurement runs in a fresh child process: the time from nothing to
HiGHS holding the model column-wise (everything before the solver iterates),
and the peak resident memory added by the build (the kernel's high-water mark,
reset after the data is generated), with the CPU time of the build beside its wall time
(on a shared machine the wall time also measures the other users' load).  Prints a table of medians and, as the
last line, the ratio opt-model / floor at the largest size.  Tools alternate run by run, in reversed order
every other round, after one untimed floor run; ``--runs`` prints every run with its user and system time
(at 10M variables the system time is page faults: first touches of fresh memory).

    python benchmarks/build_overhead.py                    # small and 1M-variable sizes
    python benchmarks/build_overhead.py --sizes 2000x50 --repeats 5
    python benchmarks/build_overhead.py --tools opt-model,floor

What each reference times: linopy builds its model and calls ``to_highspy()``;
CVXPY builds the problem and runs ``get_problem_data(HIGHS)`` (its
canonicalisation to solver arrays); Pyomo builds a ConcreteModel and loads it
into ``appsi`` HiGHS (``set_instance``).
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

from allocation import RESOURCES, AllocationData, make_data

TOOLS = ("floor", "opt-model", "linopy", "cvxpy", "pyomo")
VERBOSE = False


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _hwm_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def build_floor(data: AllocationData):  # type: ignore[no-untyped-def]
    """The fewest numpy operations that describe this model, handed to passModel column-wise."""
    import highspy
    import numpy as np

    n, m = data.shape
    ncol = n * m
    task = np.repeat(np.arange(n, dtype=np.int32), m)
    machine = np.tile(np.arange(m, dtype=np.int32), n)
    index = np.stack([task] + [n + r * m + machine for r in range(len(RESOURCES))], axis=1).ravel()
    value = np.stack([np.ones(ncol)] + [data.usage[r].ravel() for r in range(len(RESOURCES))], axis=1).ravel()
    start = np.arange(0, (len(RESOURCES) + 1) * ncol + 1, len(RESOURCES) + 1, dtype=np.int32)
    row_lower = np.concatenate([np.ones(n), np.full(len(RESOURCES) * m, -np.inf)])
    row_upper = np.concatenate([np.ones(n), data.capacity.ravel()])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.passModel(ncol, n + len(RESOURCES) * m, index.size, 1, 1, 0.0, data.cost.ravel(), np.zeros(ncol),
                         np.ones(ncol), row_lower, row_upper, start, index, value, np.zeros(ncol, dtype=np.int32))
    assert status == highspy.HighsStatus.kOk, status
    return h


def build_opt_model_highs(data: AllocationData):  # type: ignore[no-untyped-def]
    from allocation import build_opt_model

    from solvers.highs import new_highs, pass_model

    model = build_opt_model(data)
    form = model.compile().form
    h = new_highs()
    pass_model(h, form)
    h.ensureColwise()
    return h


def build_linopy(data: AllocationData):  # type: ignore[no-untyped-def]
    import linopy
    import xarray as xr

    n, m = data.shape
    coords = {"task": range(n), "machine": range(m)}
    model = linopy.Model()
    x = model.add_variables(lower=0, upper=1, coords=[coords["task"], coords["machine"]], dims=["task", "machine"],
                            name="x")
    model.add_constraints(x.sum("machine") == 1, name="assign")
    for r, name in enumerate(RESOURCES):
        use = xr.DataArray(data.usage[r], coords=coords, dims=["task", "machine"])
        cap = xr.DataArray(data.capacity[r], coords={"machine": range(m)}, dims=["machine"])
        model.add_constraints((use * x).sum("task") <= cap, name=name)
    model.add_objective((xr.DataArray(data.cost, coords=coords, dims=["task", "machine"]) * x).sum())
    h = model.to_highspy()
    h.ensureColwise()
    return h


def build_cvxpy(data: AllocationData):  # type: ignore[no-untyped-def]
    import cvxpy as cp

    n, m = data.shape
    x = cp.Variable((n, m))
    constraints = [x >= 0, x <= 1, cp.sum(x, axis=1) == 1]
    for r in range(len(RESOURCES)):
        constraints.append(cp.sum(cp.multiply(data.usage[r], x), axis=0) <= data.capacity[r])
    problem = cp.Problem(cp.Minimize(cp.sum(cp.multiply(data.cost, x))), constraints)
    return problem.get_problem_data(cp.HIGHS)


def build_pyomo(data: AllocationData):  # type: ignore[no-untyped-def]
    import pyomo.environ as pyo
    from pyomo.contrib import appsi

    n, m = data.shape
    model = pyo.ConcreteModel()
    model.T = pyo.RangeSet(0, n - 1)
    model.M = pyo.RangeSet(0, m - 1)
    model.R = pyo.RangeSet(0, len(RESOURCES) - 1)
    model.x = pyo.Var(model.T, model.M, bounds=(0, 1))
    model.assign = pyo.Constraint(model.T, rule=lambda mdl, i: sum(mdl.x[i, j] for j in mdl.M) == 1)
    model.cap = pyo.Constraint(model.R, model.M, rule=lambda mdl, r, j: sum(
        data.usage[r, i, j] * mdl.x[i, j] for i in mdl.T) <= data.capacity[r, j])
    model.obj = pyo.Objective(expr=sum(data.cost[i, j] * model.x[i, j] for i in model.T for j in model.M))
    solver = appsi.solvers.Highs()
    solver.set_instance(model)
    return solver


BUILDERS = {"floor": build_floor, "opt-model": build_opt_model_highs, "linopy": build_linopy,
            "cvxpy": build_cvxpy, "pyomo": build_pyomo}


def worker(tool: str, n: int, m: int) -> None:
    """One measurement in this (fresh) process; prints JSON."""
    data = make_data(n, m, seed=0)
    import highspy  # noqa: F401  (library import time is not build time)
    if tool == "opt-model":
        import opt_model.compiler
        import opt_model.model  # noqa: F401
        import solvers.highs  # noqa: F401
    elif tool in ("linopy", "cvxpy"):
        __import__(tool)
    elif tool == "pyomo":
        import pyomo.environ  # noqa: F401
        from pyomo.contrib import appsi  # noqa: F401
    import gc
    gc.collect()
    baseline = _rss_kib()
    _reset_peak()
    start, cpu, times = time.perf_counter(), time.process_time(), os.times()
    handle = BUILDERS[tool](data)
    elapsed, cpu, after = time.perf_counter() - start, time.process_time() - cpu, os.times()
    peak = _hwm_kib() - baseline
    del handle
    print(json.dumps({"tool": tool, "seconds": elapsed, "cpu_seconds": cpu, "peak_mib": peak / 1024,
                      "user_seconds": after.user - times.user, "sys_seconds": after.system - times.system}))


def measure_once(tool: str, n: int, m: int, timeout: float) -> tuple[float, float, float] | str:
    """(wall seconds, peak MiB, CPU seconds) of one run in a fresh process, or why it failed."""
    try:
        done = subprocess.run([sys.executable, __file__, "--worker", tool, "--sizes", f"{n}x{m}"],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timeout>{timeout:.0f}s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return "not installed" if "ModuleNotFoundError" in done.stderr else last[:60]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    if VERBOSE:
        print(f"#   {tool} {n}x{m}: wall {record['seconds']:.3f} s, user {record['user_seconds']:.2f} s, "
              f"system {record['sys_seconds']:.2f} s, peak {record['peak_mib']:.0f} MiB", flush=True)
    return record["seconds"], record["peak_mib"], record["cpu_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000x50,20000x50", help="comma-separated NxM sizes")
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool and size (median reported)")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per run")
    parser.add_argument("--runs", action="store_true",
                        help="also print each run (user and system time apart: system time is mostly page faults)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.runs
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    if args.worker:
        worker(args.worker, *sizes[0])
        return
    print(f"# build + hand-off to HiGHS, medians of {args.repeats} runs, each in a fresh process, tools interleaved")
    print(f"# machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    header = (f"{'size':>12} {'tool':>10} {'build+handoff s':>16} {'x floor':>8} {'CPU s':>7} {'x floor':>8} "
              f"{'peak MiB':>9} {'x floor':>8}  note")
    print(header)
    ratio_line = ""
    for n, m in sizes:
        tools = args.tools.split(",")
        times: dict[str, list[float]] = {tool: [] for tool in tools}
        cpus: dict[str, list[float]] = {tool: [] for tool in tools}
        peaks: dict[str, list[float]] = {tool: [] for tool in tools}
        notes: dict[str, str] = {}
        # An untimed floor run first: a 10M build's first fresh pages after an idle spell cost several times
        # more than in later rounds on a VM that returns free memory to its host, and would all land on
        # whichever tool went first.
        measure_once("floor", n, m, args.timeout)
        for round_ in range(args.repeats):  # round-robin, so that load on a shared machine hits every tool alike,
            for tool in (tools if round_ % 2 == 0 else tools[::-1]):  # and each tool goes first as often
                if tool in notes:
                    continue
                outcome = measure_once(tool, n, m, args.timeout)
                if isinstance(outcome, str):
                    notes[tool] = outcome
                else:
                    times[tool].append(outcome[0])
                    peaks[tool].append(outcome[1])
                    cpus[tool].append(outcome[2])
        floor_time = statistics.median(times["floor"]) if times.get("floor") else float("nan")
        floor_peak = statistics.median(peaks["floor"]) if peaks.get("floor") else float("nan")
        floor_cpu = statistics.median(cpus["floor"]) if cpus.get("floor") else float("nan")
        for tool in tools:
            t = statistics.median(times[tool]) if times[tool] else float("nan")
            p = statistics.median(peaks[tool]) if peaks[tool] else float("nan")
            c = statistics.median(cpus[tool]) if cpus[tool] else float("nan")
            runs = f"{len(times[tool])} runs" if times[tool] else ""
            print(f"{f'{n}x{m}':>12} {tool:>10} {t:16.3f} {t / floor_time:8.2f} {c:7.3f} {c / floor_cpu:8.2f} "
                  f"{p:9.1f} {p / floor_peak:8.2f}  {notes.get(tool) or runs}", flush=True)
            if tool == "opt-model":
                ratio_line = (f"opt-model / floor at {n}x{m} ({n * m} variables): time {t / floor_time:.2f}x "
                              f"(CPU time {c / floor_cpu:.2f}x), peak memory {p / floor_peak:.2f}x; "
                              f"load {os.getloadavg()[0]:.1f}")
    print(ratio_line)


if __name__ == "__main__":
    main()
