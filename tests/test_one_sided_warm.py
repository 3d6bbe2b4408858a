"""One-sided prices re-solved warm from the last basis, or read off the basis at hand when it survives the
step: every price equals the one-sided difference quotient of independent cold solves, every range end is
where that price still holds (a cold solve there lies on the line), and the prices are those of re-solving
every side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opt_model.sensitivity import sensitivity_report
from opt_model.sensitivity.problem import AnalysisModel
from solvers import Sense, StandardForm, solve
from tests.test_one_sided import _transport_form


def _flow_form(seed: int, side: int = 12) -> StandardForm:
    """A min-cost flow on a ``side x side`` grid with integral data: sources in the first column
    (supply <= 5), sinks in the last (demand 3), transit nodes balanced; many arcs at a bound."""
    rng = np.random.default_rng(seed)
    tails, heads = [], []
    for r in range(side):
        for c in range(side):
            here = r * side + c
            if c + 1 < side:
                tails += [here, here + 1]
                heads += [here + 1, here]
            if r + 1 < side:
                tails += [here, here + side]
                heads += [here + side, here]
    tail, head = np.array(tails), np.array(heads)
    nodes, arcs = side * side, tail.size
    arc = np.arange(arcs)
    A = sp.csr_matrix((np.concatenate([np.ones(arcs), -np.ones(arcs)]),
                       (np.concatenate([tail, head]), np.concatenate([arc, arc]))), shape=(nodes, arcs))
    lower, upper = np.zeros(nodes), np.zeros(nodes)
    sources = np.arange(side) * side
    sinks = sources + side - 1
    lower[sources], upper[sources] = -np.inf, 5.0
    lower[sinks] = upper[sinks] = -3.0
    return StandardForm(c=rng.integers(1, 6, arcs).astype(float), A=A, row_lower=lower, row_upper=upper,
                        col_lower=np.zeros(arcs), col_upper=rng.integers(3, 9, arcs).astype(float),
                        sense=Sense.MINIMIZE)


def _objective_at(form: StandardForm, row: int, rhs: float, moved: float) -> float:
    """Optimal objective of a cold solve with the row's active bound(s) at ``moved`` (inf when infeasible)."""
    changed = StandardForm(c=form.c, A=form.A, row_lower=form.row_lower.copy(), row_upper=form.row_upper.copy(),
                           col_lower=form.col_lower, col_upper=form.col_upper, sense=form.sense)
    if form.row_upper[row] == rhs:
        changed.row_upper[row] = moved
    if form.row_lower[row] == rhs:
        changed.row_lower[row] = moved
    result = solve(changed)
    return result.objective if result.status.value == "optimal" else np.inf


@pytest.mark.parametrize("seed", [0, 1])
def test_prices_are_difference_quotients_and_range_ends_hold(seed: int) -> None:
    form = _flow_form(seed)
    report = sensitivity_report(AnalysisModel.from_form(form))
    table = report.constraints
    assert report.resolves > 0
    one_sided = np.flatnonzero(table["one_sided"].to_numpy(bool))
    assert one_sided.size >= 5  # the flow is degenerate: several rows have two prices
    z, h = report.objective, 1e-3
    checked = 0
    for row in np.flatnonzero(table["degenerate"].to_numpy(bool)):
        rhs = float(table["rhs"].iloc[row])
        for price_column, end_column, direction in (("dual_left", "dual_left_from", -1.0),
                                                    ("dual_right", "dual_right_to", 1.0)):
            price = float(table[price_column].iloc[row])
            moved = _objective_at(form, row, rhs, rhs + direction * h)
            if not np.isfinite(price):
                assert moved == np.inf, (row, price_column)
                continue
            assert price == pytest.approx((moved - z) / (direction * h), abs=1e-6), (row, price_column)
            end = float(table[end_column].iloc[row])
            if end == rhs:
                continue
            far = end if np.isfinite(end) else rhs + direction * 10.0
            assert _objective_at(form, row, rhs, far) == pytest.approx(z + price * (far - rhs), abs=1e-6), \
                (row, end_column, end)
            checked += 1
    assert checked >= 10


def test_prices_are_the_same_without_the_basis_at_hand() -> None:
    """Sides answered from the basis at hand (no re-solve) get the prices re-solves give."""
    from solvers.highs.session import HighsSession

    form = _flow_form(3)
    fast = sensitivity_report(AnalysisModel.from_form(form))
    stays = HighsSession.basis_stays_optimal
    try:
        del HighsSession.basis_stays_optimal  # every side re-solved
        slow = sensitivity_report(AnalysisModel.from_form(form))
    finally:
        HighsSession.basis_stays_optimal = stays  # type: ignore[method-assign]
    assert slow.resolves > fast.resolves > 0
    for column in ("dual", "dual_left", "dual_right", "rhs_lower", "rhs_upper"):
        np.testing.assert_array_equal(fast.constraints[column].to_numpy(float),
                                      slow.constraints[column].to_numpy(float), err_msg=column)


@pytest.mark.parametrize("seed", [0, 4])
def test_a_move_the_basis_survives_is_linear_by_a_cold_solve(seed: int) -> None:
    """basis_stays_optimal: where it says the basis survives a move, a cold solve there lies on the line of the
    row's dual; after a re-solve at moved bounds (the state one-sided prices leave) as well as right after a solve."""
    from solvers.highs.session import HighsSession

    form = _flow_form(seed)
    session = HighsSession(form)
    base = session.solve()
    rng = np.random.default_rng(seed)
    said = 0
    for round_ in range(2):
        if round_:  # move one row, re-solve, put it back: the basis found there is checked at the original bounds
            row = int(rng.integers(form.num_rows))
            session.change_row_bounds([row], [form.row_lower[row] - 0.5], [form.row_upper[row] - 0.5])
            session.solve()
            session.change_row_bounds([row], [form.row_lower[row]], [form.row_upper[row]])
        for row in range(form.num_rows):
            for move in (-0.25, 0.25):
                lower, upper = form.row_lower[row] + move, form.row_upper[row] + move
                known = session.basis_stays_optimal(row, lower, upper)
                if known is None:
                    continue
                said += 1
                rhs = form.row_upper[row] if np.isfinite(form.row_upper[row]) else form.row_lower[row]
                moved = _objective_at(form, row, rhs, rhs + move)
                assert moved == pytest.approx(base.objective + known.dual * move, abs=1e-7), (round_, row, move)
    assert said > 20


def test_the_cli_reports_the_same_prices_as_the_library() -> None:
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from solvers import write_file

    form = _flow_form(1)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "flow.mps")
        write_file(form, path)
        done = subprocess.run([sys.executable, "-m", "opt_model.cli", "sensitivity", "--format", "json", path],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["constraints"]
    table = sensitivity_report(AnalysisModel.from_form(form)).constraints
    for column in ("dual_left", "dual_right"):
        got = np.array([np.nan if r[column] is None else float(r[column]) for r in rows])
        np.testing.assert_array_equal(got, table[column].to_numpy(float), err_msg=column)


def _single_resolves(form: StandardForm) -> pd.DataFrame:
    """The report with every side re-solved on its own (no batches, no basis at hand)."""
    from solvers.highs.session import HighsSession

    stays = HighsSession.basis_stays_optimal
    try:
        del HighsSession.basis_stays_optimal
        return sensitivity_report(AnalysisModel.from_form(form)).constraints
    finally:
        HighsSession.basis_stays_optimal = stays  # type: ignore[method-assign]


def _assert_same_prices(form: StandardForm) -> None:
    batched = sensitivity_report(AnalysisModel.from_form(form)).constraints
    single = _single_resolves(form)
    for column in ("dual", "dual_left", "dual_right"):
        np.testing.assert_allclose(batched[column].to_numpy(float), single[column].to_numpy(float), rtol=1e-9,
                                   atol=1e-9, err_msg=column)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_prices_equal_single_resolves_with_infinite_sides(seed: int) -> None:
    form = _transport_form(seed, capacities=False)
    single = _single_resolves(form)
    assert np.isinf(single[["dual_left", "dual_right"]].to_numpy(float)).any()  # sides leaving the feasible set
    _assert_same_prices(form)


@pytest.mark.parametrize("seed", [5, 6])
def test_batched_prices_equal_single_resolves_on_flows(seed: int) -> None:
    _assert_same_prices(_flow_form(seed, side=10))


@st.composite
def _degenerate_lps(draw: st.DrawFn) -> StandardForm:
    """Random LPs through an integral point that makes many rows tight (primal degenerate), boxed columns."""
    m = draw(st.integers(2, 9))
    n = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dense = rng.integers(-2, 3, (m, n)).astype(float) * (rng.random((m, n)) < 0.5)
    x0 = rng.integers(0, 3, n).astype(float)
    activity = dense @ x0
    kind = rng.integers(0, 3, m)  # <=, >= or == through x0
    lower = np.where(kind == 0, -np.inf, activity)
    upper = np.where(kind == 1, np.inf, activity)
    sense = Sense.MINIMIZE if draw(st.booleans()) else Sense.MAXIMIZE
    return StandardForm(c=rng.integers(-4, 5, n).astype(float), sense=sense, A=sp.csr_matrix(dense),
                        row_lower=lower, row_upper=upper, col_lower=np.zeros(n), col_upper=np.full(n, 3.0))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_degenerate_lps())
def test_batched_prices_equal_single_resolves_on_random_degenerate_lps(form: StandardForm) -> None:
    _assert_same_prices(form)
