"""Columns of equal length as numpy arrays: the sensitivity report's tables without pandas.

``opt-model sensitivity`` prints and writes its report from these columns, so that the
command never imports pandas (about a third of a second of start-up).  Python users still
get DataFrames: :meth:`Table.to_frame` builds the same frame the report always had, once,
when a DataFrame attribute is first read.  :func:`text_table` prints a table exactly as
``DataFrame.to_string(index=False, formatters=..., na_rep="-")`` did (a test compares them);
for what it does not know it asks pandas itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class Table:
    """Named columns of one length (numpy arrays or lists), in a fixed order.

    ``Table(None, columns)`` is an empty table whose DataFrame has those columns and no dtype
    (``pd.DataFrame(columns=columns)``), as the report made when a model had no rows of a kind.
    """

    __slots__ = ("columns", "data", "length")

    def __init__(self, data: Mapping[str, Any] | None, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.data = None if data is None else {name: data[name] for name in self.columns}
        self.length = 0 if self.data is None or not self.columns else len(self.data[self.columns[0]])

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, name: str) -> np.ndarray:
        """One column as a numpy array (lists of strings become object arrays, as in pandas)."""
        if self.data is None:
            return np.zeros(0, dtype=object)
        values = self.data[name]
        if isinstance(values, np.ndarray):
            return values
        array = np.empty(len(values), dtype=object)
        array[:] = list(values)
        return array

    def take(self, rows: np.ndarray | slice) -> Table:
        """The rows ``rows`` (positions, a mask or a slice) of every column."""
        if self.data is None:
            return self
        return Table({name: self[name][rows] for name in self.columns}, self.columns)

    def head(self, count: int) -> Table:
        return self.take(slice(0, max(count, 0)))

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows as tuples of Python values (``tolist``: floats, bools, ints, strings)."""
        if self.data is None:
            return []
        return list(zip(*(self[name].tolist() for name in self.columns), strict=True))

    def to_frame(self) -> pd.DataFrame:
        """The DataFrame of these columns (imports pandas)."""
        import pandas as pd

        if self.data is None:
            return pd.DataFrame(columns=self.columns)
        return pd.DataFrame(self.data, columns=self.columns)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Table:
        """The columns of a DataFrame (as the report's users may have changed it)."""
        columns = [str(name) for name in frame.columns]
        if not len(frame.columns):
            return cls({}, [])
        return cls({str(name): frame[name].to_numpy() for name in frame.columns}, columns)


class _NotPlainError(Exception):
    """A value :func:`text_table` does not render like pandas by itself."""


def _object_cell(value: Any, cell: Callable[[Any], str]) -> str:
    """One cell of an object column: strings, bools and integers go through ``cell`` as in pandas."""
    if isinstance(value, (str, bool, np.bool_, int, np.integer)):
        return str(cell(value))
    raise _NotPlainError  # None, NaN, a float: pandas' own rules (na_rep, its float format, its str dtype)


def _column_cells(values: Any, cell: Callable[[Any], str]) -> list[str]:
    array = values if isinstance(values, np.ndarray) else None
    if array is None:
        return [_object_cell(value, cell) for value in values]
    kind = array.dtype.kind
    if kind in "fbiu":  # pandas applies the formatter to every value, NaN included
        return [cell(value) for value in array]
    if kind in "OUS":  # (numpy strings become object columns in a DataFrame)
        return [_object_cell(value, cell) for value in array.tolist()]
    raise _NotPlainError


def text_table(columns: Sequence[tuple[str, Any]], cell: Callable[[Any], str]) -> str:
    """``pd.DataFrame(dict(columns)).to_string(index=False, formatters=cell for all, na_rep="-")``.

    Each column is right-aligned to its widest cell or header; columns are separated by one
    space.  Empty tables and cells pandas formats its own way are handed to pandas.
    """
    try:
        if not columns or not len(columns[0][1]):
            raise _NotPlainError
        blocks = []
        for header, values in columns:
            cells = _column_cells(values, cell)
            width = max(len(header), *(len(text) for text in cells))
            blocks.append([header.rjust(width), *(text.rjust(width) for text in cells)])
    except _NotPlainError:
        import pandas as pd

        frame = pd.DataFrame({header: values for header, values in columns})
        return frame.to_string(index=False, formatters={name: cell for name in frame.columns}, na_rep="-")
    return "\n".join(" ".join(line) for line in zip(*blocks, strict=True))
