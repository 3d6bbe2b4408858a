"""What the HiGHS session keeps between solves gives the same answers as recomputing it.

The session checks every warm answer with :func:`solvers.check_optimality`; it keeps the
bound terms of that check (updated in place when a probe moves one row), ``A'`` as CSR for
the reduced costs and the round-off size of each reduced cost.  These tests compare each
against a fresh computation after the changes the sensitivity report makes.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import Sense, StandardForm, check_optimality
from solvers.highs.session import HighsSession
from solvers.kkt import BoundTerms


def _random_lp(seed: int) -> StandardForm:
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(3, 12)), int(rng.integers(3, 15))
    A = sp.random(m, n, density=0.5, format="csr", random_state=seed, data_rvs=lambda k: rng.integers(1, 5, k))
    row_upper = rng.integers(5, 30, m).astype(float)
    row_lower = np.where(rng.random(m) < 0.3, row_upper, -np.inf)
    row_lower = np.where(rng.random(m) < 0.2, 0.0, row_lower)
    return StandardForm(c=rng.integers(1, 9, n).astype(float), A=A, row_lower=np.minimum(row_lower, row_upper),
                        row_upper=row_upper, col_lower=np.zeros(n),
                        col_upper=np.where(rng.random(n) < 0.5, rng.integers(1, 6, n).astype(float), np.inf),
                        sense=Sense.MAXIMIZE if seed % 2 else Sense.MINIMIZE)


def _same_terms(kept: BoundTerms, fresh: BoundTerms) -> None:
    for name in BoundTerms.__slots__:
        assert np.array_equal(getattr(kept, name), getattr(fresh, name)), name


@pytest.mark.parametrize("seed", range(12))
def test_kept_terms_equal_fresh_ones_after_row_and_column_changes(seed: int) -> None:
    form = _random_lp(seed)
    session = HighsSession(form)
    first = session.solve()
    rng = np.random.default_rng(seed)
    for _ in range(6):
        row = int(rng.integers(0, form.num_rows))
        lower, upper = float(session.form.row_lower[row]), float(session.form.row_upper[row])
        moved = float(upper + rng.choice([-1.0, 0.5, np.inf]))
        session.change_row_bounds([row], [lower if lower < moved else -np.inf], [moved])  # the one-row path
        result = session.solve()
        cols, rows = session._bound_terms()
        _same_terms(rows, BoundTerms(session.form.row_lower, session.form.row_upper))
        _same_terms(cols, BoundTerms(session.form.col_lower, session.form.col_upper))
        if result.x is not None and result.row_dual is not None:
            assert result.extra["residuals"] == check_optimality(
                session.form, result.x, result.row_activity, result.row_dual, result.reduced_cost,
                result.objective).as_dict()
            assert np.array_equal(result.reduced_cost[result.reduced_cost != 0],
                                  (session.form.c - session.form.A.T @ result.row_dual)[result.reduced_cost != 0])
        session.change_row_bounds([row], [lower], [upper])
    session.change_col_bounds([0], [0.0], [1.0])
    session.change_costs([0], [3.5])
    again = session.solve()
    _same_terms(session._bound_terms()[0], BoundTerms(session.form.col_lower, session.form.col_upper))
    if again.reduced_cost is not None and again.row_dual is not None:
        fresh = session.form.c - session.form.A.T @ again.row_dual
        fresh[np.abs(fresh) <= 1e-12 * (1.0 + np.abs(session.form.c))] = 0.0
        assert np.array_equal(again.reduced_cost, fresh)
    assert first.status is not None


def test_a_row_change_outside_the_one_row_path_refreshes_the_terms() -> None:
    form = _random_lp(3)
    session = HighsSession(form)
    session.solve()
    session.change_row_bounds(np.array([0, 1]), [-np.inf, -np.inf], [1.0, 2.0])
    _same_terms(session._bound_terms()[1], BoundTerms(session.form.row_lower, session.form.row_upper))
    with pytest.raises(ValueError):
        session.change_row_bounds([0], [float("nan")], [1.0])  # the general path says why
    with pytest.raises(ValueError):
        session.change_row_bounds([form.num_rows], [0.0], [1.0])


def test_prepared_check_equals_the_plain_one() -> None:
    rng = np.random.default_rng(5)
    for seed in range(30):
        form = _random_lp(seed)
        x = rng.choice([0.0, 1.0, 5.0, 30.0], form.num_cols) + rng.standard_normal(form.num_cols) * 1e-6
        activity = form.A @ x
        y = rng.standard_normal(form.num_rows) * (rng.random(form.num_rows) < 0.5)
        rc = form.c - form.A.T @ y
        terms = (BoundTerms(form.col_lower, form.col_upper), BoundTerms(form.row_lower, form.row_upper))
        plain = check_optimality(form, x, activity, y, rc, float(form.c @ x))
        assert check_optimality(form, x, activity, y, rc, float(form.c @ x), None, terms) == plain
