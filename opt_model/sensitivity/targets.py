"""Uncertain parameters resolved to the numbers of the standard form, including whole usage blocks.

The sensitivity module's :func:`~opt_model.sensitivity.plan.build_plan` resolves
one coefficient at a time (``coefficient("memory[h1]", "x[etl,h1]")``).  Robust
models usually declare a whole block: "every memory usage coefficient of ``x``
is +-20 %" (``target: coefficient, of: memory, variable: x`` in a spec).
:func:`resolve_plan` expands such a target to every nonzero coefficient of the
variable block in the constraint rows, as arrays, and resolves the others with
``build_plan``; the result is one :class:`ScenarioPlan` that the Monte Carlo
engine samples and re-solves like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.plan import COEFFICIENT, Factor, FactorRuns, ScenarioPlan, build_plan
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.uncertainty import Uncertain


def resolve_plan(analysis: AnalysisModel, parameters: Sequence[Uncertain]) -> ScenarioPlan:
    """One plan for all parameters; coefficient targets may name whole blocks.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, coefficient, relative
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"]); x = m.add_variables("x", dims=host)
    >>> _ = m.add_resource("memory", capacity=om.data({"h1": 4, "h2": 8}, dims=host)).add_usage(2.0 * x)
    >>> m.maximize(x.sum())
    >>> plan = resolve_plan(AnalysisModel.from_model(m), [Uncertain(coefficient("memory", "x"), relative(20))])
    >>> plan.num_factors, plan.entry_row.tolist(), plan.entry_col.tolist(), plan.entry_nominal.tolist()
    (2, [0, 1], [0, 1], [2.0, 2.0])
    """
    plan, _, _ = resolve(analysis, parameters)
    return plan


def resolve(analysis: AnalysisModel, parameters: Sequence[Uncertain], matrix: sp.csr_matrix | None = None
            ) -> tuple[ScenarioPlan, np.ndarray, np.ndarray]:
    """:func:`resolve_plan`, plus where each parameter's factors and entries start.

    The factors of parameter ``k`` are ``factor_offsets[k]:factor_offsets[k + 1]``
    of the plan's factors, its entries ``offsets[k]:offsets[k + 1]`` of the plan's
    entry arrays (parameters keep their order).  ``matrix`` is the constraint
    matrix in CSR form, when the caller has it already.
    """
    if matrix is None:
        matrix = analysis.form.A.tocsr()
    if not parameters:
        raise ModelError("no uncertain parameters were given")
    blocks = []
    runs: list[tuple[Factor, int]] = []
    factor_counts = []
    for number, parameter in enumerate(parameters):
        if _is_block(analysis, parameter):
            block = _block_entries(analysis, parameter, number, matrix)
        else:
            plan = build_plan(analysis, [parameter])
            block = _Entries(plan.entry_row, plan.entry_col, plan.entry_nominal, int(plan.entry_kind[0]),
                             plan.entry_factor, [(Factor(f.name, f.distribution, number), 1) for f in plan.factors])
        blocks.append(block)
        factor_counts.append(sum(count for _, count in block.runs))
        runs += block.runs
    sizes = np.array([block.row.size for block in blocks], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    factor_offsets = np.concatenate([[0], np.cumsum(factor_counts)]).astype(np.int64)
    entry_factor = np.empty(int(offsets[-1]), dtype=np.int64)
    for block, first, stop, first_factor in zip(blocks, offsets[:-1].tolist(), offsets[1:].tolist(),
                                                factor_offsets[:-1].tolist(), strict=True):
        if block.factor is None:  # one factor per entry, in order
            entry_factor[first:stop] = np.arange(first_factor, first_factor + stop - first)
        else:
            np.add(block.factor, first_factor, out=entry_factor[first:stop])
    # one kind and one relative flag per parameter
    kinds = np.array([block.kind for block in blocks], dtype=np.int64)
    relative = np.array([bool(parameter.distribution.relative) for parameter in parameters], dtype=bool)
    return ScenarioPlan(
        FactorRuns(runs), entry_factor, np.repeat(kinds, sizes),
        np.concatenate([block.row for block in blocks], dtype=np.int64),
        np.concatenate([block.col for block in blocks], dtype=np.int64),
        np.concatenate([block.nominal for block in blocks], dtype=float),
        np.repeat(relative, sizes), [p.label for p in parameters]), factor_offsets, offsets


class _Entries(NamedTuple):
    """The entries one parameter sets (``factor`` None: one factor per entry, in order)."""

    row: np.ndarray
    col: np.ndarray
    nominal: np.ndarray
    kind: int
    factor: np.ndarray | None
    runs: list[tuple[Factor, int]]


def _is_block(analysis: AnalysisModel, parameter: Uncertain) -> bool:
    target = parameter.target
    if target.kind != "coefficient":
        return False
    rows = analysis.row_indices(target.name, target.label_map)
    cols = analysis.col_indices(target.variable)
    return not (rows.size == 1 and cols.size == 1)


def _block_entries(analysis: AnalysisModel, parameter: Uncertain, number: int, matrix: sp.csr_matrix) -> _Entries:
    """Every nonzero coefficient of the variable block in the selected rows, row by row."""
    target = parameter.target
    rows = analysis.row_indices(target.name, target.label_map)
    cols = analysis.col_indices(target.variable)
    if rows.size and int(rows[-1]) - int(rows[0]) + 1 == rows.size and bool((np.diff(rows) == 1).all()):
        first, stop = int(matrix.indptr[rows[0]]), int(matrix.indptr[rows[-1] + 1])  # consecutive rows: views
        indptr = matrix.indptr[int(rows[0]):int(rows[-1]) + 2] - first
        indices, data = matrix.indices[first:stop], matrix.data[first:stop]
    else:
        sub = matrix[rows]
        indptr, indices, data = sub.indptr, sub.indices, sub.data
    if cols.size and int(cols[-1]) - int(cols[0]) + 1 == cols.size and bool((np.diff(cols) == 1).all()):
        keep = (indices >= cols[0]) & (indices <= cols[-1])  # a whole variable block: a range test
    else:
        wanted = np.zeros(analysis.form.num_cols, dtype=bool)
        wanted[cols] = True
        keep = wanted[indices]
    keep &= data != 0
    if keep.all():  # every entry of the rows: views of the matrix
        entry_row = np.repeat(rows.astype(np.int64, copy=False), np.diff(indptr))
        entry_col, nominal = indices, data
    else:
        if not keep.any():
            raise ModelError(f"{parameter.label}: {target.variable!r} has no coefficient in {target.name!r}; "
                             "name a variable that the constraint or resource uses")
        kept = np.concatenate([[0], np.cumsum(keep)])[indptr]  # kept entries before each row
        entry_row = np.repeat(rows.astype(np.int64, copy=False), np.diff(kept))
        entry_col, nominal = indices[keep], data[keep]
    count = entry_row.size
    if parameter.per_entry:  # one independent draw per coefficient; one shared Factor object describes them all
        factor = Factor(f"coefficient of {target.variable} in {target.name}", parameter.distribution, number)
        return _Entries(entry_row, entry_col, nominal, COEFFICIENT, None, [(factor, count)])
    return _Entries(entry_row, entry_col, nominal, COEFFICIENT, np.zeros(count, dtype=np.int64),
                    [(Factor(parameter.label, parameter.distribution, number), 1)])
