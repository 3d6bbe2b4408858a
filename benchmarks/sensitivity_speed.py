"""``opt-model sensitivity`` against ``opt-model solve`` on a degenerate min-cost flow, same run.

Writes the seeded flow of ``mincost_flow.py`` (2,000 arcs by default) to a temporary MPS
file, then times whole processes, interleaved round by round: ``opt-model solve``, ``opt-model
sensitivity`` and ``opt-model sensitivity --no-one-sided``, each by wall time and by CPU time
(user + system: on a shared machine the wall time also measures the other users' load).
Also prints, in one process, the solver's time for the LP beside the report's time and its
number of re-solves.

    python benchmarks/sensitivity_speed.py
    python benchmarks/sensitivity_speed.py --arcs 600 --rounds 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cli_latency import opt_model_command, run_timed
from mincost_flow import flow_form


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arcs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command (median reported)")
    args = parser.parse_args()
    from opt_model.sensitivity import sensitivity_report
    from opt_model.sensitivity.problem import AnalysisModel
    from solvers import solve, write_file

    cli = opt_model_command()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / f"flow{args.arcs}.mps")
        form = flow_form(args.arcs)
        write_file(form, path)
        lp = solve(form)
        start = time.perf_counter()
        report = sensitivity_report(AnalysisModel.load(path))
        report_time = time.perf_counter() - start
        commands = {"opt-model solve": [*cli, "solve", path], "opt-model sensitivity": [*cli, "sensitivity", path],
                    "sensitivity --no-one-sided": [*cli, "sensitivity", "--no-one-sided", path]}
        for command in commands.values():  # warm the file cache and the byte-code cache once
            run_timed(command)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        load_before = os.getloadavg()[0]
        for _ in range(args.rounds):
            for name, command in commands.items():
                wall, cpu = run_timed(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    print(f"# min-cost flow, {form.num_cols} arcs, {form.num_rows} nodes; medians of {args.rounds} interleaved runs "
          f"(byte-code cached); machine: {os.cpu_count()} cores, load {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"in one process: HiGHS solve {lp.solve_time_s:.3f} s; sensitivity report {report_time:.3f} s "
          f"({report.resolves} re-solves, {int(report.constraints['one_sided'].sum())} rows with one-sided prices)")
    print(f"{'':>28} {'wall s':>8} {'x solve':>8} {'CPU s':>8} {'x solve':>8}")
    for name in commands:
        print(f"{name:>28} {wall[name]:8.3f} {wall[name] / wall['opt-model solve']:8.2f} {cpu[name]:8.3f} "
              f"{cpu[name] / cpu['opt-model solve']:8.2f}")
    print(f"opt-model sensitivity: {wall['opt-model sensitivity'] / wall['opt-model solve']:.2f}x opt-model solve "
          f"in wall time, {cpu['opt-model sensitivity'] / cpu['opt-model solve']:.2f}x in CPU time (bar: <= 3x)")


if __name__ == "__main__":
    main()
