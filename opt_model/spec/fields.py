"""Literal values in specs: labels, numbers with units, and inline tables.

These helpers turn what YAML gives (numbers, ``"16 GiB"`` strings, nested
mappings from labels to values, nested lists) into float arrays over dims in a
chosen unit, reporting problems at the entry that causes them.

Example
-------
>>> from opt_model.dims import Dim
>>> from opt_model.spec.loader import parse_yaml
>>> doc = parse_yaml("cap: {h1: 64 GiB, h2: 512 MiB}", "s.yaml")
>>> host = Dim("host", ["h1", "h2"])
>>> values, unit = table_from_mapping(doc["cap"], (host,), None, None, "capacity")
>>> values.tolist(), unit_text(unit)
([64.0, 0.5], 'GiB')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from opt_model.dims import Dim, dims_text
from opt_model.errors import SpecError, did_you_mean
from opt_model.spec.loader import Loc, SpecList, SpecMap
from opt_model.spec.units import Unit, UnitError, factor, infinity_word, parse_quantity, unit_text


def label_text(label: Any) -> str:
    """Labels in specs are strings: ``3`` and ``"3"`` are the same label."""
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return str(label)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def entry_value(raw: Any, unit: Unit | None, loc: Loc, what: str) -> tuple[float, Unit | None]:
    """A number or quantity string as ``(value in unit, unit)``; the first quantity fixes ``unit``."""
    if is_number(raw):
        value = float(raw)
        if math.isnan(value):
            raise loc.error(f"{what} is NaN; give a number")
        return value, unit
    if isinstance(raw, str):
        infinite = infinity_word(raw)
        if infinite is not None:  # a bare 'inf' fits any unit
            return infinite, unit
        try:
            magnitude, found = parse_quantity(raw)
        except UnitError as error:
            raise loc.error(f"{what}: {error}") from None
        if unit is None:
            return magnitude, found
        try:
            return magnitude * factor(found, unit), unit
        except UnitError:
            raise loc.error(f"{what} is {raw!r} but the values are in {unit_text(unit)}; units must be "
                            "compatible") from None
    raise loc.error(f"{what} must be a number or a quantity like '16 GiB', got {type(raw).__name__}")


def _label_position(dim: Dim, key: Any, loc: Loc, what: str) -> int:
    label = label_text(key)
    try:  # a hash lookup; get_indexer on a one-label Index cost ~1 ms a key (most of a small spec's load)
        found = dim.index.get_loc(label)
        position = int(found) if isinstance(found, (int, np.integer)) else \
            int(dim.index.get_indexer(pd.Index([label]))[0])
    except (KeyError, TypeError):
        position = -1
    if position < 0:
        labels = [str(x) for x in dim.labels[:2000].tolist()]
        raise loc.error(f"{what}: {label!r} is not a label of dimension {dim.name!r}{did_you_mean(label, labels)}")
    return int(position)


def infer_dims(mapping: Any, dims: Sequence[Dim], loc: Loc, what: str) -> tuple[Dim, ...]:
    """The dims a nested mapping's keys belong to (each level's keys must fit exactly one dim)."""
    result: list[Dim] = []
    level: Any = mapping
    while isinstance(level, dict) and level:
        keys = {label_text(k) for k in level} - {DEFAULT_KEY}
        if not keys:
            break
        candidates = [d for d in dims if d not in result and keys <= set(d.index)]
        if len(candidates) != 1:
            reason = "several dimensions" if candidates else "no dimension"
            raise loc.error(f"{what}: the labels {sorted(keys)[:4]} match {reason}; give 'dims: [...]'")
        result.append(candidates[0])
        level = next(value for key, value in level.items() if label_text(key) != DEFAULT_KEY
                     or DEFAULT_KEY in candidates[0].index)
    return tuple(result)


DEFAULT_KEY = "default"
"""In a label mapping, the key whose value fills every label not given (unless ``default`` is a label)."""


def table_from_mapping(mapping: Any, dims: Sequence[Dim], unit: Unit | None, default: float | None,
                       what: str, unbounded: float | None = None) -> tuple[np.ndarray, Unit | None]:
    """Values over ``dims`` from a (nested) mapping ``{label: value}``; ``default`` fills gaps.

    A ``default`` key at any level of the mapping fills the labels of that level that are not
    given (a nested ``default`` wins over an outer one; ``default`` as a real label of the dim stays
    a label). ``unbounded`` is what ``null`` means (``inf`` for an upper bound); without it ``null``
    is an error.

    Example
    -------
    >>> from opt_model.dims import Dim
    >>> toy = Dim("toy", ["soldier", "train", "doll"])
    >>> table_from_mapping({"soldier": 40, "default": "inf"}, (toy,), None, None, "upper")[0].tolist()
    [40.0, inf, inf]
    >>> table_from_mapping({"soldier": 40, "train": None, "doll": 5}, (toy,), None, None, "upper",
    ...                    unbounded=float("inf"))[0].tolist()
    [40.0, inf, 5.0]
    """
    array = np.full(tuple(len(d) for d in dims), np.nan)
    errors: list[SpecError] = []
    filled = np.zeros(array.shape, dtype=bool)
    defaults: list[tuple[tuple[int, ...], float]] = []

    def walk(level: Any, depth: int, prefix: tuple[int, ...]) -> None:
        nonlocal unit
        for key, item in level.items():
            loc = level.key_loc(key) if isinstance(level, SpecMap) else Loc("<spec>", 0, 0)
            value_loc = level.value_loc(key) if isinstance(level, SpecMap) else loc
            try:
                if label_text(key) == DEFAULT_KEY and DEFAULT_KEY not in dims[depth].index:
                    if isinstance(item, dict):
                        raise value_loc.error(f"{what}: 'default' must be one value, not a mapping")
                    fill, unit = (unbounded, unit) if item is None and unbounded is not None else \
                        entry_value(item, unit, value_loc, f"default of {what}")
                    defaults.append((prefix, fill))
                    continue
                position = _label_position(dims[depth], key, loc, what)
                if depth + 1 < len(dims):
                    if not isinstance(item, dict):
                        raise value_loc.error(f"{what}[{label_text(key)}] must be a mapping over "
                                              f"{dims[depth + 1].name!r} (the dims are {dims_text(dims)})")
                    walk(item, depth + 1, (*prefix, position))
                    continue
                if isinstance(item, dict):
                    raise value_loc.error(f"{what}[{label_text(key)}] must be a value: the dims are only "
                                          f"{dims_text(dims)}")
                if item is None:
                    if unbounded is None:
                        raise value_loc.error(f"{what}[{label_text(key)}] is null; give a number (null means "
                                              "'no bound' only in bounds and capacities)")
                    value = unbounded
                else:
                    value, unit = entry_value(item, unit, value_loc, f"{what}[{label_text(key)}]")
                array[(*prefix, position)] = value
                filled[(*prefix, position)] = True
            except SpecError as error:
                errors.extend(error.errors)

    if not dims:
        raise mapping.loc.error(f"{what} is a mapping of labels, but it has no dims") if isinstance(
            mapping, SpecMap) else SpecError(f"{what} has no dims")
    walk(mapping, 0, ())
    if errors:
        raise SpecError.combine(errors)
    for prefix, fill in sorted(defaults, key=lambda item: len(item[0])):  # outer first, inner wins
        gap = ~filled[prefix]
        array[prefix][gap] = fill
    for prefix, _fill in defaults:
        filled[prefix] = True
    if not filled.all():
        if default is None:
            missing = np.argwhere(~filled)[0]
            labels = ", ".join(f"{d.name}={d.labels[p]}" for d, p in zip(dims, missing))
            loc = mapping.loc if isinstance(mapping, SpecMap) else Loc("<spec>", 0, 0)
            raise loc.error(f"{what} has no value for [{labels}] ({int((~filled).sum())} missing); give every "
                            "label a value or add 'default: VALUE' to the mapping (e.g. 'default: inf')")
        array[~filled] = default
    return array, unit


def table_from_list(items: Any, dims: Sequence[Dim], unit: Unit | None, what: str
                    ) -> tuple[np.ndarray, Unit | None]:
    """Values over ``dims`` from (nested) lists in the dims' label order."""
    shape = tuple(len(d) for d in dims)
    array = np.full(shape, np.nan)
    errors: list[SpecError] = []

    def walk(level: Any, depth: int, prefix: tuple[int, ...], loc: Loc) -> None:
        nonlocal unit
        if depth == len(dims):
            try:
                array[prefix], unit = entry_value(level, unit, loc, f"{what}{list(prefix)}")
            except SpecError as error:
                errors.extend(error.errors)
            return
        if not isinstance(level, list) or len(level) != shape[depth]:
            size = len(level) if isinstance(level, list) else "no"
            errors.append(loc.error(f"{what}: expected a list of {shape[depth]} values for dimension "
                                    f"{dims[depth].name!r}, got {size} items"))
            return
        for index, item in enumerate(level):
            item_loc = level.item_loc(index) if isinstance(level, SpecList) else loc
            walk(item, depth + 1, (*prefix, index), item_loc)

    start = items.loc if isinstance(items, SpecList) else Loc("<spec>", 0, 0)
    if not dims:
        raise start.error(f"{what} is a list, but it has no dims")
    walk(items, 0, (), start)
    if errors:
        raise SpecError.combine(errors)
    return array, unit


def entry_loc(raw: Any, labels: list[Any], fallback: Loc) -> Loc:
    """Where the entry for ``labels`` was written in a nested label mapping (``fallback`` if not found)."""
    loc = fallback
    for label in labels:
        if not isinstance(raw, SpecMap):
            return loc
        key = next((k for k in raw if label_text(k) == str(label)), None)
        if key is None:
            return loc
        loc = raw.value_loc(key)
        raw = raw[key]
    return loc
