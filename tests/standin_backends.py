"""Misbehaving stand-in solvers for the benchmark's isolation tests, registered through ``solvers.register``.

``test:sleep`` hangs (ignoring its own time limit), ``test:segfault`` dies of SIGSEGV, ``test:alloc``
allocates without bound, ``test:exit`` exits with the code in option ``code``, ``test:modules`` reports
which heavy packages its process has imported (in its message), ``test:constant`` reports the objective
in option ``objective`` (a wrong answer on demand).

The benchmark worker runs in another process: it finds this backend because the registry records it by
its importable path (``tests.standin_backends:StandinBackend``), which
:func:`opt_model.bench.worker.preload_modules` hands to the worker.  Importing this module imports
``solvers`` only.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import solvers
from solvers import Backend, BackendResult, ProblemClass, SolveOptions, SolveStatus, StandardForm

NAME = "test"
HEAVY = ("pandas", "opt_model", "pyomo", "cvxpy", "matplotlib")

TINY_MPS = """NAME          TINY
ROWS
 N  COST
 L  LIM1
COLUMNS
    X1        COST         1.0   LIM1         1.0
RHS
    RHS       LIM1         4.0
BOUNDS
 UP BND       X1           4.0
ENDATA
"""


class StandinBackend(Backend):
    """A backend whose variants misbehave on purpose (see the module docstring)."""

    name: ClassVar[str] = NAME
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset(ProblemClass)
    variants: ClassVar[tuple[str, ...]] = ("sleep", "segfault", "alloc", "exit", "modules", "constant")
    description: ClassVar[str] = "misbehaving stand-ins for the benchmark isolation tests (tests/standin_backends.py)"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        extra = dict(options.extra or {})
        if self.variant == "sleep":
            while True:
                time.sleep(3600)
        if self.variant == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.variant == "alloc":  # allocates (and touches) memory without bound
            blocks = []
            while True:
                blocks.append(b"\x01" * (32 << 20))
        if self.variant == "exit":
            os._exit(int(extra.get("code", 3)))
        if self.variant == "modules":
            loaded = [module for module in HEAVY if module in sys.modules]
            return BackendResult(SolveStatus.OPTIMAL, NAME, objective=0.0, message="loaded: " + ",".join(loaded))
        if self.variant == "constant":
            return BackendResult(SolveStatus.OPTIMAL, NAME, objective=float(extra.get("objective", 0.0)),
                                 solver_version="test")
        return BackendResult(SolveStatus.ERROR, NAME, message=f"unknown stand-in {self.variant!r}")


@contextmanager
def registered() -> Iterator[str]:
    """Register the stand-ins as ``test`` for the duration of a test; yields the name."""
    solvers.register(NAME, StandinBackend)
    try:
        yield NAME
    finally:
        solvers.unregister(NAME)


def tiny_mps(folder: Path) -> Path:
    """A one-variable LP in MPS form, for jobs whose solver never looks at the problem."""
    path = folder / "tiny.mps"
    path.write_text(TINY_MPS)
    return path


REGISTER_AND_RUN_CLI = (
    "import sys, solvers; solvers.register('test', 'tests.standin_backends:StandinBackend'); "
    "from opt_model.cli import main; raise SystemExit(main(sys.argv[1:]))"
)
"""``python -c`` code that runs the CLI with the stand-ins registered (for tests of the CLI process)."""
