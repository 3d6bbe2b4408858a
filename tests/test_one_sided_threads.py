"""One-sided prices shared among threads and re-solved warm from the last basis: every price equals the
one-sided difference quotient of independent cold solves, every range end is where that price still holds
(a cold solve there lies on the line), and the prices do not depend on the number of threads."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import opt_model.sensitivity.report as report_module
from opt_model.errors import ModelError
from opt_model.sensitivity import sensitivity_report
from opt_model.sensitivity.problem import AnalysisModel
from solvers import Sense, StandardForm, solve


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
def test_threaded_prices_are_difference_quotients_and_range_ends_hold(seed: int) -> None:
    form = _flow_form(seed)
    report = sensitivity_report(AnalysisModel.from_form(form), jobs=2)
    table = report.constraints
    assert report.resolves >= 2 * report_module.SIDES_PER_THREAD  # enough re-solves for two threads
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


def test_the_number_of_threads_does_not_change_a_price() -> None:
    form = _flow_form(3)
    one = sensitivity_report(AnalysisModel.from_form(form), jobs=1).constraints
    two = sensitivity_report(AnalysisModel.from_form(form), jobs=2).constraints
    for column in ("dual", "dual_left", "dual_right", "rhs_lower", "rhs_upper"):
        np.testing.assert_array_equal(one[column].to_numpy(float), two[column].to_numpy(float), err_msg=column)


def test_two_jobs_open_one_helper_session(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    real = report_module._helper_sessions

    def counting(*args: object) -> list[object]:
        helpers = real(*args)  # type: ignore[arg-type]
        opened.extend(helpers)
        return helpers

    monkeypatch.setattr(report_module, "_helper_sessions", counting)
    sensitivity_report(AnalysisModel.from_form(_flow_form(0)), jobs=2)
    assert len(opened) == 1
    opened.clear()
    sensitivity_report(AnalysisModel.from_form(_flow_form(0)), jobs=1)
    assert opened == []


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5])
def test_bad_jobs_is_a_clear_error(jobs: object) -> None:
    with pytest.raises(ModelError, match="jobs="):
        sensitivity_report(AnalysisModel.from_form(_flow_form(0)), jobs=jobs)  # type: ignore[arg-type]
