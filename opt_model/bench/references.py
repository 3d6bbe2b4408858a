"""Known answers: ``.solu`` files, a spec's ``expected`` block, and the correctness check.

A ``.solu`` file (the MIPLIB convention) has one line per problem::

    =opt=  afiro  -4.6475314286e+02     optimal objective
    =best= foo    123.0                 best known (not proven): recorded, not checked
    =inf=  bar                          infeasible
    =unbd= baz                          unbounded

:func:`check` turns a run's status and objective into ``wrong`` when they
disagree with the reference, so a solver that returns a bad optimum is never
counted as solved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opt_model.errors import InputFileError

DEFAULT_RTOL = 1e-6

CONCLUSIVE = frozenset({"optimal", "infeasible", "unbounded", "infeasible_or_unbounded"})
"""Statuses that claim an answer (and so can be wrong)."""


@dataclass(frozen=True)
class Reference:
    """A known answer for one problem.

    ``status`` is ``"optimal"`` (with ``objective``), ``"best"`` (a best known
    objective, not checked), ``"infeasible"`` or ``"unbounded"``.
    """

    status: str
    objective: float | None = None
    source: str = ""
    tolerance: float | None = None


def read_solu(path: str | Path) -> dict[str, Reference]:
    """Read a ``.solu`` file into ``{problem name: Reference}``.

    Example
    -------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".solu", delete=False) as f:
    ...     _ = f.write("=opt= afiro -4.6475314286e+02\\n=inf= bad\\n")
    >>> refs = read_solu(f.name); os.unlink(f.name)
    >>> refs["afiro"].objective, refs["bad"].status
    (-464.75314286, 'infeasible')
    """
    file = Path(path)
    if not file.is_file():
        raise InputFileError(f"{file}: no such .solu file; check the path given to --solu")
    references: dict[str, Reference] = {}
    kinds = {"=opt=": "optimal", "=best=": "best", "=inf=": "infeasible", "=unbd=": "unbounded"}
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        kind = kinds.get(parts[0])
        if kind is None or len(parts) < 2:
            continue  # =bestdual= and the like carry no checkable answer
        objective = None
        if kind in ("optimal", "best"):
            if len(parts) < 3:
                raise InputFileError(f"{file}:{number}: {parts[0]} {parts[1]} has no value; "
                                     f"write '{parts[0]} NAME VALUE'")
            try:
                objective = float(parts[2])
            except ValueError:
                raise InputFileError(f"{file}:{number}: {parts[2]!r} is not a number") from None
        references[parts[1]] = Reference(kind, objective, source=file.name)
    return references


def relative_error(objective: float, reference: float) -> float:
    """``|objective - reference| / max(1, |reference|)``: relative, absolute near zero."""
    return abs(objective - reference) / max(1.0, abs(reference))


def check(status: str, objective: float | None, reference: Reference | None,
          rtol: float = DEFAULT_RTOL) -> tuple[str, float | None, str]:
    """Compare a run with its reference: ``(status, relative error, message)``.

    The status becomes ``"wrong"`` when a conclusive status contradicts the
    reference, or an optimal objective is off by more than ``rtol`` (relative,
    see :func:`relative_error`; a reference's own tolerance wins).

    Example
    -------
    >>> ref = Reference("optimal", -464.75314286)
    >>> check("optimal", -464.7531428571, ref)[0]
    'optimal'
    >>> check("optimal", -464.0, ref)[0]
    'wrong'
    >>> check("infeasible", None, ref)[0]
    'wrong'
    """
    if reference is None or reference.status == "best" or status not in CONCLUSIVE:
        return status, None, ""
    tol = reference.tolerance if reference.tolerance is not None else rtol
    if reference.status == "optimal":
        if status != "optimal":
            return "wrong", None, f"solver says {status} but the problem has optimum {reference.objective:.10g}"
        if objective is None or reference.objective is None or not math.isfinite(objective):
            return "wrong", None, "solver says optimal but reports no objective"
        error = relative_error(objective, reference.objective)
        if error > tol:
            return "wrong", error, (f"objective {objective:.10g} differs from the reference "
                                    f"{reference.objective:.10g} ({reference.source or 'known optimum'}) "
                                    f"by {error:.2e} relative (tolerance {tol:g})")
        return status, error, ""
    allowed = {reference.status, "infeasible_or_unbounded"}
    if status not in allowed:
        return "wrong", None, f"solver says {status} but the problem is {reference.status}"
    return status, None, ""


def spec_reference(path: str | Path) -> Reference | None:
    """The ``expected`` block of a YAML spec, read without building the model."""
    import yaml

    try:
        document: Any = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("expected"), dict):
        return None
    expected = document["expected"]
    objective = expected.get("objective")
    status = str(expected.get("status") or ("optimal" if objective is not None else ""))
    if not status:
        return None
    tolerance = expected.get("tolerance")
    return Reference(status, float(objective) if isinstance(objective, (int, float)) else None,
                     source=f"{Path(path).name} expected",
                     tolerance=float(tolerance) if isinstance(tolerance, (int, float)) else None)
