"""One solve-status enum for every backend."""

from __future__ import annotations

from enum import Enum


class SolveStatus(str, Enum):
    """Outcome of a solve, the same for every backend.

    A non-optimal outcome is a status, never an exception.  The values are plain
    strings so they serialise to JSON and SQLite unchanged.
    """

    OPTIMAL = "optimal"
    """A proven optimal solution (within the solver's tolerances or MIP gap)."""
    INFEASIBLE = "infeasible"
    """The constraints admit no solution."""
    UNBOUNDED = "unbounded"
    """The objective can be improved without limit."""
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    """The solver proved one of the two but not which (typical after presolve)."""
    TIME_LIMIT = "time_limit"
    """Stopped by the time limit; a feasible solution may be available."""
    ITERATION_LIMIT = "iteration_limit"
    """Stopped by an iteration or node limit."""
    OBJECTIVE_LIMIT = "objective_limit"
    """Stopped because the objective reached a user bound or target."""
    SOLUTION_LIMIT = "solution_limit"
    """Stopped after the requested number of feasible solutions."""
    MEMORY_LIMIT = "memory_limit"
    """The solver ran out of its memory allowance."""
    INTERRUPTED = "interrupted"
    """Stopped by the user or a callback."""
    NUMERICAL_ERROR = "numerical_error"
    """The solver failed for numerical reasons (presolve, solve or postsolve error)."""
    ERROR = "error"
    """Any other failure: a model the solver rejected, an unknown outcome."""

    @property
    def is_optimal(self) -> bool:
        return self is SolveStatus.OPTIMAL

    @property
    def is_limit(self) -> bool:
        """True for the statuses under which a feasible solution may still exist."""
        return self in _LIMITS

    def __str__(self) -> str:
        return self.value


_LIMITS = frozenset({
    SolveStatus.TIME_LIMIT,
    SolveStatus.ITERATION_LIMIT,
    SolveStatus.OBJECTIVE_LIMIT,
    SolveStatus.SOLUTION_LIMIT,
    SolveStatus.MEMORY_LIMIT,
    SolveStatus.INTERRUPTED,
})
