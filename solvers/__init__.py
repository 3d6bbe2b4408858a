"""Solver layer of opt-model: standard form in, arrays out.

This package knows nothing about ``opt_model``: it takes a :class:`StandardForm`
(plain numpy / scipy arrays), hands it to a backend (HiGHS, CVXPY, Pyomo), and
returns a :class:`BackendResult`.  It can solve an MPS file on its own::

    >>> from solvers import read_file, solve
    >>> solve(read_file("problems/mps/wyndor.mps")).objective
    36.0
"""

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and its module: imported on first use (PEP 562), so that importing
# ``solvers.errors`` or ``solvers.status`` does not pull in numpy, scipy or a solver.
_LAZY: dict[str, str] = {
    "AUTO_ORDER": "solvers.backend", "Backend": "solvers.backend", "SolveOptions": "solvers.backend",
    "available_backends": "solvers.backend", "backend_class": "solvers.backend", "backend_names": "solvers.backend",
    "capable_backends": "solvers.backend", "choose_backend": "solvers.backend", "get_backend": "solvers.backend",
    "open_session": "solvers.backend", "register": "solvers.backend", "session_backend": "solvers.backend",
    "unregister": "solvers.backend",
    "solve": "solvers.backend",
    "capability_table": "solvers.capabilities",
    "InputFileError": "solvers.errors", "ModelError": "solvers.errors", "OptModelError": "solvers.errors",
    "SensitivityError": "solvers.errors", "SolverError": "solvers.errors",
    "SolverNotAvailableError": "solvers.errors", "SpecError": "solvers.errors",
    "UnsupportedProblemError": "solvers.errors",
    "is_model_file": "solvers.files", "read_file": "solvers.files", "write_file": "solvers.files",
    "solve_file": "solvers.files", "FileSummary": "solvers.files",
    "Residuals": "solvers.kkt", "ResidualTolerances": "solvers.kkt", "check_optimality": "solvers.kkt",
    "NameBlock": "solvers.names", "NameMap": "solvers.names",
    "BackendResult": "solvers.result",
    "Basis": "solvers.session", "Iis": "solvers.session", "Ranging": "solvers.session",
    "RangingRecord": "solvers.session", "Relaxation": "solvers.session", "Session": "solvers.session",
    "SessionStats": "solvers.session",
    "ConeBlock": "solvers.standard_form", "Integrality": "solvers.standard_form",
    "ProblemClass": "solvers.standard_form", "Sense": "solvers.standard_form",
    "StandardForm": "solvers.standard_form",
    "SolveStatus": "solvers.status",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'solvers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


if TYPE_CHECKING:
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
        open_session,
        register,
        session_backend,
        solve,
        unregister,
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
    from solvers.files import FileSummary, is_model_file, read_file, solve_file, write_file
    from solvers.kkt import Residuals, ResidualTolerances, check_optimality
    from solvers.names import NameBlock, NameMap
    from solvers.result import BackendResult
    from solvers.session import Basis, Iis, Ranging, RangingRecord, Relaxation, Session, SessionStats
    from solvers.standard_form import ConeBlock, Integrality, ProblemClass, Sense, StandardForm
    from solvers.status import SolveStatus

__all__ = [
    "AUTO_ORDER", "Backend", "BackendResult", "Basis", "ConeBlock", "Iis", "Ranging", "RangingRecord", "Relaxation",
    "ResidualTolerances", "Residuals", "Session", "SessionStats", "check_optimality", "open_session",
    "session_backend", "InputFileError", "Integrality",
    "ModelError", "NameBlock", "NameMap", "OptModelError", "ProblemClass", "Sense", "SensitivityError",
    "SolveOptions", "SolveStatus", "SolverError", "SolverNotAvailableError", "SpecError", "StandardForm",
    "UnsupportedProblemError", "available_backends", "backend_class", "backend_names", "capable_backends",
    "capability_table", "choose_backend", "get_backend", "is_model_file", "read_file", "register", "solve",
    "unregister",
    "solve_file", "FileSummary",
    "write_file",
]
