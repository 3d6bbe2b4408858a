"""The project's one exception hierarchy.

Every error raised on purpose by ``solvers`` or ``opt_model`` derives from
:class:`OptModelError`, and each also derives from the matching builtin so that
ordinary ``except ValueError`` / ``except RuntimeError`` / ``except ImportError``
clauses keep working.  The hierarchy lives in the lower layer (``solvers``) so
that both packages share it; ``opt_model.errors`` re-exports it.

Messages follow one format: what happened, where (variable, constraint, index,
spec file and line), and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable


class OptModelError(Exception):
    """Root of every error that opt-model raises on purpose."""


class ModelError(OptModelError, ValueError):
    """The model is malformed: misaligned dimensions, bad numbers, unknown names."""


class SpecError(OptModelError, ValueError):
    """A YAML spec is invalid; carries the file, line and column of the offending node.

    ``errors`` lists every problem found (``[self]`` for a single one); an error
    made by :meth:`combine` has one line per problem, ``file:line:col: message``.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = message
        self.errors: list[SpecError] = [self]
        where = ""
        if file is not None:
            where = f"{file}:{line if line is not None else '?'}:{column if column is not None else '?'}: "
        super().__init__(where + message)

    @classmethod
    def combine(cls, errors: list[SpecError]) -> SpecError:
        """One error reporting all of ``errors`` (one line each); the location is the first one's."""
        if len(errors) == 1:
            return errors[0]
        first = errors[0]
        files = {error.file for error in errors}
        header = f"{first.file}: {len(errors)} problems" if len(files) == 1 and first.file else \
            f"{len(errors)} problems"
        combined = cls(header + "".join(f"\n{error}" for error in errors))
        combined.file, combined.line, combined.column = first.file, first.line, first.column
        combined.reason = first.reason
        combined.errors = list(errors)
        return combined


class InputFileError(OptModelError, ValueError):
    """A model file (MPS, LP) cannot be read: missing, unreadable or malformed."""


class UnsupportedProblemError(OptModelError, ValueError):
    """A backend was asked to solve a problem class it does not declare."""


class SolverError(OptModelError, RuntimeError):
    """A solver failed in a way that is not a solve status (bad option, crash in the library)."""


class SolverNotAvailableError(OptModelError, ImportError):
    """The requested backend is not installed or not registered."""


class SensitivityError(OptModelError, RuntimeError):
    """Sensitivity information was asked for where it does not exist (no basis, a MILP)."""


__all__ = [
    "OptModelError",
    "ModelError",
    "SpecError",
    "InputFileError",
    "UnsupportedProblemError",
    "SolverError",
    "SolverNotAvailableError",
    "SensitivityError",
]


def did_you_mean(name: object, candidates: Iterable[object], otherwise: str = "") -> str:
    """``"; did you mean 'x'?"`` for the candidate closest to ``name`` (difflib, cutoff 0.6), else ``otherwise``.

    The one suggestion helper for every "unknown name" message.

    Example
    -------
    >>> did_you_mean("memroy", ["memory", "cpu"])
    "; did you mean 'memory'?"
    >>> did_you_mean("zzz", ["memory"], otherwise="; known: memory")
    '; known: memory'
    """
    import difflib

    close = difflib.get_close_matches(str(name), [str(candidate) for candidate in candidates], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else otherwise
