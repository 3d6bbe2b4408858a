"""Reading and writing model files (MPS, LP), independent of any modeling layer."""

from __future__ import annotations

from pathlib import Path

from solvers.standard_form import StandardForm

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


def write_file(form: StandardForm, path: str | Path) -> None:
    """Write a :class:`StandardForm` as MPS or LP, chosen by the file's extension."""
    from solvers.highs.files import write_model

    write_model(form, path)
