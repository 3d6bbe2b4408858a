"""Variable blocks: a contiguous range of columns with labelled dims and bounds."""

from __future__ import annotations

import weakref
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.dims import Dim, dims_text, shape_of
from opt_model.errors import ModelError
from opt_model.expressions import ExpressionOps, LinearExpression
from opt_model.labeled import LabeledArray, data

if TYPE_CHECKING:
    from opt_model.model import Model


_COLUMN_RANGES: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()
"""The read-only ``arange`` buffers behind :attr:`Variable.indices`, by ``id``."""


def column_range_start(array: np.ndarray) -> int | None:
    """The first column of ``array`` when it is known, without reading it, to hold consecutive columns in C order.

    That is a C-contiguous view of a variable block's indices (their buffer is a read-only
    ``arange``); for anything else (copies, transposed or strided views) this returns None and
    callers compare the values.
    """
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if array.size and _COLUMN_RANGES.get(id(root)) is root and array.flags.c_contiguous:
        return int(array.flat[0])
    return None


class VarKind(str, Enum):
    CONTINUOUS = "continuous"
    INTEGER = "integer"
    BINARY = "binary"


class Variable(ExpressionOps):
    """A block of decision variables over ``dims`` (a scalar when ``dims`` is empty).

    Created by :meth:`Model.add_variables` / :meth:`Model.add_variable`; behaves
    like a :class:`LinearExpression` in arithmetic.
    """

    def __init__(self, model: Model, name: str, dims: tuple[Dim, ...], start: int,
                 lower: np.ndarray, upper: np.ndarray, kind: VarKind) -> None:
        self.model = model
        self.name = name
        self.dims = dims
        self.start = start
        self.lower = lower
        self.upper = upper
        self.kind = kind
        self._indices: np.ndarray | None = None
        self._ones: np.ndarray | None = None
        self.integer_mask: np.ndarray | None = None  # per-entry integrality, when it differs within the block
        self.plain_names = False  # imported columns: each label is the column's full name
        self._zeros: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(np.prod(shape_of(self.dims), dtype=np.int64))

    @property
    def indices(self) -> np.ndarray:
        """Column positions of the block, shaped like its dims (int32)."""
        if self._indices is None:
            columns = np.arange(self.start, self.start + self.size, dtype=np.int32)
            columns.flags.writeable = False
            _COLUMN_RANGES[id(columns)] = columns
            self._indices = columns.reshape(shape_of(self.dims))
        return self._indices

    def describe(self) -> str:
        return f"variable {self.name!r}{dims_text(self.dims) if self.dims else ''}"

    def __repr__(self) -> str:
        return f"<Variable {self.name}{dims_text(self.dims) if self.dims else ''} {self.kind.value} size={self.size}>"

    def to_expr(self) -> LinearExpression:
        indices = self.indices
        if self._ones is None or self._zeros is None:
            # read-only broadcasts of one number (no memory per entry): every expression op makes
            # new arrays rather than writing in place
            self._ones = np.broadcast_to(np.float64(1.0), (*indices.shape, 1))
            self._zeros = np.broadcast_to(np.float64(0.0), indices.shape)
        return LinearExpression(self.model, self.dims, indices[..., None], self._ones, self._zeros,
                                frozenset({self.name}), True)

    def __getitem__(self, labels: Any) -> LinearExpression:
        """One entry by labels: ``x["etl", "h1"]`` (a scalar expression)."""
        keys = labels if isinstance(labels, tuple) else (labels,)
        if len(keys) != len(self.dims):
            raise ModelError(f"{self.describe()} needs {len(self.dims)} labels, got {len(keys)}")
        return self.to_expr().sel(**{d.name: key for d, key in zip(self.dims, keys)})


def bound_array(value: Any, dims: tuple[Dim, ...], what: str, default: float) -> np.ndarray:
    """Bounds as a float array shaped like ``dims`` (scalar, labelled data, dict or array)."""
    if value is None:
        return np.broadcast_to(np.float64(default), shape_of(dims))  # read-only, no memory per entry
    if isinstance(value, (int, float, np.number)):
        number = float(value)
        if np.isnan(number):
            raise ModelError(f"{what} is NaN; give a number, or +-inf for no bound")
        return np.broadcast_to(np.float64(number), shape_of(dims))
    labelled = value if isinstance(value, LabeledArray) else data(value, dims=dims, name=what)
    values = labelled.aligned_to(dims, what) if labelled.dims else np.full(shape_of(dims), float(labelled.values))
    if np.isnan(values).any():
        k = int(np.flatnonzero(np.isnan(values).ravel())[0])
        raise ModelError(f"{what}{LabeledArray(values, dims).label_of(k)} is NaN; give a number, or +-inf for no bound")
    return np.array(values, dtype=np.float64)
