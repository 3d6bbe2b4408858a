"""Drift monitoring of a model: re-solve on new data, measure how far the answer moved.

A *snapshot* records a solve: status, objective, the binding resources (used to
capacity, or with a nonzero shadow price) and the allocation (every variable's
value).  Snapshots go to a SQLite table ``monitor`` (in any file, e.g. the
benchmark database).  The first snapshot of a model is its baseline; each later
one is compared with the baseline:

- objective: relative change ``|new - base| / max(1, |base|)``;
- binding resources: which became binding, which stopped being binding;
- allocation: ``sum |x_new - x_base| / max(1, sum |x_base|)`` over the union of
  variable names (a variable missing on one side counts as 0), and the
  variables that moved most.

Drift beyond a threshold (or a solve that is not optimal) makes
:attr:`DriftReport.exceeded` true, and the command line exit with 1.

Example
-------
>>> import opt_model as om
>>> m = om.Model("tiny"); x = m.add_variable("x", ub=4)
>>> cap = m.add_resource("cpu", capacity=3); _ = cap.add_usage(x)
>>> m.maximize(x)
>>> report = monitor(m, ":memory:", name="tiny")
>>> report.baseline_created, report.new.objective, report.new.binding
(True, 3.0, ['cpu'])
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from solvers.numbers import finite_or_none

DEFAULT_OBJECTIVE_THRESHOLD = 0.05
DEFAULT_ALLOCATION_THRESHOLD = 0.10


@dataclass
class Snapshot:
    """One solve of a monitored model."""

    name: str
    status: str
    objective: float | None
    binding: list[str]
    allocation: dict[str, float]
    shadow_prices: dict[str, float] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    solver: str = ""
    taken_at: float = field(default_factory=time.time)




def take_snapshot(model: Any, name: str | None = None, solver: str | None = None,
                  options: Mapping[str, Any] | None = None, data: Mapping[str, str] | None = None,
                  binding_tolerance: float = 1e-6) -> Snapshot:
    """Solve ``model`` and record status, objective, binding resources and allocation."""
    result = model.solve(solver, options=dict(options or {}))
    snapshot = Snapshot(name or model.name, result.status.value, finite_or_none(result.objective), [], {},
                        data=dict(data or {}), solver=result.solver)
    if not result.has_solution:
        return snapshot
    snapshot.allocation = {key: float(value) for key, value in result.variable_values().items()}
    table = result.resource_table()
    for record in table.to_dict(orient="records"):
        label = f"{record['resource']}[{record['label']}]" if record["label"] else str(record["resource"])
        usage, capacity, price = float(record["usage"]), float(record["capacity"]), float(record["shadow_price"])
        if math.isfinite(price):
            snapshot.shadow_prices[label] = price
        at_capacity = math.isfinite(capacity) and usage >= capacity - binding_tolerance * max(1.0, abs(capacity))
        if at_capacity or (math.isfinite(price) and abs(price) > binding_tolerance):
            snapshot.binding.append(label)
    return snapshot


@dataclass
class DriftReport:
    """How far a new snapshot moved from the baseline, and whether that exceeds the thresholds."""

    new: Snapshot
    baseline: Snapshot | None
    baseline_created: bool = False
    objective_change: float | None = None
    allocation_change: float | None = None
    binding_added: list[str] = field(default_factory=list)
    binding_removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, float, float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    objective_threshold: float = DEFAULT_OBJECTIVE_THRESHOLD
    allocation_threshold: float = DEFAULT_ALLOCATION_THRESHOLD

    @property
    def exceeded(self) -> bool:
        return bool(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["exceeded"] = self.exceeded
        return out

    def text(self) -> str:
        new = self.new
        objective = f"{new.objective:.10g}" if new.objective is not None else "-"
        lines = [f"{new.name}: {new.status}, objective {objective} ({new.solver})"]
        if self.baseline_created:
            lines.append("no baseline yet: this solve is now the baseline")
            lines.append(f"binding resources: {', '.join(new.binding) or 'none'}")
            return "\n".join(lines) + "\n"
        base = self.baseline
        assert base is not None
        lines.append(f"baseline of {time.strftime('%Y-%m-%d %H:%M', time.localtime(base.taken_at))}: "
                     f"{base.status}, objective {base.objective if base.objective is not None else '-'}")
        if self.objective_change is not None:
            lines.append(f"objective moved {100 * self.objective_change:.3g}% "
                         f"(threshold {100 * self.objective_threshold:g}%)")
        if self.allocation_change is not None:
            lines.append(f"allocation moved {100 * self.allocation_change:.3g}% "
                         f"(threshold {100 * self.allocation_threshold:g}%)")
        lines.append(f"binding resources: {', '.join(new.binding) or 'none'}")
        if self.binding_added:
            lines.append(f"  newly binding: {', '.join(self.binding_added)}")
        if self.binding_removed:
            lines.append(f"  no longer binding: {', '.join(self.binding_removed)}")
        if self.moved:
            lines.append("largest moves:")
            lines += [f"  {name}: {old:.6g} -> {value:.6g}" for name, old, value in self.moved]
        lines.append("DRIFT: " + "; ".join(self.reasons) if self.reasons else "within thresholds")
        return "\n".join(lines) + "\n"


def compare_snapshots(baseline: Snapshot, new: Snapshot, objective_threshold: float = DEFAULT_OBJECTIVE_THRESHOLD,
                      allocation_threshold: float = DEFAULT_ALLOCATION_THRESHOLD, top: int = 10) -> DriftReport:
    """The drift of ``new`` from ``baseline``.

    Example
    -------
    >>> base = Snapshot("m", "optimal", 100.0, ["cpu"], {"x": 1.0, "y": 0.0})
    >>> new = Snapshot("m", "optimal", 112.0, ["mem"], {"x": 0.0, "y": 1.0})
    >>> drift = compare_snapshots(base, new)
    >>> round(drift.objective_change, 3), drift.allocation_change, drift.binding_added, drift.exceeded
    (0.12, 2.0, ['mem'], True)
    """
    report = DriftReport(new, baseline, objective_threshold=objective_threshold,
                         allocation_threshold=allocation_threshold)
    if new.status != "optimal":
        report.reasons.append(f"the solve ended {new.status}")
    if new.objective is not None and baseline.objective is not None:
        report.objective_change = abs(new.objective - baseline.objective) / max(1.0, abs(baseline.objective))
        if report.objective_change > objective_threshold:
            report.reasons.append(f"objective moved {100 * report.objective_change:.3g}% "
                                  f"> {100 * objective_threshold:g}%")
    if new.allocation or baseline.allocation:
        names = sorted(set(new.allocation) | set(baseline.allocation))
        deltas = [(name, baseline.allocation.get(name, 0.0), new.allocation.get(name, 0.0)) for name in names]
        total = sum(abs(value) for value in baseline.allocation.values())
        report.allocation_change = sum(abs(b - a) for _, a, b in deltas) / max(1.0, total)
        report.moved = [item for item in sorted(deltas, key=lambda d: -abs(d[2] - d[1]))[:top]
                        if abs(item[2] - item[1]) > 1e-9]
        if report.allocation_change > allocation_threshold:
            report.reasons.append(f"allocation moved {100 * report.allocation_change:.3g}% "
                                  f"> {100 * allocation_threshold:g}%")
    report.binding_added = sorted(set(new.binding) - set(baseline.binding))
    report.binding_removed = sorted(set(baseline.binding) - set(new.binding))
    if report.binding_added or report.binding_removed:
        report.reasons.append("the set of binding resources changed")
    return report


class SnapshotStore:
    """Snapshots in a SQLite table ``monitor`` (the same file may hold benchmark results)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        if self.path != ":memory:":
            self.connection.execute("PRAGMA journal_mode=WAL")
        with self.connection:
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS monitor (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "taken_at REAL, is_baseline INTEGER NOT NULL DEFAULT 0, status TEXT, objective REAL, "
                "snapshot TEXT NOT NULL)")

    def close(self) -> None:
        self.connection.close()

    def add(self, snapshot: Snapshot, baseline: bool = False) -> int:
        with self._lock, self.connection:
            cursor = self.connection.execute(
                "INSERT INTO monitor (name, taken_at, is_baseline, status, objective, snapshot) VALUES (?,?,?,?,?,?)",
                (snapshot.name, snapshot.taken_at, int(baseline), snapshot.status, snapshot.objective,
                 json.dumps(asdict(snapshot))))
            return int(cursor.lastrowid or 0)

    def baseline(self, name: str) -> Snapshot | None:
        with self._lock:
            row = self.connection.execute(
                "SELECT snapshot FROM monitor WHERE name = ? AND is_baseline = 1 ORDER BY id DESC LIMIT 1",
                (name,)).fetchone()
        return Snapshot(**json.loads(row[0])) if row else None

    def history(self, name: str) -> list[Snapshot]:
        with self._lock:
            rows = self.connection.execute("SELECT snapshot FROM monitor WHERE name = ? ORDER BY id",
                                           (name,)).fetchall()
        return [Snapshot(**json.loads(row[0])) for row in rows]


def monitor(model: Any, baseline_db: str | Path, name: str | None = None, *, solver: str | None = None,
            options: Mapping[str, Any] | None = None, data: Mapping[str, str] | None = None,
            set_baseline: bool = False, objective_threshold: float = DEFAULT_OBJECTIVE_THRESHOLD,
            allocation_threshold: float = DEFAULT_ALLOCATION_THRESHOLD) -> DriftReport:
    """Solve ``model``, store the snapshot in ``baseline_db`` and compare it with the stored baseline.

    The first snapshot under ``name`` (or with ``set_baseline``) becomes the
    baseline.  See the module docstring for the measures.
    """
    store = SnapshotStore(baseline_db)
    try:
        snapshot = take_snapshot(model, name, solver, options, data)
        base = None if set_baseline else store.baseline(snapshot.name)
        if base is None:
            store.add(snapshot, baseline=True)
            report = DriftReport(snapshot, None, baseline_created=True, objective_threshold=objective_threshold,
                                 allocation_threshold=allocation_threshold)
            if snapshot.status != "optimal":
                report.reasons.append(f"the solve ended {snapshot.status}")
            return report
        store.add(snapshot)
        return compare_snapshots(base, snapshot, objective_threshold, allocation_threshold)
    finally:
        store.close()
