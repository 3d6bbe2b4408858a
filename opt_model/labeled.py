"""Labelled data: numbers over dims, built from scalars, lists, arrays, dicts and pandas.

:class:`LabeledArray` is the value type of parameters (capacities, prices,
coefficients) and of results (``result.value(x)``).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, alignment, as_dims, dims_text, shape_of
from opt_model.errors import ModelError

if TYPE_CHECKING:
    import pandas as pd


class LabeledArray:
    """A numpy array whose axes are :class:`Dim` objects.

    Example
    -------
    >>> host = Dim("host", ["h1", "h2"])
    >>> cap = data({"h1": 64, "h2": 128}, dims=host, name="capacity")
    >>> (cap * 2).to_pandas().to_dict()
    {'h1': 128.0, 'h2': 256.0}
    """

    __array_ufunc__ = None  # numpy defers to our operators instead of broadcasting

    def __init__(self, values: Any, dims: Sequence[Dim] = (), name: str = "") -> None:
        self.dims = as_dims(dims)
        array = np.asarray(values, dtype=np.float64)
        if array.shape != shape_of(self.dims):
            raise ModelError(f"data {name or ''} has shape {array.shape} but dims {dims_text(self.dims)} "
                             f"need shape {shape_of(self.dims)}".replace("data  ", "data "))
        self.values = array
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def describe(self) -> str:
        return f"data {self.name!r}" if self.name else "data"

    def __repr__(self) -> str:
        return f"LabeledArray({self.name or 'unnamed'}, dims={dims_text(self.dims)}, values={self.values!r})"

    def label_of(self, flat_index: int) -> str:
        """``"[host=h1]"``: the labels of one entry, for error messages."""
        if not self.dims:
            return ""
        position = np.unravel_index(flat_index, self.shape)
        return "[" + ", ".join(f"{d.name}={d.labels[p]}" for d, p in zip(self.dims, position)) + "]"

    def require_finite(self, what: str, allow: str = "") -> None:
        """Raise naming the first entry that is NaN (or infinite unless ``allow`` permits it)."""
        values = self.values
        if allow == "+inf":
            bad = np.isnan(values) | (values == -np.inf)
        elif allow == "-inf":
            bad = np.isnan(values) | (values == np.inf)
        elif allow == "inf":
            bad = np.isnan(values)
        else:
            bad = ~np.isfinite(values)
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            raise ModelError(f"{what} {self.name or ''}{self.label_of(k)} is {values.ravel()[k]}; "
                             "give a finite number".replace("  ", " ").replace(" [", "["))

    def aligned_to(self, dims: Sequence[Dim], what: str) -> np.ndarray:
        """Values with axes in the order of ``dims`` (strict: same dims and labels)."""
        if not self.dims:
            return self.values
        order = alignment(dims, self.dims, what, self.describe())
        return self.values if order is None else np.transpose(self.values, order)

    # arithmetic between data -------------------------------------------------
    def _binary(self, other: Any, op: Any, symbol: str) -> Any:
        if isinstance(other, LabeledArray):
            if not other.dims:
                return LabeledArray(op(self.values, other.values), self.dims)
            if not self.dims:
                return LabeledArray(op(self.values, other.values), other.dims)
            return LabeledArray(op(self.values, other.aligned_to(self.dims, self.describe())), self.dims)
        if isinstance(other, (int, float, np.number)):
            return LabeledArray(op(self.values, float(other)), self.dims, self.name)
        return NotImplemented

    def __add__(self, other: Any) -> Any:
        return self._binary(other, np.add, "+")

    def __radd__(self, other: Any) -> Any:
        return self._binary(other, np.add, "+")

    def __sub__(self, other: Any) -> Any:
        return self._binary(other, np.subtract, "-")

    def __rsub__(self, other: Any) -> Any:
        return self._binary(other, lambda a, b: b - a, "-")

    def __mul__(self, other: Any) -> Any:
        return self._binary(other, np.multiply, "*")

    def __rmul__(self, other: Any) -> Any:
        return self._binary(other, np.multiply, "*")

    def __truediv__(self, other: Any) -> Any:
        return self._binary(other, np.divide, "/")

    def __rtruediv__(self, other: Any) -> Any:
        return self._binary(other, lambda a, b: b / a, "/")

    def __neg__(self) -> LabeledArray:
        return LabeledArray(-self.values, self.dims, self.name)

    # reductions and selection --------------------------------------------------
    def sum(self, dim: str | Sequence[str] | None = None) -> LabeledArray:
        names = dim_names(dim, self.dims)
        axes = tuple(i for i, d in enumerate(self.dims) if d.name in names)
        kept = tuple(d for d in self.dims if d.name not in names)
        return LabeledArray(self.values.sum(axis=axes), kept)

    def sel(self, **labels: Any) -> LabeledArray:
        """Select labels by dimension name: ``cap.sel(host="h1")`` or a list of labels."""
        index, dims = selection(self.dims, labels, self.describe())
        return LabeledArray(self.values[index], dims, self.name)

    def expand(self, *dims: Dim) -> LabeledArray:
        """Repeat the values along new dims (explicit broadcasting), new dims first."""
        new = as_dims(dims)
        shape = shape_of(new) + self.shape
        values = np.broadcast_to(self.values, shape)
        return LabeledArray(values, new + self.dims, self.name)

    def item(self) -> float:
        return float(self.values.reshape(-1)[0]) if self.values.size == 1 else float("nan")

    def to_numpy(self) -> np.ndarray:
        return self.values

    def to_pandas(self) -> pd.Series | float:
        """A Series indexed by labels (MultiIndex for several dims); a float for a scalar."""
        if not self.dims:
            return float(self.values)
        import pandas as pd

        if len(self.dims) == 1:
            return pd.Series(self.values, index=self.dims[0].index, name=self.name or None)
        index = pd.MultiIndex.from_product([d.index for d in self.dims], names=[d.name for d in self.dims])
        return pd.Series(self.values.ravel(), index=index, name=self.name or None)

    def to_dict(self) -> dict[Any, float] | float:
        if not self.dims:
            return float(self.values)
        if len(self.dims) == 1:
            return dict(zip(self.dims[0].labels.tolist(), self.values.astype(float).tolist()))
        keys = itertools.product(*(d.labels.tolist() for d in self.dims))
        return dict(zip(keys, self.values.astype(float).ravel().tolist()))

    def __getitem__(self, key: Any) -> float:
        """The value at labels: ``arr["h1"]`` or ``arr["etl", "h1"]``."""
        labels = key if isinstance(key, tuple) else (key,)
        if len(labels) != len(self.dims):
            raise ModelError(f"{self.describe()} has dims {dims_text(self.dims)}; give one label per dim")
        position = tuple(d.position(label) for d, label in zip(self.dims, labels))
        return float(self.values[position])


def dim_names(dim: str | Sequence[str] | None, dims: Sequence[Dim]) -> set[str]:
    available = {d.name for d in dims}
    if dim is None:
        return available
    names = {dim} if isinstance(dim, str) else set(dim)
    unknown = names - available
    if unknown:
        raise ModelError(f"cannot sum over {sorted(unknown)}: the operand has dims {dims_text(dims)}")
    return names


def selection(dims: Sequence[Dim], labels: Mapping[str, Any], what: str) -> tuple[tuple[Any, ...], tuple[Dim, ...]]:
    """Index tuple and remaining dims for ``sel(dim=label_or_labels, ...)``."""
    names = {d.name for d in dims}
    unknown = set(labels) - names
    if unknown:
        raise ModelError(f"{what} has no dimension {sorted(unknown)[0]!r}; its dims are {dims_text(dims)}")
    index: list[Any] = []
    kept: list[Dim] = []
    for d in dims:
        if d.name not in labels:
            index.append(slice(None))
            kept.append(d)
            continue
        choice = labels[d.name]
        if isinstance(choice, (list, tuple, np.ndarray)) or _is_pandas(choice, "Index"):
            positions = d.positions(list(choice))
            index.append(positions)
            kept.append(Dim(d.name, d.labels[positions]))
        else:
            index.append(d.position(choice))
    # numpy treats several integer arrays jointly; make them select independently
    arrays = [i for i, item in enumerate(index) if isinstance(item, np.ndarray)]
    if len(arrays) > 1:
        mesh = np.ix_(*[index[i] for i in arrays])
        for i, grid in zip(arrays, mesh):
            index[i] = grid
    return tuple(index), tuple(kept)


def data(values: Any, dims: Dim | Sequence[Dim] | None = None, name: str = "") -> LabeledArray:
    """Labelled data from a scalar, list, numpy array, dict or pandas object.

    * scalar: ``data(3.5)``
    * list / array: ``data([64, 128], dims=host)`` (shape must match the dims)
    * dict: ``data({"h1": 64, "h2": 128}, dims=host)``; tuple keys or nested dicts for several dims.
      Every label must be present: a missing or unknown label is an error.
    * pandas Series / DataFrame: dims from the index (and columns), or given and matched by label.

    Example
    -------
    >>> import opt_model as om
    >>> host = om.Dim("host", ["h1", "h2"])
    >>> om.data({"h1": 64, "h2": 128}, dims=host).values.tolist()
    [64.0, 128.0]
    """
    dims_t = as_dims(dims)
    if isinstance(values, LabeledArray):
        if not dims_t:
            return values
        return LabeledArray(values.aligned_to(dims_t, name or "data"), dims_t, name or values.name)
    if _is_pandas(values, "Series", "DataFrame"):
        return _from_pandas(values, dims_t, name)
    if isinstance(values, Mapping):
        return _from_mapping(values, dims_t, name)
    array = np.asarray(values, dtype=np.float64) if not _is_text(values) else None
    if array is None:
        raise ModelError(f"data {name!r} must be numbers, got {values!r}")
    if not dims_t and array.ndim:
        raise ModelError(f"data {name or ''} has shape {array.shape}; give dims=(...) to label its axes"
                         .replace("data  has", "data has"))
    return LabeledArray(array, dims_t, name)


def _is_pandas(value: Any, *kinds: str) -> bool:
    """``isinstance(value, pandas.<kind>)`` without importing pandas (a pandas object implies it is loaded)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, tuple(getattr(pandas, kind) for kind in kinds))


def _is_text(values: Any) -> bool:
    return isinstance(values, (str, bytes))


def _from_mapping(values: Mapping[Any, Any], dims: tuple[Dim, ...], name: str) -> LabeledArray:
    if not dims:
        raise ModelError(f"data {name!r} is a dict; give dims=... so its keys can be matched to labels")
    array = np.full(shape_of(dims), np.nan)
    flat: dict[tuple[Any, ...], Any] = {}
    _flatten(values, (), len(dims), flat, name)
    for key, value in flat.items():
        try:
            position = tuple(d.position(label) for d, label in zip(dims, key))
        except ModelError as error:
            raise ModelError(f"data {name!r}: key {key if len(key) > 1 else key[0]!r}: {error}") from None
        array[position] = float(value)
    missing = np.isnan(array)
    if missing.any():
        k = int(np.flatnonzero(missing.ravel())[0])
        where = LabeledArray(array, dims).label_of(k)[1:-1]
        raise ModelError(f"data {name!r} has no value for [{where}] ({int(missing.sum())} missing); "
                         "give every label a value")
    return LabeledArray(array, dims, name)


def _flatten(values: Any, prefix: tuple[Any, ...], depth: int, out: dict[tuple[Any, ...], Any], name: str) -> None:
    for key, value in values.items():
        if isinstance(value, Mapping):
            _flatten(value, (*prefix, key), depth, out, name)
        else:
            full = (*prefix, *key) if isinstance(key, tuple) else (*prefix, key)
            if len(full) != depth:
                raise ModelError(f"data {name!r}: key {full!r} has {len(full)} labels, the dims need {depth}")
            out[full] = value


def _from_pandas(values: pd.Series | pd.DataFrame, dims: tuple[Dim, ...], name: str) -> LabeledArray:
    import pandas as pd

    if isinstance(values, pd.DataFrame):
        series = values.stack()
        if not dims:
            dims = (Dim(str(values.index.name or "row"), values.index),
                    Dim(str(values.columns.name or "column"), values.columns))
        name = name or ""
    else:
        series = values
        name = name or (str(values.name) if values.name is not None else "")
        if not dims:
            index = values.index
            if isinstance(index, pd.MultiIndex):
                dims = tuple(Dim(str(n or f"dim_{i}"), level.unique()) for i, (n, level) in
                             enumerate(zip(index.names, [index.get_level_values(i) for i in range(index.nlevels)])))
            else:
                dims = (Dim(str(index.name or "index"), index),)
    if len(dims) == 1:
        mapping = {key: value for key, value in series.items()}
    else:
        mapping = {tuple(key): value for key, value in series.items()}  # type: ignore[arg-type]
    return _from_mapping(mapping, dims, name)
