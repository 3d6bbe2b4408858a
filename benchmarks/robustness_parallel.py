"""1,000-scenario robustness of the allocation LP: serial, ``jobs=2`` and Dask, side by side.

The 2000x50 allocation LP (``allocation.py``), every capacity uncertain
(relative, 5 %), 1,000 scenarios, seed 0; each run goes through
:func:`opt_model.sensitivity.robustness`:

- serial (``jobs=1``);
- ``jobs=2``: two local worker processes (spawned once; each chunk re-uses the worker's setup);
- Dask: a ``LocalCluster`` with 2 single-threaded worker processes, passed as ``scheduler=``
  (a real cluster is the same call with its address, ``scheduler="tcp://host:8786"``).

Prints scenarios per second (wall time of the whole call, start-up of the workers
included), the speed-up over serial, and whether every scenario's status and objective are
identical to the serial run.

    python benchmarks/robustness_parallel.py
    python benchmarks/robustness_parallel.py --size 500x50 --scenarios 400
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation import RESOURCES, build_opt_model, make_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="2000x50", help="NxM allocation size")
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the three runs (medians reported)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster run")
    args = parser.parse_args()
    from opt_model.sensitivity import robustness
    from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative

    n, m = (int(v) for v in args.size.split("x"))
    model = build_opt_model(make_data(n, m, seed=0))
    params = [Uncertain(capacity(name), relative(5)) for name in RESOURCES]

    loads: dict[str, tuple[float, float]] = {}

    def run(name: str, **where: object) -> tuple[float, object]:
        before = os.getloadavg()[0]
        start = time.perf_counter()
        report = robustness(model, params, scenarios=args.scenarios, seed=0, progress=False, **where)
        elapsed = time.perf_counter() - start
        loads[name] = (before, os.getloadavg()[0])
        return elapsed, report

    times: dict[str, list[float]] = {}
    reports: dict[str, object] = {}

    def record(name: str, seconds: float, report: object) -> None:
        times.setdefault(name, []).append(seconds)
        reports.setdefault(name, report)  # results are compared on the first round's reports

    for _ in range(args.rounds):  # interleaved, so that a change of load hits every kind of run alike
        record("serial", *run("serial"))
        record("jobs=2", *run("jobs=2", jobs=2))
        if not args.no_dask:
            from dask.distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                record("dask 2x1", *run("dask 2x1", scheduler=client))
    print(f"# robustness, {n}x{m} allocation ({n * m} variables), {args.scenarios} scenarios, seed 0; "
          f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; median of {args.rounds} round(s)")
    base = reports["serial"].samples  # type: ignore[attr-defined]
    serial_s = times["serial"]
    for name, seconds in times.items():
        samples = reports[name].samples  # type: ignore[attr-defined]
        same = all(np.array_equal(base[c].to_numpy(), samples[c].to_numpy(), equal_nan=base[c].dtype.kind == "f")
                   for c in ("status", "objective", "nominal_feasible"))
        ratios = [s / t for s, t in zip(serial_s, seconds, strict=True)]  # each round against its own serial run
        median_s = statistics.median(seconds)
        spread = f"  (ratios per round: {', '.join(f'{r:.2f}' for r in ratios)})" if args.rounds > 1 else ""
        print(f"{name:>10} {args.scenarios / median_s:8.1f} scenarios/s  {median_s:7.1f} s  "
              f"{statistics.median(ratios):5.2f}x serial  results {'identical' if same else 'DIFFER'}  "
              f"(load {loads[name][0]:.1f} -> {loads[name][1]:.1f}){spread}")
    print("# a speed-up needs both cores: read it against the load of the machine during each run")


if __name__ == "__main__":
    main()
