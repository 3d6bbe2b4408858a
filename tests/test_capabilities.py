"""Capability declarations: the table, automatic dispatch and "cannot solve" messages."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import (
    AUTO_ORDER,
    ConeBlock,
    ProblemClass,
    StandardForm,
    UnsupportedProblemError,
    backend_class,
    capability_table,
    capable_backends,
    choose_backend,
    solve,
)
from solvers.backend import split_backend

INF = np.inf


def _installed(spec: str) -> bool:
    name, variant = split_backend(spec)
    try:
        cls = backend_class(name)
    except ImportError:
        return False
    return cls.is_available() and (variant is None or variant in cls.installed_variants())


def _soc_form(integer: bool = False) -> StandardForm:
    """min x2 subject to ||x1|| <= x2, x1 >= 1 (as a column bound): optimum 1."""
    cone = ConeBlock("soc", sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]])), np.zeros(2), np.array([2]))
    return StandardForm(c=np.array([0.0, 1.0]), A=sp.csr_matrix((0, 2)), row_lower=np.zeros(0),
                        row_upper=np.zeros(0), col_lower=np.array([1.0, -INF]), col_upper=np.array([INF, INF]),
                        cones=[cone], integrality=np.array([1, 0], dtype=np.int32) if integer else None)


def _exp_form(integer: bool = False) -> StandardForm:
    cone = ConeBlock("exp", sp.csr_matrix(np.array([[1.0, 0], [0, 0], [0, 1.0]])), np.array([0, 1.0, 0]),
                     np.array([3]))
    return StandardForm(c=np.array([0.0, 1.0]), A=sp.csr_matrix((0, 2)), row_lower=np.zeros(0),
                        row_upper=np.zeros(0), col_lower=np.array([1.0, -INF]), col_upper=np.array([INF, INF]),
                        cones=[cone], integrality=np.array([1, 0], dtype=np.int32) if integer else None)


# ---------------------------------------------------------------------------------------------
# capability_table


def test_table_lists_every_backend_string_with_its_facts() -> None:
    table = capability_table()
    names = [row["backend"] for row in table]
    assert names[0] == "highs"
    assert "cvxpy:CLARABEL" in names and "pyomo:cbc" in names and "pyomo:glpk" in names
    assert len(names) == len(set(names))
    keys = {"backend", "installed", "version", "problem_classes", "duals", "ranging", "warm_start", "description"}
    for row in table:
        assert set(row) == keys
        assert all(value in {pc.value for pc in ProblemClass} for value in row["problem_classes"])
        assert bool(row["version"]) == row["installed"], row
        assert row["installed"] == _installed(row["backend"]), row


def test_table_rows_match_the_backends_declarations() -> None:
    rows = {row["backend"]: row for row in capability_table()}
    assert rows["highs"]["problem_classes"] == ["LP", "MILP", "QP"]
    assert rows["highs"]["duals"] and rows["highs"]["ranging"] and rows["highs"]["warm_start"]
    assert "EXP" in rows["cvxpy:CLARABEL"]["problem_classes"]
    assert "MILP" not in rows["cvxpy:CLARABEL"]["problem_classes"]
    assert rows["cvxpy:OSQP"]["problem_classes"] == ["LP", "QP"]
    assert rows["cvxpy:SCIP"]["duals"] is False  # CVXPY's SCIP interface drops bound multipliers
    assert rows["pyomo:glpk"]["problem_classes"] == ["LP", "MILP"]


def test_installed_only_filter() -> None:
    installed = capability_table(installed_only=True)
    assert installed and all(row["installed"] for row in installed)
    assert {row["backend"] for row in installed} <= {row["backend"] for row in capability_table()}


# ---------------------------------------------------------------------------------------------
# solver="auto"


@pytest.mark.parametrize(("problem_class", "expected"), [
    (ProblemClass.LP, "highs"),
    (ProblemClass.MILP, "highs"),
    (ProblemClass.QP, "highs"),
    (ProblemClass.SOCP, "cvxpy:CLARABEL"),
    (ProblemClass.EXP, "cvxpy:CLARABEL"),
    (ProblemClass.MIQP, "cvxpy:SCIP"),
    (ProblemClass.MISOCP, "cvxpy:SCIP"),
])
def test_auto_picks_the_preferred_installed_backend(problem_class: ProblemClass, expected: str) -> None:
    if not _installed(expected):
        pytest.skip(f"{expected} is not installed")
    assert choose_backend(problem_class).full_name == expected


def test_auto_order_entries_name_real_backends() -> None:
    for spec in AUTO_ORDER:
        name, variant = split_backend(spec)
        cls = backend_class(name)
        assert variant is None or variant in cls.variants, spec


def test_auto_solves_a_cone_problem_with_a_conic_solver() -> None:
    if not _installed("cvxpy:CLARABEL"):
        pytest.skip("cvxpy:CLARABEL is not installed")
    result = solve(_soc_form())
    assert result.solver == "cvxpy:CLARABEL"
    assert result.objective == pytest.approx(1.0, rel=1e-6)
    result = solve(_exp_form())
    assert result.objective == pytest.approx(np.e, rel=1e-6)


def test_auto_solves_a_mixed_integer_cone_problem_with_scip() -> None:
    if not _installed("cvxpy:SCIP"):
        pytest.skip("cvxpy:SCIP is not installed")
    form = _soc_form(integer=True)
    form.col_lower = np.array([1.5, -INF])  # x1 integer >= 1.5: x1 = 2, x2 = 2
    result = solve(form)
    assert result.solver == "cvxpy:SCIP"
    assert result.objective == pytest.approx(2.0, rel=1e-6)


def test_no_installed_solver_message_names_class_and_a_backend_that_could() -> None:
    """Mixed-integer exponential cone problems need ECOS_BB or MOSEK, neither a dependency."""
    if capable_backends(ProblemClass.MIEXP, installed_only=True):
        pytest.skip("a MIEXP-capable solver is installed here")
    with pytest.raises(UnsupportedProblemError) as info:
        solve(_exp_form(integer=True))
    message = str(info.value)
    assert "MIEXP" in message and "cvxpy:ECOS_BB" in message


# ---------------------------------------------------------------------------------------------
# asking a backend for what it cannot do


def test_cannot_solve_message_names_an_installed_backend_that_can() -> None:
    if not _installed("cvxpy:CLARABEL"):
        pytest.skip("cvxpy:CLARABEL is not installed")
    with pytest.raises(UnsupportedProblemError) as info:
        solve(_soc_form(), solver="highs")
    message = str(info.value)
    assert "'highs'" in message and "SOCP" in message and "solver='cvxpy:CLARABEL'" in message


def test_cannot_solve_with_a_variant_that_lacks_the_class() -> None:
    if not (_installed("pyomo:glpk") and _installed("cvxpy:SCIP")):
        pytest.skip("pyomo:glpk or cvxpy:SCIP is not installed")
    with pytest.raises(UnsupportedProblemError, match=r"'pyomo:glpk' cannot solve a MISOCP.*cvxpy:SCIP"):
        solve(_soc_form(integer=True), solver="pyomo:glpk")


def test_capable_backends_puts_installed_ones_first() -> None:
    able = capable_backends(ProblemClass.LP)
    installed = capable_backends(ProblemClass.LP, installed_only=True)
    assert able[: len(installed)] == installed
    assert installed[0] == "highs"
    assert all(_installed(spec) for spec in installed)
    assert "cvxpy" not in able  # a concrete variant is named, never "whatever CVXPY picks"
