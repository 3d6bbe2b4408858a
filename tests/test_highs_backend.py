"""HiGHS backend: status map, options, files, and solving without the modeling layer."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

import solvers
from solvers import SolveStatus, StandardForm
from solvers.highs import STATUS_MAP, map_status
from tests.textbook import dakota, wyndor


def test_every_highs_model_status_is_mapped() -> None:
    members = highspy.HighsModelStatus.__members__
    assert set(members) == set(STATUS_MAP), "a HighsModelStatus has no mapping (or a mapping has no status)"
    for name, member in members.items():
        assert isinstance(map_status(member), SolveStatus), name
    assert map_status(highspy.HighsModelStatus.kOptimal) is SolveStatus.OPTIMAL
    assert map_status(highspy.HighsModelStatus.kTimeLimit) is SolveStatus.TIME_LIMIT
    assert map_status(highspy.HighsModelStatus.kUnboundedOrInfeasible) is SolveStatus.INFEASIBLE_OR_UNBOUNDED


def _wyndor_form() -> StandardForm:
    return StandardForm(c=np.array([3.0, 5.0]), sense=solvers.Sense.MAXIMIZE,
                        A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
                        row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
                        col_lower=np.zeros(2), col_upper=np.full(2, np.inf))


@pytest.mark.parametrize("solver", ["highs", "highs:simplex", "highs:ipm", "highs:pdlp"])
def test_methods_agree_on_wyndor(solver: str) -> None:
    result = solvers.solve(_wyndor_form(), solver)
    tolerance = 1e-4 if solver.endswith("pdlp") else 1e-7
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(36.0, rel=tolerance)
    assert result.row_dual == pytest.approx([0.0, 1.5, 1.0], abs=tolerance * 10)


def test_csc_and_csr_forms_solve_alike() -> None:
    form = _wyndor_form()
    form.A = form.A.tocsc()
    assert solvers.solve(form).objective == pytest.approx(36.0)


def test_unknown_option_and_method_raise_solver_error() -> None:
    with pytest.raises(solvers.SolverError, match="rejected option no_such_option"):
        solvers.solve(_wyndor_form(), "highs", {"no_such_option": 1})
    with pytest.raises(solvers.SolverNotAvailableError, match="no variant 'magic'"):
        solvers.solve(_wyndor_form(), "highs:magic")
    with pytest.raises(solvers.SolverNotAvailableError, match="unknown solver 'gurobi'"):
        solvers.solve(_wyndor_form(), "gurobi")


def test_options_are_applied() -> None:
    options = solvers.SolveOptions.from_mapping({"time_limit": 5, "gap": 0.01, "threads": 1, "presolve": False,
                                                 "seed": 7, "simplex_strategy": 4})
    assert options.time_limit == 5 and options.mip_gap == 0.01 and options.extra == {"simplex_strategy": 4}
    result = solvers.solve(_wyndor_form(), "highs", options)
    assert result.objective == pytest.approx(36.0)


def test_mip_reports_bound_and_gap() -> None:
    form = _wyndor_form()
    form.integrality = np.array([1, 1], dtype=np.int32)
    form.row_upper = np.array([4.5, 13.0, 18.5])
    result = solvers.solve(form)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(3 * 2 + 5 * 6)  # integer optimum (2, 6) scored 36; check feasible
    assert result.mip_gap is not None and result.mip_gap <= 1e-4
    assert result.row_dual is None


def test_mps_round_trip_keeps_names_and_optimum(tmp_path: Path) -> None:
    model, _ = dakota()
    path = tmp_path / "dakota.mps"
    model.to_mps(path)
    form = solvers.read_file(path)
    assert form.column_names().names() == ["x[desks]", "x[tables]", "x[chairs]"]
    assert form.constraint_names().names() == ["lumber", "finishing", "carpentry", "demand"]
    assert form.sense is solvers.Sense.MAXIMIZE
    assert solvers.solve(form).objective == pytest.approx(280.0)


def test_lp_file_round_trip(tmp_path: Path) -> None:
    model, _ = wyndor()
    path = tmp_path / "wyndor.lp"
    model.to_mps(path)
    assert "plant3" in path.read_text()
    assert solvers.solve(solvers.read_file(path)).objective == pytest.approx(36.0)


def test_qp_round_trip_through_mps(tmp_path: Path) -> None:
    import opt_model as om
    m = om.Model("qp")
    x = m.add_variable("x", lb=None)
    y = m.add_variable("y", lb=None)
    m.add_constraint("budget", x + y <= 2)
    m.minimize(x * x - 2 * x + y * y - 4 * y + 5)
    path = tmp_path / "qp.mps"
    m.to_mps(path)
    form = solvers.read_file(path)
    assert form.problem_class is solvers.ProblemClass.QP
    assert solvers.solve(form).objective == pytest.approx(0.5, abs=1e-7)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(solvers.InputFileError, match="no such file"):
        solvers.read_file(tmp_path / "missing.mps")
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not an MPS file\nROWS\n garbage garbage garbage\n")
    with pytest.raises(solvers.InputFileError, match=r"unknown section .this.|could not read"):
        solvers.read_file(bad)
    with pytest.raises(solvers.InputFileError, match="unknown model file type"):
        solvers.write_file(_wyndor_form(), tmp_path / "model.txt")


def test_standard_form_validation_names_the_entry() -> None:
    form = _wyndor_form()
    form.c = np.array([3.0, np.nan])
    with pytest.raises(solvers.ModelError, match=r"objective coefficient of x\[1\] is nan"):
        form.validate()
    form = _wyndor_form()
    form.col_lower = np.array([0.0, 5.0])
    form.col_upper = np.array([1.0, 4.0])
    with pytest.raises(solvers.ModelError, match=r"x\[1\] has lower bound 5.0 above its upper bound 4.0"):
        form.validate()


def test_empty_model_is_optimal_with_its_constant() -> None:
    form = StandardForm(c=np.zeros(0), A=sp.csr_matrix((0, 0)), row_lower=np.zeros(0), row_upper=np.zeros(0),
                        col_lower=np.zeros(0), col_upper=np.zeros(0), constant=4.0)
    result = solvers.solve(form)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(4.0)
