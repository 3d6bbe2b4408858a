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

    rows: list[tuple[str, float, object]] = []
    serial_s, serial = run("serial")
    rows.append(("serial", serial_s, serial))
    jobs_s, jobs = run("jobs=2", jobs=2)
    rows.append(("jobs=2", jobs_s, jobs))
    if not args.no_dask:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            dask_s, on_dask = run("dask 2x1", scheduler=client)
        rows.append(("dask 2x1", dask_s, on_dask))
    print(f"# robustness, {n}x{m} allocation ({n * m} variables), {args.scenarios} scenarios, seed 0; "
          f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    base = serial.samples  # type: ignore[attr-defined]
    for name, seconds, report in rows:
        samples = report.samples  # type: ignore[attr-defined]
        same = all(np.array_equal(base[c].to_numpy(), samples[c].to_numpy(), equal_nan=base[c].dtype.kind == "f")
                   for c in ("status", "objective", "nominal_feasible"))
        print(f"{name:>10} {args.scenarios / seconds:8.1f} scenarios/s  {seconds:7.1f} s  "
              f"{serial_s / seconds:5.2f}x serial  results {'identical' if same else 'DIFFER'}  "
              f"(load {loads[name][0]:.1f} -> {loads[name][1]:.1f})")
    print("# a speed-up needs both cores: read it against the load of the machine during each run")


if __name__ == "__main__":
    main()
