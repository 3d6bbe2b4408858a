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

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.plan import COEFFICIENT, Factor, ScenarioPlan, build_plan
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
    return resolve(analysis, parameters)[0]


def resolve(analysis: AnalysisModel, parameters: Sequence[Uncertain], matrix: sp.csr_matrix | None = None
            ) -> tuple[ScenarioPlan, np.ndarray]:
    """:func:`resolve_plan`, plus the position of the parameter each factor comes from (an array).

    ``matrix`` is the constraint matrix in CSR form, when the caller has it already.
    """
    if matrix is None:
        matrix = analysis.form.A.tocsr()
    if not parameters:
        raise ModelError("no uncertain parameters were given")
    plans = []
    factors: list[Factor] = []
    offsets = []
    for number, parameter in enumerate(parameters):
        offsets.append(len(factors))
        if _is_block(analysis, parameter):
            plan = _block_plan(analysis, parameter, number, matrix)
            factors.extend(plan.factors)
        else:
            plan = build_plan(analysis, [parameter])
            factors.extend(Factor(f.name, f.distribution, number) for f in plan.factors)
        plans.append(plan)
    factor_parameter = np.concatenate([np.full(len(plan.factors), number, dtype=np.int64)
                                       for number, plan in enumerate(plans)])
    return ScenarioPlan(
        factors,
        np.concatenate([plan.entry_factor + offset for plan, offset in zip(plans, offsets, strict=True)]),
        np.concatenate([plan.entry_kind for plan in plans]),
        np.concatenate([plan.entry_row for plan in plans]).astype(np.int64, copy=False),
        np.concatenate([plan.entry_col for plan in plans]).astype(np.int64, copy=False),
        np.concatenate([plan.entry_nominal for plan in plans]).astype(float, copy=False),
        np.concatenate([plan.entry_relative for plan in plans]).astype(bool, copy=False),
        [p.label for p in parameters]), factor_parameter


def _is_block(analysis: AnalysisModel, parameter: Uncertain) -> bool:
    target = parameter.target
    if target.kind != "coefficient":
        return False
    rows = analysis.row_indices(target.name, target.label_map)
    cols = analysis.col_indices(target.variable)
    return not (rows.size == 1 and cols.size == 1)


def _block_plan(analysis: AnalysisModel, parameter: Uncertain, number: int, matrix: sp.csr_matrix
                ) -> ScenarioPlan:
    """Every nonzero coefficient of the variable block in the selected rows."""
    target = parameter.target
    rows = analysis.row_indices(target.name, target.label_map)
    cols = analysis.col_indices(target.variable)
    sub = matrix[rows].tocoo()
    wanted = np.zeros(analysis.form.num_cols, dtype=bool)
    wanted[cols] = True
    keep = wanted[sub.col] & (sub.data != 0)
    if not keep.any():
        raise ModelError(f"{parameter.label}: {target.variable!r} has no coefficient in {target.name!r}; "
                         "name a variable that the constraint or resource uses")
    entry_row = rows[sub.row[keep]].astype(np.int64, copy=False)
    entry_col = sub.col[keep].astype(np.int64, copy=False)
    nominal = sub.data[keep].astype(float, copy=False)
    count = entry_row.size
    if parameter.per_entry:  # one independent draw per coefficient; one shared Factor object describes them all
        factors = [Factor(f"coefficient of {target.variable} in {target.name}", parameter.distribution, number)] * count
        entry_factor = np.arange(count)
    else:
        factors = [Factor(parameter.label, parameter.distribution, number)]
        entry_factor = np.zeros(count, dtype=np.int64)
    return ScenarioPlan(factors, entry_factor, np.full(count, COEFFICIENT), entry_row, entry_col, nominal,
                        np.full(count, parameter.distribution.relative), [parameter.label])
