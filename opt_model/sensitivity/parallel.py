"""Where chunks of scenarios run: in this process, in local worker processes, or on Dask.

Workers are started with the ``spawn`` method (HiGHS keeps threads, which do
not survive ``fork`` reliably) and receive the engine setup once, through the
pool initialiser or ``Client.scatter``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

from opt_model.errors import ModelError
from opt_model.sensitivity.progress import Progress

if TYPE_CHECKING:
    from opt_model.sensitivity.engine import Chunk, EngineSetup, ScenarioResults

    RunChunk = Callable[[EngineSetup, Chunk], tuple[int, ScenarioResults]]

_WORKER: tuple[Any, Any] | None = None


def _initialise(setup: EngineSetup, run_chunk: RunChunk) -> None:
    global _WORKER
    _WORKER = (setup, run_chunk)


def _run_in_worker(chunk: Chunk) -> tuple[int, ScenarioResults]:
    assert _WORKER is not None, "worker was not initialised"
    setup, run_chunk = _WORKER
    return run_chunk(setup, chunk)


def execute(setup: EngineSetup, chunks: Sequence[Chunk], run_chunk: RunChunk, jobs: int = 1, scheduler: Any = None,
            progress: bool = True, total: int | None = None,
            on_chunk: Callable[[int], None] | None = None) -> list[tuple[int, ScenarioResults]]:
    """Run every chunk through ``run_chunk`` (a module-level function, so workers can unpickle it) and return
    ``(start, results)`` pairs (in any order)."""
    if jobs < 1:
        raise ModelError(f"jobs={jobs}: give 1 (serial) or more worker processes")
    total = total if total is not None else sum(chunk.count for chunk in chunks)
    parts: list[tuple[int, ScenarioResults]] = []
    with Progress(total, "scenarios", enabled=progress) as bar:
        def finished(part: tuple[int, ScenarioResults]) -> None:
            parts.append(part)
            bar.update(part[1].count)
            if on_chunk is not None:
                on_chunk(part[1].count)
        if scheduler is not None:
            _on_dask(setup, chunks, run_chunk, scheduler, finished)
        elif jobs == 1 or len(chunks) == 1:
            for chunk in chunks:
                finished(run_chunk(setup, chunk))
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context,
                                     initializer=_initialise, initargs=(setup, run_chunk)) as pool:
                futures = [pool.submit(_run_in_worker, chunk) for chunk in chunks]
                for future in as_completed(futures):
                    finished(future.result())
    return parts


def _on_dask(setup: EngineSetup, chunks: Sequence[Chunk], run_chunk: RunChunk, scheduler: Any,
             finished: Callable[[tuple[int, ScenarioResults]], None]) -> None:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ModelError("a Dask scheduler was given but dask.distributed is not installed; "
                         "run 'pip install dask[distributed]'") from error
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        shared = client.scatter(setup, broadcast=True)
        futures = [client.submit(run_chunk, shared, chunk, pure=False) for chunk in chunks]
        for future in dask_completed(futures):
            finished(future.result())
    finally:
        if own:
            client.close()
