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


def _transport_form(seed: int, sources: int = 9, sinks: int = 12, capacities: bool = True) -> StandardForm:
    """A transportation LP with integral supplies, demands and capacities: primal degenerate by construction
    (total supply equals total demand, many arcs at capacity or at zero).  Without ``capacities`` raising a
    demand or lowering a supply leaves the feasible set (infinite one-sided prices)."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(2, 9, sinks).astype(float)
    supply = np.full(sources, np.floor(demand.sum() / sources))
    supply[0] += demand.sum() - supply.sum()
    n = sources * sinks
    A = sp.vstack([sp.kron(sp.eye(sources), np.ones((1, sinks))), sp.kron(np.ones((1, sources)), sp.eye(sinks))],
                  format="csr")
    return StandardForm(c=rng.integers(1, 9, n).astype(float), sense=Sense.MINIMIZE, A=A,
                        row_lower=np.concatenate([np.full(sources, -np.inf), demand]),
                        row_upper=np.concatenate([supply, np.full(sinks, np.inf)]),
                        col_lower=np.zeros(n),
                        col_upper=rng.integers(1, 6, n).astype(float) if capacities else np.full(n, np.inf))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_row_ranging_gives_the_report_of_full_ranging(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """After each accepted one-sided re-solve the session ranges one row (solvers.highs.ranging); the report
    must equal the one built with HiGHS's full getRanging after every re-solve."""
    from solvers.highs.session import HighsSession

    form = _transport_form(seed)
    fast = sensitivity_report(AnalysisModel.from_form(form))
    assert fast.resolves > 0 and fast.constraints["one_sided"].any()
    monkeypatch.delattr(HighsSession, "row_bound_range")
    slow = sensitivity_report(AnalysisModel.from_form(form))
    assert fast.resolves == slow.resolves
    for column in ("dual", "dual_left", "dual_right", "dual_left_from", "dual_right_to", "rhs_lower", "rhs_upper"):
        np.testing.assert_array_equal(fast.constraints[column].to_numpy(float),
                                      slow.constraints[column].to_numpy(float), err_msg=column)


def _nonbasic_rows_agree(form: StandardForm) -> int:
    from solvers.highs.session import HighsSession

    session = HighsSession(form)
    result = session.solve()
    assert result.status.value == "optimal"
    ranging = session.ranging()
    basic = set(session.basic_variables().tolist())
    checked = 0
    for row in range(form.num_rows):
        got = session.row_bound_range(row, result)
        if form.num_cols + row in basic:
            assert got is None
            continue
        expected = (ranging.row_bound_down.value[row], ranging.row_bound_up.value[row])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=f"row {row}")
        checked += 1
    return checked


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_row_ranging_equals_highs_getranging(seed: int) -> None:
    assert _nonbasic_rows_agree(_transport_form(seed)) > 0
    assert _nonbasic_rows_agree(_degenerate_form(8.0 + seed)) > 0


def test_one_row_ranging_equals_highs_getranging_on_netlib() -> None:
    from solvers import read_file
    from tests.conftest import NETLIB

    names = ["afiro", "adlittle", "degen2", "sc205", "scagr7", "share2b", "boeing2", "bore3d"]
    files = [NETLIB / f"{name}.mps" for name in names if (NETLIB / f"{name}.mps").exists()]
    if not files:
        pytest.skip("../shared/data/netlib is not present beside the checkout")
    for path in files:
        assert _nonbasic_rows_agree(read_file(str(path))) > 0, path
