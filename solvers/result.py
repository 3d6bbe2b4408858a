"""What a backend returns: arrays in the standard form's positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvers.status import SolveStatus


@dataclass
class BackendResult:
    """The outcome of one solve of a :class:`~solvers.StandardForm`.

    Sign convention for every backend: ``row_dual[i]`` is the derivative of the
    optimal objective with respect to the right-hand side (the active bound) of
    row ``i``, and ``reduced_cost[j]`` its derivative with respect to the active
    bound of variable ``j``, for minimisation and maximisation alike.
    """

    status: SolveStatus
    solver: str
    objective: float = float("nan")
    x: np.ndarray | None = None
    row_activity: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    reduced_cost: np.ndarray | None = None
    col_basis: np.ndarray | None = None
    row_basis: np.ndarray | None = None
    mip_bound: float | None = None
    mip_gap: float | None = None
    iterations: dict[str, int] = field(default_factory=dict)
    solve_time_s: float = float("nan")
    handoff_time_s: float = float("nan")
    solver_version: str = ""
    raw_status: str = ""
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None

    @property
    def has_duals(self) -> bool:
        return self.row_dual is not None


@dataclass(frozen=True)
class FileSummary:
    """What :func:`solvers.solve_file` reports about the model it read."""

    name: str
    num_rows: int
    num_cols: int
    num_nonzeros: int
    is_mip: bool
    column_names: list[str]
