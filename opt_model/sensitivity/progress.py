"""A progress bar on stderr for runs longer than a second (tqdm when installed)."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any


class Progress:
    """Counts finished scenarios; draws only when the run has lasted ``delay`` seconds.

    Example
    -------
    >>> with Progress(3, "scenarios", enabled=False) as bar:
    ...     bar.update(3)
    >>> bar.done
    3
    """

    def __init__(self, total: int, description: str = "scenarios", enabled: bool = True, delay: float = 1.0) -> None:
        self.total = total
        self.description = description
        self.enabled = enabled
        self.delay = delay
        self.done = 0
        self._bar: Any = None
        self._start = time.monotonic()
        self._last_draw = 0.0
        if enabled:
            try:
                from tqdm import tqdm
                self._bar = tqdm(total=total, desc=description, delay=delay, file=sys.stderr, leave=False)
            except ImportError:
                self._bar = None

    def update(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(count)
            return
        now = time.monotonic()
        if now - self._start >= self.delay and (now - self._last_draw >= 0.2 or self.done >= self.total):
            self._last_draw = now
            sys.stderr.write(f"\r{self.description}: {self.done}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and time.monotonic() - self._start >= self.delay:
            sys.stderr.write("\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
