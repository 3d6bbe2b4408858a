"""The parent side of isolation: one child process per run, killed from outside at a hard limit.

Two modes, with the same guarantees per run:

- ``"fork"`` (default): a small *fork server* (:mod:`opt_model.bench.worker`
  ``--serve``) imports the solver layer once; for each run it forks a child that
  starts its own session (``setsid``), caps its address space (``RLIMIT_AS``),
  runs the job and exits.  The server reaps it with ``os.wait4``, which gives
  the OS-measured peak resident set size (``ru_maxrss``, including reaped
  sub-processes such as a ``glpsol`` run by Pyomo).  Overhead per run is a fork
  and two JSON lines.
- ``"spawn"``: a fresh interpreter per run (``python worker.py``), started in its
  own session; slower (interpreter start-up and imports) but shares nothing.

In both modes the *parent* enforces the time limit: when a run has not finished
``time_limit + grace`` seconds after it started, the parent sends ``SIGKILL`` to
the child's whole process group (the child is the group leader), whatever the
solver's own time limit said.  Nothing in this module trusts the child.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opt_model.bench.worker import preload_modules

WORKER_PATH = str(Path(__file__).resolve().with_name("worker.py"))
MODES = ("fork", "spawn")


@dataclass(frozen=True)
class RunLimits:
    """Limits of one isolated run.

    ``time_limit`` is passed to the solver and enforced from outside after
    ``grace`` more seconds; ``memory_limit_mb`` caps the child's address space.
    """

    time_limit: float = 300.0
    grace: float = 2.0
    memory_limit_mb: float | None = None

    @property
    def hard_limit(self) -> float:
        return self.time_limit + self.grace

    @property
    def backstop(self) -> float:
        """When a child ends itself (``SIGALRM``) in case its parent died and cannot kill it."""
        return 2 * self.hard_limit + 10

    @property
    def memory_limit_bytes(self) -> int | None:
        return int(self.memory_limit_mb * 2**20) if self.memory_limit_mb else None


@dataclass
class RunOutcome:
    """What the parent saw of one run: the worker's record (if any) and how the child ended."""

    record: dict[str, Any] | None
    wall_s: float
    exit_code: int | None = None
    signal: int | None = None
    peak_memory_kb: int | None = None
    killed: bool = False
    log_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def classify(self, limits: RunLimits) -> tuple[str, str]:
        """The run's status and a message: the worker's status, or ``time_limit``,
        ``memory_limit`` or ``crashed`` from how the process ended.
        """
        if self.killed:
            return "time_limit", (f"killed by the harness after {self.wall_s:.1f} s "
                                  f"(time limit {limits.time_limit:g} s + grace {limits.grace:g} s)")
        if self.record is not None and self.record.get("status"):
            return str(self.record["status"]), str(self.record.get("message") or "")
        tail = self.log_tail.strip().splitlines()[-3:]
        detail = ("; log: " + " | ".join(tail)) if tail else ""
        memory_words = ("bad_alloc", "MemoryError", "Cannot allocate memory", "out of memory")
        if any(word in self.log_tail for word in memory_words):
            return "memory_limit", f"the run failed to allocate memory{detail}"
        if self.signal is not None:
            name = signal_name(self.signal)
            if self.signal == signal.SIGALRM:
                return "time_limit", f"ended by its own backstop alarm ({name}) after {self.wall_s:.1f} s"
            if self.signal == signal.SIGKILL:
                return "memory_limit", (f"killed by {name}, not by the harness: most likely the kernel's "
                                        f"out-of-memory killer{detail}")
            return "crashed", f"crashed with {name}{detail}"
        return "crashed", f"exited with code {self.exit_code} without a result{detail}"


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11, and so on (``signal 99`` for an unknown number)."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _tail(path: str | None, size: int = 2000) -> str:
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - size, 0))
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (and ``pid`` itself if it has no group yet)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


class _Lines:
    """Read newline-terminated lines from a file descriptor with a timeout."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def readline(self, timeout: float | None) -> bytes | None:
        """A line (without the newline), ``None`` on timeout; raises ``EOFError`` at end of stream."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if self.closed:
                raise EOFError
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.closed = True
                continue
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


class ForkServer:
    """A pre-imported fork server: one forked, isolated child per run.

    Example
    -------
    ::

        server = ForkServer(["solvers", "solvers.highs"])
        outcome = server.run({"problem": "afiro.mps", "solver": "highs"}, RunLimits(60))
        outcome.record["status"], outcome.peak_memory_kb > 0
        # -> ('optimal', True)
        server.close()
    """

    def __init__(self, preload: list[str], python: str | None = None, env: dict[str, str] | None = None) -> None:
        self.preload = list(preload)
        self.python = python or sys.executable
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.lines: _Lines | None = None
        self.active_pid: int | None = None
        self._stderr_path: str | None = None

    def start(self) -> None:
        handle, self._stderr_path = tempfile.mkstemp(prefix="opt-model-forkserver-", suffix=".log")
        try:
            self.process = subprocess.Popen(
                [self.python, WORKER_PATH, "--serve", *self.preload], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=handle, env=self.env, close_fds=True)
        finally:
            os.close(handle)
        assert self.process.stdout is not None
        self.lines = _Lines(self.process.stdout.fileno())
        try:
            message = self._message(120.0)
        except EOFError:
            message = None
        if message is None or message.get("event") != "ready":
            error = _tail(self._stderr_path).strip().splitlines()[-1:] or ["no reply"]
            self.close()
            raise RuntimeError(f"the benchmark fork server did not start: {error[0]}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _message(self, timeout: float | None) -> dict[str, Any] | None:
        assert self.lines is not None
        line = self.lines.readline(timeout)
        return None if line is None else json.loads(line)

    def run(self, job: dict[str, Any], limits: RunLimits, log_path: str | None = None) -> RunOutcome:
        """Run ``job`` in a fresh forked child; kill its process group at ``limits.hard_limit``."""
        if not self.alive:
            self.start()
        assert self.process is not None and self.process.stdin is not None
        request = {"job": job, "memory_limit_bytes": limits.memory_limit_bytes, "log_path": log_path,
               "backstop_s": limits.backstop}
        start = time.perf_counter()
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            started = self._message(60.0)
        except (BrokenPipeError, EOFError):
            started = None
        if started is None or started.get("event") != "started":
            self.close()
            return RunOutcome(None, time.perf_counter() - start, log_tail="the fork server did not start the run",
                              exit_code=-1)
        pid = int(started["pid"])
        self.active_pid = pid
        killed = False
        try:
            finished = self._message(limits.hard_limit)
            if finished is None:
                killed = True
                _kill_group(pid)
                finished = self._message(30.0)
        except EOFError:
            finished = None
        finally:
            self.active_pid = None
        wall = time.perf_counter() - start
        if finished is None:  # the server itself died or hung: replace it
            _kill_group(pid)
            self.close()
            return RunOutcome(None, wall, killed=killed, exit_code=-1, log_tail=_tail(log_path) or
                              "the fork server stopped responding")
        record = finished.get("record")
        return RunOutcome(record, wall, exit_code=finished.get("exit_code"), signal=finished.get("signal"),
                          peak_memory_kb=finished.get("maxrss_kb"), killed=killed,
                          log_tail=_tail(log_path) if record is None else "")

    def kill_active(self) -> None:
        """Kill the run in progress (Ctrl-C); the server reports it as finished."""
        pid = self.active_pid
        if pid is not None:
            _kill_group(pid)

    def close(self) -> None:
        """Stop the server (closing its stdin ends its loop)."""
        self.kill_active()
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr_path:
            with contextlib.suppress(OSError):
                os.unlink(self._stderr_path)
            self._stderr_path = None


def run_spawned(job: dict[str, Any], limits: RunLimits, log_path: str | None = None,
                python: str | None = None, env: dict[str, str] | None = None,
                on_start: Any = None) -> RunOutcome:
    """Run ``job`` in a fresh interpreter in its own session; kill its group at the hard limit.

    The peak memory comes from ``os.wait4`` (``ru_maxrss``).  ``on_start(pid)``
    is called once the child exists (to let a caller kill it on Ctrl-C).
    """
    request = {"job": job, "memory_limit_bytes": limits.memory_limit_bytes, "log_path": log_path,
               "backstop_s": limits.backstop,
               "preload": preload_modules(str(job.get("solver", "")), str(job.get("kind", "file")))}
    start = time.perf_counter()
    process = subprocess.Popen([python or sys.executable, WORKER_PATH], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                               env=env, close_fds=True)
    if on_start is not None:
        on_start(process.pid)
    assert process.stdin is not None and process.stdout is not None
    with contextlib.suppress(BrokenPipeError):
        process.stdin.write(json.dumps(request).encode())
        process.stdin.close()
    lines = _Lines(process.stdout.fileno())
    killed = False
    line: bytes | None = None
    try:
        line = lines.readline(limits.hard_limit)
        if line is None:
            killed = True
            _kill_group(process.pid)
    except EOFError:
        line = None
    _, wait_status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    process.stdout.close()
    wall = time.perf_counter() - start
    record = None
    if line:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
    return RunOutcome(record, wall,
                      exit_code=os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else None,
                      signal=os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else None,
                      peak_memory_kb=int(usage.ru_maxrss), killed=killed,
                      log_tail=_tail(log_path) if record is None else "")


class IsolatedExecutor:
    """Runs jobs one at a time, each in its own child; keeps one fork server per set of imports.

    One executor per concurrent slot (``--jobs N`` makes N of them).  Fork
    servers are keyed by what they pre-import, so a HiGHS run's peak memory does
    not include Pyomo's modules.

    Example
    -------
    ::

        executor = IsolatedExecutor()
        executor.run({"problem": "afiro.mps", "solver": "highs"}, RunLimits(60)).record["status"]
        # -> 'optimal'
        executor.close()
    """

    def __init__(self, mode: str = "fork", python: str | None = None, env: dict[str, str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown isolation mode {mode!r}; choose one of {', '.join(MODES)}")
        self.mode = mode
        self.python = python
        self.env = env
        self.servers: dict[tuple[str, ...], ForkServer] = {}
        self._spawned_pid: int | None = None
        self._lock = threading.Lock()

    def run(self, job: dict[str, Any], limits: RunLimits, log_path: str | None = None) -> RunOutcome:
        if self.mode == "spawn":
            def remember(pid: int) -> None:
                self._spawned_pid = pid
            try:
                return run_spawned(job, limits, log_path, self.python, self.env, on_start=remember)
            finally:
                self._spawned_pid = None
        key = tuple(preload_modules(str(job.get("solver", "")), str(job.get("kind", "file"))))
        with self._lock:
            server = self.servers.get(key)
            if server is None:
                server = self.servers[key] = ForkServer(list(key), self.python, self.env)
        return server.run(job, limits, log_path)

    def kill_active(self) -> None:
        """Kill whatever run is in progress (used on Ctrl-C)."""
        for server in list(self.servers.values()):
            server.kill_active()
        if self._spawned_pid is not None:
            _kill_group(self._spawned_pid)

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()
