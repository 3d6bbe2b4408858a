"""Reading and writing model files (MPS, LP), independent of any modeling layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solvers.standard_form import StandardForm

if TYPE_CHECKING:
    from solvers.options import SolveOptions
    from solvers.result import BackendResult

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

    return read_model(path)


@dataclass(frozen=True)
class FileSummary:
    """What :func:`solve_file` reports about the model it read."""

    name: str
    num_rows: int
    num_cols: int
    num_nonzeros: int
    is_mip: bool
    column_names: list[str]


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

        return solve_model_file(path, opts, backend.variant, backend.full_name)
    from solvers.backend import solve

    form = read_file(path)
    result = solve(form, solver, opts)
    return result, FileSummary(form.name, form.num_rows, form.num_cols, form.num_nonzeros, form.is_mip,
                               form.column_names().names())


def write_file(form: StandardForm, path: str | Path) -> None:
    """Write a :class:`StandardForm` as MPS or LP, chosen by the file's extension."""
    from solvers.highs.files import write_model

    write_model(form, path)
