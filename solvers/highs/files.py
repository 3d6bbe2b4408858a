"""MPS and LP files read and written through HiGHS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from solvers.errors import InputFileError
from solvers.highs.core import highspy, new_highs, pass_model
from solvers.names import NameMap
from solvers.standard_form import Integrality, Sense, StandardForm


def read_model(path: str | Path) -> StandardForm:
    """Read an MPS or LP file (by extension, ``.gz`` allowed) into a standard form.

    Example
    -------
    >>> form = read_model("problems/mps/wyndor.mps")
    >>> form.num_rows, form.constraint_names().names()
    (3, ['plant1', 'plant2', 'plant3'])
    """
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"{file}: no such file; check the path")
    h = new_highs()
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
    h = new_highs()
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
