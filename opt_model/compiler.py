"""Compile a :class:`Model` to a :class:`~solvers.StandardForm` (arrays only).

Each constraint block's ``(rows, nterm)`` term arrays are laid end to end as a
CSR matrix: its ``indices`` are the blocks' variable indices, its ``data`` the
coefficients, with one concatenation per array.  Blocks that may repeat a
variable within a row are merged (``sum_duplicates``) first; absent terms
(index -1) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from opt_model.constraints import ConstraintBlock, ConstraintDef
from opt_model.dims import Dim
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression
from opt_model.model import Model
from opt_model.variables import VarKind
from solvers import Integrality, NameBlock, NameMap, Sense, StandardForm


@dataclass(frozen=True)
class RowBlock:
    """Where a named constraint block sits in the standard form."""

    name: str
    start: int
    size: int
    dims: tuple[Dim, ...]
    sense: str
    is_resource: bool = False

    @property
    def stop(self) -> int:
        return self.start + self.size


@dataclass
class CompiledModel:
    """A standard form plus the map from its positions back to the model's names."""

    model: Model
    form: StandardForm
    rows: dict[str, RowBlock]


def _block_arrays(definition: ConstraintDef, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """indptr (relative), indices and data of one constraint block."""
    expr = definition.expr
    rows = expr.const.size
    nterm = expr.nterm
    vars2d = expr.vars.reshape(rows, nterm)
    coeffs2d = expr.coeffs.reshape(rows, nterm)
    if not np.isfinite(coeffs2d).all():
        k = int(np.flatnonzero(~np.isfinite(coeffs2d).ravel())[0])
        raise ModelError(f"constraint {name}: coefficient {coeffs2d.ravel()[k]} is not finite")
    present = vars2d >= 0
    if expr.unique and present.all():
        indptr = np.arange(0, rows * nterm + 1, nterm, dtype=np.int64) if nterm else np.zeros(rows + 1, np.int64)
        return indptr, vars2d.reshape(-1), coeffs2d.reshape(-1)
    row_of = np.broadcast_to(np.arange(rows)[:, None], vars2d.shape)[present]
    matrix = sp.csr_matrix((coeffs2d[present], (row_of, vars2d[present])), shape=(rows, max(int(vars2d.max()) + 1, 1)))
    matrix.sum_duplicates()
    return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), matrix.data


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
    col_lower = np.empty(n)
    col_upper = np.empty(n)
    integrality = np.zeros(n, dtype=np.int32)
    col_names = NameMap()
    for variable in model.variables.values():
        stop = variable.start + variable.size
        col_lower[variable.start:stop] = variable.lower.ravel()
        col_upper[variable.start:stop] = variable.upper.ravel()
        if variable.kind is not VarKind.CONTINUOUS:
            integrality[variable.start:stop] = Integrality.INTEGER
        col_names.add(NameBlock(variable.name, variable.start, tuple(d.labels for d in variable.dims),
                                tuple(d.name for d in variable.dims)))

    blocks: list[tuple[ConstraintBlock, bool]] = [(block, False) for block in model.constraints.values()]
    for resource in model.resources.values():
        blocks.append((ConstraintBlock(resource.name, resource.constraint_expression()), True))

    indptrs: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    lowers: list[np.ndarray] = []
    uppers: list[np.ndarray] = []
    rows: dict[str, RowBlock] = {}
    row_names = NameMap()
    row_start = 0
    nnz = 0
    for block, is_resource in blocks:
        definition = block.definition
        indptr, idx, val = _block_arrays(definition, block.name)
        indptrs.append(indptr[1:] + nnz if indptrs else indptr + nnz)
        nnz += int(indptr[-1])
        indices.append(idx)
        values.append(val)
        lowers.append(definition.lower.reshape(-1))
        uppers.append(definition.upper.reshape(-1))
        size = definition.lower.size
        rows[block.name] = RowBlock(block.name, row_start, size, definition.dims, definition.sense, is_resource)
        row_names.add(NameBlock(block.name, row_start, tuple(d.labels for d in definition.dims),
                                tuple(d.name for d in definition.dims)))
        row_start += size

    if nnz > np.iinfo(np.int32).max:
        raise ModelError(f"the model has {nnz} nonzeros, more than a 32-bit index can address")
    if indptrs:
        indptr_all = np.concatenate(indptrs).astype(np.int32)
        A = sp.csr_matrix((np.concatenate(values), np.concatenate(indices).astype(np.int32, copy=False),
                           indptr_all), shape=(row_start, n))
        row_lower = np.concatenate(lowers)
        row_upper = np.concatenate(uppers)
    else:
        A = sp.csr_matrix((0, n))
        row_lower = np.zeros(0)
        row_upper = np.zeros(0)

    c = np.zeros(n)
    constant = 0.0
    Q = None
    objective = model.objective
    if objective is not None:
        linear = objective.linear if isinstance(objective, QuadraticExpression) else objective
        c, constant = _objective_vector(linear, n)
        if isinstance(objective, QuadraticExpression) and objective.qcoeffs.size:
            Q = _hessian(objective, n)

    form = StandardForm(
        c=c, A=A, row_lower=row_lower, row_upper=row_upper, col_lower=col_lower, col_upper=col_upper,
        sense=Sense.MAXIMIZE if model.sense == "maximize" else Sense.MINIMIZE, constant=constant,
        integrality=integrality if integrality.any() else None, Q=Q, col_names=col_names, row_names=row_names,
        name=model.name)
    return CompiledModel(model, form, rows)


def _objective_vector(linear: LinearExpression, n: int) -> tuple[np.ndarray, float]:
    vars_flat = linear.vars.reshape(-1)
    coeffs_flat = linear.coeffs.reshape(-1)
    if not np.isfinite(coeffs_flat).all():
        raise ModelError("the objective has a coefficient that is not finite")
    present = vars_flat >= 0
    if not present.all():
        vars_flat, coeffs_flat = vars_flat[present], coeffs_flat[present]
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
