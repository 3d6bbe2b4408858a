"""The ``resources`` section: capacities with a unit, usage, price and provisioning.

A resource's usage expressions are converted to its unit and must have its
dims; its capacity must not be negative; ``price`` (per unit of the resource)
makes ``cost(resource)`` available, and ``provision`` makes extra capacity a
decision (``provisioned(resource)``).  Resources become
:class:`~opt_model.resources.Resource` objects of the model, created in the
order they are written (or earlier, when an expression refers to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, dims_text
from opt_model.labeled import LabeledArray
from opt_model.resources import Provision
from opt_model.spec.evaluate import Value, broadcast_values, to_dims, union_dims
from opt_model.spec.fields import entry_loc, is_number, table_from_mapping
from opt_model.spec.loader import Loc, SpecList, SpecMap
from opt_model.spec.units import Unit, UnitError, dimensionless, factor, is_plain, reduce_unit, unit_text

if TYPE_CHECKING:
    from opt_model.spec.build import Definition, SpecBuilder


@dataclass
class ResourceInfo:
    """A resource's unit, dims, capacity and usage, before the model's Resource is made."""

    unit: Unit
    dims: tuple[Dim, ...]
    capacity: Value
    usage: Value | None
    created: bool = False


def resource_info(builder: SpecBuilder, definition: Definition) -> ResourceInfo:
    name = definition.name
    if name in builder.resource_infos:
        return builder.resource_infos[name]
    raw = definition.raw
    unit = builder.unit(raw.get("unit"), raw.value_loc("unit"), f"unit of resource {name!r}")
    explicit = builder.dim_list(raw["dims"], raw.value_loc("dims"), f"resource {name!r}") if "dims" in raw else None
    if "capacity" in raw:
        capacity = builder.numeric(raw["capacity"], raw.value_loc("capacity"), unit, explicit,
                                   f"capacity of resource {name!r}", allow_inf=True, unbounded=np.inf)
    elif "provision" in raw:
        capacity = Value("number", 0.0, unit, ())
    else:
        raise definition.key_loc.error(f"resource {name!r} needs a 'capacity' (or a 'provision' to buy capacity)")
    check_capacity(builder, name, capacity, raw.value_loc("capacity") if "capacity" in raw else definition.loc,
                   raw.get("capacity"))
    usage = resource_usage(builder, name, raw, unit)
    dims = explicit if explicit is not None else capacity.dims or (usage.dims if usage else ())
    if usage is not None and {d.name for d in usage.dims} != {d.name for d in dims} and (
            usage.kind == "expr" or not set(usage.dims) <= set(dims)):
        extra = [d.name for d in usage.dims if d not in dims]
        hint = f"; sum over {', '.join(extra)} with sum(..., over=...)" if extra else ""
        raise _usage_loc(raw).error(f"usage of resource {name!r} has dims {dims_text(usage.dims)} but the "
                                    f"resource has dims {dims_text(dims)}{hint}")
    if usage is not None:
        usage = Value(usage.kind, to_dims(usage, dims), unit, dims)
    info = ResourceInfo(unit, dims, capacity, usage)
    builder.resource_infos[name] = info
    builder.info.units[name] = unit_text(unit)
    return info


def resource_usage(builder: SpecBuilder, name: str, raw: SpecMap, unit: Unit) -> Value | None:
    if "usage" not in raw:
        return None
    items = raw["usage"] if isinstance(raw["usage"], list) else [raw["usage"]]
    total: Value | None = None
    for index, text in enumerate(items):
        loc = raw["usage"].item_loc(index) if isinstance(raw["usage"], SpecList) else raw.value_loc("usage")
        value = builder.evaluate(text, loc, f"usage of resource {name!r}")
        if value.kind not in ("number", "data", "expr"):
            raise loc.error(f"usage of resource {name!r} must be an expression, got a {value.kind}")
        if value.is_zero_literal:
            continue
        try:
            value = Value(value.kind, value.obj * factor(value.unit, unit) if value.unit != unit else value.obj,
                          unit, value.dims)
        except UnitError:
            raise loc.error(f"usage of resource {name!r} is in {unit_text(value.unit)} but the resource is "
                            f"in {unit_text(unit)}: the units are incompatible (usage {text!r})") from None
        if total is None:
            total = value
        else:
            dims = union_dims(total.dims, value.dims)
            total = Value("expr", to_dims(total, dims) + to_dims(value, dims), unit, dims)
    return total


def check_capacity(builder: SpecBuilder, name: str, capacity: Value, loc: Loc, raw: Any = None) -> None:
    values = np.asarray(capacity.obj.values if capacity.kind == "data" else capacity.obj)
    negative = values < 0
    if negative.any():
        k = int(np.flatnonzero(negative.ravel())[0])
        where = capacity.obj.label_of(k) if capacity.kind == "data" else ""
        if capacity.kind == "data" and isinstance(raw, SpecMap):
            position = np.unravel_index(k, values.shape)
            loc = entry_loc(raw, [d.labels[p] for d, p in zip(capacity.dims, position)], loc)
        raise loc.error(f"capacity of resource {name!r}{where} is {values.ravel()[k]:g} "
                        f"{unit_text(capacity.unit)}; a capacity cannot be negative")


def create_resource(builder: SpecBuilder, definition: Definition) -> Any:
    name = definition.name
    if name in builder.model.resources:
        return builder.model.resources[name]
    info = builder.resource_info(definition)
    raw = definition.raw
    capacity = _labelled(info.capacity, info.dims)
    price_data = None
    if "price" in raw:
        price_data = price(builder, name, raw["price"], raw.value_loc("price"), info, "price")
    provision = None
    if "provision" in raw:
        spec = raw["provision"]
        fields: dict[str, Any] = {"integer": bool(spec.get("integer", False))}
        for key in ("min", "max"):
            if key in spec:
                value = builder.numeric(spec[key], spec.value_loc(key), info.unit, info.dims,
                                        f"provision {key} of resource {name!r}", allow_inf=True,
                                        unbounded=np.inf if key == "max" else None)
                amounts = np.asarray(value.obj.values if value.kind == "data" else value.obj, dtype=np.float64)
                if (amounts < 0).any():
                    k = int(np.flatnonzero(amounts.ravel() < 0)[0])
                    where = value.obj.label_of(k) if value.kind == "data" else ""
                    raise spec.value_loc(key).error(
                        f"provision {key} of resource {name!r}{where} is {amounts.ravel()[k]:g}; capacity bought "
                        "cannot be negative (a negative amount would sell capacity)")
                fields[key] = _labelled(value, info.dims)
        if "price" in spec:
            fields["price"] = price(builder, name, spec["price"], spec.value_loc("price"), info, "provision price")
        provision = Provision(**fields)
    resource = builder.model.add_resource(name, unit=unit_text(info.unit), capacity=capacity, dims=info.dims,
                                          price=price_data, provision=provision)
    if info.usage is not None:
        resource.add_usage(info.usage.obj)
    return resource


def price(builder: SpecBuilder, name: str, raw: Any, loc: Loc, info: ResourceInfo, what: str) -> Any:
    """Price per unit of the resource, as data; remembers the unit of cost(resource)."""
    label = f"{what} of resource {name!r}"
    value = builder.numeric(raw, loc, dimensionless(), info.dims, label) \
        if is_number(raw) or isinstance(raw, SpecMap) else builder.evaluate_data(raw, loc, label)
    if isinstance(raw, SpecMap):  # a label mapping keeps the unit of its entries
        values, found = table_from_mapping(raw, value.dims, None, None, f"{what} of resource {name!r}")
        value = Value("data", LabeledArray(values, value.dims), found or dimensionless(), value.dims)
    if is_plain(value.unit):
        cost_unit, multiplier = dimensionless(), 1.0
    else:
        cost_unit, multiplier = reduce_unit(value.unit * info.unit, builder.preferred_units())
    previous = builder.cost_units.get(name)
    if previous is not None and previous != cost_unit:
        try:
            multiplier *= factor(cost_unit, previous)
            cost_unit = previous
        except UnitError:
            raise loc.error(f"{what} of resource {name!r} gives costs in {unit_text(cost_unit)} but its other "
                            f"price gives {unit_text(previous)}") from None
    builder.cost_units[name] = cost_unit
    scaled = value.obj * multiplier
    return _labelled(Value(value.kind, scaled, cost_unit, value.dims), info.dims)


def build_resources(builder: SpecBuilder) -> None:
    for name in builder.section("resources"):
        definition = builder.defs.get(name)
        if definition is None or definition.section != "resources" or name in builder.failed:
            continue
        with builder.item(definition.loc, name):
            if builder.ensure(name) is not None:
                builder.create_resource(definition)


def _usage_loc(raw: SpecMap) -> Loc:
    return raw.value_loc("usage")


def _labelled(value: Value, dims: tuple[Dim, ...]) -> Any:
    if value.kind == "number":
        return float(value.obj)
    return LabeledArray(broadcast_values(value.obj.values, value.dims, dims), dims)
