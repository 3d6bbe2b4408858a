"""Running a batch on a Dask cluster: each task is still one isolated child process.

A Dask task calls :func:`run_job` on a worker, which runs the job through an
:class:`~opt_model.bench.isolation.IsolatedExecutor` kept per worker thread (so
the fork servers are reused across tasks), and returns the outcome as a plain
dict.  Only the client process writes to the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from opt_model.bench.isolation import IsolatedExecutor, RunLimits, RunOutcome

_LOCAL = threading.local()


def run_job(job: dict[str, Any], limits: dict[str, Any], mode: str = "fork") -> dict[str, Any]:
    """Run one job in an isolated child on this (Dask worker) machine; the outcome as a dict."""
    import platform

    executor = getattr(_LOCAL, "executor", None)
    if executor is None or executor.mode != mode:
        executor = _LOCAL.executor = IsolatedExecutor(mode)
    outcome = executor.run(job, RunLimits(**limits))
    result = asdict(outcome)
    result["extra"] = {**result.get("extra", {}), "worker": platform.node()}
    return result


def run_on_dask(jobs: list[dict[str, Any]], scheduler: str, limits: RunLimits,
                mode: str = "fork") -> Iterator[tuple[int, RunOutcome, str]]:
    """Submit every job to the Dask scheduler at ``scheduler``; yield ``(index, outcome, worker)`` as each ends.

    Example
    -------
    ::

        for index, outcome, worker in run_on_dask(jobs, "tcp://127.0.0.1:8786", RunLimits(60)):
            print(index, outcome.record["status"], worker)
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        from opt_model.errors import SolverNotAvailableError

        raise SolverNotAvailableError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
    limits_dict = {"time_limit": limits.time_limit, "grace": limits.grace, "memory_limit_mb": limits.memory_limit_mb}
    client = Client(scheduler)
    futures = {}
    try:
        for index, job in enumerate(jobs):
            future = client.submit(run_job, job, limits_dict, mode, pure=False, key=f"bench-run-{index}-{id(job)}")
            futures[future] = index
        for future in as_completed(futures):
            data = future.result()
            worker = str((data.get("extra") or {}).get("worker", ""))
            yield futures[future], RunOutcome(**data), worker
    finally:
        for future in futures:
            future.cancel()
        client.close()
