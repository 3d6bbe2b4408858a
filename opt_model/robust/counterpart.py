"""Robust counterparts of uncertain linear rows, built on the standard form's arrays.

For a ``<=`` row ``sum_j a_j x_j <= b`` whose numbers lie in intervals
``a_j in [a_j - h_j, a_j + h_j]``, ``b in [b - h_b, b + h_b]`` (see
:class:`~opt_model.robust.sets.RowUncertainty`), the protection ``P(x)`` added to
the left side is:

* **box** (Soyster 1973): ``sum_j h_j |x_j| + h_b``: every number at its worst at once.
  Same size as the nominal model; LP stays LP.
* **budget** (Bertsimas & Sim 2004): the worst ``Gamma`` of the row's numbers
  (fractional: ``floor(Gamma)`` of them plus a share of one more).  Written with
  LP duality as ``Gamma z + sum_j p_j`` with ``z + p_j >= h_j |x_j|``, ``z, p >= 0``:
  one column ``z`` per row and one column and row ``p`` per uncertain number, so
  LP stays LP and MILP stays MILP.  ``Gamma = 0`` is the nominal model, ``Gamma``
  = the number of uncertain numbers of a row is the box.
* **ellipsoid** (Ben-Tal & Nemirovski 1999): ``Omega * ||(h_j x_j, h_b)||_2``, one
  second-order cone per row (an SOCP, solved by a cone-capable backend).

``>=`` rows get the protection with the opposite sign.  ``|x_j|`` is ``x_j`` for
non-negative columns; other columns get an auxiliary ``y_j >= |x_j|``.
Everything is array code: no Python object per row or coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.robust.sets import RowUncertainty
from solvers import ConeBlock, NameBlock, NameMap, StandardForm

METHODS = ("box", "budget", "ellipsoid")


@dataclass
class Counterpart:
    """A robust standard form: the original columns first, then auxiliary ones."""

    form: StandardForm
    method: str
    level: float
    num_original_cols: int
    num_original_rows: int
    protected_rows: np.ndarray


def counterpart(uncertainty: RowUncertainty, method: str, level: float | None = None) -> Counterpart:
    """The robust counterpart of every uncertain row.

    ``level`` is ``Gamma`` for ``"budget"`` (uncertain numbers per row that may
    deviate at once) and ``Omega`` for ``"ellipsoid"`` (radius); it is ignored for
    ``"box"``.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, coefficient, relative
    >>> from opt_model.sensitivity.problem import AnalysisModel
    >>> m = om.Model(); x = m.add_variable("x"); y = m.add_variable("y")
    >>> _ = m.add_constraint("cap", x + y <= 10); m.maximize(x + y)
    >>> u = RowUncertainty.build(AnalysisModel.from_model(m), [Uncertain(coefficient("cap", "x"), relative(100)),
    ...                                                          Uncertain(coefficient("cap", "y"), relative(100))])
    >>> from solvers import solve
    >>> [round(solve(counterpart(u, "budget", g).form).objective, 6) for g in (0, 1, 2)]
    [10.0, 6.666667, 5.0]
    """
    if method not in METHODS:
        raise ModelError(f"unknown robust method {method!r}; use one of {', '.join(METHODS)}")
    if method != "box" and (level is None or not np.isfinite(level) or level < 0):
        what = "Gamma (uncertain numbers per row at their worst)" if method == "budget" else "Omega (radius)"
        raise ModelError(f"the {method} counterpart needs a level {what} >= 0, got {level!r}")
    form = uncertainty.analysis.form
    protected = uncertainty.rows
    if method == "budget" and level is not None and 0 < level < _max_entries(uncertainty):
        fused = budget_form(uncertainty, float(level), f"{form.name}:{method}")
        if fused is not None:
            return Counterpart(fused, method, float(level), form.num_cols, form.num_rows, protected)
    if method == "box" or (method == "budget" and level is not None and level >= _max_entries(uncertainty)):
        fused = box_form(uncertainty, f"{form.name}:{method}")
        if fused is not None:
            level_value = float(_max_entries(uncertainty)) if method == "budget" else float("nan")
            return Counterpart(fused, method, level_value, form.num_cols, form.num_rows, protected)
    A, row_lower, row_upper = uncertainty.centered_form_arrays()
    base = RowBuilder(form, A, row_lower, row_upper, uncertainty.col_lower, uncertainty.col_upper)
    if method == "box" or (method == "budget" and level is not None and level >= _max_entries(uncertainty)):
        box_rows(base, uncertainty)
        level_value = float(_max_entries(uncertainty)) if method == "budget" else float("nan")
    elif method == "budget":
        assert level is not None
        if level > 0:  # columns of mixed sign (free variables): the general builder adds |x| columns
            budget_rows(base, uncertainty, float(level))
        level_value = float(level)
    else:
        assert level is not None
        if level > 0:
            _ellipsoid(base, uncertainty, float(level))
        level_value = float(level)
    robust = base.finish(f"{form.name}:{method}")
    return Counterpart(robust, method, level_value, form.num_cols, form.num_rows, protected)


def protection(uncertainty: RowUncertainty, x: np.ndarray, method: str, level: float | None = None) -> np.ndarray:
    """The worst-case deviation of each uncertain row's left side at ``x`` (one value per ``uncertainty.rows``).

    Box: all numbers at their worst; budget: the ``Gamma`` largest ``h_j |x_j|``
    (with ``h_b`` for the right-hand side); ellipsoid: ``Omega`` times their 2-norm.
    """
    rows = uncertainty.rows
    row_of = np.concatenate([uncertainty.coef_row, uncertainty.rhs_row])
    values = np.concatenate([uncertainty.coef_half * np.abs(x[uncertainty.coef_col]), uncertainty.rhs_half])
    position = np.searchsorted(rows, row_of)
    if method == "box" or (method == "budget" and level is not None and level >= _max_entries(uncertainty)):
        return np.bincount(position, weights=values, minlength=rows.size)
    if method == "ellipsoid":
        return float(level or 0.0) * np.sqrt(np.bincount(position, weights=values ** 2, minlength=rows.size))
    gamma = float(level or 0.0)
    order = np.lexsort((-values, position))
    sorted_pos = position[order]
    sorted_val = values[order]
    starts = np.searchsorted(sorted_pos, np.arange(rows.size))
    rank = np.arange(sorted_pos.size) - starts[sorted_pos]
    whole = np.floor(gamma)
    weight = np.where(rank < whole, 1.0, np.where(rank == whole, gamma - whole, 0.0))
    return np.bincount(sorted_pos, weights=weight * sorted_val, minlength=rows.size)


def _max_entries(uncertainty: RowUncertainty) -> int:
    counts = uncertainty.coefficients_per_row()[uncertainty.rows] + \
        np.bincount(uncertainty.rhs_row, minlength=uncertainty.analysis.form.num_rows)[uncertainty.rows]
    return int(counts.max(initial=0))


class RowBuilder:
    """Appends columns, rows and cones to a standard form, all as arrays."""

    def __init__(self, form: StandardForm, A: sp.csr_matrix, row_lower: np.ndarray, row_upper: np.ndarray,
                 col_lower: np.ndarray, col_upper: np.ndarray) -> None:
        self.form = form
        self.A = A
        self.row_lower = row_lower
        self.row_upper = row_upper
        self.col_lower = col_lower
        self.col_upper = col_upper
        self.n = form.num_cols
        self.m = form.num_rows
        self.extra_cols: list[tuple[str, int, np.ndarray, np.ndarray]] = []
        self.extra_rows: list[tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]] = []
        self.added: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (rows, global cols, values)
        self.cones: list[ConeBlock] = []

    @property
    def num_cols(self) -> int:
        return self.n + sum(count for _, count, _, _ in self.extra_cols)

    def add_cols(self, name: str, count: int, lower: float | np.ndarray = 0.0,
                 upper: float | np.ndarray = np.inf) -> int:
        """``count`` new zero-cost columns; returns the first one's index."""
        first = self.num_cols
        self.extra_cols.append((name, count, np.broadcast_to(np.asarray(lower, float), (count,)).copy(),
                                np.broadcast_to(np.asarray(upper, float), (count,)).copy()))
        return first

    def add_rows(self, name: str, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, count: int,
                 lower: float | np.ndarray, upper: float | np.ndarray) -> None:
        """``count`` new rows from local row ids, global column ids and values."""
        self.extra_rows.append((name, (rows, cols, np.asarray(values, float)),
                                np.broadcast_to(np.asarray(lower, float), (count,)).copy(),
                                np.broadcast_to(np.asarray(upper, float), (count,)).copy()))

    def add_to_rows(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        self.added.append((rows, cols, np.asarray(values, float)))

    def abs_columns(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each column of ``cols``: a column holding ``|x_j|`` (up to sign) and that sign."""
        nonneg = self.col_lower[cols] >= 0
        nonpos = ~nonneg & (self.col_upper[cols] <= 0)
        mixed = ~nonneg & ~nonpos
        target = cols.copy()
        sign = np.where(nonpos, -1.0, 1.0)
        if mixed.any():
            unique = np.unique(cols[mixed])
            first = self.add_cols("robust_abs", unique.size)
            local = np.arange(unique.size)
            ys = first + local
            # y - x >= 0 and y + x >= 0
            self.add_rows("robust_abs_pos", np.concatenate([local, local]), np.concatenate([ys, unique]),
                          np.concatenate([np.ones(unique.size), -np.ones(unique.size)]), unique.size, 0.0, np.inf)
            self.add_rows("robust_abs_neg", np.concatenate([local, local]), np.concatenate([ys, unique]),
                          np.ones(2 * unique.size), unique.size, 0.0, np.inf)
            target[mixed] = first + np.searchsorted(unique, cols[mixed])
        return target, sign

    def add_csr_rows(self, name: str, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray,
                     lower: float | np.ndarray, upper: float | np.ndarray) -> None:
        """New rows given directly in CSR form (global column ids)."""
        count = indptr.size - 1
        self.extra_rows.append((name, (indptr, indices, np.asarray(values, float)),
                                np.broadcast_to(np.asarray(lower, float), (count,)).copy(),
                                np.broadcast_to(np.asarray(upper, float), (count,)).copy()))

    def finish(self, name: str) -> StandardForm:
        form = self.form
        total = self.num_cols
        A = sp.csr_matrix(self.A)
        if self.added:  # entries added to the original rows: one COO -> CSR pass over the top block
            rows, cols, vals = (np.concatenate(parts) for parts in zip(*self.added, strict=True))
            coo_rows = np.concatenate([np.repeat(np.arange(self.m), np.diff(A.indptr)), rows])
            top = sp.csr_matrix((np.concatenate([A.data, vals]), (coo_rows, np.concatenate([A.indices, cols]))),
                                shape=(self.m, total))
            if int(cols.min(initial=self.n)) < self.n:  # entries on existing columns (box): merge duplicates
                top.sum_duplicates()
        else:
            top = sp.csr_matrix((A.data, A.indices, A.indptr), shape=(self.m, total))
        indptrs = [top.indptr.astype(np.int64)]
        indices = [top.indices.astype(np.int32)]
        data = [top.data]
        lower = [self.row_lower]
        upper = [self.row_upper]
        row_names = _copy_names(form.constraint_names())
        offset = int(top.nnz)
        for block_name, part, low, up in self.extra_rows:
            count = low.size
            if part[0].size == count + 1 and part[0].dtype.kind == "i" and part[0][0] == 0 and \
                    part[1].size == part[2].size and part[0][-1] == part[1].size and block_name.endswith(":csr"):
                block_indptr, block_indices, block_data = part
            else:
                block = sp.csr_matrix((part[2], (part[0], part[1])), shape=(count, total))
                block_indptr, block_indices, block_data = block.indptr, block.indices, block.data
            indptrs.append(block_indptr[1:].astype(np.int64) + offset)
            indices.append(np.asarray(block_indices, dtype=np.int32))
            data.append(np.asarray(block_data, dtype=float))
            offset += int(block_indptr[-1])
            lower.append(low)
            upper.append(up)
            row_names.add(NameBlock(block_name.removesuffix(":csr"), row_names.size, (range(count),), ("k",)))
        indptr = np.concatenate(indptrs)
        index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
        matrix = sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr.astype(index_type)),
                               shape=(indptr.size - 1, total))
        extra = total - self.n
        col_names = _copy_names(form.column_names())
        col_lower = [self.col_lower]
        col_upper = [self.col_upper]
        for block_name, count, low, up in self.extra_cols:
            col_names.add(NameBlock(block_name, col_names.size, (range(count),), ("k",)))
            col_lower.append(low)
            col_upper.append(up)
        integrality = None
        if form.integrality is not None:
            integrality = np.concatenate([form.integrality, np.zeros(extra, dtype=form.integrality.dtype)])
        cones = [replace(cone, matrix=sp.csr_matrix((cone.matrix.data, cone.matrix.indices, cone.matrix.indptr),
                                                    shape=(cone.matrix.shape[0], total)))
                 for cone in [*form.cones, *self.cones]]
        Q = None
        if form.Q is not None:
            Q = sp.csc_matrix((form.Q.data, form.Q.indices, form.Q.indptr), shape=(total, total))
        return StandardForm(
            c=np.concatenate([form.c, np.zeros(extra)]), A=matrix, row_lower=np.concatenate(lower),
            row_upper=np.concatenate(upper), col_lower=np.concatenate(col_lower), col_upper=np.concatenate(col_upper),
            sense=form.sense, constant=form.constant, integrality=integrality, Q=Q, cones=cones,
            col_names=col_names, row_names=row_names, name=name, metadata=dict(form.metadata))


def _copy_names(names: NameMap) -> NameMap:
    return NameMap(list(names.blocks), names.size)


def _rhs_worst(builder: RowBuilder, uncertainty: RowUncertainty) -> None:
    """Move each uncertain right-hand side to its worst end (box and budget on one-entry rows)."""
    rows = uncertainty.rhs_row
    if not rows.size:
        return
    le = uncertainty.sign[rows] > 0
    builder.row_upper[rows[le]] -= uncertainty.rhs_half[le]
    builder.row_lower[rows[~le]] += uncertainty.rhs_half[~le]


def box_rows(builder: RowBuilder, uncertainty: RowUncertainty) -> None:
    _rhs_worst(builder, uncertainty)
    if uncertainty.coef_row.size:
        target, sign = builder.abs_columns(uncertainty.coef_col)
        rows = uncertainty.coef_row
        builder.add_to_rows(rows, target, uncertainty.sign[rows] * sign * uncertainty.coef_half)


def budget_rows(builder: RowBuilder, uncertainty: RowUncertainty, gamma: float) -> None:
    rows = uncertainty.rows
    count = rows.size
    z_first = builder.add_cols("robust_z", count)
    coef_pos = np.searchsorted(rows, uncertainty.coef_row)
    rhs_pos = np.searchsorted(rows, uncertainty.rhs_row)
    n_coef = uncertainty.coef_row.size
    n_rhs = uncertainty.rhs_row.size
    p_first = builder.add_cols("robust_p", n_coef + n_rhs)
    p_cols = p_first + np.arange(n_coef + n_rhs)
    row_sign = uncertainty.sign[rows]
    # the protected row: + Gamma z_i + sum_e p_e (with the row's sign)
    entry_rows = np.concatenate([uncertainty.coef_row, uncertainty.rhs_row])
    builder.add_to_rows(np.concatenate([rows, entry_rows]), np.concatenate([z_first + np.arange(count), p_cols]),
                        np.concatenate([row_sign * gamma, uncertainty.sign[entry_rows]]))
    # z_i + p_e - h_e |x_j| >= 0 (coefficients: 3 entries a row); z_i + p_e >= h_b (right-hand sides: 2)
    target, sign = builder.abs_columns(uncertainty.coef_col) if n_coef else (np.zeros(0, np.int64), np.zeros(0))
    z_of = z_first + np.concatenate([coef_pos, rhs_pos])
    indices = np.concatenate([np.stack([target, z_of[:n_coef], p_cols[:n_coef]], axis=1).reshape(-1),
                              np.stack([z_of[n_coef:], p_cols[n_coef:]], axis=1).reshape(-1)])
    values = np.concatenate([np.stack([-sign * uncertainty.coef_half, np.ones(n_coef), np.ones(n_coef)],
                                      axis=1).reshape(-1), np.ones(2 * n_rhs)])
    indptr = np.concatenate([np.arange(0, 3 * n_coef + 1, 3), 3 * n_coef + 2 * np.arange(1, n_rhs + 1)])
    builder.add_csr_rows("robust_budget:csr", indptr, indices, values,
                         np.concatenate([np.zeros(n_coef), uncertainty.rhs_half]), np.inf)


def budget_form(uncertainty: RowUncertainty, gamma: float, name: str) -> StandardForm | None:
    """The budget counterpart assembled in one pass as a CSR matrix, or None when a column takes both signs.

    Columns: the model's own (``x``), one ``z_t`` per protected row, one ``p_e`` per
    uncertain number; rows: the model's own, then one budget row per uncertain
    number, ``z_t + p_e - h_e |x_j| >= 0`` (``z_t + p_e >= h_b`` for a right-hand
    side).  With the uncertain numbers taken row by row, every row's entries
    come out sorted without a sort: a protected row keeps its entries and gains
    ``Gamma z_t`` and its ``p_e`` (consecutive columns) after them; a budget row
    is ``x_j, z_t, p_e``.  Array code only: block lengths, ``np.repeat`` masks and
    strided writes into one preallocated array per CSR field.
    """
    form = uncertainty.analysis.form
    A = uncertainty.matrix if uncertainty.matrix is not None else sp.csr_matrix(form.A)
    m, n = A.shape
    coef_col = uncertainty.coef_col
    n_coef = coef_col.size
    half: np.ndarray | None = None  # the half-widths, when reordered (else written straight into the matrix)
    abs_sign: np.ndarray | None = None
    if n_coef and not bool((uncertainty.col_lower >= 0).all()):
        nonneg = uncertainty.col_lower[coef_col] >= 0
        if not nonneg.all():
            nonpos = uncertainty.col_upper[coef_col] <= 0
            if not (nonneg | nonpos).all():
                return None
            abs_sign = np.where(nonneg, 1.0, -1.0)
    moved = uncertainty.shifted_coefficients()
    if n_coef > 1 and not uncertainty.coefficient_rows_sorted():
        order = _stable_order(uncertainty.coef_row, m)
        coef_col, half = coef_col[order], uncertainty.coef_half[order]
        if abs_sign is not None:
            abs_sign = abs_sign[order]
    rhs_row, rhs_half, rhs_center = uncertainty.rhs_row, uncertainty.rhs_half, uncertainty.rhs_center
    if rhs_row.size > 1 and not bool((rhs_row[1:] >= rhs_row[:-1]).all()):
        order = np.argsort(rhs_row, kind="stable")
        rhs_row, rhs_half, rhs_center = rhs_row[order], rhs_half[order], rhs_center[order]
    n_rhs = rhs_row.size
    entries = n_coef + n_rhs
    rows = uncertainty.rows
    count = rows.size
    sign = uncertainty.sign
    per_coef = uncertainty.coefficients_per_row()[rows]
    per_rhs = np.bincount(rhs_row, minlength=m)[rows]
    added = 1 + per_coef + per_rhs  # entries appended to each protected row: z_t, then its p_e
    # the model's rows: runs of the model's entries alternate with the appended runs
    row_end = A.indptr[rows + 1].astype(np.int64)
    top_nnz = int(A.nnz + added.sum())
    budget_nnz = 3 * n_coef + 2 * n_rhs
    total_nnz = top_nnz + budget_nnz
    indices = np.empty(total_nnz, dtype=np.int32)
    data = np.empty(total_nnz)
    values = A.data
    if moved.size:  # asymmetric intervals: the model's coefficients move to the centers
        run = uncertainty.coef.matrix_slice() if A is uncertainty.matrix else None
        at = run.start + moved if run is not None else \
            _positions(A, uncertainty.coef_row[moved], uncertainty.coef_col[moved])
        if at is None:  # a coefficient that is zero in the model: the general builder adds it
            return None
        values = values.copy()
        values[at] += (uncertainty.coef_center - uncertainty.coef_nominal)[moved]
    z_cols = np.arange(n, n + count, dtype=np.int32)
    p_cols = np.arange(n + count, n + count + entries, dtype=np.int32)  # coefficients' p_e, then right-hand sides'
    row_sign = sign[rows]
    top = _TopBlock(A.indices, values, row_end, per_coef, per_rhs, z_cols, p_cols, n_coef, row_sign, gamma)
    if count * RUN_COPY_MIN_ENTRIES <= top_nnz:  # long rows: copy them run by run
        top.copy_runs(indices[:top_nnz], data[:top_nnz])
    else:
        top.scatter(indices[:top_nnz], data[:top_nnz], np.searchsorted(rows, rhs_row))
    top_indptr = A.indptr.astype(np.int64)
    shift = np.zeros(m, dtype=np.int64)
    shift[rows] = added
    top_indptr[1:] += np.cumsum(shift)
    # the budget rows: x_j, z_t, p_e (coefficients: -h_e |x_j|, 1, 1) and z_t, p_e (right-hand sides: 1, 1)
    coef_indices = indices[top_nnz:top_nnz + 3 * n_coef]
    coef_data = data[top_nnz:top_nnz + 3 * n_coef]
    coef_indices[0::3] = coef_col
    coef_indices[1::3] = np.repeat(z_cols, per_coef)
    coef_indices[2::3] = p_cols[:n_coef]
    coef_data.fill(1.0)
    if abs_sign is not None:
        coef_data[0::3] = -abs_sign * (uncertainty.coef_half if half is None else half)
    elif half is None:
        uncertainty.coef.write_half(coef_data[0::3], -1.0)
    else:
        np.negative(half, out=coef_data[0::3])
    rhs_indices = indices[top_nnz + 3 * n_coef:]
    rhs_indices[0::2] = z_cols[np.searchsorted(rows, rhs_row)]
    rhs_indices[1::2] = p_cols[n_coef:]
    data[top_nnz + 3 * n_coef:] = 1.0
    index_type = np.int32 if total_nnz < np.iinfo(np.int32).max else np.int64
    indptr = np.empty(m + entries + 1, dtype=index_type)
    indptr[:m + 1] = top_indptr
    indptr[m + 1:m + 1 + n_coef] = np.arange(top_nnz + 3, top_nnz + 3 * n_coef + 1, 3, dtype=index_type)
    indptr[m + 1 + n_coef:] = np.arange(top_nnz + 3 * n_coef + 2, total_nnz + 1, 2, dtype=index_type)
    total = n + count + entries
    matrix = sp.csr_matrix((data, indices, indptr), shape=(m + entries, total))
    row_lower = _extend(form.row_lower, entries, 0.0)
    row_upper = _extend(form.row_upper, entries, np.inf)
    row_lower[m + n_coef:] = rhs_half
    if n_rhs:  # uncertain right-hand sides sit at their centers; their half-widths are budget numbers
        le = sign[rhs_row] > 0
        row_upper[rhs_row[le]] = rhs_center[le]
        row_lower[rhs_row[~le]] = rhs_center[~le]
    extra = count + entries
    row_names = _copy_names(form.constraint_names())
    row_names.add(NameBlock("robust_budget", m, (range(entries),), ("k",)))
    col_names = _copy_names(form.column_names())
    col_names.add(NameBlock("robust_z", n, (range(count),), ("k",)))
    col_names.add(NameBlock("robust_p", n + count, (range(entries),), ("k",)))
    integrality = None
    if form.integrality is not None:
        integrality = np.concatenate([form.integrality, np.zeros(extra, dtype=form.integrality.dtype)])
    cones = [replace(cone, matrix=sp.csr_matrix((cone.matrix.data, cone.matrix.indices, cone.matrix.indptr),
                                                shape=(cone.matrix.shape[0], total))) for cone in form.cones]
    Q = None
    if form.Q is not None:
        Q = sp.csc_matrix((form.Q.data, form.Q.indices, form.Q.indptr), shape=(total, total))
    return StandardForm(
        c=_extend(form.c, extra, 0.0), A=matrix, row_lower=row_lower, row_upper=row_upper,
        col_lower=_extend(uncertainty.col_lower, extra, 0.0), col_upper=_extend(uncertainty.col_upper, extra, np.inf),
        sense=form.sense, constant=form.constant, integrality=integrality, Q=Q, cones=cones,
        col_names=col_names, row_names=row_names, name=name, metadata=dict(form.metadata))


RUN_COPY_MIN_ENTRIES = 256
"""The budget counterpart copies the model's rows run by run (one slice per protected row, fast copies) when its
rows hold at least this many entries per protected row on average; else it scatters them through masks."""


@dataclass
class _TopBlock:
    """The model's rows of the budget counterpart: each protected row gains ``z_t`` (``sign * Gamma``), then the
    ``p_e`` (``sign``) of its coefficients, then of its right-hand side, after its own (sorted) entries."""

    indices: np.ndarray
    values: np.ndarray
    row_end: np.ndarray
    """End of each protected row's entries in the model's arrays."""
    per_coef: np.ndarray
    per_rhs: np.ndarray
    z_cols: np.ndarray
    p_cols: np.ndarray
    n_coef: int
    row_sign: np.ndarray
    gamma: float

    def copy_runs(self, out_indices: np.ndarray, out_data: np.ndarray) -> None:
        """Concatenate views: model run, ``z_t``, the row's coefficient ``p_e``, its right-hand side's ``p_e``."""
        ends = self.row_end.tolist()
        starts = [0, *ends[:-1]]
        coef_end = np.cumsum(self.per_coef).tolist()
        coef_start = [0, *coef_end[:-1]]
        rhs_end = (self.n_coef + np.cumsum(self.per_rhs)).tolist()
        rhs_start = [self.n_coef, *rhs_end[:-1]]
        added = (1 + self.per_coef + self.per_rhs).tolist()
        longest = max(added, default=1)
        runs = {}  # one appended-values run per sign: [sign * Gamma, sign, sign, ...]
        for value in np.unique(self.row_sign).tolist():
            run = np.full(longest, value)
            run[0] = value * self.gamma
            runs[value] = run
        signs = self.row_sign.tolist()
        indices, values, z_cols, p_cols = self.indices, self.values, self.z_cols, self.p_cols
        index_parts: list[np.ndarray] = []
        value_parts: list[np.ndarray] = []
        for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
            index_parts += (indices[start:end], z_cols[k:k + 1], p_cols[coef_start[k]:coef_end[k]],
                            p_cols[rhs_start[k]:rhs_end[k]])
            value_parts += (values[start:end], runs[signs[k]][:added[k]])
        last = ends[-1] if ends else 0
        index_parts.append(indices[last:])
        value_parts.append(values[last:])
        np.concatenate(index_parts, out=out_indices)
        np.concatenate(value_parts, out=out_data)

    def scatter(self, out_indices: np.ndarray, out_data: np.ndarray, rhs_pos: np.ndarray) -> None:
        """The same through masks over the whole block (many short rows)."""
        count = self.row_end.size
        added = 1 + self.per_coef + self.per_rhs
        runs = np.empty(2 * count + 1, dtype=np.int64)
        runs[0::2] = np.diff(np.concatenate([[0], self.row_end, [self.indices.size]]))
        runs[1::2] = added
        is_model = np.repeat(np.tile(np.array([True, False]), count + 1)[:2 * count + 1], runs)
        out_indices[is_model] = self.indices
        out_data[is_model] = self.values
        appended = ~is_model
        out_data[appended] = np.repeat(self.row_sign, added)
        head_at = self.row_end + np.cumsum(added) - added  # z_t: the first slot of each appended run
        rhs_rank = np.arange(rhs_pos.size) - (np.cumsum(self.per_rhs) - self.per_rhs)[rhs_pos]
        rhs_at = head_at[rhs_pos] + 1 + self.per_coef[rhs_pos] + rhs_rank
        appended[head_at] = False
        appended[rhs_at] = False
        out_indices[appended] = self.p_cols[:self.n_coef]
        out_indices[head_at] = self.z_cols
        out_indices[rhs_at] = self.p_cols[self.n_coef:]
        out_data[head_at] = self.row_sign * self.gamma


def _extend(values: np.ndarray, extra: int, fill: float) -> np.ndarray:
    """``values`` followed by ``extra`` copies of ``fill``, in one new array (no temporary).

    A zero fill comes from ``np.zeros``: memory the system hands out zeroed is not written again.
    """
    out = np.zeros(values.size + extra) if fill == 0 else np.empty(values.size + extra)
    out[:values.size] = values
    if fill != 0:
        out[values.size:] = fill
    return out


def box_form(uncertainty: RowUncertainty, name: str) -> StandardForm | None:
    """The box counterpart as the model's own sparsity pattern with every uncertain number at its worst.

    None when a column takes both signs (the general builder adds ``|x|`` columns)
    or an uncertain coefficient is not stored in the matrix.
    """
    form = uncertainty.analysis.form
    A = uncertainty.matrix if uncertainty.matrix is not None else sp.csr_matrix(form.A)
    coef_col = uncertainty.coef_col
    data = A.data.astype(float, copy=True)
    if coef_col.size:
        abs_sign: np.ndarray | float = 1.0
        if not bool((uncertainty.col_lower >= 0).all()):
            nonneg = uncertainty.col_lower[coef_col] >= 0
            nonpos = uncertainty.col_upper[coef_col] <= 0
            if not (nonneg | nonpos).all():
                return None
            abs_sign = np.where(nonneg, 1.0, -1.0)
        run = uncertainty.coef.matrix_slice() if A is uncertainty.matrix else None
        if run is not None:  # the uncertain numbers are one run of the matrix's entries, each once: added in place
            worst = uncertainty.coef_center - uncertainty.coef_nominal
            worst += _row_signs(uncertainty) * abs_sign * uncertainty.coef_half
            data[run] += worst
        else:
            coef_row = uncertainty.coef_row
            at = _positions(A, coef_row, coef_col)
            if at is None:
                return None
            worst = (uncertainty.coef_center - uncertainty.coef_nominal) + \
                uncertainty.sign[coef_row] * abs_sign * uncertainty.coef_half
            data += np.bincount(at, weights=worst, minlength=data.size)  # a coefficient declared twice adds up
    row_lower = form.row_lower.copy()
    row_upper = form.row_upper.copy()
    rows = uncertainty.rhs_row
    if rows.size:  # each uncertain right-hand side at its worst end
        le = uncertainty.sign[rows] > 0
        row_upper[rows[le]] = uncertainty.rhs_center[le] - uncertainty.rhs_half[le]
        row_lower[rows[~le]] = uncertainty.rhs_center[~le] + uncertainty.rhs_half[~le]
    matrix = sp.csr_matrix((data, A.indices, A.indptr), shape=A.shape)
    return replace(form, A=matrix, row_lower=row_lower, row_upper=row_upper, col_lower=uncertainty.col_lower.copy(),
                   col_upper=uncertainty.col_upper.copy(), col_names=_copy_names(form.column_names()),
                   row_names=_copy_names(form.constraint_names()), name=name, metadata=dict(form.metadata))


def _row_signs(uncertainty: RowUncertainty) -> np.ndarray | float:
    """The sign of each uncertain coefficient's row: one number when all those rows share it (read from the
    per-row counts, without the coefficients' rows)."""
    signs = uncertainty.sign[uncertainty.coefficients_per_row() > 0]
    if signs.size and bool((signs == signs[0]).all()):
        return float(signs[0])
    return uncertainty.sign[uncertainty.coef_row]


def _stable_order(keys: np.ndarray, size: int) -> np.ndarray:
    """Positions of ``keys`` (integers in ``[0, size)``) grouped by key, stable: a counting sort in scipy."""
    count = keys.size
    pattern = sp.csc_matrix((np.ones(count), keys, np.arange(count + 1)), shape=(size, count))
    return pattern.tocsr().indices.astype(np.int64)


def _positions(A: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray | None:
    """Positions in ``A.data`` (CSR, sorted indices) of the entries ``(rows, cols)``; None when one is not stored."""
    if not A.has_sorted_indices:
        return None
    n = A.shape[1]
    keys = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr)) * n + A.indices
    wanted = rows.astype(np.int64) * n + cols
    found = np.minimum(np.searchsorted(keys, wanted), max(keys.size - 1, 0))
    return found if keys.size and bool((keys[found] == wanted).all()) else None


def _ellipsoid(builder: RowBuilder, uncertainty: RowUncertainty, omega: float) -> None:
    """One cone per row: ``||(h_j x_j, h_b)|| <= sign * (b - a x) / Omega``."""
    rows = uncertainty.rows
    count = rows.size
    per_row = np.bincount(np.searchsorted(rows, np.concatenate([uncertainty.coef_row, uncertainty.rhs_row])),
                          minlength=count)
    sizes = 1 + per_row
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    total_rows = int(sizes.sum())
    sign = uncertainty.sign[rows]
    bound = np.where(sign > 0, builder.row_upper[rows], builder.row_lower[rows])
    head = sp.csr_matrix(builder.A)[rows].tocoo()
    # first row of each cone: (sign * b - sign * a x) / Omega
    head_rows = starts[head.row]
    head_vals = -sign[head.row] * head.data / omega
    offset = np.zeros(total_rows)
    offset[starts] = sign * bound / omega
    # then one row per uncertain number, in the order coefficients, right-hand side of each row
    entry_row_pos = np.concatenate([np.searchsorted(rows, uncertainty.coef_row),
                                    np.searchsorted(rows, uncertainty.rhs_row)])
    order = np.argsort(entry_row_pos, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    sorted_pos = entry_row_pos[order]
    rank[order] = np.arange(order.size) - np.searchsorted(sorted_pos, sorted_pos)
    cone_row = starts[entry_row_pos] + 1 + rank
    n_coef = uncertainty.coef_row.size
    offset[cone_row[n_coef:]] = uncertainty.rhs_half
    matrix = sp.csr_matrix((np.concatenate([head_vals, uncertainty.coef_half]),
                            (np.concatenate([head_rows, cone_row[:n_coef]]),
                             np.concatenate([head.col, uncertainty.coef_col]))),
                           shape=(total_rows, builder.n))
    builder.cones.append(ConeBlock("soc", matrix, offset, sizes.astype(np.int64), "robust_ellipsoid"))


def describe_method(method: str, level: Any) -> str:
    """``"budget Gamma=2"``, ``"ellipsoid Omega=1.5"``, ``"scenario N=275"``, ``"saa N=800"``, ``"box"``."""
    if method == "budget":
        return f"budget Gamma={float(level):g}"
    if method == "ellipsoid":
        return f"ellipsoid Omega={float(level):g}"
    if method in ("scenario", "two-stage"):
        return f"{method} N={int(level)}"
    if method == "saa":
        return f"saa N={int(level)}"
    return method
