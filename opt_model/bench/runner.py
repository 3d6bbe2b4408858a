"""Running a batch: choose the runs to do, run each isolated, check it, store it as it ends.

Example
-------
::

    from opt_model.bench import build_suite, run_batch, BenchSettings
    suite = build_suite(["../shared/data/netlib/afiro.mps"], ["highs", "highs:ipm"], time_limit=60)
    summary = run_batch(suite, BenchSettings(db="bench.sqlite"))
    summary.counts
    # -> {'optimal': 2}
"""

from __future__ import annotations

import os
import platform
import queue
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opt_model.bench.environment import machine_info, package_versions, project_commit
from opt_model.bench.isolation import MODES, IsolatedExecutor, RunLimits, RunOutcome
from opt_model.bench.progress import Progress
from opt_model.bench.references import check
from opt_model.bench.storage import FAILED_STATUSES, ResultStore
from opt_model.bench.suite import Job, Suite, describe, file_digest
from opt_model.errors import OptModelError


class BenchError(OptModelError, ValueError):
    """A benchmark cannot start as asked (existing results without --resume, bad settings)."""


@dataclass
class BenchSettings:
    """How to run a batch (the suite says what to run).

    ``resume`` skips runs already in the database, ``rerun`` runs everything
    again, ``rerun_failed`` runs again those whose latest status is a failure.
    ``isolation`` is ``"fork"`` (pre-imported fork server, default) or ``"spawn"``.
    """

    db: str = "bench.sqlite"
    jobs: int = 1
    isolation: str = "fork"
    grace: float = 2.0
    resume: bool = False
    rerun: bool = False
    rerun_failed: bool = False
    scheduler: str | None = None
    log_dir: str | None = None
    progress: bool = True
    argv: list[str] = field(default_factory=list)


@dataclass
class BatchSummary:
    """What a batch did: counts by status, the wrong results, and where they are stored."""

    db: str
    batch_id: int
    total: int
    skipped: int
    counts: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ran(self) -> int:
        return sum(self.counts.values())

    def text(self) -> str:
        parts = ", ".join(f"{count} {status}" for status, count in sorted(self.counts.items()))
        lines = [f"{self.ran} run(s) recorded in {self.db} (batch {self.batch_id}; {self.skipped} skipped as done)"
                 + (f": {parts}" if parts else "")]
        if self.wrong:
            lines.append(f"WRONG results ({len(self.wrong)}): " + "; ".join(self.wrong))
        if self.interrupted:
            lines.append(f"interrupted: finished runs are kept; continue with --resume --db {self.db}")
        return "\n".join(lines)


def select_jobs(jobs: list[Job], done: dict[str, str], settings: BenchSettings) -> tuple[list[Job], int]:
    """The jobs to run given what the database holds; raises :class:`BenchError` when ambiguous."""
    if settings.rerun:
        return jobs, 0
    if settings.rerun_failed:
        todo = [job for job in jobs if done.get(job.key) in FAILED_STATUSES or job.key not in done]
        return todo, len(jobs) - len(todo)
    present = [job for job in jobs if job.key in done]
    if present and not settings.resume:
        raise BenchError(f"{settings.db} already holds {len(present)} of these {len(jobs)} runs; pass --resume to "
                         "skip them, --rerun-failed to repeat the failed ones, --rerun to repeat all, or use "
                         "another --db")
    todo = [job for job in jobs if job.key not in done]
    return todo, len(jobs) - len(todo)


def make_row(job: Job, outcome: RunOutcome, suite: Suite, limits: RunLimits, isolation: str,
             worker: str = "") -> dict[str, Any]:
    """The database row of one finished run: the worker's record, how the child ended, the check."""
    record = outcome.record or {}
    status, message = outcome.classify(limits)
    solver_status = record.get("solver_status") or status
    reference = job.problem.reference
    checked, error, check_message = check(status, record.get("objective"), reference, suite.tolerance)
    if checked != status:
        message = check_message + (f"; {message}" if message else "")
    solve_time = record.get("solve_time_s")
    wall = outcome.wall_s
    peak_kb = outcome.peak_memory_kb or record.get("self_maxrss_kb")
    now = time.time()
    return {
        "run_key": job.key, "problem": job.problem.name, "problem_path": job.problem.path,
        "problem_kind": job.problem.kind, "problem_digest": _digest(job.problem.path),
        "problem_class": record.get("problem_class"), "rows": record.get("rows"), "cols": record.get("cols"),
        "nonzeros": record.get("nonzeros"), "integers": record.get("integers"),
        "solver": job.solver.name, "solver_backend": record.get("solver_name") or job.solver.solver,
        "solver_version": record.get("solver_version"), "options": job.payload(suite.time_limit)["options"],
        "repeat": job.repeat, "status": checked, "solver_status": solver_status, "message": message or None,
        "signal": outcome.signal, "exit_code": outcome.exit_code, "objective": record.get("objective"),
        "reference_objective": reference.objective if reference else None,
        "reference_status": reference.status if reference else None,
        "reference_source": reference.source if reference else None, "relative_error": error,
        "best_bound": record.get("best_bound"), "gap": record.get("gap"), "wall_time_s": wall,
        "build_time_s": record.get("build_time_s"), "handoff_time_s": record.get("handoff_time_s"),
        "solve_time_s": solve_time, "solver_time_s": record.get("solver_time_s"),
        "overhead_s": (wall - solve_time) if solve_time is not None else None,
        "iterations": record.get("iterations"), "peak_memory_mb": peak_kb / 1024.0 if peak_kb else None,
        "primal_residual": record.get("primal_residual"), "dual_residual": record.get("dual_residual"),
        "time_limit": limits.time_limit, "memory_limit_mb": limits.memory_limit_mb, "isolation": isolation,
        "worker": worker or platform.node(), "started_at": now - wall, "finished_at": now,
    }


_DIGESTS: dict[str, str] = {}


def _digest(path: str) -> str | None:
    if path not in _DIGESTS:
        try:
            _DIGESTS[path] = file_digest(path)
        except OSError:
            return None
    return _DIGESTS[path]


def _label(job: Job) -> str:
    repeat = f" #{job.repeat + 1}" if job.repeat else ""
    return f"{job.problem.name} {job.solver.name}{repeat}"


def _default_memory_limit() -> float | None:
    from opt_model.bench.environment import memory_total_mb

    total = memory_total_mb()
    return 0.75 * total if total else None


def run_batch(suite: Suite, settings: BenchSettings | None = None, progress: Progress | None = None) -> BatchSummary:
    """Run every job of ``suite`` not yet done, each in its own child process; store rows as they end.

    A run that crashes, hangs or exhausts its memory becomes a row with status
    ``crashed``, ``time_limit`` or ``memory_limit`` and the batch goes on.  A run
    whose answer contradicts a known optimum is stored as ``wrong`` and printed
    at once.  Ctrl-C stops the batch; every finished run is kept.

    Example
    -------
    ::

        suite = build_suite(["afiro.mps"], ["highs"])
        run_batch(suite, BenchSettings(db="b.sqlite")).counts
        # -> {'optimal': 1}
    """
    settings = settings or BenchSettings()
    if settings.isolation not in MODES:
        raise BenchError(f"unknown isolation {settings.isolation!r}; choose one of {', '.join(MODES)}")
    if settings.jobs < 1:
        raise BenchError("--jobs must be at least 1")
    memory = suite.memory_limit_mb if suite.memory_limit_mb is not None else _default_memory_limit()
    limits = RunLimits(suite.time_limit, settings.grace, memory)
    store = ResultStore(settings.db)
    try:
        all_jobs = list(suite.jobs())
        todo, skipped = select_jobs(all_jobs, store.done_keys(), settings)
        batch_id = store.start_batch({
            "argv": settings.argv or sys.argv, "suite": {**describe(suite), "memory_limit_mb": memory},
            "suite_commit": suite.commit, "project_commit": project_commit(), "machine": machine_info(),
            "packages": package_versions(), "jobs": settings.jobs, "scheduler": settings.scheduler,
            "isolation": settings.isolation})
        summary = BatchSummary(settings.db, batch_id, len(all_jobs), skipped)
        bar = progress or Progress(len(todo), enabled=settings.progress)
        if settings.jobs > 1 and not settings.scheduler:
            bar.message(f"note: {settings.jobs} runs at a time on {os.cpu_count()} cores: timings are not "
                        "comparable with sequential runs")
        counts: Counter[str] = Counter()
        log_dir = settings.log_dir or tempfile.mkdtemp(prefix="opt-model-bench-")
        Path(log_dir).mkdir(parents=True, exist_ok=True)

        def record(job: Job, outcome: RunOutcome, worker: str = "") -> None:
            row = make_row(job, outcome, suite, limits, settings.isolation, worker)
            store.add_run(batch_id, row)
            counts[row["status"]] += 1
            bar.finished(_label(job), row["status"], row["wall_time_s"])
            if row["status"] == "wrong":
                summary.wrong.append(f"{job.problem.name} {job.solver.name}: {row['message']}")
                bar.message(f"WRONG: {job.problem.name} with {job.solver.name}: {row['message']}")
            elif row["status"] in FAILED_STATUSES:
                summary.failed.append(f"{job.problem.name} {job.solver.name}: {row['status']}")

        try:
            if settings.scheduler:
                _run_dask(todo, suite, limits, settings, bar, record)
            else:
                _run_local(todo, suite, limits, settings, bar, record, log_dir)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            bar.close()
            summary.counts = dict(counts)
            store.finish_batch(batch_id, "interrupted" if summary.interrupted else "finished")
            if not settings.log_dir:
                _remove_tree(log_dir)
        return summary
    finally:
        store.close()


def _remove_tree(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _run_local(todo: list[Job], suite: Suite, limits: RunLimits, settings: BenchSettings, bar: Progress,
               record: Any, log_dir: str) -> None:
    """``settings.jobs`` threads, each driving its own isolated executor; Ctrl-C kills the runs in progress."""
    jobs: queue.Queue[tuple[int, Job]] = queue.Queue()
    for index, job in enumerate(todo):
        jobs.put((index, job))
    stop = threading.Event()
    errors: list[BaseException] = []
    executors = [IsolatedExecutor(settings.isolation) for _ in range(min(settings.jobs, max(len(todo), 1)))]
    lock = threading.Lock()

    def work(executor: IsolatedExecutor) -> None:
        try:
            while not stop.is_set():
                try:
                    index, job = jobs.get_nowait()
                except queue.Empty:
                    return
                label = _label(job)
                bar.started(label)
                log_path = os.path.join(log_dir, f"run-{index:05d}.log")
                outcome = executor.run(job.payload(suite.time_limit), limits, log_path)
                if stop.is_set():
                    return  # killed by Ctrl-C: not a result
                with lock:
                    record(job, outcome)
        except BaseException as error:
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=work, args=(executor,), name=f"bench-{k}", daemon=True)
               for k, executor in enumerate(executors)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        for executor in executors:
            executor.kill_active()
        for thread in threads:
            thread.join(10)
        raise
    finally:
        for executor in executors:
            executor.close()
    if errors:
        raise errors[0]


def _run_dask(todo: list[Job], suite: Suite, limits: RunLimits, settings: BenchSettings, bar: Progress,
              record: Any) -> None:
    from opt_model.bench.distributed import run_on_dask

    assert settings.scheduler is not None
    payloads = [job.payload(suite.time_limit) for job in todo]
    for job in todo:
        bar.started(_label(job))
    for index, outcome, worker in run_on_dask(payloads, settings.scheduler, limits, settings.isolation):
        record(todo[index], outcome, worker)
