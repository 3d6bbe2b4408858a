"""Models from other sources: a standard form (MPS/LP files) or a Pyomo model, and back to Pyomo.

Imported rows keep their sparse matrix as it is (a matrix constraint block);
imported columns become variable blocks named as in the source, so results,
sensitivity and benchmarks work on them like on any model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from opt_model.constraints import ConstraintBlock, MatrixConstraintDef
from opt_model.dims import Dim
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression
from opt_model.model import Model
from opt_model.variables import Variable, VarKind
from solvers import NameMap, Sense, StandardForm


def _blocks(names: NameMap | None, count: int, default: str
            ) -> list[tuple[str, tuple[Dim, ...], int, int, bool]]:
    """(name, dims, start, size, plain) per name block; one block over a ``default`` dim for flat names."""
    if names is None or not names.blocks:
        return [(default, (Dim(default, count),), 0, count, False)] if count else []
    result: list[tuple[str, tuple[Dim, ...], int, int, bool]] = []
    for block in names.blocks:
        if block.size == 0:
            continue
        if block.plain:
            labels = [str(label) for label in block.labels[0]]
            if len(set(labels)) != len(labels):
                labels = [f"{label}#{k}" for k, label in enumerate(labels)]
            result.append((default, (Dim(default, labels),), block.start, block.size, True))
        else:
            dims = tuple(Dim(dim_name, labels) for dim_name, labels in zip(block.dim_names, block.labels))
            result.append((block.name, dims, block.start, block.size, False))
    return result


def from_standard_form(form: StandardForm, name: str | None = None) -> Model:
    """A :class:`Model` equivalent to ``form`` (variables, rows, objective, integrality).

    Flat names (from an MPS file or Pyomo) become one variable block ``x`` over a
    dim ``x`` whose labels are the column names, and one constraint block
    ``row`` over the row names.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.importing import from_standard_form
    >>> m = om.Model(); v = m.add_variable("v", ub=2); m.maximize(3 * v)
    >>> from_standard_form(m.compile().form).solve().objective
    6.0
    """
    if form.cones:
        raise ModelError("importing a standard form with cone blocks is not supported; rebuild the model with atoms")
    model = Model(name or form.name)
    integrality = form.integrality if form.integrality is not None else np.zeros(form.num_cols, dtype=np.int32)
    for block_name, dims, start, size, plain in _blocks(form.col_names, form.num_cols, "x"):
        part = slice(start, start + size)
        shape = tuple(len(d) for d in dims)
        model._claim(block_name, "variable")
        integer = integrality[part].astype(bool)
        kind = VarKind.INTEGER if integer.all() else VarKind.CONTINUOUS
        variable = Variable(model, block_name, dims, model.num_cols, form.col_lower[part].reshape(shape).copy(),
                            form.col_upper[part].reshape(shape).copy(), kind)
        if integer.any() and not integer.all():
            variable.integer_mask = integer.reshape(shape)
        variable.plain_names = plain
        model.variables[block_name] = variable
        model.num_cols += size
    A = form.A.tocsr()
    for block_name, dims, start, size, plain in _blocks(form.row_names, form.num_rows, "row"):
        part = slice(start, start + size)
        shape = tuple(len(d) for d in dims)
        model._claim(block_name, "constraint")
        definition = MatrixConstraintDef(A[part], form.row_lower[part].reshape(shape).copy(),
                                         form.row_upper[part].reshape(shape).copy(), dims, plain_names=plain)
        model.constraints[block_name] = ConstraintBlock(block_name, definition)
    columns = np.arange(form.num_cols, dtype=np.int32)
    linear = LinearExpression(model, (), columns, np.asarray(form.c, dtype=np.float64), np.array(form.constant),
                              frozenset(model.variables), True)
    objective: LinearExpression | QuadraticExpression = linear
    if form.Q is not None and form.Q.nnz:
        Q = sp.coo_matrix(form.Q)
        objective = QuadraticExpression(linear, Q.row.astype(np.int32), Q.col.astype(np.int32), 0.5 * Q.data)
    model.objective = objective
    model.sense = "maximize" if form.sense == Sense.MAXIMIZE else "minimize"
    return model


def read_model(path: str | Path) -> Model:
    """A :class:`Model` from an MPS or LP file."""
    from solvers import read_file
    return from_standard_form(read_file(path))


def from_pyomo(pyomo_model: Any) -> Model:
    """Import the linear and quadratic part of a Pyomo model (through Pyomo's own compiler)."""
    from solvers.pyomo_backend import pyomo_to_form
    return from_standard_form(pyomo_to_form(pyomo_model))


def to_pyomo(model: Model) -> Any:
    """A Pyomo ``ConcreteModel`` equivalent to ``model`` (linear and quadratic parts)."""
    from solvers.pyomo_backend import form_to_pyomo
    return form_to_pyomo(model.compile().form)


__all__ = ["from_pyomo", "from_standard_form", "read_model", "to_pyomo"]
