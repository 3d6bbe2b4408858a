"""The regression gate: compare two benchmark databases on the runs they share.

A (problem, solver) cell is a regression when it

- **fails newly**: solved in the base, not solved in the new run;
- **is newly wrong**: ``wrong`` in the new run and not in the base;
- **slowed down**: the new median time exceeds the base median by more than
  the threshold *and* by more than the noise of the repeats, and by more than
  ``min_time`` seconds.  The noise is the larger relative spread of the two
  cells' repeats, ``(max - min) / median``; the effective factor is
  ``max(threshold, 1 + noise)``.  Sub-``min_time`` differences are clock noise.

A solver whose shifted geometric mean over the problems it solved in both runs
grows by more than the threshold (and by more than ``min_time`` seconds) is also
a slowdown.

Timing noise: with one repeat nothing is known of the noise but ``min_time``
(default 0.1 s, below which timings on a shared machine are not trustworthy);
with ``--repeats 3`` or more, medians are compared and the spread of the repeats
raises the factor a change must exceed.  Improvements are listed, never gate.

Example
-------
::

    result = compare_stores(base_store, new_store, threshold=1.10)
    result.regressed, [c.kind for c in result.changes]
    # -> (False, ['faster'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from opt_model.bench.metrics import Cell, cells, shifted_geometric_mean
from opt_model.bench.storage import ResultStore

GATING = ("newly_failed", "newly_wrong", "slower", "sgm_slower")


@dataclass
class Change:
    """One difference between base and new."""

    kind: str  # newly_failed, newly_wrong, slower, sgm_slower, faster, fixed, still_wrong, missing, added
    problem: str
    solver: str
    base: str
    new: str
    ratio: float | None = None
    detail: str = ""

    @property
    def gating(self) -> bool:
        return self.kind in GATING


@dataclass
class Comparison:
    """Every change found; ``regressed`` when one of them gates."""

    threshold: float
    compared: int
    changes: list[Change] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(change.gating for change in self.changes)

    def of_kind(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def text(self) -> str:
        verdict = "REGRESSION" if self.regressed else "no regression"
        lines = [f"{verdict}: {self.compared} (problem, solver) pairs compared, threshold {self.threshold:g}x"]
        titles = {"newly_wrong": "Newly WRONG", "newly_failed": "Newly failed", "slower": "Slower",
                  "sgm_slower": "Slower overall (shifted geometric mean)", "still_wrong": "Still wrong",
                  "faster": "Faster", "fixed": "Fixed", "missing": "In base only (not compared)",
                  "added": "In new only (not compared)"}
        for kind, title in titles.items():
            found = self.of_kind(kind)
            if not found:
                continue
            lines.append(f"{title} ({len(found)}):")
            for change in found:
                ratio = f" x{change.ratio:.2f}" if change.ratio is not None and math.isfinite(change.ratio) else ""
                lines.append(f"  {change.problem} {change.solver}: {change.base} -> {change.new}{ratio}"
                             f"{f' ({change.detail})' if change.detail else ''}")
        return "\n".join(lines) + "\n"


def _time_text(cell: Cell) -> str:
    spread = f" ±{cell.spread * 50:.0f}%" if len(cell.times) > 1 else ""
    return f"{cell.time:.4g}s{spread}"


def compare_cells(base: dict[tuple[str, str], Cell], new: dict[tuple[str, str], Cell], threshold: float = 1.10,
                  min_time: float = 0.1, shift: float = 10.0) -> Comparison:
    """Compare two sets of cells (see the module docstring for the rules).

    Example
    -------
    >>> base = cells([{"problem": "p", "solver": "s", "status": "optimal", "wall_time_s": 1.0}])
    >>> new = cells([{"problem": "p", "solver": "s", "status": "optimal", "wall_time_s": 2.0}])
    >>> [c.kind for c in compare_cells(base, new).changes]
    ['slower', 'sgm_slower']
    >>> compare_cells(base, base).regressed
    False
    """
    if threshold < 1.0:
        raise ValueError(f"threshold {threshold} must be at least 1 (1.10 means 10% slower)")
    result = Comparison(threshold, 0)
    for key in sorted(set(base) | set(new)):
        problem, solver = key
        if key not in new:
            result.changes.append(Change("missing", problem, solver, base[key].status, "-"))
            continue
        if key not in base:
            result.changes.append(Change("added", problem, solver, "-", new[key].status))
            continue
        old, now = base[key], new[key]
        result.compared += 1
        if now.status == "wrong":
            kind = "still_wrong" if old.status == "wrong" else "newly_wrong"
            result.changes.append(Change(kind, problem, solver, old.status, "WRONG"))
            continue
        if old.solved and not now.solved:
            result.changes.append(Change("newly_failed", problem, solver, _time_text(old), now.status))
            continue
        if not old.solved and now.solved:
            result.changes.append(Change("fixed", problem, solver, old.status, _time_text(now)))
            continue
        if not (old.solved and now.solved):
            continue
        ratio = now.time / old.time if old.time > 0 else math.inf
        factor = max(threshold, 1.0 + max(old.spread, now.spread))
        if abs(now.time - old.time) < min_time:
            continue
        detail = f"needs x{factor:.2f} to count" if factor > threshold else ""
        if ratio > factor:
            result.changes.append(Change("slower", problem, solver, _time_text(old), _time_text(now), ratio, detail))
        elif ratio < 1.0 / factor:
            result.changes.append(Change("faster", problem, solver, _time_text(old), _time_text(now), ratio))
    solvers = sorted({solver for _, solver in base} & {solver for _, solver in new})
    for solver in solvers:
        common = sorted(p for p, s in base if s == solver and (p, s) in new
                        and base[(p, s)].solved and new[(p, s)].solved)  # failures are reported above
        if not common:
            continue
        old_sgm = shifted_geometric_mean([base[(p, solver)].time for p in common], shift)
        new_sgm = shifted_geometric_mean([new[(p, solver)].time for p in common], shift)
        ratio = new_sgm / old_sgm if old_sgm > 0 else math.inf
        if ratio > threshold and new_sgm - old_sgm >= min_time:
            result.changes.append(Change("sgm_slower", f"{len(common)} problems", solver, f"{old_sgm:.4g}s",
                                         f"{new_sgm:.4g}s", ratio, f"shift {shift:g} s"))
    return result


def compare_stores(base: ResultStore, new: ResultStore, threshold: float = 1.10, min_time: float = 0.1,
                   time_column: str = "wall_time_s", shift: float = 10.0) -> Comparison:
    """Compare the latest runs of two databases."""
    return compare_cells(cells(base.runs(), time_column), cells(new.runs(), time_column), threshold, min_time, shift)
