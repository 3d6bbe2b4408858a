"""Whole-process latency of the ``opt-model`` command against bare Python, measured in the same run.

Four commands, each run as a fresh process, interleaved round by round so that
load on a shared machine hits all of them alike; medians are printed with the
ratio to their reference:

- ``python -c pass`` (the interpreter's own start-up) against ``opt-model --version``;
- a bare script that imports highspy, reads the MPS file and solves it, against
  ``opt-model solve FILE`` (which also prints the objective and every variable).

Every command runs with its byte-code cached, as an installed copy has it (see
:func:`bench_env`); the warm-up round fills the cache.

    python benchmarks/cli_latency.py                      # wyndor, 9 rounds
    python benchmarks/cli_latency.py --rounds 15 --file problems/mps/afiro.mps
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_SCRIPT = """
import sys
import highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(sys.argv[1])
h.run()
values = h.getSolution().col_value
print(h.modelStatusToString(h.getModelStatus()), h.getInfo().objective_function_value, list(values))
"""


def opt_model_command() -> list[str]:
    script = Path(sys.executable).with_name("opt-model")
    if script.exists():
        return [str(script)]
    found = shutil.which("opt-model")
    return [found] if found else [sys.executable, "-m", "opt_model.cli"]


BYTECODE_CACHE = Path(tempfile.gettempdir()) / "opt-model-bench-pycache"


def bench_env() -> dict[str, str]:
    """The environment for timed commands: byte-code cached as for an installed package.

    An environment with ``PYTHONDONTWRITEBYTECODE`` set (as some sandboxes and CI images
    have) makes every process compile every module it imports, a cost that grows with the
    number of modules and that no installed copy pays.  The cache goes to a private
    directory (``PYTHONPYCACHEPREFIX``), never into the checkout; the first, untimed run of
    each command fills it.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    return env


def run_timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=bench_env())
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-300:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _time(command: list[str]) -> float:
    return run_timed(command)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", default="problems/mps/wyndor.mps", help="model file for the solve pair")
    parser.add_argument("--rounds", type=int, default=9, help="runs of each command (median reported; >= 5)")
    args = parser.parse_args()
    cli = opt_model_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "opt-model --version": [*cli, "--version"],
        "bare highspy script": [sys.executable, "-c", BARE_SCRIPT, args.file],
        f"opt-model solve {args.file}": [*cli, "solve", args.file],
    }
    for command in commands.values():  # warm the file cache and byte-code once
        _time(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            times[name].append(_time(command))
    med = {name: statistics.median(values) for name, values in times.items()}
    names = list(commands)
    print(f"# whole-process latency, medians of {args.rounds} interleaved runs; "
          f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; python {sys.version.split()[0]}")
    print(f"{'command':>40} {'median s':>9} {'min s':>7}  reference")
    for name in names:
        print(f"{name:>40} {med[name]:9.3f} {min(times[name]):7.3f}")
    version_extra = med[names[1]] - med[names[0]]
    solve_ratio = med[names[3]] / med[names[2]]
    print(f"opt-model --version: +{version_extra:.3f} s over python -c pass (bar: <= 0.300 s)")
    print(f"opt-model solve: {solve_ratio:.2f}x the bare highspy script (bar: <= 1.50x)")


if __name__ == "__main__":
    main()
