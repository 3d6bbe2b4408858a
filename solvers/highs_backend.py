"""HiGHS backend: the only module that imports ``highspy``.

The standard form's arrays go to ``Highs.passModel`` in one call (the overload
that takes numpy buffers), column-wise from a CSC matrix or row-wise from a CSR
one (HiGHS then transposes it itself).  MPS and LP files are read and written here too.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.backend import Backend, SolveOptions
from solvers.errors import InputFileError, SolverError, SolverNotAvailableError
from solvers.names import NameMap
from solvers.result import BackendResult
from solvers.standard_form import Integrality, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

try:
    import highspy
except ImportError:  # pragma: no cover - highspy is a core dependency
    highspy = None

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


def _new_highs(verbose: bool = False) -> Any:
    if highspy is None:
        raise SolverNotAvailableError("highspy is not installed; run 'pip install highspy'")
    h = highspy.Highs() if _banner_silenced else _first_highs_quietly()
    h.setOptionValue("output_flag", bool(verbose))
    return h


def _check(status: Any, action: str) -> None:
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
        lower = sp.tril(form.Q, format="csc")
        lower.sort_indices()
        status = h.passModel(n, m, A.nnz, lower.nnz, a_format, _TRIANGULAR, sense, float(form.constant),
                             *common, lower.indptr.astype(np.int32), lower.indices.astype(np.int32),
                             lower.data.astype(np.float64), integrality)
    else:
        status = h.passModel(n, m, A.nnz, a_format, sense, float(form.constant), *common, integrality)
    _check(status, "loading it")


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


def collect_result(h: Any, form: StandardForm, solver: str, handoff: float, solve_time: float) -> BackendResult:
    """Read status, solution, duals and basis out of a solved ``Highs`` instance."""
    raw = h.getModelStatus()
    status = map_status(raw)
    info = h.getInfo()
    result = BackendResult(status=status, solver=solver, solver_version=HighsBackend.version(),
                           raw_status=raw.name, handoff_time_s=handoff, solve_time_s=solve_time)
    result.iterations = {
        "simplex": int(info.simplex_iteration_count), "ipm": int(info.ipm_iteration_count),
        "pdlp": int(info.pdlp_iteration_count), "crossover": int(info.crossover_iteration_count),
        "qp": int(info.qp_iteration_count), "mip_nodes": int(info.mip_node_count),
    }
    feasible = int(info.primal_solution_status) == 2 or raw.name == "kModelEmpty"
    if feasible:
        solution = h.getSolution()
        result.x = np.asarray(solution.col_value, dtype=np.float64)
        result.row_activity = np.asarray(solution.row_value, dtype=np.float64)
        result.objective = float(info.objective_function_value) if raw.name != "kModelEmpty" else form.constant
        if int(info.dual_solution_status) == 2 and not form.is_mip:
            result.row_dual = np.asarray(solution.row_dual, dtype=np.float64)
            result.reduced_cost = np.asarray(solution.col_dual, dtype=np.float64)
        basis = h.getBasis()
        if basis.valid:
            result.col_basis = np.array([int(s) for s in basis.col_status], dtype=np.int8)
            result.row_basis = np.array([int(s) for s in basis.row_status], dtype=np.int8)
    if form.is_mip:
        result.mip_bound = float(info.mip_dual_bound)
        result.mip_gap = float(info.mip_gap)
    result.extra["max_primal_infeasibility"] = float(info.max_primal_infeasibility)
    result.extra["max_dual_infeasibility"] = float(info.max_dual_infeasibility)
    return result


class HighsBackend(Backend):
    """LP, MILP and convex QP through HiGHS (simplex, interior point or PDLP)."""

    name: ClassVar[str] = "highs"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset(
        {ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP})
    gives_duals: ClassVar[bool] = True
    gives_ranging: ClassVar[bool] = True
    warm_start: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("simplex", "ipm", "pdlp", "choose")
    description: ClassVar[str] = "HiGHS via highspy: dual/primal simplex, interior point, PDLP, branch-and-cut"

    @classmethod
    def is_available(cls) -> bool:
        return highspy is not None

    @classmethod
    def version(cls) -> str:
        if highspy is None:
            return ""
        h = _new_highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        h = _new_highs(options.verbose)
        apply_options(h, options, self.variant)
        start = time.perf_counter()
        pass_model(h, form)
        handoff = time.perf_counter() - start
        start = time.perf_counter()
        run_status = h.run()
        solve_time = time.perf_counter() - start
        result = collect_result(h, form, self.full_name, handoff, solve_time)
        if run_status == highspy.HighsStatus.kError and result.status is SolveStatus.OPTIMAL:
            result.status = SolveStatus.ERROR
        return result


def read_model(path: str | Path) -> StandardForm:
    """Read an MPS or LP file (by extension, ``.gz`` allowed) into a standard form.

    Example
    -------
    >>> form = read_model("problems/files/wyndor.mps")  # doctest: +SKIP
    """
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"{file}: no such file; check the path")
    h = _new_highs()
    status = h.readModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not read it as an MPS or LP file; "
                             "check its format (free or fixed MPS, CPLEX LP)")
    model = h.getModel()
    lp = model.lp_
    n, m = int(lp.num_col_), int(lp.num_row_)
    matrix = lp.a_matrix_
    start = np.asarray(matrix.start_, dtype=np.int32)
    index = np.asarray(matrix.index_, dtype=np.int32)
    value = np.asarray(matrix.value_, dtype=np.float64)
    if matrix.format_.name == "kColwise":
        A = sp.csc_matrix((value, index, start), shape=(m, n)).tocsr()
    else:
        A = sp.csr_matrix((value, index, start), shape=(m, n))
    A.sum_duplicates()
    integrality = None
    if len(lp.integrality_):
        codes = np.array([int(v) for v in lp.integrality_], dtype=np.int32)
        if codes.any():
            integrality = (codes != 0).astype(np.int32) * Integrality.INTEGER
    Q = None
    hessian = model.hessian_
    if int(hessian.dim_) > 0 and len(hessian.value_):
        lower = sp.csc_matrix((np.asarray(hessian.value_, dtype=np.float64),
                               np.asarray(hessian.index_, dtype=np.int32),
                               np.asarray(hessian.start_, dtype=np.int32)), shape=(n, n))
        Q = (lower + sp.tril(lower, k=-1).T).tocsc()
    col_names = list(lp.col_names_)
    row_names = list(lp.row_names_)
    form = StandardForm(
        c=np.asarray(lp.col_cost_, dtype=np.float64), A=A,
        row_lower=np.asarray(lp.row_lower_, dtype=np.float64),
        row_upper=np.asarray(lp.row_upper_, dtype=np.float64),
        col_lower=np.asarray(lp.col_lower_, dtype=np.float64),
        col_upper=np.asarray(lp.col_upper_, dtype=np.float64),
        sense=Sense.MAXIMIZE if lp.sense_.name == "kMaximize" else Sense.MINIMIZE,
        constant=float(lp.offset_), integrality=integrality, Q=Q,
        col_names=NameMap.plain(col_names) if len(col_names) == n else None,
        row_names=NameMap.plain(row_names) if len(row_names) == m else None,
        name=lp.model_name_ or file.stem.split(".")[0])
    for arr in (form.col_lower, form.col_upper, form.row_lower, form.row_upper):
        arr[arr >= highspy.kHighsInf] = np.inf
        arr[arr <= -highspy.kHighsInf] = -np.inf
    return form


def write_model(form: StandardForm, path: str | Path) -> None:
    """Write ``form`` as MPS (``.mps``) or CPLEX LP (``.lp``) through HiGHS."""
    file = Path(path)
    if file.suffix.lower() not in {".mps", ".lp"}:
        raise InputFileError(f"{file}: unknown model file type {file.suffix!r}; use .mps or .lp")
    h = _new_highs()
    pass_model(h, form)
    col_names = form.column_names().names()
    row_names = form.constraint_names().names()
    for j, col in enumerate(col_names):
        h.passColName(j, _file_safe(col))
    for i, row in enumerate(row_names):
        h.passRowName(i, _file_safe(row))
    status = h.writeModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not write the model; check the folder exists and is writable")


def _file_safe(name: str) -> str:
    """MPS and LP names may not contain spaces; brackets and commas are fine for HiGHS."""
    return name.replace(" ", "_")
