"""One-sided shadow prices: the bounded step search gives the same report as the unbounded one,
and matches one-sided difference quotients of independent cold solves."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp

import opt_model.sensitivity.degeneracy as degeneracy
import opt_model.sensitivity.report as report_module
from opt_model.sensitivity import sensitivity_report
from opt_model.sensitivity.problem import AnalysisModel
from solvers import Sense, StandardForm, solve


def _degenerate_form(rhs4: float = 8.0) -> StandardForm:
    """Wyndor with a fourth row x1 + x2 <= 8 through the optimum (2, 6): primal degenerate."""
    return StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
                        A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2], [1, 1]])),
                        row_lower=np.full(4, -np.inf), row_upper=np.array([4.0, 12, 18, rhs4]),
                        col_lower=np.zeros(2), col_upper=np.full(2, np.inf))


def test_bounded_step_search_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = sensitivity_report(AnalysisModel.from_form(_degenerate_form())).constraints
    unbounded = functools.partial(degeneracy.one_sided_prices, min_rel_step=0.0)
    monkeypatch.setattr(report_module, "one_sided_prices", unbounded)
    slow = sensitivity_report(AnalysisModel.from_form(_degenerate_form())).constraints
    for column in ("dual", "dual_left", "dual_right", "dual_left_from", "dual_right_to"):
        np.testing.assert_allclose(fast[column].to_numpy(float), slow[column].to_numpy(float), rtol=1e-9,
                                   atol=1e-12, err_msg=column)
    assert fast["one_sided"].any()  # the model is degenerate: some row has two prices


def test_one_sided_prices_match_difference_quotients() -> None:
    constraints = sensitivity_report(AnalysisModel.from_form(_degenerate_form())).constraints
    h = 1e-3
    base = solve(_degenerate_form()).objective
    for row in range(4):
        up, down = _degenerate_form(), _degenerate_form()
        up.row_upper[row] += h
        down.row_upper[row] -= h
        right = (solve(up).objective - base) / h
        left = (base - solve(down).objective) / h
        assert constraints["dual_right"].iloc[row] == pytest.approx(right, abs=1e-6)
        assert constraints["dual_left"].iloc[row] == pytest.approx(left, abs=1e-6)
