"""Labelled dimensions and the strict alignment rule.

A :class:`Dim` is a named, ordered set of unique labels (``Dim("host", ["h1",
"h2"])``).  Arrays, variables and expressions carry a tuple of dims.  Two
operands combine only when they have the same set of dims with the same labels;
axes in another order are transposed to match, but nothing is broadcast or
filled: a mismatch is a :class:`~opt_model.errors.ModelError` naming both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import ModelError


class Dim:
    """A named dimension with unique labels.

    Example
    -------
    >>> host = Dim("host", ["h1", "h2"])
    >>> len(host), host.position("h2")
    (2, 1)
    >>> Dim("task", 3).labels.tolist()
    [0, 1, 2]
    """

    __slots__ = ("_positions", "labels", "name")

    def __init__(self, name: str, labels: Iterable[Any] | int) -> None:
        if not isinstance(name, str) or not name:
            raise ModelError(f"a dimension needs a non-empty string name, got {name!r}")
        if isinstance(labels, (int, np.integer)):
            values = np.arange(int(labels))
        elif isinstance(labels, pd.Index):
            values = labels.to_numpy()
        elif isinstance(labels, np.ndarray):
            values = labels
        else:
            items = list(labels)
            values = np.array(items, dtype=object) if items and not _all_simple(items) else np.asarray(items)
        if values.ndim != 1:
            raise ModelError(f"labels of dimension {name!r} must be one-dimensional, got shape {values.shape}")
        if values.size == 0:
            raise ModelError(f"dimension {name!r} has no labels; give at least one")
        self.name = name
        self.labels = values
        self._positions: pd.Index | None = None
        index = self.index
        if not index.is_unique:
            duplicated = index[index.duplicated()].unique()[:3].tolist()
            raise ModelError(f"dimension {name!r} has repeated labels {duplicated}; labels must be unique")

    @property
    def index(self) -> pd.Index:
        if self._positions is None:
            self._positions = pd.Index(self.labels, name=self.name)
        return self._positions

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __iter__(self) -> Any:
        return iter(self.labels.tolist())

    def __repr__(self) -> str:
        shown = ", ".join(repr(label) for label in self.labels[:4].tolist())
        more = ", ..." if len(self) > 4 else ""
        return f"Dim({self.name!r}, [{shown}{more}])"

    def same_as(self, other: Dim) -> bool:
        """Same name and the same labels in the same order."""
        if self is other:
            return True
        return (self.name == other.name and len(self) == len(other)
                and bool(np.array_equal(self.labels, other.labels)))

    def position(self, label: Any) -> int:
        try:
            loc = self.index.get_loc(label)
        except KeyError:
            raise ModelError(f"{label!r} is not a label of dimension {self.name!r}; "
                             f"labels are {_preview(self.labels)}") from None
        return int(loc)  # type: ignore[arg-type]

    def positions(self, labels: Sequence[Any]) -> np.ndarray:
        found = self.index.get_indexer(pd.Index(list(labels)))
        missing = [label for label, pos in zip(labels, found) if pos < 0]
        if missing:
            raise ModelError(f"{missing[:3]} not labels of dimension {self.name!r}; "
                             f"labels are {_preview(self.labels)}")
        return np.asarray(found, dtype=np.intp)


def _all_simple(items: list[Any]) -> bool:
    kinds = {type(item) for item in items}
    return kinds <= {str} or kinds <= {int, np.int64} or kinds <= {float, int}


def _preview(labels: np.ndarray) -> str:
    shown = ", ".join(str(label) for label in labels[:5].tolist())
    return f"[{shown}{', ...' if labels.shape[0] > 5 else ''}]"


def dims_text(dims: Sequence[Dim]) -> str:
    return "(" + ", ".join(d.name for d in dims) + ")"


def shape_of(dims: Sequence[Dim]) -> tuple[int, ...]:
    return tuple(len(d) for d in dims)


def as_dims(dims: Dim | Sequence[Dim] | None) -> tuple[Dim, ...]:
    if dims is None:
        return ()
    if isinstance(dims, Dim):
        return (dims,)
    result = tuple(dims)
    for d in result:
        if not isinstance(d, Dim):
            raise ModelError(f"dims must be Dim objects, got {d!r}; create them with om.Dim(name, labels)")
    names = [d.name for d in result]
    if len(set(names)) != len(names):
        raise ModelError(f"dimension names repeat in {names}; each dimension may appear once")
    return result


def alignment(target: Sequence[Dim], source: Sequence[Dim], target_what: str, source_what: str
              ) -> tuple[int, ...] | None:
    """Axis permutation that brings ``source`` into ``target``'s order.

    Returns ``None`` when no transpose is needed.  Raises :class:`ModelError`
    naming both operands when the dims or their labels differ.
    """
    if len(target) == len(source) and all(a is b for a, b in zip(target, source)):
        return None
    target_names = [d.name for d in target]
    source_names = [d.name for d in source]
    if sorted(target_names) != sorted(source_names):
        raise ModelError(
            f"cannot combine {target_what} with dims {dims_text(target)} and {source_what} with dims "
            f"{dims_text(source)}: dimensions differ. Sum over the extra dimension (.sum('name')) or "
            "expand the smaller operand explicitly (.expand(dim))")
    order = tuple(source_names.index(name) for name in target_names)
    for name in target_names:
        a = target[target_names.index(name)]
        b = source[source_names.index(name)]
        if not a.same_as(b):
            raise ModelError(
                f"cannot combine {target_what} and {source_what}: dimension {name!r} has labels "
                f"{_preview(a.labels)} on one side and {_preview(b.labels)} on the other. "
                "Use the same Dim object for both, or select matching labels with .sel()")
    return None if order == tuple(range(len(order))) else order
