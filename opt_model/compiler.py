"""Compile a :class:`Model` to a :class:`~solvers.StandardForm` (arrays only).

Two paths, both pure array code:

* **column-wise** (the fast path): when each constraint block's terms from
  one variable block hold each variable of a contiguous range exactly once
  (true of assignment, capacity and most allocation constraints), those term
  arrays, read along the variable's own axis order, are already sorted by
  column.  The CSC matrix is then the blocks'
  row ids and coefficients interleaved column by column, with no sort and no
  transpose, which HiGHS takes as it is.
* **row-wise** (general): each block's ``(rows, nterm)`` arrays are laid end
  to end as a CSR matrix; blocks that may repeat a variable within a row are
  merged (``sum_duplicates``) first and absent terms (index -1) dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from opt_model.compiled import CompiledModel, objective_unit_of
from opt_model.constraints import ConstraintBlock, ConstraintDef, MatrixConstraintDef
from opt_model.convex import ConeSpec
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression
from opt_model.variables import VarKind, column_range_start
from solvers import ConeBlock, Integrality, NameBlock, NameMap, Sense, StandardForm
from solvers.files import MAX_COEFFICIENT
from solvers.names import CONSTRAINT, RESOURCE, VARIABLE

__all__ = ["CompiledModel", "RowBlock", "compile_model", "objective_coefficients"]

if TYPE_CHECKING:
    from opt_model.model import Model


RowBlock = NameBlock
"""Old name of the compiled model's row blocks: they are :class:`solvers.NameBlock` (kind, unit, sense, price)."""


def _block_arrays(definition: ConstraintDef, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """indptr (relative), indices and data of one constraint block."""
    return _expression_arrays(definition.expr, f"constraint {name}")


def check_coefficients(coeffs: np.ndarray, what: str) -> None:
    """Refuse a coefficient that is not finite or of :data:`~solvers.files.MAX_COEFFICIENT` or more in magnitude.

    HiGHS refuses matrix entries from 1e15 and reads a cost from 1e20 as infinite, so such a model
    would fail in the solver without a name, or come back "optimal" with an infinite objective.

    >>> check_coefficients(np.array([[1.0, 1e25]]), "constraint cap")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    solvers.errors.ModelError: constraint cap: coefficient 1e+25 (entry 0, term 1) must be finite and smaller ...
    """
    if not coeffs.size or (coeffs.min() > -MAX_COEFFICIENT and coeffs.max() < MAX_COEFFICIENT):
        return
    bad = ~(np.abs(coeffs) < MAX_COEFFICIENT)
    entry, *term = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), coeffs.shape)
    where = f"entry {entry}, term {term[0]}" if term else f"term {entry}"
    raise ModelError(f"{what}: coefficient {coeffs[bad].ravel()[0]:g} ({where}) must be finite and smaller than "
                     f"{MAX_COEFFICIENT:g} in magnitude: rescale the data (use a larger unit)")


def _expression_arrays(expr: LinearExpression, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """indptr (from 0), indices and data of the rows of a linear expression (one row per entry)."""
    rows = expr.const.size
    nterm = expr.nterm
    vars2d = expr.vars.reshape(rows, nterm)
    coeffs2d = expr.coeffs.reshape(rows, nterm)
    check_coefficients(coeffs2d, what)
    present = vars2d >= 0
    if expr.unique and present.all():
        indptr = np.arange(0, rows * nterm + 1, nterm, dtype=np.int64) if nterm else np.zeros(rows + 1, np.int64)
        return indptr, vars2d.reshape(-1), coeffs2d.reshape(-1)
    row_of = np.broadcast_to(np.arange(rows)[:, None], vars2d.shape)[present]
    matrix = sp.csr_matrix((coeffs2d[present], (row_of, vars2d[present])), shape=(rows, max(int(vars2d.max()) + 1, 1)))
    matrix.sum_duplicates()
    return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), matrix.data


_MAX_FAST_BLOCKS = 64


def _variable_order(variables: np.ndarray) -> tuple[int, ...] | None:
    """Axis order along which ``variables`` increases fastest last; None if some axis does not increase."""
    steps = []
    origin = (0,) * variables.ndim
    for axis in range(variables.ndim):
        if variables.shape[axis] <= 1:
            continue
        step = tuple(1 if k == axis else 0 for k in range(variables.ndim))
        delta = int(variables[step]) - int(variables[origin])
        if delta <= 0:
            return None
        steps.append((delta, axis))
    singles = [axis for axis in range(variables.ndim) if variables.shape[axis] <= 1]
    return (*singles, *[axis for _, axis in sorted(steps, reverse=True)])


def _term_groups(variables: np.ndarray, block_starts: np.ndarray) -> list[tuple[int, int]] | None:
    """Split the term axis into runs whose terms come from one variable block."""
    first_row = variables.reshape(-1, variables.shape[-1])[0]
    if (first_row < 0).any():
        return None
    owner = np.searchsorted(block_starts, first_row, side="right")
    cuts = [0, *(np.flatnonzero(np.diff(owner)) + 1).tolist(), first_row.size]
    return list(zip(cuts[:-1], cuts[1:]))


@dataclass
class _Segment:
    """Terms of one constraint block from one variable block, as views in column order.

    ``rows`` and ``coeffs`` are transposed views (no copy) whose C-order walk visits the
    columns ``first .. stop-1`` in turn; they are copied once, straight into the matrix.
    """

    first: int
    stop: int
    rows: np.ndarray
    coeffs: np.ndarray
    perm: tuple[int, ...] = ()
    expr: LinearExpression | None = None  # set when the segment holds all of ``expr``'s terms


def _segment(variables: np.ndarray, coeffs: np.ndarray, row_ids: np.ndarray) -> _Segment | None:
    """One column segment: a contiguous variable range with one entry per column, in column order."""
    perm = _variable_order(variables)
    if perm is None:
        return None
    ordered = np.transpose(variables, perm)
    first = int(ordered.flat[0])
    size = ordered.size
    if first < 0 or int(ordered.flat[-1]) != first + size - 1 or not _is_range(ordered, first):
        return None
    rows = np.transpose(np.broadcast_to(row_ids, variables.shape), perm)
    return _Segment(first, first + size, rows, np.transpose(coeffs, perm), perm)


_CHUNK = 1 << 16  # elements per piece in blocked copies and checks: a few hundred KiB, cache-sized


def _chunks(array: np.ndarray) -> list[tuple[int, int]]:
    """Slices of ``array``'s first axis holding about :data:`_CHUNK` elements each."""
    rows = array.shape[0] if array.ndim else 1
    per_row = max(array.size // max(rows, 1), 1)
    step = max(_CHUNK // per_row, 1)
    return [(start, min(start + step, rows)) for start in range(0, rows, step)]


def _is_range(ordered: np.ndarray, first: int) -> bool:
    """Whether ``ordered`` (in C order) is ``first, first + 1, ...``, checked piece by piece (no full copy)."""
    if ordered.ndim == 0:
        return int(ordered) == first
    if column_range_start(ordered) == first:
        return True  # a contiguous view of a variable block's own indices: known without reading them
    per_row = ordered.size // ordered.shape[0] if ordered.shape[0] else 0
    base = np.arange(min(ordered.size, _CHUNK + per_row), dtype=np.int64)
    for start, stop in _chunks(ordered):
        piece = ordered[start:stop]
        expected = (base[:piece.size] + (first + start * per_row)).reshape(piece.shape)
        if not np.array_equal(piece, expected):
            return False
    return True


def _copy_into(out: np.ndarray, view: np.ndarray, low: int, high: int) -> None:
    """Copy the C-order elements ``low:high`` of ``view`` into the 1-D (possibly strided) ``out``.

    Whole views are copied in cache-sized pieces along their first axis: a transposed view
    read in one go walks memory with a stride of a whole row per element.
    """
    if low == 0 and high == view.size:
        target = out.view()
        target.shape = view.shape  # a view of ``out``: raises rather than copy
        if view.ndim == 0:
            np.copyto(target, view, casting="same_kind")
            return
        for start, stop in _chunks(view):
            np.copyto(target[start:stop], view[start:stop], casting="same_kind")
    else:
        out[:] = view.reshape(-1)[low:high]


def _copy_interleaved(pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """``_copy_into(out, view, 0, view.size)`` for each pair, the views all of one shape, piece by piece.

    Each cache-sized piece of the matrix receives every segment's terms before the next piece is
    touched, so the interleaved output is written while it is in cache rather than once per segment.
    """
    targets = []
    for out, view in pairs:
        target = out.view()
        target.shape = view.shape  # a view of ``out``: raises rather than copy
        targets.append((target, view))
    for start, stop in _chunks(pairs[0][1]):
        for target, view in targets:
            np.copyto(target[start:stop], view[start:stop], casting="same_kind")


def _columnwise(definitions: list[ConstraintDef | MatrixConstraintDef], row_starts: list[int], n: int,
                block_starts: np.ndarray, shared: dict[int, np.ndarray] | None = None) -> sp.csc_matrix | None:
    """The CSC matrix when every term group covers a contiguous variable range exactly once, else None.

    Each column's entries are the covering segments' terms side by side: one ``(columns, k)``
    array of row ids and one of coefficients per run of columns with the same segments, filled
    by one strided copy per segment (no intermediate copies of the terms).  ``shared``
    receives, for each expression whose coefficients the matrix now holds in full, a view of
    them there (keyed by ``id`` of the expression's own array), so the model can drop its copy.
    """
    segments: list[_Segment] = []
    for definition, row_start in zip(definitions, row_starts):
        if isinstance(definition, MatrixConstraintDef):
            return None
        expr = definition.expr
        if expr.nterm == 0 or expr.vars.size == 0:
            continue
        if not expr.unique:
            return None
        groups = _term_groups(expr.vars, block_starts)
        if groups is None or len(segments) + len(groups) > _MAX_FAST_BLOCKS:
            return None
        row_ids = np.arange(row_start, row_start + expr.const.size, dtype=np.int32).reshape(*expr.const.shape, 1)
        for low, high in groups:
            whole = low == 0 and high == expr.nterm
            segment = _segment(expr.vars if whole else expr.vars[..., low:high],
                               expr.coeffs if whole else expr.coeffs[..., low:high], row_ids)
            if segment is None:
                return None
            if whole:
                segment.expr = expr
            segments.append(segment)
    cuts = sorted({0, n} | {seg.first for seg in segments} | {seg.stop for seg in segments})
    nnz = sum(len([s for s in segments if s.first <= low and high <= s.stop]) * (high - low)
              for low, high in zip(cuts[:-1], cuts[1:]))
    if nnz > np.iinfo(np.int32).max:
        raise ModelError(f"the model has {nnz} nonzeros, more than a 32-bit index can address")
    indptr = np.empty(n + 1, dtype=np.int32)
    indptr[0] = 0
    index_parts: list[np.ndarray] = []
    value_parts: list[np.ndarray] = []
    for low, high in zip(cuts[:-1], cuts[1:]):
        covering = [seg for seg in segments if seg.first <= low and high <= seg.stop]
        # columns low..high-1 hold len(covering) entries each
        start = int(indptr[low])
        if not covering:
            indptr[low + 1:high + 1] = start
            continue
        indptr[low + 1:high + 1] = np.arange(start + len(covering), start + len(covering) * (high - low) + 1,
                                             len(covering), dtype=np.int32)
        index = np.empty((high - low, len(covering)), dtype=np.int32)
        value = np.empty((high - low, len(covering)), dtype=np.float64)
        together = all((seg.first, seg.stop) == (low, high) and seg.rows.shape == covering[0].rows.shape
                       and seg.rows.ndim for seg in covering)  # whole segments of one shape: copied side by side
        if together:
            _copy_interleaved([(index[:, k], seg.rows) for k, seg in enumerate(covering)]
                              + [(value[:, k], seg.coeffs) for k, seg in enumerate(covering)])
        for k, seg in enumerate(covering):
            if not together:
                _copy_into(index[:, k], seg.rows, low - seg.first, high - seg.first)
                _copy_into(value[:, k], seg.coeffs, low - seg.first, high - seg.first)
            if shared is not None and seg.expr is not None and (low, high) == (seg.first, seg.stop):
                shared[id(seg.expr.coeffs)] = _held_view(value[:, k], seg)
        index_parts.append(index.reshape(-1))
        value_parts.append(value.reshape(-1))
    num_rows = row_starts[-1] + definitions[-1].lower.size if definitions else 0
    indices = _joined(index_parts, np.int32)
    values = _joined(value_parts, np.float64)
    if values.size and not (values.min() > -MAX_COEFFICIENT and values.max() < MAX_COEFFICIENT):
        return None  # the row-wise path names the offending coefficient
    return _csc(values, indices, indptr, (num_rows, n))


def _held_view(column: np.ndarray, seg: _Segment) -> np.ndarray:
    """``seg.expr.coeffs`` as a view of the matrix column ``column`` (same shape, same values)."""
    assert seg.expr is not None
    ordered = column.view()
    ordered.shape = seg.coeffs.shape
    return np.transpose(ordered, np.argsort(seg.perm))


def _csc(values: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sp.csc_matrix:
    """A CSC matrix around arrays that are already valid (sorted, in range, int32): no checks, no copies."""
    matrix = sp.csc_matrix(shape, dtype=np.float64)
    matrix.data, matrix.indices, matrix.indptr = values, indices, indptr
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True  # each column's rows are distinct and increasing
    return matrix


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """One array from parts, without a copy when there is only one."""
    if not parts:
        return np.zeros(0, dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _is_plus_zero(bound: np.ndarray) -> bool:
    """Whether ``bound`` is a broadcast of +0.0 (the default lower bound), which ``np.zeros`` already holds."""
    return bound.size > 0 and not any(bound.strides) and bound.flat[0] == 0.0 and not np.signbit(bound.flat[0])


def compile_model(model: Model) -> CompiledModel:
    """Build the standard form of ``model``.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=3); m.maximize(2 * x)
    >>> form = m.compile().form
    >>> form.num_cols, form.c.tolist(), form.sense.value
    (1, [2.0], 'maximize')
    """
    n = model.num_cols
    col_lower = np.zeros(n)  # zero pages: columns at lower bound 0 are never written
    col_upper = np.empty(n)
    integrality = np.zeros(n, dtype=np.int32)
    col_names = NameMap()
    for variable in model.variables.values():
        stop = variable.start + variable.size
        shape = variable.lower.shape
        if not _is_plus_zero(variable.lower):
            col_lower[variable.start:stop].reshape(shape)[...] = variable.lower  # broadcasts need no copy
        col_upper[variable.start:stop].reshape(shape)[...] = variable.upper
        if variable.kind is not VarKind.CONTINUOUS:
            integrality[variable.start:stop] = Integrality.INTEGER
        elif variable.integer_mask is not None:
            integrality[variable.start:stop] = variable.integer_mask.ravel() * Integrality.INTEGER
        col_names.add(NameBlock(variable.name, variable.start, tuple(d.labels for d in variable.dims),
                                tuple(d.name for d in variable.dims), plain=variable.plain_names, kind=VARIABLE,
                                dims=variable.dims))

    blocks: list[tuple[ConstraintBlock, bool]] = [(block, False) for block in model.constraints.values()]
    for resource in model.resources.values():
        blocks.append((ConstraintBlock(resource.name, resource.constraint_expression()), True))

    row_names = NameMap()
    definitions: list[ConstraintDef | MatrixConstraintDef] = []
    row_starts: list[int] = []
    row_start = 0
    for block, is_resource in blocks:
        definition = block.definition
        size = definition.lower.size
        definitions.append(definition)
        row_starts.append(row_start)
        owner = model.resources.get(block.name) if is_resource else None
        price = None
        if owner is not None and owner.price is not None:
            price = np.asarray(owner.price.values, dtype=float).reshape(-1)
        row_names.add(NameBlock(block.name, row_start, tuple(d.labels for d in definition.dims),
                                tuple(d.name for d in definition.dims),
                                plain=getattr(definition, "plain_names", False),
                                kind=RESOURCE if owner is not None else CONSTRAINT,
                                unit=owner.unit if owner is not None else "", sense=definition.sense,
                                price=price, dims=definition.dims))
        row_start += size
    if definitions:
        row_lower = np.concatenate([d.lower.reshape(-1) for d in definitions])
        row_upper = np.concatenate([d.upper.reshape(-1) for d in definitions])
    else:
        row_lower = np.zeros(0)
        row_upper = np.zeros(0)
    block_starts = np.array([v.start for v in model.variables.values()], dtype=np.int64)
    shared: dict[int, np.ndarray] = {}
    A: sp.csr_matrix | sp.csc_matrix | None = _columnwise(definitions, row_starts, n, block_starts, shared)
    if A is None:
        A = _rowwise(blocks, row_start, n)

    c = np.zeros(n)
    constant = 0.0
    Q = None
    objective = model.objective
    if objective is not None:
        linear = objective.linear if isinstance(objective, QuadraticExpression) else objective
        c, constant = _objective_vector(linear, n)
        _share_objective(linear, c, shared)
        if isinstance(objective, QuadraticExpression) and objective.qcoeffs.size:
            Q = _hessian(objective, n)

    cones = [_cone_block(spec, n) for spec in model.cones]

    form = StandardForm(
        cones=cones, c=c, A=A, row_lower=row_lower, row_upper=row_upper, col_lower=col_lower, col_upper=col_upper,
        sense=Sense.MAXIMIZE if model.sense == "maximize" else Sense.MINIMIZE, constant=constant,
        integrality=integrality if integrality.any() else None, Q=Q, col_names=col_names, row_names=row_names,
        name=model.name)
    _hold_once(model, form, shared)
    return CompiledModel(form, model, objective_unit_of(model))


def _share_objective(linear: LinearExpression, c: np.ndarray, shared: dict[int, np.ndarray]) -> None:
    """When ``c`` holds the objective's coefficients in order, offer a view of them in ``c``."""
    flat = linear.vars.reshape(-1)
    if linear.dims or not flat.size or not linear.unique or len(linear.blocks) > 1 or int(flat[0]) < 0:
        return
    first = int(flat[0])
    if first + flat.size <= c.size and np.array_equal(c[first:first + flat.size], linear.coeffs.reshape(-1)) \
            and _is_range(flat, first):
        shared[id(linear.coeffs)] = c[first:first + flat.size].reshape(linear.coeffs.shape)


def _hold_once(model: Model, form: StandardForm, shared: dict[int, np.ndarray]) -> None:
    """Let the model's expressions and bounds use the standard form's arrays instead of their own copies.

    Coefficients the compiled matrix and cost vector hold in full, and the variables' bounds,
    become read-only views of the form's arrays, so a large model is held once (the form's
    copy), not twice.  Those form arrays become read-only too: sessions edit their own copy
    (:func:`solvers.session.editable_copy`), and nothing may change a compiled form in place.
    """
    for array in (form.c, form.col_lower, form.col_upper, form.A.data, form.A.indices, form.A.indptr):
        array.flags.writeable = False
    expressions: list[LinearExpression] = []
    for block in model.constraints.values():
        if isinstance(block.definition, ConstraintDef):
            expressions.append(block.definition.expr)
    for resource in model.resources.values():
        usage = getattr(resource, "_usage", None)
        if isinstance(usage, LinearExpression):
            expressions.append(usage)
    objective = model.objective
    if objective is not None:
        expressions.append(objective.linear if isinstance(objective, QuadraticExpression) else objective)
    for expr in expressions:
        view = shared.get(id(expr.coeffs))
        if view is not None and view.shape == expr.coeffs.shape:
            expr.coeffs = view
    for variable in model.variables.values():
        stop = variable.start + variable.size
        shape = variable.lower.shape
        variable.lower = form.col_lower[variable.start:stop].reshape(shape)
        variable.upper = form.col_upper[variable.start:stop].reshape(shape)


def _expression_matrix(expr: LinearExpression, n: int) -> tuple[sp.csr_matrix, np.ndarray]:
    indptr, indices, data = _expression_arrays(expr, "cone")
    matrix = sp.csr_matrix((data, indices.astype(np.int32, copy=False), indptr), shape=(expr.const.size, n))
    return matrix, expr.const.reshape(-1).astype(np.float64)


def _cone_block(spec: ConeSpec, n: int) -> ConeBlock:
    """Rows of a cone spec as a matrix and offset, ordered cone by cone."""
    pieces = [_expression_matrix(part, n) for part in spec.parts]
    matrix = sp.vstack([piece[0] for piece in pieces], format="csr")
    offset = np.concatenate([piece[1] for piece in pieces])
    if spec.kind == "exp":
        count = pieces[0][0].shape[0]
        if any(piece[0].shape[0] != count for piece in pieces):
            raise ModelError(f"exponential cone {spec.name}: its three parts have different sizes")
        order = np.arange(3 * count).reshape(3, count).T.reshape(-1)
        return ConeBlock("exp", matrix[order], offset[order], np.full(count, 3, dtype=np.int64), spec.name)
    return ConeBlock("soc", matrix, offset, np.array([matrix.shape[0]], dtype=np.int64), spec.name)


def _rowwise(blocks: list[tuple[ConstraintBlock, bool]], num_rows: int, n: int) -> sp.csr_matrix:
    indptrs: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    nnz = 0
    for block, _ in blocks:
        definition = block.definition
        if isinstance(definition, MatrixConstraintDef):
            matrix = definition.matrix
            if matrix.shape[1] < n:
                matrix = sp.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], n))
            indptr, idx, val = matrix.indptr.astype(np.int64), matrix.indices, matrix.data
        else:
            indptr, idx, val = _block_arrays(definition, block.name)
        indptrs.append(indptr[1:] + nnz if indptrs else indptr + nnz)
        nnz += int(indptr[-1])
        indices.append(idx)
        values.append(val)
    if nnz > np.iinfo(np.int32).max:
        raise ModelError(f"the model has {nnz} nonzeros, more than a 32-bit index can address")
    if not indptrs:
        return sp.csr_matrix((num_rows, n))
    return sp.csr_matrix((np.concatenate(values), np.concatenate(indices).astype(np.int32, copy=False),
                          np.concatenate(indptrs).astype(np.int32)), shape=(num_rows, n))


def _objective_vector(linear: LinearExpression, n: int) -> tuple[np.ndarray, float]:
    check_coefficients(linear.coeffs.ravel(), "the objective")
    return objective_coefficients(linear, n)


def objective_coefficients(linear: LinearExpression, n: int) -> tuple[np.ndarray, float]:
    """Dense cost vector (length ``n``, longer if the expression uses later columns) and constant.

    ``linear`` is a scalar linear expression; repeated variables are summed.
    """
    vars_flat = linear.vars.reshape(-1)
    coeffs_flat = linear.coeffs.reshape(-1)
    present = vars_flat >= 0
    if not present.all():
        vars_flat, coeffs_flat = vars_flat[present], coeffs_flat[present]
    inside = vars_flat.size == 0 or int(vars_flat.max()) < n
    if linear.unique and len(linear.blocks) <= 1 and not linear.dims and inside:
        # one variable block summed: every column appears at most once, so assignment suffices
        c = np.zeros(n)
        first = int(vars_flat[0]) if vars_flat.size else 0
        if vars_flat.size and _is_range(vars_flat, first):
            c[first:first + vars_flat.size] = coeffs_flat  # the whole block in column order: one copy
        else:
            c[vars_flat] = coeffs_flat
    else:
        c = np.bincount(vars_flat, weights=coeffs_flat, minlength=n).astype(np.float64, copy=False)
    return c, float(linear.const.sum())


def _hessian(objective: QuadraticExpression, n: int) -> sp.csc_matrix:
    """Symmetric Q with ``0.5 x'Qx`` equal to the quadratic terms."""
    q1 = objective.qvars1.reshape(-1)
    q2 = objective.qvars2.reshape(-1)
    qc = objective.qcoeffs.reshape(-1)
    keep = (q1 >= 0) & (q2 >= 0)
    q1, q2, qc = q1[keep], q2[keep], qc[keep]
    rows = np.concatenate([q1, q2])
    cols = np.concatenate([q2, q1])
    Q = sp.csc_matrix((np.concatenate([qc, qc]), (rows, cols)), shape=(n, n))
    Q.sum_duplicates()
    Q.eliminate_zeros()
    return Q
