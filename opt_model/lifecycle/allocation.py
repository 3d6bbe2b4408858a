"""The allocation grouped by resource: for each resource label, which decisions use how much of it.

Each resource row of the compiled model is ``sum_j a_ij x_j <= capacity_i``; the
decisions using resource ``i`` are the columns with ``a_ij x_j != 0``, and
``a_ij x_j`` is how much of it each one uses, in the resource's unit.  Decisions
that use no resource are listed by variable block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opt_model.result import Result

TOLERANCE = 1e-9


@dataclass
class Allocation:
    """``by_resource``: one row per resource label with its users; ``others``: decisions using no resource.

    ``by_resource`` columns: resource, label, unit, usage, capacity,
    utilisation_pct, shadow_price, users (a list of ``(decision, value,
    amount)``, largest amount first) and ``more`` (users not listed).
    ``others`` columns: variable, nonzero, total, largest (a list of
    ``(decision, value)``).
    """

    by_resource: pd.DataFrame
    others: pd.DataFrame
    top: int = 8
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, (float, np.floating)):
                return float(value) if math.isfinite(value) else None
            if isinstance(value, list):
                return [clean(item) for item in value]
            if isinstance(value, tuple):
                return [clean(item) for item in value]
            return value
        return {"by_resource": [{key: clean(value) for key, value in row.items()}
                                for row in self.by_resource.to_dict(orient="records")],
                "others": [{key: clean(value) for key, value in row.items()}
                           for row in self.others.to_dict(orient="records")],
                "notes": self.notes}


def _label_text(dims: tuple[Any, ...], offset: int) -> str:
    if not dims:
        return ""
    index = np.unravel_index(offset, tuple(len(d) for d in dims))
    return ",".join(str(d.labels[int(i)]) for d, i in zip(dims, index, strict=True))


def allocation_by_resource(result: Result, top: int = 8) -> Allocation:
    """Group a solved result's nonzero decisions by the resources they use.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); task = om.Dim("task", ["a", "b"]); x = m.add_variables("x", dims=task, ub=1)
    >>> _ = m.add_resource("cpu", unit="vCPU", capacity=8).add_usage((om.data([2, 4], dims=task) * x).sum())
    >>> m.maximize(x.sum())
    >>> alloc = allocation_by_resource(m.solve())
    >>> alloc.by_resource.loc[0, "users"]
    [('x[b]', 1.0, 4.0), ('x[a]', 1.0, 2.0)]
    """
    model = result.model
    form = result.compiled.form
    x = np.asarray(result.backend.x if result.backend.x is not None else np.zeros(form.num_cols))[:form.num_cols]
    names = form.column_names()
    A = form.A.tocsr()
    table = result.resource_table()
    details = {(str(r["resource"]), str(r["label"])): r for r in table.to_dict(orient="records")}
    rows = []
    used = np.zeros(form.num_cols, dtype=bool)
    for name, resource in model.resources.items():
        block = result.compiled.rows[name]
        own = set(range(resource.provisioned.start, resource.provisioned.start + resource.provisioned.size)) \
            if resource.provisioned is not None else set()
        for offset in range(block.stop - block.start):
            row = block.start + offset
            start, stop = A.indptr[row], A.indptr[row + 1]
            cols = A.indices[start:stop]
            amounts = A.data[start:stop] * x[cols]
            used[cols] = True
            keep = [(int(col), float(amount)) for col, amount in zip(cols, amounts, strict=True)
                    if abs(amount) > TOLERANCE and int(col) not in own]
            keep.sort(key=lambda item: -abs(item[1]))
            label = _label_text(resource.dims, offset)
            detail = details.get((name, label), {})
            rows.append({"resource": name, "label": label, "unit": resource.unit,
                         "usage": float(detail.get("usage", math.nan)),
                         "capacity": float(detail.get("capacity", math.nan)),
                         "utilisation_pct": float(detail.get("utilisation_pct", math.nan)),
                         "shadow_price": float(detail.get("shadow_price", math.nan)),
                         "bought": float(detail.get("bought", 0.0)),
                         "users": [(names.name(col), float(x[col]), amount) for col, amount in keep[:top]],
                         "more": max(0, len(keep) - top)})
    others = []
    for variable in model.variables.values():
        part = slice(variable.start, variable.start + variable.size)
        values = x[part]
        free = ~used[part] & (np.abs(values) > TOLERANCE)
        if not free.any():
            continue
        positions = np.flatnonzero(free)
        order = positions[np.argsort(-np.abs(values[positions]), kind="stable")][:top]
        others.append({"variable": variable.name, "nonzero": int(free.sum()), "total": float(values[free].sum()),
                       "largest": [(names.name(variable.start + int(k)), float(values[k])) for k in order]})
    by_resource = pd.DataFrame(rows, columns=["resource", "label", "unit", "usage", "capacity", "utilisation_pct",
                                              "shadow_price", "bought", "users", "more"])
    frame = pd.DataFrame(others, columns=["variable", "nonzero", "total", "largest"])
    notes = [] if model.resources else ["the model declares no resources: decisions are listed by variable"]
    return Allocation(by_resource, frame, top, notes)
