"""Netlib LPs through every backend of the registry but HiGHS itself (``test_netlib.py`` has HiGHS).

The backends are the registry's LP backend strings that are installed (or that CI installs) and
solve to 1e-5 or better at their default settings (:func:`tests.backend_lists.backends_for`: the
first-order SCS and OSQP are left out); today Pyomo's CBC, GLPK, HiGHS and SCIP and CVXPY's
Clarabel, HiGHS, SciPy and SCIP.  Every Netlib problem in ``../shared/data/netlib`` (beside the
checkout) with fewer than 1,000 constraint rows is read with ``solvers.read_file`` and solved; the
optimal objective must match ``netlib.solu`` to the backend's accuracy (1e-6 relative for the
simplex codes, 1e-5 for the interior-point Clarabel).  The module is skipped when the folder is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from solvers import ProblemClass, SolveStatus, read_file, solve
from tests.backend_lists import accuracy, backends_for, require

NETLIB = Path(__file__).resolve().parents[2] / "shared" / "data" / "netlib"
MAX_ROWS = 1000
BACKENDS = [spec for spec in backends_for(ProblemClass.LP, at_most=1e-5) if spec != "highs"]

if not (NETLIB / "netlib.solu").is_file():
    pytest.skip(f"Netlib problems not found at {NETLIB}", allow_module_level=True)


def read_solu(path: Path) -> dict[str, float]:
    """Optimal values from a MIPLIB-style ``.solu`` file: lines ``=opt= NAME VALUE``.

    ``=inf=`` / ``=unkn=`` lines carry no value and are left out.
    """
    values: dict[str, float] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("=opt=", "=best="):
            values[parts[1]] = float(parts[2])
    return values


def constraint_rows(path: Path) -> int:
    """Rows of an MPS file's ROWS section other than the objective (``N``) rows, without parsing it all."""
    count = 0
    in_rows = False
    with path.open() as handle:
        for line in handle:
            if not line.strip() or line.startswith("*"):
                continue
            if not line[0].isspace():
                section = line.split()[0].upper()
                if in_rows:
                    break
                in_rows = section == "ROWS"
                continue
            if in_rows and line.split()[0].upper() != "N":
                count += 1
    return count


OPTIMA = read_solu(NETLIB / "netlib.solu")
PROBLEMS = sorted(path for path in NETLIB.glob("*.mps")
                  if path.stem in OPTIMA and constraint_rows(path) < MAX_ROWS)

# Instances that fail for a documented solver reason: (backend, problem) -> reason.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cases() -> list[Any]:
    cases = []
    for backend in BACKENDS:
        for path in PROBLEMS:
            marks = []
            reason = KNOWN_FAILURES.get((backend, path.stem))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cases.append(pytest.param(backend, path, id=f"{backend}-{path.stem}", marks=marks))
    return cases


def test_backends_come_from_the_registry() -> None:
    assert {"pyomo:cbc", "pyomo:glpk", "cvxpy:CLARABEL"} <= set(BACKENDS)
    assert "highs" not in BACKENDS and "cvxpy:SCS" not in BACKENDS


def test_selection_is_the_small_netlib_set() -> None:
    assert len(PROBLEMS) >= 40
    names = {path.stem for path in PROBLEMS}
    assert {"afiro", "adlittle", "25fv47", "scfxm3"} <= names
    assert not names & {"greenbea", "d2q06c", "woodw"}  # >= 1,000 rows
    assert constraint_rows(NETLIB / "afiro.mps") == 27 == read_file(NETLIB / "afiro.mps").num_rows


@pytest.mark.parametrize(("backend", "path"), _cases())
def test_netlib_optimum(backend: str, path: Path) -> None:
    require(backend)
    form = read_file(path)
    result = solve(form, solver=backend)
    assert result.status is SolveStatus.OPTIMAL, f"{path.stem}: {result.status} {result.message}"
    expected = OPTIMA[path.stem]
    assert result.objective == pytest.approx(expected, rel=accuracy(backend)), \
        f"{path.stem}: {backend} gives {result.objective!r}, netlib.solu {expected!r}"
