"""Labelled dimensions and the strict alignment rule.

A :class:`Dim` is a named, ordered set of unique labels (``Dim("host", ["h1",
"h2"])``).  Arrays, variables and expressions carry a tuple of dims.  Two
operands combine only when they have the same set of dims with the same labels;
axes in another order are transposed to match, but nothing is broadcast or
filled: a mismatch is a :class:`~opt_model.errors.ModelError` naming both sides.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import ModelError

if TYPE_CHECKING:
    import pandas as pd


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

    __slots__ = ("_index", "_lookup", "_range", "labels", "name")

    def __init__(self, name: str, labels: Iterable[Any] | int) -> None:
        if not isinstance(name, str) or not name:
            raise ModelError(f"a dimension needs a non-empty string name, got {name!r}")
        pandas = sys.modules.get("pandas")  # a pandas Index can only exist if pandas is loaded
        is_range = False
        if isinstance(labels, (int, np.integer)):
            values = np.arange(int(labels))
            is_range = True
        elif pandas is not None and isinstance(labels, pandas.Index):
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
        if not is_range and values.dtype.kind in "iu":
            is_range = bool(values[0] == 0 and values[-1] == values.size - 1 and (np.diff(values) == 1).all())
        self.name = name
        self.labels = values
        self._range = is_range  # labels 0..n-1: a label is its own position, no table needed
        self._lookup: dict[Any, int] | None = None
        self._index: pd.Index | None = None
        if not is_range:
            lookup = self._table()
            if len(lookup) != values.size:
                seen: set[Any] = set()
                duplicated = [x for x in values.tolist() if x in seen or seen.add(x)]  # type: ignore[func-returns-value]
                raise ModelError(f"dimension {name!r} has repeated labels {list(dict.fromkeys(duplicated))[:3]}; "
                                 "labels must be unique")

    def _table(self) -> dict[Any, int]:
        if self._lookup is None:
            self._lookup = {label: pos for pos, label in enumerate(self.labels.tolist())}
        return self._lookup

    @property
    def index(self) -> pd.Index:
        """The labels as a pandas Index (pandas is imported on first use)."""
        if self._index is None:
            import pandas

            self._index = pandas.Index(self.labels, name=self.name)
        return self._index

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
        found = int(self.lookup([label])[0])
        if found < 0:
            raise ModelError(f"{label!r} is not a label of dimension {self.name!r}; "
                             f"labels are {_preview(self.labels)}")
        return found

    def positions(self, labels: Sequence[Any]) -> np.ndarray:
        found = self.lookup(labels)
        missing = [label for label, pos in zip(labels, found.tolist()) if pos < 0]
        if missing:
            raise ModelError(f"{missing[:3]} not labels of dimension {self.name!r}; "
                             f"labels are {_preview(self.labels)}")
        return found

    def lookup(self, labels: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Positions of ``labels`` (-1 where a label is not one of this dim's).

        Example
        -------
        >>> Dim("host", ["h1", "h2"]).lookup(["h2", "h9"]).tolist()
        [1, -1]
        """
        if self._range:
            array = np.asarray(labels)
            if array.dtype.kind in "iu":
                array = array.astype(np.intp, copy=False)
                return np.where((array >= 0) & (array < len(self)), array, -1)
        table = self._table()
        items = labels.tolist() if isinstance(labels, np.ndarray) else labels
        return np.fromiter((table.get(label, -1) for label in items), dtype=np.intp, count=len(items))


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
