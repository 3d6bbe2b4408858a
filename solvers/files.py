"""Reading and writing model files (MPS, LP), independent of any modeling layer.

HiGHS's readers are lenient: a coefficient ``abc`` is read as 0, a ``RANGES``
entry for an unknown row turns another row into an equality, semi-continuous
columns come back as plain integers.  So :func:`read_file` first checks an MPS
file strictly (:func:`check_mps`) and refuses, with ``file:line``, malformed
numbers (also NaN and infinity: ``1e30`` is the MPS spelling of infinity and
keeps working), unknown sections and bound types, duplicate names and
entries, references to undeclared rows or columns, a missing objective row
and what the standard form cannot hold (semi-continuous or semi-integer
columns, SOS, indicator, cone and quadratic-constraint sections).  Free and
fixed MPS, ``OBJSENSE``, ``RANGES``, every bound type (``UP LO FX FR MI PL BV
LI UI``) and ``QUADOBJ``/``QMATRIX``/``QSECTION`` are accepted.  LP files are
checked for UTF-8 text and semi-continuous sections.  Files larger than
:data:`MAX_MODEL_FILE_BYTES` are refused before reading.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.errors import InputFileError
from solvers.result import FileSummary
from solvers.standard_form import StandardForm

if TYPE_CHECKING:
    from solvers.options import SolveOptions
    from solvers.result import BackendResult

MAX_MODEL_FILE_BYTES = 2 * 2 ** 30
"""Largest MPS/LP file read (2 GiB, uncompressed)."""

MODEL_FILE_SUFFIXES = (".mps", ".lp", ".mps.gz", ".lp.gz", ".free-mps", ".qps")


def is_model_file(path: str | Path) -> bool:
    name = str(path).lower()
    return any(name.endswith(suffix) for suffix in MODEL_FILE_SUFFIXES)


def read_file(path: str | Path) -> StandardForm:
    """Read an MPS or LP file into a :class:`StandardForm` (through HiGHS's reader).

    Example
    -------
    >>> from solvers import read_file, solve
    >>> form = read_file("problems/mps/wyndor.mps")
    >>> solve(form).objective
    36.0
    """
    from solvers.highs.files import read_model

    check_model_file(path)
    return read_model(path)


def solve_file(path: str | Path, solver: str = "auto",
               options: Mapping[str, Any] | SolveOptions | None = None) -> tuple[BackendResult, FileSummary]:
    """Read and solve an MPS or LP file: the result and a summary of the model.

    With ``solver`` ``"auto"`` or ``"highs[:variant]"`` HiGHS solves the file in the instance
    that read it (no standard form is built); any other backend gets :func:`read_file`'s form.

    Example
    -------
    >>> from solvers import solve_file
    >>> result, summary = solve_file("problems/mps/wyndor.mps")
    >>> result.objective, summary.name, summary.num_cols
    (36.0, 'wyndor', 2)
    """
    from solvers.backend import get_backend
    from solvers.options import SolveOptions

    opts = options if isinstance(options, SolveOptions) else SolveOptions.from_mapping(options)
    backend = get_backend("highs" if solver in ("auto", None) else solver)
    if backend.name == "highs" and backend.is_available():
        from solvers.highs.files import solve_model_file

        check_model_file(path)
        return solve_model_file(path, opts, backend.variant, backend.full_name)
    from solvers.backend import solve

    form = read_file(path)
    result = solve(form, solver, opts)
    return result, FileSummary(form.name, form.num_rows, form.num_cols, form.num_nonzeros, form.is_mip,
                               form.column_names().names())


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?")
_HEADER = re.compile(r"^[^\s*].*$", re.MULTILINE)
def _keys(names: np.ndarray) -> np.ndarray:
    """Names of at most 8 bytes as one big-endian integer each (same order, same equality), else as they are."""
    if names.dtype.itemsize > 8:
        return names
    return np.frombuffer(names.astype("S8").tobytes(), dtype=">u8")


_BLANK = np.zeros(256, dtype=bool)
_BLANK[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what str.split() splits at, in ASCII
_NUMBER_BYTE = np.zeros(256, dtype=bool)
_NUMBER_BYTE[list(b"0123456789.+-eE")] = True
_NUMBER_BYTE[0] = True  # the padding of short tokens
_ODD_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INFINITY = 1e20
"""Numbers from this magnitude are infinite to HiGHS in RHS, RANGES and BOUNDS (MPS files write 1e30)."""
MAX_COEFFICIENT = 1e15
"""Smallest magnitude refused as a coefficient in COLUMNS (HiGHS refuses matrix entries from 1e15 and reads a
cost from 1e20 as infinite); ``1e30`` as infinity belongs in RHS, RANGES and BOUNDS."""
_SECTIONS = {"NAME", "OBJSENSE", "OBJSENCE", "ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "QUADOBJ", "QMATRIX",
             "QSECTION", "ENDATA"}
_UNSUPPORTED = {"SOS": "SOS constraints", "INDICATORS": "indicator constraints", "CSECTION": "cone constraints",
                "QCMATRIX": "quadratic constraints", "GENCONS": "general constraints", "PWLOBJ": "piecewise objectives",
                "PWLNAM": "piecewise objectives", "PWLCON": "piecewise constraints", "SETS": "SOS sets",
                "LAZYCONS": "lazy constraints", "USERCUTS": "user cuts", "DELAYEDROWS": "lazy constraints",
                "MODELCUTS": "user cuts", "OBJNAME": "named objectives", "OBJSENSES": "several objectives",
                "OBJECTIVES": "several objectives"}
_VALUE_BOUNDS = {"UP", "LO", "FX", "LI", "UI"}
_FREE_BOUNDS = {"FR", "MI", "PL", "BV"}
_SIDES = {"UP": ("upper",), "UI": ("upper",), "PL": ("upper",), "LO": ("lower",), "LI": ("lower",),
          "MI": ("lower",), "FX": ("lower", "upper"), "FR": ("lower", "upper"), "BV": ("lower", "upper")}
_SEMI_BOUNDS = {"SC": "semi-continuous", "SI": "semi-integer"}


def _read_at_most(handle: Any, limit: int, chunk: int = 1 << 20) -> bytes:
    """Up to ``limit`` bytes, read in chunks: ``read(limit)`` would reserve the whole buffer up front."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        part = handle.read(min(chunk, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def check_model_file(path: str | Path) -> None:
    r"""Refuse a malformed or unsupported MPS/LP file with ``file:line`` (see the module docstring).

    Raises :class:`~solvers.errors.InputFileError`; a missing file is left to the reader.

    Example
    -------
    >>> import pathlib, tempfile
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "bad.mps"
    >>> _ = bad.write_text("ROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c1 abc\nRHS\n rhs c1 4\nENDATA\n")
    >>> try:
    ...     check_model_file(bad)
    ... except InputFileError as error:
    ...     print(str(error).rsplit("bad.mps:", 1)[1])
    5: 'abc' is not a number (the value of row 'c1' in column 'x')
    """
    file = Path(path)
    if not file.is_file():
        return
    name = file.name.lower()
    try:
        if file.stat().st_size > MAX_MODEL_FILE_BYTES:
            raise InputFileError(f"{file}: the file is larger than {MAX_MODEL_FILE_BYTES // 2 ** 30} GiB")
        opener = gzip.open if name.endswith(".gz") else open
        with opener(file, "rb") as handle:
            raw = _read_at_most(handle, MAX_MODEL_FILE_BYTES + 1)
    except (OSError, EOFError) as error:
        raise InputFileError(f"{file}: cannot read it: {error}") from None
    if len(raw) > MAX_MODEL_FILE_BYTES:
        raise InputFileError(f"{file}: the file is larger than {MAX_MODEL_FILE_BYTES // 2 ** 30} GiB uncompressed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise InputFileError(f"{file}:{line}: the file is not UTF-8 text (byte 0x{raw[error.start]:02x}); names "
                             "must be plain text") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InputFileError(f"{file}:{line}: the file contains a NUL byte; it is not a text model file")
    stem = name.removesuffix(".gz")
    if stem.endswith(".lp"):
        _check_lp(text, str(file))
    else:
        _MpsChecker(str(file)).check(text)


_LP_SECTIONS = {"end", "bin", "binary", "binaries", "gen", "general", "generals", "bounds", "bound", "semi",
                "semis", "semi-continuous", "sos", "subject to", "such that", "st", "s.t.", "st.", "maximize",
                "minimize", "maximise", "minimise", "max", "min", "maximum", "minimum", "free"}


def _check_lp(text: str, file: str) -> None:
    lines = [line.strip().lower() for line in text.splitlines()]
    for number, word in enumerate(lines, 1):
        kind = "semi-continuous variables" if word.rstrip(":") in ("semi-continuous", "semis", "semi") else \
            "SOS constraints" if word.rstrip(":") in ("sos", "sos1", "sos2") else None
        if kind is None:
            continue
        following = next((line for line in lines[number:] if line and not line.startswith("\\")), "end")
        if following.rstrip(":") not in _LP_SECTIONS:  # an empty section (HiGHS writes one) is harmless
            raise InputFileError(f"{file}:{number}: {kind} are not supported: the standard form has no such "
                                 "columns or rows, and reading them as plain ones would change the optimum")


class _MpsChecker:
    """One pass over an MPS file's lines, remembering the names it has seen."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.section = ""
        self.rows: dict[str, str] = {}
        self.columns: set[str] = set()
        self.current_column = ""
        self.entries: set[tuple[str, str]] = set()
        self.rhs: set[tuple[str, str]] = set()
        self.ranges: set[tuple[str, str]] = set()
        self.bounds: dict[tuple[str, str], int] = {}
        self.line = 0
        self.sense_pending = False
        self.bulk_entries: tuple[Any, Any] | None = None

    def error(self, message: str) -> InputFileError:
        return InputFileError(f"{self.file}:{self.line}: {message}")

    def number(self, text: str, what: str) -> float:
        if not _NUMBER.fullmatch(text):
            raise self.error(f"{text!r} is not a number ({what})")
        value = float(text.replace("d", "e").replace("D", "e"))
        if not math.isfinite(value):
            raise self.error(f"{text!r} is too large for a number ({what}); write 1e30 for infinity")
        return value

    def check(self, text: str) -> None:
        """Check every line.  Section headers are found with one regular expression; a COLUMNS section (most
        of a file) is checked with whole-array operations (:meth:`bulk_columns`), every other section, and a
        COLUMNS section the bulk check does not accept as it is, line by line (which locates the problem)."""
        if any(mark in text for mark in _ODD_BREAKS):  # line breaks other than \n: number lines as str.splitlines does
            text = "\n".join(text.splitlines())
        ended = False
        position, line = 0, 1
        for match in _HEADER.finditer(text):
            line += text.count("\n", position, match.start())
            self.block(text[position:match.start()], line - text.count("\n", position, match.start()))
            self.line, position = line, match.end()
            ended = self.header(match.group())
            if ended:
                break
        if not ended:
            self.block(text[position:], line)
            self.line = max(text.count("\n") + (not text.endswith("\n")), 1)  # the last line
            raise self.error("the file ends without ENDATA (is it cut short?)")
        if not any(kind == "N" for kind in self.rows.values()):
            raise self.error("the ROWS section has no objective row (type N); add one, like ' N  obj'")

    def block(self, data: str, first_line: int) -> None:
        """The data lines between two headers; ``first_line`` is the line ``data`` starts on."""
        if not data.strip() or (self.section == "COLUMNS" and self.bulk_columns(data)):
            return
        for offset, line in enumerate(data.split("\n")):
            if line and line[0] != "*" and not line.isspace():
                self.line = first_line + offset
                self.data(line)

    def bulk_columns(self, data: str) -> bool:
        """Check a COLUMNS section with whole-array operations; True when it is fine (and recorded), False
        to check it line by line (a problem to locate, or something rare: markers, comments, non-ASCII
        bytes, long names, a second COLUMNS section, 'd' exponents)."""
        if not data.isascii() or self.columns or self.entries or "MARKER" in data.upper() or "\n*" in data:
            return False
        b = np.frombuffer(data.encode("ascii"), dtype=np.uint8)
        blank = _BLANK[b]
        before = np.empty_like(blank)
        before[0], before[1:] = True, blank[:-1]
        after = np.empty_like(blank)
        after[-1], after[:-1] = True, blank[1:]
        starts = np.flatnonzero(~blank & before)
        if not starts.size:
            return True
        lengths = np.flatnonzero(~blank & after) + 1 - starts
        width = int(lengths.max())
        if width > 64:
            return False
        token_line = np.searchsorted(np.flatnonzero(b == 10), starts)  # the line (within data) of each token
        first = np.flatnonzero(np.r_[True, token_line[1:] != token_line[:-1]])
        counts = np.diff(np.r_[first, starts.size])
        if not ((counts == 3) | (counts == 5)).all():
            return False
        field = np.arange(starts.size) - np.repeat(first, counts)
        spread = np.arange(width)
        chars = b[np.minimum(starts[:, None] + spread, b.size - 1)]
        chars[spread >= lengths[:, None]] = 0
        tokens = np.ascontiguousarray(chars).view(f"S{width}").ravel()
        keyed = _keys(tokens)  # names as 8-byte integers when they fit (exact, and much faster to sort)
        is_value = (field == 2) | (field == 4)
        if not _NUMBER_BYTE[chars[is_value]].all():
            return False  # a character no number has (also 'd' exponents: line by line)
        columns = keyed[field == 0]
        change = np.r_[True, columns[1:] != columns[:-1]]
        groups = columns[change]
        ordered = np.sort(groups)
        if (ordered[1:] == ordered[:-1]).any():
            return False  # a column's entries are not together
        line_column = np.cumsum(change) - 1
        entry_columns = np.concatenate([line_column, line_column[counts == 5]])
        entry_rows = np.concatenate([keyed[field == 1], keyed[field == 3]])
        row_names = [name.encode("utf-8") for name in self.rows]
        if keyed.dtype == tokens.dtype:  # long names: compared as bytes
            known = np.sort(np.array(row_names, dtype=bytes))
        else:  # a row name longer than 8 bytes cannot be any of these tokens
            known = np.sort(_keys(np.array([name for name in row_names if len(name) <= 8] or [b""], dtype="S8")))
        if not known.size:
            return False
        row_ids = np.minimum(np.searchsorted(known, entry_rows), known.size - 1)
        if not (known[row_ids] == entry_rows).all():
            return False  # a row ROWS does not declare
        keys = np.sort(entry_columns.astype(np.int64) * known.size + row_ids)
        if (keys[1:] == keys[:-1]).any():
            return False  # an entry given twice
        try:
            numbers = np.concatenate([tokens[field == 2], tokens[field == 4]]).astype(np.float64)
        except ValueError:
            return False  # a malformed number
        if not (np.abs(numbers) < MAX_COEFFICIENT).all():
            return False
        names = tokens[field == 0][change]
        entry_columns = names[entry_columns]
        entry_rows = np.concatenate([tokens[field == 1], tokens[field == 3]])
        self.columns.update(name.decode("ascii") for name in names.tolist())
        self.current_column = names[-1].decode("ascii")
        self.bulk_entries = (entry_columns, entry_rows)
        return True

    def header(self, line: str) -> bool:
        words = line.split()
        keyword = words[0].upper()
        if keyword in _UNSUPPORTED:
            raise self.error(f"section {keyword} ({_UNSUPPORTED[keyword]}) is not supported: the standard form "
                             "cannot hold it")
        if keyword not in _SECTIONS:
            raise self.error(f"unknown section {words[0]!r}; MPS sections are NAME, OBJSENSE, ROWS, COLUMNS, RHS, "
                             "RANGES, BOUNDS, QUADOBJ/QMATRIX/QSECTION and ENDATA")
        self.section = keyword
        self.sense_pending = False
        if keyword in ("OBJSENSE", "OBJSENCE"):
            if len(words) > 1:
                self.sense(words[1])
            else:
                self.sense_pending = True
        elif keyword == "QSECTION" and len(words) > 1 and words[1] not in self.rows:
            raise self.error(f"QSECTION names row {words[1]!r}, which ROWS does not declare")
        elif keyword in ("ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS") and len(words) > 1:
            raise self.error(f"unexpected {' '.join(words[1:])!r} after the section name {keyword}")
        return keyword == "ENDATA"

    def sense(self, word: str) -> None:
        if word.upper() not in ("MAX", "MIN", "MAXIMIZE", "MINIMIZE"):
            raise self.error(f"OBJSENSE must be MAX or MIN, got {word!r}")
        self.sense_pending = False

    def data(self, line: str) -> None:
        fields = line.split()
        section = self.section
        if not section or section == "NAME":
            raise self.error(f"data line {line.strip()[:40]!r} outside any section")
        if section in ("OBJSENSE", "OBJSENCE"):
            if not self.sense_pending or len(fields) != 1:
                raise self.error(f"unexpected line {line.strip()[:40]!r} in OBJSENSE; give one word, MAX or MIN")
            self.sense(fields[0])
        elif section == "ROWS":
            self.row(fields)
        elif section == "COLUMNS":
            self.column(fields, line)
        elif section in ("RHS", "RANGES"):
            self.rhs_or_range(fields, section)
        elif section == "BOUNDS":
            self.bound(fields)
        elif section in ("QUADOBJ", "QMATRIX", "QSECTION"):
            if len(fields) != 3:
                raise self.error(f"a {section} line has 3 fields (column, column, value), got {len(fields)}")
            for name in fields[:2]:
                if name not in self.columns:
                    raise self.error(f"{section} names column {name!r}, which COLUMNS does not declare")
            self.number(fields[2], f"the {section} entry of {fields[0]!r} and {fields[1]!r}")

    def row(self, fields: list[str]) -> None:
        if len(fields) != 2:
            raise self.error(f"a ROWS line has 2 fields (type and name), got {len(fields)}")
        kind, name = fields[0].upper(), fields[1]
        if kind not in ("N", "E", "L", "G"):
            raise self.error(f"unknown row type {fields[0]!r} for row {name!r}; use N, E, L or G")
        if name in self.rows:
            raise self.error(f"row {name!r} is declared twice; row names must be unique")
        self.rows[name] = kind

    def column(self, fields: list[str], line: str) -> None:
        if self.bulk_entries is not None:  # a second COLUMNS section: the entries of the first, one by one
            columns, rows = self.bulk_entries
            self.entries.update(zip((c.decode() for c in columns.tolist()), (r.decode() for r in rows.tolist())))
            self.bulk_entries = None
        if len(fields) >= 3 and fields[1].strip("'\"").upper() == "MARKER":
            marker = fields[2].strip("'\"").upper()
            if marker not in ("INTORG", "INTEND"):
                raise self.error(f"unknown MARKER {fields[2]!r}; use 'INTORG' or 'INTEND'")
            return
        if len(fields) not in (3, 5):
            raise self.error(f"a COLUMNS line has 3 or 5 fields (column, row, value[, row, value]), got {len(fields)}")
        name = fields[0]
        if name != self.current_column:
            if name in self.columns:
                raise self.error(f"column {name!r} appears again after other columns; a column's entries must be "
                                 "together (is its name given twice?)")
            self.columns.add(name)
            self.current_column = name
        for row, value in zip(fields[1::2], fields[2::2]):
            if row not in self.rows:
                raise self.error(f"column {name!r} names row {row!r}, which ROWS does not declare")
            if (name, row) in self.entries:
                raise self.error(f"the entry of column {name!r} in row {row!r} is given twice")
            self.entries.add((name, row))
            coefficient = self.number(value, f"the value of row {row!r} in column {name!r}")
            if abs(coefficient) >= MAX_COEFFICIENT:
                raise self.error(f"the value of row {row!r} in column {name!r} is {value}; a coefficient must "
                                 f"be smaller than {MAX_COEFFICIENT:g} in magnitude (HiGHS refuses larger matrix "
                                 "entries and reads a cost from 1e20 as infinite; 1e30 means infinity only in RHS, "
                                 "RANGES and BOUNDS)")

    def rhs_or_range(self, fields: list[str], section: str) -> None:
        if len(fields) not in (2, 3, 4, 5):
            raise self.error(f"a {section} line has 3 or 5 fields (set, row, value[, row, value]), got {len(fields)}")
        set_name, pairs = (fields[0], fields[1:]) if len(fields) % 2 == 1 else ("", fields)
        seen = self.rhs if section == "RHS" else self.ranges
        for row, value in zip(pairs[0::2], pairs[1::2]):
            if row not in self.rows:
                raise self.error(f"{section} names row {row!r}, which ROWS does not declare")
            if section == "RANGES" and self.rows[row] == "N":
                raise self.error(f"RANGES gives a range to the objective row {row!r}")
            if (set_name, row) in seen:
                raise self.error(f"{section} gives row {row!r} a value twice")
            seen.add((set_name, row))
            number = self.number(value, f"the {section} value of row {row!r}")
            kind = self.rows[row]
            if section == "RHS" and ((kind == "L" and number <= -INFINITY) or (kind == "G" and number >= INFINITY)
                                     or (kind == "E" and abs(number) >= INFINITY)):
                raise self.error(f"RHS gives the {kind} row {row!r} the value {value}, an infinity (from 1e20) on the "
                                 "side that leaves no feasible value; give a finite value")

    def bound(self, fields: list[str]) -> None:
        if not fields:
            return
        kind = fields[0].upper()
        if kind in _SEMI_BOUNDS:
            raise self.error(f"bound type {kind} ({_SEMI_BOUNDS[kind]} column) is not supported: the standard form has "
                             "no such columns, and reading it as an integer would change the optimum; model it with a "
                             "binary variable and two constraints")
        if kind not in _VALUE_BOUNDS | _FREE_BOUNDS:
            raise self.error(f"unknown bound type {fields[0]!r}; use UP, LO, FX, FR, MI, PL, BV, LI or UI")
        rest = fields[1:]
        if kind in _VALUE_BOUNDS:
            if len(rest) not in (2, 3):
                raise self.error(f"a {kind} bound needs a column and a value")
            column, value = rest[-2], rest[-1]
        else:
            if len(rest) not in (1, 2, 3):
                raise self.error(f"a {kind} bound names a column")
            if len(rest) == 3 or (len(rest) == 2 and _NUMBER.fullmatch(rest[1]) and rest[1] not in self.columns):
                column, value = rest[-2], rest[-1]
            else:
                column, value = rest[-1], None
        if column not in self.columns:
            raise self.error(f"BOUNDS names column {column!r}, which COLUMNS does not declare")
        if value is not None:
            number = self.number(value, f"the {kind} bound of column {column!r}")
            if (kind in ("UP", "UI") and number <= -INFINITY) or (kind in ("LO", "LI") and number >= INFINITY) or (
                    kind == "FX" and abs(number) >= INFINITY):
                raise self.error(f"the {kind} bound of column {column!r} is {value}, an infinity (from 1e20) that "
                                 "leaves the column no feasible value; give a finite bound")
        for side in _SIDES[kind]:  # readers disagree on a side given twice: HiGHS ignores bounds after FR or MI
            key = (column, side)
            if key in self.bounds:
                raise self.error(f"the {side} bound of column {column!r} is given again ({kind}; first at line "
                                 f"{self.bounds[key]}); MPS readers differ on which one holds, so give each side once")
            self.bounds[key] = self.line



def write_file(form: StandardForm, path: str | Path) -> None:
    """Write a :class:`StandardForm` as MPS or LP, chosen by the file's extension."""
    from solvers.highs.files import write_model

    write_model(form, path)
