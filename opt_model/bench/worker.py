"""The child side of an isolated benchmark run: one job in, one JSON record out.

A job is a small JSON object::

    {"problem": "/path/afiro.mps", "kind": "file", "solver": "highs:ipm",
     "options": {"time_limit": 60}, "data_overrides": {}}

:func:`execute` reads the problem (an MPS/LP file through ``solvers`` only, or a
YAML spec through ``opt_model.spec``), solves it and returns a JSON-ready record:
size, status, objective, bound and gap, the time split (build, hand-off, solve),
iterations and residuals.  It never raises for a solver outcome; a Python
exception becomes ``status="error"`` and ``MemoryError`` becomes
``status="memory_limit"``.

The module runs in three ways, each started by :mod:`opt_model.bench.isolation`:

- ``python worker.py --serve [--preload MOD ...]``: a *fork server*.  It imports
  the solver layer once, then for each job line on stdin forks a child that calls
  ``setsid()`` (its own session and process group, so the parent can kill the
  whole group), caps its address space with ``RLIMIT_AS``, runs the job and
  writes its record to a pipe.  The server reaps the child with ``os.wait4`` and
  reports exit code, signal and the OS-measured peak resident set size.
- ``python worker.py`` with one job on stdin: runs it in this process (used by
  the *spawn* isolation mode, where the parent sets the limits).
- ``import``: :func:`execute` for in-process use (the Dask path wraps it too).

The file is run by path, not with ``-m``, so that importing it does not import
``opt_model`` (and with it pandas): an MPS job imports only ``solvers``.

A backend registered with :func:`solvers.register` from outside the ``solvers``
package (a plugin, or the test suite's misbehaving stand-ins in
``tests/standin_backends.py``) is registered again in the worker from its
``"module:Class"`` path (:func:`preload_modules`), so the worker imports the
module that defines it; the worker itself knows no solver by name.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

from solvers.numbers import finite_or_none

if __name__ == "__main__":  # run by path: make the project importable, and not this folder
    _HERE = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if entry and str(Path(entry).resolve()) != _HERE]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PROTOCOL_VERSION = 1


# ---------------------------------------------------------------------------------------
# one job
# ---------------------------------------------------------------------------------------



def _residuals(form: Any, result: Any) -> tuple[float | None, float | None]:
    """Max absolute primal infeasibility and dual (stationarity) residual, from the arrays.

    Primal: largest violation of a row or column bound by ``A x`` and ``x``.
    Dual: ``max |c - A' y - z|`` (the project's sign convention makes this vanish
    at an optimum for minimisation and maximisation alike); ``None`` without duals.
    """
    import numpy as np

    if result.x is None:
        return None, None
    x = np.asarray(result.x, dtype=np.float64)
    activity = form.A @ x
    with np.errstate(invalid="ignore"):
        violations = [
            np.maximum(form.row_lower - activity, 0.0), np.maximum(activity - form.row_upper, 0.0),
            np.maximum(form.col_lower - x, 0.0), np.maximum(x - form.col_upper, 0.0),
        ]
    primal = max((float(np.nan_to_num(v, nan=0.0).max(initial=0.0)) for v in violations), default=0.0)
    dual: float | None = None
    if result.row_dual is not None and result.reduced_cost is not None and form.Q is None and not form.cones:
        stationarity = form.c - form.A.T @ np.asarray(result.row_dual) - np.asarray(result.reduced_cost)
        dual = float(np.abs(stationarity).max(initial=0.0))
    return primal, dual


def _load(job: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The job's problem as a :class:`solvers.StandardForm`, and the problem's own solver options.

    A spec with objectives by priority is benchmarked on its last stage: the
    earlier stages are solved here with HiGHS (counted as build time) and held
    within their tolerances, so the solver under test answers the question whose
    optimum the spec's ``expected`` states.
    """
    path = job["problem"]
    if job.get("kind") == "spec":
        from opt_model.bench.spec_data import load_with_data

        model = load_with_data(path, job.get("data_overrides") or None)
        options = dict(model.solver_options)
        if model.objectives.lexicographic:  # the earlier stages in HiGHS, the last one's form for the solver
            from opt_model.multiobjective import Lexicographic

            transform = Lexicographic(model)
            earlier = transform.solve("highs", options=options, upto=transform.count - 1)
            if not earlier.status.is_optimal:
                return earlier.compiled.form, options  # the stage that stopped the sequence
            return transform.stage_form(transform.count, earlier.objectives), options
        return model.compile().form, options
    from solvers import read_file

    return read_file(path), {}


def preload_modules(solver: str, kind: str = "file") -> list[str]:
    """Modules a job needs imported before it starts: the solver layer, the backend, the spec loader.

    Imported once by a fork server (or before the clock starts in a spawned
    worker), so that import time is not counted as the run's build time.

    Example
    -------
    >>> preload_modules("highs:ipm")
    ['solvers', 'solvers.highs', 'solvers.files', 'scipy.sparse']

    A backend registered from outside the ``solvers`` package appears with its
    path, ``backend:NAME=module:Class``: the worker registers it again from there.
    """
    # solvers.highs reads MPS and LP files; solvers.files checks them and builds the form's scipy.sparse matrix
    # (left to the child, those imports were most of a small model's build time)
    modules = ["solvers", "solvers.highs", "solvers.files", "scipy.sparse"]
    name = solver.partition(":")[0].lower()
    if name not in ("highs", "auto"):
        modules.append(f"backend:{name}{_plugin_path(name)}")  # the registered backend's module
    if kind == "spec":
        modules += ["opt_model.spec", "opt_model.bench.spec_data", "warm:spec"]
    return modules


def _plugin_path(name: str) -> str:
    """``"=module:Class"`` for a backend registered in this process from outside ``solvers``, else ``""``."""
    from solvers.backend import backend_class

    try:
        cls = backend_class(name)
    except ImportError:  # unknown or not importable here: the run reports it
        return ""
    module = cls.__module__
    if module == "solvers" or module.startswith("solvers.") or "<" in cls.__qualname__:
        return ""
    return f"={module}:{cls.__qualname__}"


_WARM_SPEC = """version: 1
dims: {item: [a, b]}
data: {need: {dims: [item], unit: GiB, values: {a: 1, b: 2}}}
variables: {x: {dims: [item], upper: 1}}
resources: {memory: {unit: GiB, capacity: 2 GiB, usage: "sum(need * x, over=item)"}}
objective: {maximize: "sum(x)"}
"""


def _warm_spec_loader() -> None:
    """Load and compile a tiny spec once, so that one-time set-up (unit registry, caches) is not a run's build time."""
    from opt_model.spec import loads_spec

    loads_spec(_WARM_SPEC).compile()


def _preload(modules: list[str]) -> None:
    import importlib

    for module in modules:
        try:
            if module == "warm:spec":
                _warm_spec_loader()
            elif module.startswith("backend:"):
                from solvers.backend import backend_class, register

                name, _, path = module.partition(":")[2].partition("=")
                if path:
                    register(name, path)
                backend_class(name)
            else:
                importlib.import_module(module)
        except Exception:  # the run itself will report a missing package or a broken loader
            continue


def execute(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in this process; a JSON-ready record (never raises for a solve outcome).

    Example
    -------
    ::

        rec = execute({"problem": "afiro.mps", "solver": "highs"})
        rec["status"], round(rec["objective"], 3)
        # -> ('optimal', -464.753)
    """
    started = time.perf_counter()
    record: dict[str, Any] = {"protocol": PROTOCOL_VERSION}
    solver = str(job["solver"])
    try:
        form, problem_options = _load(job)
        record.update(rows=form.num_rows, cols=form.num_cols, nonzeros=form.num_nonzeros,
                      integers=form.num_integers, problem_class=form.problem_class.value)
        record["build_time_s"] = time.perf_counter() - started
        from solvers import solve

        solve_start = time.perf_counter()
        result = solve(form, solver, {**problem_options, **(job.get("options") or {})})
        record["solve_wall_s"] = time.perf_counter() - solve_start
        primal, dual = _residuals(form, result)
        iterations = {key: int(value) for key, value in (result.iterations or {}).items() if value and value > 0}
        record.update(
            status=result.status.value, solver_status=result.raw_status or result.status.value,
            solver_name=result.solver, solver_version=result.solver_version,
            objective=finite_or_none(result.objective), best_bound=finite_or_none(result.mip_bound),
            gap=finite_or_none(result.mip_gap),
            handoff_time_s=finite_or_none(result.handoff_time_s), solve_time_s=finite_or_none(result.solve_time_s),
            solver_time_s=finite_or_none(result.extra.get("solver_time_s", result.solve_time_s)),
            iterations=iterations, primal_residual=primal, dual_residual=dual,
            message=result.message or "")
    except MemoryError:
        record.update(status="memory_limit", message="MemoryError: the run exceeded its memory limit")
    except Exception as error:
        record.update(status="error", message=f"{type(error).__name__}: {error}"[:2000])
    record["child_wall_s"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    record["self_maxrss_kb"] = int(max(usage, children))
    return record


# ---------------------------------------------------------------------------------------
# the fork server
# ---------------------------------------------------------------------------------------

def set_memory_limit(limit_bytes: int | None) -> None:
    """Cap this process's address space (``RLIMIT_AS``); ``None`` leaves it as it is."""
    if limit_bytes:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = int(limit_bytes) if hard == resource.RLIM_INFINITY else min(int(limit_bytes), hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _redirect_output(log_path: str | None) -> None:
    """Point fds 0, 1 and 2 of a child away from the server's protocol pipes."""
    null_in = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_in, 0)
    os.close(null_in)
    target = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if log_path \
        else os.open(os.devnull, os.O_WRONLY)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)


def _child(request: dict[str, Any], write_fd: int) -> None:
    """In the forked child: own session, limits, run, write the record, exit (never returns)."""
    code = 0
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        _redirect_output(request.get("log_path"))
        import faulthandler

        faulthandler.enable(file=sys.stderr)
        set_memory_limit(request.get("memory_limit_bytes"))
        _backstop(request.get("backstop_s"))
        record = execute(request["job"])
        payload = (json.dumps(record) + "\n").encode()
        view = memoryview(payload)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _read_all(fd: int, pid: int, parent: int) -> bytes:
    """Read the child's record; if the server's parent dies meanwhile, kill the child's group and exit."""
    import select

    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            if os.getppid() != parent:  # orphaned: nobody will kill the run or read its result
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
                os._exit(0)
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _backstop(seconds: float | None) -> None:
    """Ask the kernel to end this process after ``seconds`` (``SIGALRM``), should the parent be gone."""
    if seconds:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(math.ceil(seconds), 1))


def _send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve(preload: list[str]) -> int:
    """The fork-server loop: one forked, isolated child per job line on stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _preload(["solvers", *preload])
    parent = os.getppid()
    _send({"event": "ready", "pid": os.getpid(), "protocol": PROTOCOL_VERSION})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        read_fd, write_fd = os.pipe()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(request, write_fd)
        os.close(write_fd)
        _send({"event": "started", "pid": pid})
        payload = _read_all(read_fd, pid, parent)
        os.close(read_fd)
        _, wait_status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        record = None
        if payload.strip():
            try:
                record = json.loads(payload)
            except ValueError:
                record = None
        _send({"event": "finished", "pid": pid, "wall_s": wall,
               "exit_code": os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None,
               "signal": os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None,
               "maxrss_kb": int(usage.ru_maxrss), "record": record})
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``--serve [--preload MODULE ...]`` or one JSON job on stdin."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--serve":
        preload = [arg for arg in args[1:] if arg != "--preload"]
        return serve(preload)
    request = json.loads(sys.stdin.read())
    job = request.get("job", request)
    set_memory_limit(request.get("memory_limit_bytes"))
    _backstop(request.get("backstop_s"))
    _preload(request.get("preload") or preload_modules(str(job.get("solver", "")), str(job.get("kind", "file"))))
    result_fd = os.dup(1)  # the record goes to the original stdout; solver output to the log
    _redirect_output(request.get("log_path"))
    import faulthandler

    faulthandler.enable(file=sys.stderr)
    record = execute(job)
    with os.fdopen(result_fd, "w") as out:
        out.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
