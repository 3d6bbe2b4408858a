"""CSV data for specs, read with one vectorised ``pandas.read_csv`` per file.

A spec names CSV files relative to itself.  Each file is read once per load,
with its label columns as strings, and cached; dims take their labels from a
column, data take values in one of two layouts:

* **long**: one row per entry, a column per dim holding labels, and a value
  column (``cost.csv``: ``task,host,value``);
* **wide**: a column per dim of the rows, then one column per label of the
  ``columns`` dim (``cost.csv``: ``task,h1,h2,h3``).

Labels are placed with ``Index.get_indexer`` and values scattered in one
array operation.  Problems name the CSV file, line and column: a row with the
wrong number of fields, a value that is not a number, a missing value, an
unknown or repeated label.

Example
-------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "cost.csv").write_text("task,h1,h2\\netl,1,2\\ntrain,3,4\\n")
>>> tables = CsvTables(folder, str(folder))
>>> from opt_model.spec.loader import Loc
>>> here = Loc("spec.yaml", 1, 1)
>>> tables.dim_labels("cost.csv", "task", here).tolist()
['etl', 'train']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from opt_model.dims import Dim
from opt_model.errors import SpecError, did_you_mean
from opt_model.spec.loader import Loc

MAX_REPORTED = 5  # problems reported per CSV column
MAX_CSV_BYTES = 1024 * 2 ** 20
"""Largest CSV data file read (1 GiB)."""


class CsvTables:
    """The CSV files of one spec: declared label columns, one read per file, located errors."""

    def __init__(self, base_dir: Path, display_base: str, roots: Sequence[Path] | None = None) -> None:
        self.base_dir = base_dir
        self.display_base = display_base
        self.roots = [Path(root).resolve() for root in (roots or [base_dir])]
        self.label_columns: dict[str, set[str]] = {}
        self.frames: dict[str, pd.DataFrame] = {}

    def locate(self, relpath: str, loc: Loc) -> Path:
        """The file ``relpath`` names, if it is a ``.csv`` file inside an allowed folder (see docs/limits.md).

        Data files stay beside the spec (in its folder or below) unless the caller allowed
        more folders; the error never shows anything of a file that was not read.
        """
        shown = relpath if len(relpath) <= 80 else relpath[:80] + "..."
        if "\x00" in relpath or len(relpath) > 4096 or any(len(part) > 255 for part in Path(relpath).parts):
            raise loc.error(f"CSV file {shown!r} is not a usable file name (too long or with a NUL character)")
        try:
            path = (self.base_dir / relpath).resolve()
        except (OSError, RuntimeError, ValueError) as error:
            raise loc.error(f"CSV file {shown!r} is not a usable file name: {error}") from None
        if not any(path == root or root in path.parents for root in self.roots):
            folders = ", ".join(str(root) for root in self.roots)
            raise loc.error(f"CSV file {shown!r} is outside the spec's folder ({folders}); data files stay beside the "
                            "spec unless you allow another folder: load_spec(..., data_roots=[folder]) or "
                            "'opt-model --allow-data-outside FOLDER ...'")
        if not path.name.lower().endswith(".csv"):
            raise loc.error(f"data file {shown!r} is not a .csv file; data files are CSV files named *.csv")
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError:
            size = None
        if size is None:
            raise loc.error(f"CSV file {shown!r} not found (looked for {self.display(relpath)})")
        if size > MAX_CSV_BYTES:
            raise loc.error(f"CSV file {shown!r} is larger than {MAX_CSV_BYTES // 2 ** 20} MiB (see docs/limits.md)")
        return path

    def declare(self, relpath: str, columns: Iterable[str]) -> None:
        """Columns of ``relpath`` to read as labels (strings), declared before the first read."""
        self.label_columns.setdefault(relpath, set()).update(columns)

    def display(self, relpath: str) -> str:
        return os.path.normpath(os.path.join(self.display_base, relpath))

    def frame(self, relpath: str, loc: Loc) -> pd.DataFrame:
        if relpath in self.frames:
            return self.frames[relpath]
        path = self.locate(relpath, loc)
        labels = self.label_columns.get(relpath, set())
        try:
            frame = pd.read_csv(path, dtype=dict.fromkeys(labels, str))
        except pd.errors.EmptyDataError:
            raise SpecError("the CSV file is empty; it needs a header line", self.display(relpath), 1, 1) from None
        except pd.errors.ParserError as error:
            raise self._parser_error(relpath, str(error)) from None
        except UnicodeDecodeError:
            raise SpecError("the CSV file is not UTF-8 text", self.display(relpath), 1, 1) from None
        except ValueError as error:  # e.g. a dtype conversion of a declared column
            raise SpecError(f"cannot read the CSV file: {error}", self.display(relpath), 1, 1) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        self.frames[relpath] = frame
        return frame

    def _parser_error(self, relpath: str, text: str) -> SpecError:
        import re
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if match:
            expected, line, saw = match.groups()
            return SpecError(f"this row has {saw} fields but the header has {expected}; check for a stray or "
                             "missing comma", self.display(relpath), int(line), 1)
        return SpecError(f"cannot parse the CSV file: {text.strip()}", self.display(relpath), 1, 1)

    # locating rows ------------------------------------------------------------------------
    def line_of(self, relpath: str, row: int) -> int:
        """Physical line (1-based) of data row ``row`` (0-based; blank lines are skipped by pandas)."""
        count = -1
        with open(self.base_dir / relpath, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                if count == row:
                    return number
                count += 1
        return row + 2

    def column_of(self, relpath: str, frame: pd.DataFrame, column: str, line: int) -> int:
        """Character column (1-based) where field ``column`` starts on ``line``."""
        try:
            field = list(frame.columns).index(column)
        except ValueError:
            return 1
        with open(self.base_dir / relpath, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    parts = text.split(",")
                    return 1 + sum(len(p) + 1 for p in parts[:field])
        return 1

    def cell_error(self, relpath: str, frame: pd.DataFrame, row: int, column: str, message: str) -> SpecError:
        line = self.line_of(relpath, row)
        return SpecError(message, self.display(relpath), line, self.column_of(relpath, frame, column, line))

    def require_columns(self, relpath: str, frame: pd.DataFrame, columns: Sequence[str], loc: Loc) -> None:
        errors = []
        for column in columns:
            if column not in frame.columns:
                hint = did_you_mean(column, list(frame.columns), f"; its columns are {', '.join(frame.columns)}")
                errors.append(loc.error(f"CSV file {relpath!r} has no column {column!r}{hint}"))
        if errors:
            raise SpecError.combine(errors)

    # dims ----------------------------------------------------------------------------------
    def dim_labels(self, relpath: str, column: str, loc: Loc) -> np.ndarray:
        """Distinct labels of ``column`` in order of first appearance."""
        frame = self.frame(relpath, loc)
        self.require_columns(relpath, frame, [column], loc)
        series = frame[column]
        missing = series.isna().to_numpy()
        if missing.any():
            raise self.cell_error(relpath, frame, int(np.flatnonzero(missing)[0]), column,
                                  f"missing label in column {column!r}")
        return np.asarray(pd.unique(series.astype(str)), dtype=str)

    def header_labels(self, relpath: str, exclude: Iterable[str], loc: Loc) -> np.ndarray:
        """Labels from a wide table's header: its column names in order, without ``exclude`` (the row columns)."""
        frame = self.frame(relpath, loc)
        skip = set(exclude)
        labels = [str(c) for c in frame.columns if str(c) not in skip]
        if not labels:
            shown = ", ".join(sorted(skip & set(frame.columns)))
            raise loc.error(f"CSV file {relpath!r} has no columns besides {shown}; a dim read from the header "
                            "needs at least one more column")
        return np.asarray(labels, dtype=str)

    # values --------------------------------------------------------------------------------
    def numbers(self, relpath: str, frame: pd.DataFrame, columns: Sequence[str], allow_missing: bool
                ) -> np.ndarray:
        """The columns as a float matrix; non-numbers (and gaps unless allowed) are located errors."""
        if columns and all(frame[c].dtype.kind in "fiu" for c in columns):  # the common case: one copy
            matrix = frame[list(columns)].to_numpy(dtype=np.float64)
            problems = np.isinf(matrix) if allow_missing else ~np.isfinite(matrix)
            if not problems.any():
                return matrix
        errors: list[SpecError] = []
        blocks = []
        for column in columns:
            series = frame[column]
            if series.dtype.kind in "fiu":
                values = series.to_numpy(dtype=np.float64)
            else:
                values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
                bad = np.flatnonzero(np.isnan(values) & series.notna().to_numpy())
                for row in bad[:MAX_REPORTED]:
                    errors.append(self.cell_error(relpath, frame, int(row), column,
                                                  f"{str(series.iloc[row])!r} in column {column!r} is not a number"))
            if not allow_missing:
                gaps = np.flatnonzero(np.isnan(values) & series.isna().to_numpy())
                for row in gaps[:MAX_REPORTED]:
                    errors.append(self.cell_error(relpath, frame, int(row), column,
                                                  f"missing (or NaN) value in column {column!r}; give a number"
                                                  " or set 'default' for the data"))
            infinite = np.flatnonzero(np.isinf(values))
            for row in infinite[:MAX_REPORTED]:
                errors.append(self.cell_error(relpath, frame, int(row), column,
                                              f"value in column {column!r} is infinite; give a finite number"))
            blocks.append(values)
        if errors:
            errors.sort(key=lambda e: (e.line or 0, e.column or 0))
            raise SpecError.combine(errors)
        return np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))

    def positions(self, relpath: str, frame: pd.DataFrame, column: str, dim: Dim) -> np.ndarray:
        """Positions of the labels of ``column`` in ``dim`` (located error for unknown labels)."""
        series = frame[column]
        found = dim.index.get_indexer(pd.Index(series.astype(str)))
        bad = np.flatnonzero(found < 0)
        if bad.size:
            errors = []
            for row in bad[:MAX_REPORTED]:
                label = str(series.iloc[row])
                hint = did_you_mean(label, [str(x) for x in dim.labels[:5000].tolist()])
                errors.append(self.cell_error(relpath, frame, int(row), column,
                                              f"{label!r} is not a label of dimension {dim.name!r}{hint}"))
            raise SpecError.combine(errors)
        return np.asarray(found, dtype=np.intp)

    def long_data(self, relpath: str, dims: Sequence[Dim], index: Sequence[str], value: str | None,
                  default: float | None, loc: Loc, name: str) -> np.ndarray:
        """Values over ``dims`` from a long table (one row per entry)."""
        frame = self.frame(relpath, loc)
        self.require_columns(relpath, frame, index, loc)
        others = [c for c in frame.columns if c not in index]
        if value is None:
            if "value" in others:
                value = "value"
            elif len(others) == 1:
                value = others[0]
            else:
                raise loc.error(f"CSV file {relpath!r} has value columns {others}; choose one with 'column:' "
                                f"(or give 'columns: <dim>' for a wide table)")
        self.require_columns(relpath, frame, [value], loc)
        values = self.numbers(relpath, frame, [value], default is not None)[:, 0]
        shape = tuple(len(d) for d in dims)
        if not dims:
            if len(values) != 1:
                raise loc.error(f"data {name!r} has no dims but CSV file {relpath!r} has {len(values)} rows")
            return values.reshape(())
        positions = [self.positions(relpath, frame, column, dim) for column, dim in zip(index, dims)]
        flat = np.ravel_multi_index(positions, shape) if len(dims) > 1 else positions[0]
        return self._scatter(relpath, frame, index[0], flat, values, shape, default, dims, loc, name)

    def wide_data(self, relpath: str, row_dims: Sequence[Dim], index: Sequence[str], column_dim: Dim,
                  default: float | None, loc: Loc, name: str) -> np.ndarray:
        """Values over ``(*row_dims, column_dim)`` from a wide table (labels of ``column_dim`` in the header)."""
        frame = self.frame(relpath, loc)
        self.require_columns(relpath, frame, index, loc)
        header = [c for c in frame.columns if c not in index]
        found = column_dim.index.get_indexer(pd.Index(header))
        unknown = [c for c, k in zip(header, found) if k < 0]
        if unknown:
            labels = [str(x) for x in column_dim.labels[:5000].tolist()]
            errors = []
            for column in unknown[:MAX_REPORTED]:
                hint = did_you_mean(column, labels)
                errors.append(SpecError(f"column {column!r} is not a label of dimension {column_dim.name!r}{hint}",
                                        self.display(relpath), 1, self.column_of(relpath, frame, column, 1)))
            raise SpecError.combine(errors)
        matrix = self.numbers(relpath, frame, header, default is not None)
        width = len(column_dim)
        if len(header) == width and (found == np.arange(width)).all():
            ordered = matrix
        else:
            ordered = np.full((len(frame), width), np.nan if default is None else default)
            ordered[:, found] = matrix
            if default is None and len(set(found.tolist())) < width:
                missing = sorted(set(range(width)) - set(found.tolist()))
                raise loc.error(f"data {name!r}: CSV file {relpath!r} has no column for label "
                                f"{column_dim.labels[missing[0]]!r} of dimension {column_dim.name!r} "
                                f"({len(missing)} missing); add the column or set 'default'")
        shape = tuple(len(d) for d in row_dims)
        positions = [self.positions(relpath, frame, column, dim) for column, dim in zip(index, row_dims)]
        if not row_dims:
            if len(frame) != 1:
                raise loc.error(f"data {name!r}: a wide CSV without row dims must have one row")
            return ordered[0]
        flat = np.ravel_multi_index(positions, shape) if len(row_dims) > 1 else positions[0]
        count = int(np.prod(shape))
        if len(flat) == count and (flat == np.arange(count)).all():
            return ordered.reshape((*shape, width))
        rows = self._scatter(relpath, frame, index[0], flat, np.arange(len(flat), dtype=np.float64), shape, -1.0,
                             row_dims, loc, name, what="row")
        result = np.full((count, width), np.nan if default is None else default)
        present = rows.reshape(-1) >= 0
        result[present] = ordered[rows.reshape(-1)[present].astype(np.intp)]
        if default is None and not present.all():
            k = int(np.flatnonzero(~present)[0])
            where = np.unravel_index(k, shape)
            shown = ", ".join(f"{d.name}={d.labels[p]}" for d, p in zip(row_dims, where))
            raise loc.error(f"data {name!r}: CSV file {relpath!r} has no row for [{shown}] "
                            f"({int((~present).sum())} missing); add the rows or set 'default'")
        return result.reshape((*shape, width))

    def _scatter(self, relpath: str, frame: pd.DataFrame, first_column: str, flat: np.ndarray, values: np.ndarray,
                 shape: tuple[int, ...], default: float | None, dims: Sequence[Dim], loc: Loc, name: str,
                 what: str = "value") -> np.ndarray:
        count = int(np.prod(shape))
        seen = np.zeros(count, dtype=bool)
        order = np.argsort(flat, kind="stable")
        ordered = flat[order]
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
        if repeated.size:
            errors = []
            for k in repeated[:MAX_REPORTED]:
                row = int(order[k + 1])
                first = self.line_of(relpath, int(order[k]))
                errors.append(self.cell_error(relpath, frame, row, first_column,
                                              f"labels repeat a row given at line {first}; each entry may "
                                              "appear once"))
            raise SpecError.combine(errors)
        result = np.full(count, np.nan if default is None else default)
        result[flat] = values
        seen[flat] = True
        if default is None and not seen.all():
            k = int(np.flatnonzero(~seen)[0])
            where = np.unravel_index(k, shape)
            labels = ", ".join(f"{d.name}={d.labels[p]}" for d, p in zip(dims, where))
            raise loc.error(f"data {name!r}: CSV file {relpath!r} has no {what} for [{labels}] "
                            f"({int((~seen).sum())} missing); add the rows or set 'default'")
        return result.reshape(shape)
