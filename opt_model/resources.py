"""Resources: capacities that decisions consume (memory, time, energy, money, ...).

A resource collects usage expressions and compiles to one named constraint
block ``usage - provisioned <= capacity``.  Its capacity can be fixed data or,
with :class:`Provision`, partly a decision (buy more, at a price per unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, dims_text, shape_of
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, as_expression
from opt_model.labeled import LabeledArray, data

if TYPE_CHECKING:
    from opt_model.model import Model
    from opt_model.variables import Variable


@dataclass(frozen=True)
class Provision:
    """Capacity that can be bought: between ``min`` and ``max`` units at ``price`` per unit.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
    >>> mem = m.add_resource("memory", unit="GiB", dims=host, capacity=0,
    ...                      provision=om.Provision(max=512, price=3.0))
    >>> mem.provisioned.name
    'memory_provisioned'
    """

    max: Any = float("inf")
    price: Any = 0.0
    min: Any = 0.0
    integer: bool = False


class Resource:
    """A resource with a unit, a capacity per label, optional price and provisioning."""

    def __init__(self, model: Model, name: str, unit: str, dims: tuple[Dim, ...], capacity: LabeledArray,
                 price: LabeledArray | None, provisioned: Variable | None, provision_price: LabeledArray | None
                 ) -> None:
        self.model = model
        self.name = name
        self.unit = unit
        self.dims = dims
        self.capacity = capacity
        self.price = price
        self.provisioned = provisioned
        self.provision_price = provision_price
        self._usage: LinearExpression | None = None

    def __repr__(self) -> str:
        return f"<Resource {self.name} [{self.unit}]{dims_text(self.dims) if self.dims else ''}>"

    def describe(self) -> str:
        return f"resource {self.name!r}{dims_text(self.dims) if self.dims else ''}"

    def add_usage(self, expr: Any) -> Resource:
        """Add an expression (same dims as the resource) to what the resource's users consume.

        Returns the resource, so calls can be chained.
        """
        usage = as_expression(expr, f"usage of {self.describe()}")
        if not isinstance(usage, LinearExpression):
            raise ModelError(f"usage of {self.describe()} must be linear")
        if {d.name for d in usage.dims} != {d.name for d in self.dims}:
            raise ModelError(f"usage {usage.describe()} does not match {self.describe()}: sum it over the "
                             f"other dims (for example .sum('task')) so its dims are {dims_text(self.dims)}")
        if usage.nterm == 0 and not usage.dims and self.dims:
            usage = usage.expand(*self.dims)
        self._usage = usage if self._usage is None else self._usage + usage
        return self

    @property
    def usage(self) -> LinearExpression:
        """Total usage expression (zero when nothing was added)."""
        if self._usage is None:
            return LinearExpression.constant(LabeledArray(np.zeros(shape_of(self.dims)), self.dims)
                                             if self.dims else 0.0, self.model)
        return self._usage

    @property
    def total_capacity(self) -> LinearExpression | LabeledArray:
        """Fixed capacity plus the provisioned amount (an expression when provisioning)."""
        if self.provisioned is None:
            return self.capacity
        return self.provisioned + self.capacity

    def cost(self) -> LinearExpression:
        """Scalar cost expression: ``price * usage`` plus ``provision price * provisioned``."""
        total: Any = LinearExpression.constant(0.0, self.model)
        if self.price is not None:
            total = total + (self.usage * self.price).sum()
        if self.provisioned is not None and self.provision_price is not None:
            total = total + (self.provisioned * self.provision_price).sum()
        return as_expression(total)  # type: ignore[return-value]

    def constraint_expression(self) -> Any:
        usage = self.usage
        if self.provisioned is not None:
            usage = usage - self.provisioned
        return usage <= self.capacity


def resource_data(value: Any, dims: tuple[Dim, ...], what: str, allow_negative: bool = False) -> LabeledArray:
    labelled = value if isinstance(value, LabeledArray) else data(value, dims=dims if not isinstance(
        value, (int, float, np.number)) else None, name=what)
    if not labelled.dims and dims:
        labelled = labelled.expand(*dims)
        labelled.name = what
    elif labelled.dims:
        labelled = LabeledArray(labelled.aligned_to(dims, what), dims, what)
    labelled.require_finite(what, allow="+inf")
    if not allow_negative and (labelled.values < 0).any():
        k = int(np.flatnonzero((labelled.values < 0).ravel())[0])
        raise ModelError(f"{what}{labelled.label_of(k)} is {labelled.values.ravel()[k]}; "
                         "a capacity cannot be negative")
    return labelled


