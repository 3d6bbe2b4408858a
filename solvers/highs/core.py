"""What every part of the HiGHS backend shares: ``highspy`` itself, the status map, a quiet
``Highs`` factory, the one-call model hand-off and the option mapping."""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from solvers.backend import SolveOptions
from solvers.errors import SolverError, SolverNotAvailableError
from solvers.standard_form import Sense, StandardForm
from solvers.status import SolveStatus

try:
    import highspy
except ImportError:  # pragma: no cover - highspy is a core dependency
    highspy = None  # type: ignore[assignment]

_COLWISE = 1
_ROWWISE = 2
_TRIANGULAR = 1
_MINIMIZE = 1
_MAXIMIZE = -1

# Every HighsModelStatus, by name, mapped to the project's status.
STATUS_MAP: dict[str, SolveStatus] = {
    "kNotset": SolveStatus.ERROR,
    "kLoadError": SolveStatus.ERROR,
    "kModelError": SolveStatus.ERROR,
    "kPresolveError": SolveStatus.NUMERICAL_ERROR,
    "kSolveError": SolveStatus.NUMERICAL_ERROR,
    "kPostsolveError": SolveStatus.NUMERICAL_ERROR,
    "kModelEmpty": SolveStatus.OPTIMAL,
    "kOptimal": SolveStatus.OPTIMAL,
    "kInfeasible": SolveStatus.INFEASIBLE,
    "kUnboundedOrInfeasible": SolveStatus.INFEASIBLE_OR_UNBOUNDED,
    "kUnbounded": SolveStatus.UNBOUNDED,
    "kObjectiveBound": SolveStatus.OBJECTIVE_LIMIT,
    "kObjectiveTarget": SolveStatus.OBJECTIVE_LIMIT,
    "kTimeLimit": SolveStatus.TIME_LIMIT,
    "kIterationLimit": SolveStatus.ITERATION_LIMIT,
    "kUnknown": SolveStatus.ERROR,
    "kSolutionLimit": SolveStatus.SOLUTION_LIMIT,
    "kInterrupt": SolveStatus.INTERRUPTED,
    "kMemoryLimit": SolveStatus.MEMORY_LIMIT,
    "kHighsInterrupt": SolveStatus.INTERRUPTED,
}

_METHODS = {"simplex": "simplex", "ipm": "ipm", "ipx": "ipm", "pdlp": "pdlp", "choose": "choose",
            "auto": "choose"}


def map_status(raw: Any) -> SolveStatus:
    """The project's status for a ``HighsModelStatus`` (or its name)."""
    name = raw if isinstance(raw, str) else raw.name
    return STATUS_MAP.get(name, SolveStatus.ERROR)


_banner_silenced = False


def _first_highs_quietly() -> Any:
    """Create the process's first ``Highs``; HiGHS prints a banner to fd 1 only then.

    The banner would corrupt JSON or CSV written to stdout by the CLI, so the
    first instance is made with fd 1 pointed at /dev/null.
    """
    global _banner_silenced
    _banner_silenced = True
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(verbose: bool = False) -> Any:
    if highspy is None:
        raise SolverNotAvailableError("highspy is not installed; run 'pip install highspy'")
    h = highspy.Highs() if _banner_silenced else _first_highs_quietly()
    h.setOptionValue("output_flag", bool(verbose))
    return h


def check_status(status: Any, action: str) -> None:
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the model while {action}; run with verbose=True to see why")


def pass_model(h: Any, form: StandardForm) -> None:
    """Hand ``form`` to a ``Highs`` instance in one ``passModel`` call (CSC or CSR as it is)."""
    A = form.A
    a_format = _COLWISE if A.format == "csc" else _ROWWISE
    if A.format not in ("csc", "csr"):
        A = A.tocsr()
    indptr = A.indptr if A.indptr.dtype == np.int32 else A.indptr.astype(np.int32)
    indices = A.indices if A.indices.dtype == np.int32 else A.indices.astype(np.int32)
    n, m = form.num_cols, form.num_rows
    integrality = (np.zeros(n, dtype=np.int32) if form.integrality is None
                   else np.ascontiguousarray(form.integrality, dtype=np.int32))
    sense = _MAXIMIZE if form.sense == Sense.MAXIMIZE else _MINIMIZE
    common = (np.ascontiguousarray(form.c, dtype=np.float64), form.col_lower, form.col_upper,
              form.row_lower, form.row_upper, indptr, indices, A.data)
    if form.Q is not None and form.Q.nnz:
        import scipy.sparse as sp

        lower = sp.tril(form.Q, format="csc")
        lower.sort_indices()
        status = h.passModel(n, m, A.nnz, lower.nnz, a_format, _TRIANGULAR, sense, float(form.constant),
                             *common, lower.indptr.astype(np.int32), lower.indices.astype(np.int32),
                             lower.data.astype(np.float64), integrality)
    else:
        status = h.passModel(n, m, A.nnz, a_format, sense, float(form.constant), *common, integrality)
    check_status(status, "loading it")


def apply_options(h: Any, options: SolveOptions, variant: str | None) -> None:
    """Set HiGHS options; an unknown option or bad value raises :class:`SolverError`."""
    values: dict[str, Any] = {}
    if options.time_limit is not None:
        values["time_limit"] = float(options.time_limit)
    if options.mip_gap is not None:
        values["mip_rel_gap"] = float(options.mip_gap)
    if options.threads is not None:
        values["threads"] = int(options.threads)
    if options.presolve is not None:
        values["presolve"] = "on" if options.presolve else "off"
    method = options.method or variant
    if method:
        if method.lower() not in _METHODS:
            raise SolverError(f"unknown HiGHS method {method!r}; choose one of simplex, ipm, pdlp, choose")
        values["solver"] = _METHODS[method.lower()]
    if options.seed is not None:
        values["random_seed"] = int(options.seed)
    values.update(options.extra or {})
    for key, value in values.items():
        status = h.setOptionValue(key, value)
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected option {key}={value!r}; see the HiGHS option list "
                              "(https://ergo-code.github.io/HiGHS/stable/options/definitions/)")
    if "threads" in values:
        h.resetGlobalScheduler(True)
