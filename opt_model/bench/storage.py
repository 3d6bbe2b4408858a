"""Benchmark results in one SQLite file: a row committed as each run ends.

The database uses WAL journaling, so a batch killed at any moment keeps every
finished run, and readers (a report) can open it while a batch writes.  Tables:

- ``batches``: one row per invocation (settings, machine, versions, commits).
- ``runs``: one row per finished run.  A run is identified by its ``run_key``
  (``problem|solver label|repeat``); re-running it adds a row, and every query
  uses the latest row of each key.

Example
-------
>>> store = ResultStore(":memory:")
>>> batch = store.start_batch({"argv": ["bench"]})
>>> store.add_run(batch, {"run_key": "afiro|highs|0", "problem": "afiro", "solver": "highs",
...                       "repeat": 0, "status": "optimal", "objective": -464.75})
1
>>> store.done_keys()
{'afiro|highs|0': 'optimal'}
>>> store.close()
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1

RUN_COLUMNS: dict[str, str] = {
    "run_key": "TEXT NOT NULL",
    "problem": "TEXT NOT NULL",
    "problem_path": "TEXT",
    "problem_kind": "TEXT",
    "problem_digest": "TEXT",
    "problem_class": "TEXT",
    "rows": "INTEGER",
    "cols": "INTEGER",
    "nonzeros": "INTEGER",
    "integers": "INTEGER",
    "solver": "TEXT NOT NULL",
    "solver_backend": "TEXT",
    "solver_version": "TEXT",
    "options": "TEXT",
    "repeat": "INTEGER NOT NULL",
    "status": "TEXT NOT NULL",
    "solver_status": "TEXT",
    "message": "TEXT",
    "signal": "INTEGER",
    "exit_code": "INTEGER",
    "objective": "REAL",
    "reference_objective": "REAL",
    "reference_status": "TEXT",
    "reference_source": "TEXT",
    "relative_error": "REAL",
    "best_bound": "REAL",
    "gap": "REAL",
    "wall_time_s": "REAL",
    "build_time_s": "REAL",
    "handoff_time_s": "REAL",
    "solve_time_s": "REAL",
    "solver_time_s": "REAL",
    "overhead_s": "REAL",
    "iterations": "TEXT",
    "peak_memory_mb": "REAL",
    "primal_residual": "REAL",
    "dual_residual": "REAL",
    "time_limit": "REAL",
    "memory_limit_mb": "REAL",
    "isolation": "TEXT",
    "worker": "TEXT",
    "started_at": "REAL",
    "finished_at": "REAL",
}

BATCH_COLUMNS: dict[str, str] = {
    "started_at": "REAL",
    "finished_at": "REAL",
    "state": "TEXT",
    "argv": "TEXT",
    "suite": "TEXT",
    "suite_commit": "TEXT",
    "project_commit": "TEXT",
    "machine": "TEXT",
    "packages": "TEXT",
    "jobs": "INTEGER",
    "scheduler": "TEXT",
    "isolation": "TEXT",
}

FAILED_STATUSES = frozenset({"time_limit", "memory_limit", "crashed", "error", "wrong", "numerical_error",
                             "iteration_limit", "interrupted", "objective_limit", "solution_limit"})
"""Statuses that ``--rerun-failed`` runs again."""


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


class ResultStore:
    """The SQLite file of a benchmark (thread-safe: one connection, one lock).

    Example
    -------
    >>> with ResultStore(":memory:") as store:
    ...     store.runs()
    []
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        self.connection.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self._create()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create(self) -> None:
        batch_columns = ", ".join(f'"{name}" {kind}' for name, kind in BATCH_COLUMNS.items())
        run_columns = ", ".join(f'"{name}" {kind}' for name, kind in RUN_COLUMNS.items())
        with self._lock, self.connection:
            self.connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.connection.execute(f"CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY, {batch_columns})")
            self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, "
                f"batch_id INTEGER REFERENCES batches(id), {run_columns})")
            self.connection.execute("CREATE INDEX IF NOT EXISTS runs_key ON runs (run_key, id)")
            existing = {row[1] for row in self.connection.execute("PRAGMA table_info(runs)")}
            for name, kind in RUN_COLUMNS.items():  # older files gain new columns
                if name not in existing:
                    self.connection.execute(f'ALTER TABLE runs ADD COLUMN "{name}" {kind.replace(" NOT NULL", "")}')

    def close(self) -> None:
        with self._lock:
            self.connection.close()

    # writing -------------------------------------------------------------------------
    def start_batch(self, info: Mapping[str, Any]) -> int:
        """A new batch row; returns its id."""
        values = {name: _json(info.get(name)) if name not in ("started_at", "finished_at", "jobs")
                  else info.get(name) for name in BATCH_COLUMNS}
        values["started_at"] = values["started_at"] or time.time()
        values["state"] = values["state"] or "running"
        names = ", ".join(f'"{name}"' for name in values)
        with self._lock, self.connection:
            cursor = self.connection.execute(
                f"INSERT INTO batches ({names}) VALUES ({', '.join('?' * len(values))})", list(values.values()))
            return int(cursor.lastrowid or 0)

    def finish_batch(self, batch_id: int, state: str = "finished") -> None:
        with self._lock, self.connection:
            self.connection.execute("UPDATE batches SET finished_at = ?, state = ? WHERE id = ?",
                                    (time.time(), state, batch_id))

    def add_run(self, batch_id: int, run: Mapping[str, Any]) -> int:
        """Insert one finished run and commit at once (so a kill loses nothing that ended)."""
        values = {name: (_json(run[name]) if name in ("iterations", "options") else run[name])
                  for name in RUN_COLUMNS if name in run}
        names = ", ".join(["batch_id", *(f'"{name}"' for name in values)])
        with self._lock, self.connection:
            cursor = self.connection.execute(
                f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * (len(values) + 1))})",
                [batch_id, *values.values()])
            return int(cursor.lastrowid or 0)

    # reading -------------------------------------------------------------------------
    def done_keys(self) -> dict[str, str]:
        """``{run_key: status}`` of the latest row of every run key."""
        with self._lock:
            rows = self.connection.execute(
                "SELECT run_key, status FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY run_key)").fetchall()
        return {row["run_key"]: row["status"] for row in rows}

    def runs(self, latest: bool = True) -> list[dict[str, Any]]:
        """Every run as a dict (only the latest row per run key unless ``latest=False``)."""
        where = "WHERE id IN (SELECT MAX(id) FROM runs GROUP BY run_key)" if latest else ""
        with self._lock:
            rows = self.connection.execute(f"SELECT * FROM runs {where} ORDER BY id").fetchall()
        out = []
        for row in rows:
            record = dict(row)
            for name in ("iterations", "options"):
                if record.get(name):
                    with contextlib.suppress(ValueError):
                        record[name] = json.loads(record[name])
            out.append(record)
        return out

    def batches(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.connection.execute("SELECT * FROM batches ORDER BY id").fetchall()
        out = []
        for row in rows:
            record = dict(row)
            for name in ("argv", "suite", "machine", "packages"):
                if record.get(name):
                    with contextlib.suppress(ValueError):
                        record[name] = json.loads(record[name])
            out.append(record)
        return out

    def to_pandas(self, latest: bool = True) -> pd.DataFrame:
        """The runs as a DataFrame (one row per run; ``iterations`` and ``options`` as JSON text)."""
        import pandas as pd

        where = "WHERE id IN (SELECT MAX(id) FROM runs GROUP BY run_key)" if latest else ""
        with self._lock:
            return pd.read_sql_query(f"SELECT * FROM runs {where} ORDER BY id", self.connection)

    def to_csv(self, path: str | Path, latest: bool = True) -> None:
        """Write the runs to a CSV file."""
        import csv

        runs = self.runs(latest)
        columns = ["id", "batch_id", *RUN_COLUMNS]
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for run in runs:
                writer.writerow({key: (_json(value) if isinstance(value, (dict, list)) else value)
                                 for key, value in run.items()})


def open_existing(path: str | Path) -> ResultStore:
    """Open a result database that must exist (reports and comparisons)."""
    from opt_model.errors import InputFileError

    if not Path(path).is_file():
        raise InputFileError(f"{path}: no such benchmark database; run 'opt-model bench ... --db {path}' first")
    try:
        store = ResultStore(path)
        store.done_keys()
    except sqlite3.DatabaseError as error:
        raise InputFileError(f"{path}: not a benchmark database ({error})") from None
    return store


def latest_by_key(runs: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The last row of each run key (rows in insertion order)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for run in runs:
        latest[str(run["run_key"])] = run
    return latest
