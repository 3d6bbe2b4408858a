"""The error hierarchy (defined in ``solvers.errors`` so both layers share it)."""

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

__all__ = [
    "InputFileError",
    "ModelError",
    "OptModelError",
    "SensitivityError",
    "SolverError",
    "SolverNotAvailableError",
    "SpecError",
    "UnsupportedProblemError",
]
