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
    did_you_mean,
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
    "did_you_mean",
]
