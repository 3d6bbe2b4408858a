"""A progress line on stderr: runs done, the run in progress, elapsed time.

On a terminal one line is redrawn in place (twice a second, so the elapsed time
of a long run moves); elsewhere (CI logs) one line is printed per finished run.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """Thread-safe progress reporting for a batch.

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(2, stream=out)
    >>> bar.started("afiro highs")
    >>> bar.finished("afiro highs", "optimal", 0.01)
    >>> "[1/2]" in out.getvalue()
    True
    >>> bar.close()
    """

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True,
                 interactive: bool | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = (interactive if interactive is not None
                            else bool(getattr(self.stream, "isatty", lambda: False)()))
        self.done = 0
        self.failed = 0
        self.wrong = 0
        self.start = time.monotonic()
        self.running: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._width = 0
        self._ticker: threading.Thread | None = None
        if enabled and self.interactive:
            self._ticker = threading.Thread(target=self._tick, name="bench-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        now = time.monotonic()
        current = ", ".join(f"{label} {now - since:.0f}s" for label, since in list(self.running.items())[:3])
        text = (f"[{self.done}/{self.total}] {_clock(now - self.start)} elapsed"
                f"{f', {self.failed} failed' if self.failed else ''}"
                f"{f', {self.wrong} WRONG' if self.wrong else ''}"
                f"{f' | {current}' if current else ''}")
        text = text[:160]
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def started(self, label: str) -> None:
        with self._lock:
            self.running[label] = time.monotonic()
            if self.enabled and self.interactive:
                self._draw()

    def finished(self, label: str, status: str, seconds: float | None) -> None:
        with self._lock:
            self.running.pop(label, None)
            self.done += 1
            if status == "wrong":
                self.wrong += 1
            elif status not in ("optimal", "infeasible", "unbounded", "infeasible_or_unbounded"):
                self.failed += 1
            if not self.enabled:
                return
            if self.interactive:
                self._draw()
            else:
                took = f"{seconds:.3f}s" if seconds is not None else "-"
                self.stream.write(f"[{self.done}/{self.total}] {_clock(time.monotonic() - self.start)} "
                                  f"{label}: {status} ({took})\n")
                self.stream.flush()

    def message(self, text: str) -> None:
        """A line that stays (warnings, WRONG results), printed even when progress is off."""
        with self._lock:
            if self.interactive and self.enabled:
                self.stream.write("\r" + " " * self._width + "\r")
            self.stream.write(text.rstrip("\n") + "\n")
            self.stream.flush()
            if self.interactive and self.enabled:
                self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.enabled and self.interactive:
            with self._lock:
                self._draw()
                self.stream.write("\n")
                self.stream.flush()
