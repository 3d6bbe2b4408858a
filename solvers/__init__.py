"""Solver layer of opt-model: standard form in, arrays out.

This package knows nothing about ``opt_model``: it takes a :class:`StandardForm`
(plain numpy / scipy arrays), hands it to a backend (HiGHS, CVXPY, Pyomo), and
returns a :class:`BackendResult`.  It can solve an MPS file on its own::

    >>> from solvers import read_file, solve
    >>> solve(read_file("problems/mps/wyndor.mps")).objective
    36.0
"""

from solvers.backend import (
    AUTO_ORDER,
    Backend,
    SolveOptions,
    available_backends,
    backend_class,
    backend_names,
    capable_backends,
    choose_backend,
    get_backend,
    register,
    solve,
)
from solvers.capabilities import capability_table
from solvers.errors import (
    InputFileError,
    ModelError,
    OptModelError,
    SensitivityError,
    SolverError,
    SolverNotAvailableError,
    SpecError,
    UnsupportedProblemError,
)
from solvers.files import is_model_file, read_file, write_file
from solvers.names import NameBlock, NameMap
from solvers.result import BackendResult
from solvers.standard_form import ConeBlock, Integrality, ProblemClass, Sense, StandardForm
from solvers.status import SolveStatus

__all__ = [
    "AUTO_ORDER", "Backend", "BackendResult", "ConeBlock", "InputFileError", "Integrality",
    "ModelError", "NameBlock", "NameMap", "OptModelError", "ProblemClass", "Sense", "SensitivityError",
    "SolveOptions", "SolveStatus", "SolverError", "SolverNotAvailableError", "SpecError", "StandardForm",
    "UnsupportedProblemError", "available_backends", "backend_class", "backend_names", "capable_backends",
    "capability_table", "choose_backend", "get_backend", "is_model_file", "read_file", "register", "solve",
    "write_file",
]
