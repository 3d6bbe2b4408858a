"""Settings of a lifecycle run and the state its phases share (output folder, database, progress).

Example
-------
>>> settings = Settings(samples=50, seed=3)
>>> settings.samples, settings.morris_trajectories(factors=4)
(50, 4)
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from opt_model.errors import InputFileError
from opt_model.lifecycle.source import LifecycleSource

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_SAMPLES = 1000
DEFAULT_PARETO_POINTS = 11
DB_NAME = "lifecycle.sqlite"


@dataclass
class Settings:
    """How to run the lifecycle.

    ``time_limit`` is per solve (``None``: the spec's ``options.time_limit``,
    else 60 s); ``samples`` the number of Monte Carlo scenarios; ``jobs`` how
    many isolated solver runs and scenario chunks run at a time; ``solvers``
    the strategy configurations (``None``: every installed solver that fits
    the problem class); ``relative_change`` the +- percentage applied to every
    capacity and cost when the spec declares no uncertain parameters;
    ``repeats`` the runs of each strategy configuration (``None``: 3 when the
    baseline run is quick, else 1).
    """

    time_limit: float | None = None
    samples: int = DEFAULT_SAMPLES
    jobs: int = 1
    seed: int = 0
    solvers: list[str] | None = None
    pareto_points: int = DEFAULT_PARETO_POINTS
    relative_change: float = 10.0
    global_method: str = "morris"
    repeats: int | None = None
    progress: bool = True
    stage: int | str | None = None
    """Objectives by priority: the stage the analysis and validation look at (default the last)."""

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise InputFileError(f"samples={self.samples}: give at least 1 Monte Carlo scenario")
        if self.jobs < 1:
            raise InputFileError(f"jobs={self.jobs}: give 1 or more")
        if self.time_limit is not None and not self.time_limit > 0:
            raise InputFileError(f"time_limit={self.time_limit}: give a positive number of seconds")
        if self.pareto_points < 2:
            raise InputFileError(f"pareto_points={self.pareto_points}: give at least 2")
        if not self.relative_change > 0:
            raise InputFileError(f"relative_change={self.relative_change}: give a positive percentage")
        if self.repeats is not None and self.repeats < 1:
            raise InputFileError(f"repeats={self.repeats}: give at least 1")
        if self.global_method not in ("morris", "sobol", "none"):
            raise InputFileError(f"global_method={self.global_method!r}: use morris, sobol or none")

    def morris_trajectories(self, factors: int) -> int:
        """Morris trajectories for ``factors`` factors: about a fifth of the Monte Carlo budget, at least 4."""
        return max(4, self.samples // (5 * (factors + 1)))

    def sobol_base_samples(self) -> int:
        """A power of 2 near a fifth of the Monte Carlo budget (at least 8)."""
        target = max(8, self.samples // 5)
        return 1 << (target.bit_length() - 1)


class PhaseProgress:
    """One line on stderr when a phase starts and when it ends (with its duration).

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> progress = PhaseProgress(stream=out)
    >>> progress.start(1, "baseline", "solve and measure")
    >>> progress.done("optimal")
    >>> out.getvalue().splitlines()[0]
    'opt-model lifecycle [1/5] baseline: solve and measure ...'
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream
        self._started = time.perf_counter()
        self._phase = ""

    def _write(self, text: str) -> None:
        if self.enabled:
            stream = self.stream or sys.stderr
            stream.write(text + "\n")
            stream.flush()

    def start(self, number: int, phase: str, what: str) -> None:
        self._started = time.perf_counter()
        self._phase = phase
        self._write(f"opt-model lifecycle [{number}/5] {phase}: {what} ...")

    def done(self, summary: str) -> None:
        self._write(f"  {self._phase} done in {time.perf_counter() - self._started:.1f} s: {summary}")


@dataclass
class Context:
    """What every phase reads: the source, the settings, where files go, and the progress reporter."""

    source: LifecycleSource
    settings: Settings
    out_dir: Path
    progress: PhaseProgress

    @property
    def db(self) -> Path:
        return self.out_dir / DB_NAME

    @property
    def name(self) -> str:
        return self.source.name

    def time_limit(self) -> float:
        if self.settings.time_limit is not None:
            return float(self.settings.time_limit)
        spec_limit = self.source.model.solver_options.get("time_limit")
        return float(spec_limit) if isinstance(spec_limit, (int, float)) else DEFAULT_TIME_LIMIT

    def solve_options(self) -> dict[str, Any]:
        """The spec's solver options with the lifecycle's time limit."""
        return {**self.source.model.solver_options, "time_limit": self.time_limit()}


def output_folder(out: str | Path | None, name: str) -> Path:
    """``out`` (created), or a new temporary folder when it is ``None``."""
    if out is None:
        return Path(tempfile.mkdtemp(prefix=f"opt-model-lifecycle-{name}-"))
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputFileError(f"{folder}: exists and is not a folder; give --out a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
