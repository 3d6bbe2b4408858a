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
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.plan import (
    COEFFICIENT,
    Factor,
    FactorRuns,
    ScenarioPlan,
    parameter_entries,
    parameter_factors,
)
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.uncertainty import Uncertain
from solvers import NameBlock


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
    entries = resolve_entries(analysis, parameters, matrix)
    return entries.plan(), entries.factor_offsets, entries.offsets


@dataclass
class ResolvedEntries:
    """The numbers of the standard form that parameters set, before their factors are laid out.

    Entries are numbered parameter after parameter (``offsets[k]:offsets[k + 1]`` are
    parameter ``k``'s); ``kinds`` is each parameter's kind code.  :meth:`span` gives the
    rows, columns and nominal values of a run of parameters' entries: read-only views
    of the CSR matrix's ``indices`` (int32) and ``data`` when they are blocks of whole
    rows stored one after the other, else arrays.  :meth:`plan` makes the
    :class:`ScenarioPlan` (factors with their names, the factor of each entry); callers
    that only need the entries (robust counterparts) never pay for it.
    """

    analysis: AnalysisModel
    parameters: Sequence[Uncertain]
    picks: list[_Pick]
    offsets: np.ndarray
    factor_offsets: np.ndarray
    kinds: np.ndarray
    matrix: sp.csr_matrix
    """The constraint matrix in CSR form (blocks are read from it)."""

    def size(self, number: int) -> int:
        return int(self.offsets[number + 1] - self.offsets[number])

    def rows_of(self, number: int) -> np.ndarray:
        """The rows parameter ``number``'s entries lie in (each row once for a block, else one per entry)."""
        return self.picks[number].rows

    def local_factors(self, number: int) -> np.ndarray:
        """The factor of each entry of parameter ``number``, counted from the parameter's first factor."""
        count = self.size(number)
        if int(self.factor_offsets[number + 1] - self.factor_offsets[number]) == count:
            return np.arange(count)
        return np.zeros(count, dtype=np.int64)

    def _picks(self, start: int, stop: int) -> list[_Pick]:
        first = int(np.searchsorted(self.offsets, start, side="right")) - 1
        last = int(np.searchsorted(self.offsets, stop, side="left"))
        return [pick for pick in self.picks[first:last] if pick.size]

    def row_counts(self, start: int, stop: int, num_rows: int) -> np.ndarray:
        """How many of entries ``start:stop`` (whole parameters) lie in each row: from the blocks' row pointers."""
        counts = np.zeros(num_rows, dtype=np.int64)
        for pick in self._picks(start, stop):
            if pick.indptr is None:
                counts += np.bincount(pick.rows, minlength=num_rows)
            else:
                kept = pick.indptr if pick.keep is None else np.concatenate([[0], np.cumsum(pick.keep)])[pick.indptr]
                np.add.at(counts, pick.rows, np.diff(kept))
        return counts

    def rows_sorted(self, start: int, stop: int) -> bool:
        """Whether the rows of entries ``start:stop`` never decrease (checked on the blocks' rows, not per entry)."""
        rows = [pick.rows for pick in self._picks(start, stop)]
        if not rows:
            return True
        joined = np.concatenate(rows)
        return bool((joined[1:] >= joined[:-1]).all())

    def matrix_slice(self, start: int, stop: int) -> slice | None:
        """Where entries ``start:stop`` are in the matrix's ``indices`` and ``data`` when they are blocks of whole
        rows stored one after the other (one run of the matrix's entries), else None."""
        picks = self._picks(start, stop)
        if picks and all(pick.at >= 0 and pick.keep is None for pick in picks) and \
                all(a.at + a.size == b.at for a, b in zip(picks, picks[1:], strict=False)):
            return slice(picks[0].at, picks[0].at + stop - start)
        return None

    def views(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Columns and nominal values of entries ``start:stop`` as read-only views of the matrix's ``indices`` and
        ``data`` when they are one run of its entries (:meth:`matrix_slice`), else None."""
        where = self.matrix_slice(start, stop)
        if where is None:
            return None
        return _read_only(self.matrix.indices[where]), _read_only(self.matrix.data[where])

    def span(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and nominal values of entries ``start:stop`` (whole parameters)."""
        picks = self._picks(start, stop)
        views = self.views(start, stop)
        if views is not None:  # blocks of whole rows, one after the other in the matrix: one repeat for the rows
            row = np.repeat(np.concatenate([pick.rows for pick in picks]).astype(np.int64, copy=False),
                            np.concatenate([np.diff(pick.indptr) for pick in picks if pick.indptr is not None]))
            return row, *views
        row = np.empty(stop - start, dtype=np.int64)
        col = np.empty(stop - start, dtype=np.int64)
        nominal = np.empty(stop - start)
        at = 0
        for pick in picks:
            part = slice(at, at + pick.size)
            if pick.indptr is None:  # resolved entry by entry
                row[part], col[part], nominal[part] = pick.rows, pick.cols, pick.values
            elif pick.keep is None:  # every stored entry of the rows: copied from the matrix's views
                row[part] = np.repeat(pick.rows.astype(np.int64, copy=False), np.diff(pick.indptr))
                col[part], nominal[part] = pick.cols, pick.values
            else:
                kept = np.concatenate([[0], np.cumsum(pick.keep)])[pick.indptr]  # kept entries before each row
                row[part] = np.repeat(pick.rows.astype(np.int64, copy=False), np.diff(kept))
                col[part], nominal[part] = pick.cols[pick.keep], pick.values[pick.keep]
            at = part.stop
        return row, col, nominal

    def plan(self) -> ScenarioPlan:
        runs: list[tuple[Factor, int]] = []
        for number, (parameter, pick) in enumerate(zip(self.parameters, self.picks, strict=True)):
            count = int(self.factor_offsets[number + 1] - self.factor_offsets[number])
            if pick.indptr is not None:  # a block: one description for its factors
                name = f"coefficient of {parameter.target.variable} in {parameter.target.name}" \
                    if parameter.per_entry else parameter.label
                runs.append((Factor(name, parameter.distribution, number), count))
            else:
                runs += [(factor, 1) for factor in parameter_factors(self.analysis, number, parameter, pick.rows,
                                                                     pick.cols)]
        sizes = np.diff(self.offsets)
        entry_factor = np.empty(int(self.offsets[-1]), dtype=np.int64)
        for number, (first, stop, first_factor) in enumerate(zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(),
                                                                 self.factor_offsets[:-1].tolist(), strict=True)):
            if int(self.factor_offsets[number + 1]) - first_factor == stop - first:  # one factor per entry, in order
                entry_factor[first:stop] = np.arange(first_factor, first_factor + stop - first)
            else:
                entry_factor[first:stop] = first_factor
        relative = np.array([bool(parameter.distribution.relative) for parameter in self.parameters], dtype=bool)
        row, col, nominal = self.span(0, int(self.offsets[-1]))
        return ScenarioPlan(FactorRuns(runs), entry_factor, np.repeat(self.kinds, sizes), row,
                            np.asarray(col, dtype=np.int64), nominal if nominal.flags.writeable else nominal.copy(),
                            np.repeat(relative, sizes), [p.label for p in self.parameters])


def resolve_entries(analysis: AnalysisModel, parameters: Sequence[Uncertain], matrix: sp.csr_matrix | None = None
                    ) -> ResolvedEntries:
    """Where the numbers ``parameters`` set are (blocks as views of ``matrix``'s rows); see :class:`ResolvedEntries`.

    ``matrix`` is the constraint matrix in CSR form (converted here when not given).
    """
    if not parameters:
        raise ModelError("no uncertain parameters were given")
    if matrix is None:
        matrix = analysis.form.A.tocsr()
    picks: list[_Pick] = []
    for parameter in parameters:
        pick = _block_pick(analysis, parameter, matrix)
        if pick is None:
            code, rows, cols, nominal = parameter_entries(analysis, parameter)
            count = rows.size
            factors = count if parameter.per_entry and count > 1 else 1
            pick = _Pick(code, rows, None, cols, nominal, None, factors)
        elif pick.size == 0 and pick.keep is not None:
            target = parameter.target
            raise ModelError(f"{parameter.label}: {target.variable!r} has no coefficient in {target.name!r}; "
                             "name a variable that the constraint or resource uses")
        elif not parameter.per_entry:
            pick = pick._replace(factors=1)
        picks.append(pick)
    sizes = np.array([pick.size for pick in picks], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    factor_offsets = np.concatenate([[0], np.cumsum([pick.factors for pick in picks])]).astype(np.int64)
    return ResolvedEntries(analysis, parameters, picks, offsets, factor_offsets,
                           np.array([pick.code for pick in picks], dtype=np.int64), matrix)


class _Pick(NamedTuple):
    """The entries one parameter sets: as arrays (``indptr`` None), or the stored entries of rows of the
    CSR matrix (``cols``, ``values`` views of its row slices, ``keep`` None: all of them)."""

    code: int
    rows: np.ndarray
    indptr: np.ndarray | None
    cols: np.ndarray
    values: np.ndarray
    keep: np.ndarray | None
    factors: int
    at: int = -1
    """Position of ``cols`` and ``values`` in the matrix's arrays when they are views of them."""

    @property
    def size(self) -> int:
        if self.indptr is None:
            return int(self.rows.size)
        return int(self.indptr[-1]) if self.keep is None else int(np.count_nonzero(self.keep))


def _span(blocks: list[NameBlock], name: str) -> tuple[int, int] | None:
    """``(start, stop)`` of the named blocks when they follow each other (a whole variable block), else None."""
    matches = [block for block in blocks if block.name == name]
    if not matches or any(b.start != a.stop for a, b in zip(matches, matches[1:], strict=False)):
        return None
    return matches[0].start, matches[-1].stop


def _block_pick(analysis: AnalysisModel, parameter: Uncertain, matrix: sp.csr_matrix) -> _Pick | None:
    """Every nonzero coefficient of the variable block in the selected rows, row by row; None when the target is
    not a block (one row and one column, or not a coefficient)."""
    target = parameter.target
    if target.kind != "coefficient":
        return None
    rows = analysis.row_indices(target.name, target.label_map)
    span = _span(analysis.col_blocks, target.variable)
    cols = analysis.col_indices(target.variable) if span is None else None
    if cols is not None and cols.size and int(cols[-1]) - int(cols[0]) + 1 == cols.size and \
            bool((np.diff(cols) == 1).all()):
        span = int(cols[0]), int(cols[-1]) + 1
    num_cols = span[1] - span[0] if span is not None else cols.size  # type: ignore[union-attr]
    if rows.size == 1 and num_cols == 1:
        return None
    at = -1
    if rows.size and int(rows[-1]) - int(rows[0]) + 1 == rows.size and bool((np.diff(rows) == 1).all()):
        at, stop = int(matrix.indptr[rows[0]]), int(matrix.indptr[rows[-1] + 1])  # consecutive rows: views
        indptr = matrix.indptr[int(rows[0]):int(rows[-1]) + 2] - at
        indices, data = matrix.indices[at:stop], matrix.data[at:stop]
    else:
        sub = matrix[rows]
        indptr, indices, data = sub.indptr, sub.indices, sub.data
    keep: np.ndarray | None = None
    if span is not None:  # a whole variable block: a range test
        if indices.size and not _within(indices, indptr, span, at >= 0 and matrix.has_sorted_indices):
            keep = (indices >= span[0]) & (indices < span[1])
    else:
        wanted = np.zeros(analysis.form.num_cols, dtype=bool)
        wanted[cols] = True
        keep = wanted[indices]
    if keep is None and not data.all():
        keep = np.ones(indices.size, dtype=bool)
    if keep is not None:
        keep &= data != 0
        if keep.all():
            keep = None
    pick = _Pick(COEFFICIENT, rows, indptr, indices, data, keep, 0, at)
    return pick._replace(factors=pick.size)


def _within(indices: np.ndarray, indptr: np.ndarray, span: tuple[int, int], rows_sorted: bool) -> bool:
    """Whether every column index lies in ``span``; with each row's indices sorted, only its first and last."""
    if rows_sorted:
        filled = indptr[1:] > indptr[:-1]
        low, high = indices[indptr[:-1][filled]].min(), indices[indptr[1:][filled] - 1].max()
    else:
        low, high = indices.min(), indices.max()
    return int(low) >= span[0] and int(high) < span[1]


def _read_only(values: np.ndarray) -> np.ndarray:
    view = values.view()
    view.flags.writeable = False
    return view
