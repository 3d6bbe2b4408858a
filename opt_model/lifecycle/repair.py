"""Repairing an infeasible model: apply the smallest relaxation that makes it feasible.

:func:`opt_model.sensitivity.diagnose_infeasibility` finds the relaxation (more
capacity of a resource, or a looser limit of a named constraint) in the rows of
the standard form; :func:`apply_relaxation` makes the same change in a copy of
the model, so every later phase works on a real :class:`~opt_model.Model`
(resource tables, monitoring) and the change can be written back into the spec.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from opt_model.errors import ModelError
from opt_model.labeled import LabeledArray
from opt_model.model import Model


@dataclass
class AppliedChange:
    """One bound moved by the repair, in the model's names and the row's unit."""

    name: str
    group: str
    label: str
    unit: str
    resource: bool
    bound: str
    amount: float
    old: float
    new: float

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.resource and self.bound == "upper":
            where = f" on {self.label}" if self.label else ""
            return f"capacity of {self.group}{where}: {self.old:.6g}{unit} -> {self.new:.6g}{unit} " \
                   f"(+{self.amount:.6g}{unit})"
        side = "limit" if self.bound == "upper" else "requirement"
        return f"{side} of {self.name}: {self.old:.6g} -> {self.new:.6g}"

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self)) | {"text": self.describe()}


def _position(dims: tuple[Any, ...], label: str) -> tuple[int, ...]:
    if not dims:
        return ()
    parts = label.split(",") if label else []
    if len(parts) != len(dims):
        raise ModelError(f"cannot place label {label!r} in dims {', '.join(d.name for d in dims)}")
    return tuple(int(np.flatnonzero(d.labels.astype(str) == part)[0]) for d, part in zip(dims, parts, strict=True))


def apply_relaxation(model: Model, changes: list[Any]) -> tuple[Model, list[AppliedChange]]:
    """A copy of ``model`` with each relaxation change applied (``changes``: the ``Change`` objects of a ``Fix``).

    Resource rows get more capacity; other rows get their upper bound raised or
    lower bound lowered by the amount.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity import diagnose_infeasibility
    >>> m = om.Model(); host = om.Dim("host", ["h1"]); x = m.add_variables("x", dims=host, lb=3)
    >>> _ = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 2}, dims=host)).add_usage(1.0 * x)
    >>> m.minimize(x.sum())
    >>> fixed, applied = apply_relaxation(m, diagnose_infeasibility(m).relaxation.changes)
    >>> applied[0].describe(), fixed.solve().status.value
    ('capacity of memory on h1: 2 GiB -> 3 GiB (+1 GiB)', 'optimal')
    """
    repaired = copy.deepcopy(model)
    applied: list[AppliedChange] = []
    for change in changes:
        amount = float(change.amount)
        resource = repaired.resources.get(change.group) if change.resource else None
        if resource is not None and change.bound == "upper":
            values = np.array(resource.capacity.values, dtype=float, copy=True)
            index = _position(resource.dims, change.label)
            old = float(values[index]) if index else float(values)
            if index:
                values[index] = old + amount
            else:
                values = np.asarray(old + amount)
            resource.capacity = LabeledArray(values, resource.dims, resource.capacity.name)
            applied.append(AppliedChange(change.name, change.group, change.label, change.unit, True, "upper",
                                         amount, old, old + amount))
            continue
        block = repaired.constraints.get(change.group)
        if block is None:
            raise ModelError(f"cannot apply the relaxation of {change.name!r}: no constraint or resource "
                             f"{change.group!r} in the model")
        definition = block.definition
        flat = _position(definition.dims, change.label)
        side = "upper" if change.bound == "upper" else "lower"
        bounds = np.array(getattr(definition, side), dtype=float, copy=True)
        old = float(bounds[flat]) if flat else float(bounds.reshape(-1)[0])
        new = old + amount if side == "upper" else old - amount
        if flat:
            bounds[flat] = new
        else:
            bounds = np.asarray(new) if bounds.ndim == 0 else np.full(bounds.shape, new)
        setattr(definition, side, bounds)
        applied.append(AppliedChange(change.name, change.group, change.label, change.unit, False, change.bound,
                                     amount, old, new))
    return repaired, applied
