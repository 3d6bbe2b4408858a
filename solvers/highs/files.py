"""MPS and LP files read and written through HiGHS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.errors import InputFileError
from solvers.file_names import lp_names, mps_names, polish, write_name_map
from solvers.highs.core import apply_options, highspy, new_highs, pass_model
from solvers.names import NameMap
from solvers.result import BackendResult, FileSummary
from solvers.standard_form import Integrality, Sense, StandardForm
from solvers.status import SolveStatus

if TYPE_CHECKING:
    from solvers.options import SolveOptions


def read_model(path: str | Path) -> StandardForm:
    """Read an MPS or LP file (by extension, ``.gz`` allowed) into a standard form.

    Example
    -------
    >>> form = read_model("problems/mps/wyndor.mps")
    >>> form.num_rows, form.constraint_names().names()
    (3, ['plant1', 'plant2', 'plant3'])
    """
    from solvers.sparse_import import scipy_sparse

    sp = scipy_sparse()
    file = Path(path)
    h = _read(file)
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


def _read(file: Path, verbose: bool = False) -> Any:
    """A ``Highs`` instance holding the model of ``file``."""
    if not file.is_file():
        raise InputFileError(f"{file}: no such file; check the path")
    h = new_highs(verbose)
    status = h.readModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not read it as an MPS or LP file; "
                             "check its format (free or fixed MPS, CPLEX LP)")
    return h


def solve_model_file(path: str | Path, options: SolveOptions, variant: str | None,
                     solver: str) -> tuple[BackendResult, FileSummary]:
    """Read an MPS or LP file into HiGHS and solve it there, without building a standard form.

    The path ``opt-model solve FILE`` takes: one reader, one solver instance, and neither the
    form's arrays nor scipy (whose import alone costs about as much as solving a small file).

    Example
    -------
    >>> from solvers.options import SolveOptions
    >>> result, summary = solve_model_file("problems/mps/wyndor.mps", SolveOptions(), None, "highs")
    >>> result.objective, summary.num_rows, summary.column_names
    (36.0, 3, ['x1', 'x2'])
    """
    from solvers.highs.backend import collect_result

    file = Path(path)
    h = _read(file, options.verbose)
    apply_options(h, options, variant)
    lp = h.getLp()
    n, m = int(lp.num_col_), int(lp.num_row_)
    is_mip = bool(len(lp.integrality_)) and any(int(v) for v in lp.integrality_)
    start = time.perf_counter()
    run_status = h.run()
    solve_time = time.perf_counter() - start
    result = collect_result(h, solver, 0.0, solve_time, constant=float(lp.offset_), is_mip=is_mip)
    if run_status == highspy.HighsStatus.kError and result.status is SolveStatus.OPTIMAL:
        result.status = SolveStatus.ERROR
    names = list(lp.col_names_)
    summary = FileSummary(name=lp.model_name_ or file.stem.split(".")[0], num_rows=m, num_cols=n,
                          num_nonzeros=int(h.getNumNz()), is_mip=is_mip,
                          column_names=names if len(names) == n else [f"x[{j}]" for j in range(n)])
    return result, summary


def write_model(form: StandardForm, path: str | Path) -> None:
    """Write ``form`` as MPS (``.mps``) or CPLEX LP (``.lp``) through HiGHS."""
    file = Path(path)
    if file.suffix.lower() not in {".mps", ".lp"}:
        raise InputFileError(f"{file}: unknown model file type {file.suffix!r}; use .mps or .lp")
    h = new_highs()
    pass_model(h, form)
    col_names = form.column_names().names()
    row_names = form.constraint_names().names()
    safe = lp_names if file.suffix.lower() == ".lp" else mps_names  # names kept, sanitised only where needed
    written_cols, written_rows = safe(col_names), safe(row_names)
    for j, col in enumerate(written_cols):
        h.passColName(j, col)
    for i, row in enumerate(written_rows):
        h.passRowName(i, row)
    status = h.writeModel(str(file))
    if status == highspy.HighsStatus.kError:
        raise InputFileError(f"{file}: HiGHS could not write the model; check the folder exists and is writable")
    polish(file, form.name or file.stem)  # shortest round-trip numbers, a non-empty NAME
    write_name_map(file, [("column", col_names, written_cols), ("row", row_names, written_rows)])
