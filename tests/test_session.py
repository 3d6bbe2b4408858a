"""The solver-neutral Session: HiGHS and the generic re-solving session answer alike, and the one scenario
engine runs LPs, QPs and cone programs (checked against solving each scenario from scratch)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import opt_model as om
from opt_model.sensitivity import AnalysisModel, parameters_from_spec, robustness, tornado
from opt_model.sensitivity.engine import run_scenarios
from opt_model.sensitivity.plan import Changes
from solvers import (
    Sense,
    SensitivityError,
    Session,
    SolveStatus,
    StandardForm,
    UnsupportedProblemError,
    get_backend,
    open_session,
    session_backend,
    solve,
)
from solvers.highs import HighsSession
from solvers.resolve import ResolveSession
from solvers.standard_form import ProblemClass
from tests.conftest import REPO


def wyndor() -> StandardForm:
    return StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
                        A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
                        row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
                        col_lower=np.zeros(2), col_upper=np.full(2, np.inf))


def test_open_session_picks_by_declared_capabilities() -> None:
    lp = open_session(wyndor())
    assert isinstance(lp, HighsSession) and isinstance(lp, Session)
    assert lp.warm_start and lp.gives_ranging and lp.gives_iis
    other = open_session(wyndor(), "cvxpy:CLARABEL")
    assert isinstance(other, ResolveSession) and isinstance(other, Session)
    assert not (other.warm_start or other.gives_ranging or other.gives_iis)
    assert session_backend(ProblemClass.EXP).full_name == "cvxpy:CLARABEL"
    with pytest.raises(UnsupportedProblemError, match="ranging"):
        open_session(wyndor(), "cvxpy:CLARABEL", ranging=True)
    with pytest.raises(UnsupportedProblemError, match="ranging"):
        session_backend(ProblemClass.EXP, ranging=True)


@pytest.mark.parametrize("solver", ["highs", "cvxpy:CLARABEL", "pyomo:glpk"])
def test_every_change_gives_the_answer_of_a_fresh_solve(solver: str) -> None:
    """Each change, applied in place, gives what solving the changed form from scratch gives."""
    session = open_session(wyndor(), solver)
    session.solve()
    session.change_costs([0], [4.0])
    session.change_row_bounds([2], [-np.inf], [20.0])
    session.change_col_bounds([1], [0.0], [5.0])
    session.change_coefficients([2], [1], [3.0])
    result = session.solve()
    expected_form = dataclasses.replace(
        wyndor(), c=np.array([4.0, 5.0]), row_upper=np.array([4.0, 12, 20]), col_upper=np.array([np.inf, 5.0]),
        A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 3]])))
    expected = solve(expected_form, "highs")
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(expected.objective, rel=1e-6)
    assert result.row_dual is not None and expected.row_dual is not None
    np.testing.assert_allclose(result.row_dual, expected.row_dual, atol=1e-5)
    session.change_sense(Sense.MINIMIZE)
    assert session.solve().objective == pytest.approx(0.0, abs=1e-7)


def test_the_generic_session_says_what_it_lacks() -> None:
    session = ResolveSession(wyndor(), get_backend("cvxpy:CLARABEL"))
    session.solve()
    for call in (session.ranging, session.iis, session.feasibility_relaxation, session.basis):
        with pytest.raises(SensitivityError, match="cvxpy:CLARABEL"):
            call()
    assert session.basic_variables().size == 0
    assert session.stats.solves == 1 and session.stats.cold_solves == 1
    assert not session.takes_solution
    session.set_solution(np.zeros(2))  # a MILP start is accepted and ignored: the next solve is from scratch
    assert session.solve().objective == pytest.approx(36.0, rel=1e-6)


def test_a_backend_without_a_session_gets_the_same_engine_numbers() -> None:
    """Robustness and tornado through the generic session (cold, no basis) equal the warm HiGHS engine's."""
    model = om.load_spec(REPO / "problems" / "production_planning.yaml")
    analysis = AnalysisModel.from_model(model)
    params = parameters_from_spec([{"target": "capacity", "of": "machine", "distribution": "relative",
                                    "percent": 10}, {"target": "cost", "of": "make", "distribution": "relative",
                                                     "percent": 10}])
    warm = robustness(analysis, params, scenarios=40, seed=3, progress=False)
    generic = dataclasses.replace(analysis, solver="pyomo:highs")
    cold = robustness(generic, params, scenarios=40, seed=3, progress=False)
    assert cold.status_counts == warm.status_counts
    assert cold.feasible_probability == warm.feasible_probability
    for key in ("mean", "std", "q05", "q95"):
        assert cold.objective[key] == pytest.approx(warm.objective[key], rel=1e-7)
    assert math.isnan(cold.basis_change_rate) and not math.isnan(warm.basis_change_rate)
    shared = [type(p)(p.target, p.distribution, per_entry=False) for p in params]
    pd.testing.assert_frame_equal(tornado(generic, shared), tornado(analysis, shared), rtol=1e-7)


def test_cone_scenarios_run_through_the_one_engine() -> None:
    """A cone program (proportional fairness) goes through run_scenarios; each answer equals a fresh solve."""
    model = om.load_spec(REPO / "problems" / "bandwidth_fairness.yaml")
    analysis = AnalysisModel.from_model(model)
    assert analysis.form.cones
    rows = analysis.row_indices("link")
    capacity = analysis.form.row_upper[rows]
    changes = [Changes(rhs_rows=rows, rhs_values=capacity * factor) for factor in (0.8, 1.0, 1.25)]
    results = run_scenarios(analysis, changes=changes, progress=False)
    assert np.isnan(results.basis_changed).all()
    for change, objective in zip(changes, results.objective, strict=True):
        upper = analysis.form.row_upper.copy()
        upper[change.rhs_rows] = change.rhs_values
        fresh = solve(dataclasses.replace(analysis.form, row_upper=upper), "cvxpy:CLARABEL")
        assert objective == pytest.approx(fresh.objective, rel=1e-6, abs=1e-6)
    assert results.objective[0] < results.objective[1] < results.objective[2]
