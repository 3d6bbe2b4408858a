"""Chance constraints by scenarios: "every uncertain row holds with probability >= 1 - eps".

* **Scenario approach** (Calafiore & Campi 2006; Campi & Garatti 2008): draw
  ``N`` scenarios of the declared uncertainty and require every uncertain row
  to hold in each of them.  With probability at least ``1 - beta`` over the
  draw, the plan violates the rows jointly with probability at most ``eps``, when
  ``N`` is the smallest integer with
  ``sum_{i<d} C(N, i) eps^i (1 - eps)^(N - i) <= beta`` (:func:`scenario_count`).
  ``d`` is the number of decisions, or less: the dimension of the space that the
  uncertain rows' normals span (the *support rank*, Schildbach, Fagiano & Morari
  2013), which :func:`support_rank_bound` bounds from the model's structure.
  An LP stays an LP; rows whose only uncertain number is the right-hand side
  collapse to one row with the tightest sampled bound.
* **Sample average approximation with indicators** (Luedtke & Ahmed 2008):
  one binary ``w_k`` per scenario may switch scenario ``k`` off through big-M
  terms, ``sum_k w_k <= floor(eps N)``.  Cheaper plans, no a-priori guarantee
  (check them out of sample), and a MILP with ``N`` binaries: for small models.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.robust.counterpart import RowBuilder
from opt_model.robust.sets import RowUncertainty
from solvers import StandardForm


def _check_probability(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ModelError(f"{name}={value!r}: give a probability strictly between 0 and 1")
    return float(value)


def _binomial_tail(count: int, eps: float, decisions: int) -> float:
    """``sum_{i<d} C(N, i) eps^i (1-eps)^(N-i)``: the probability the bound allows to fail."""
    from scipy import stats  # deferred: scipy.stats costs ~0.4 s at import
    return float(stats.binom.cdf(decisions - 1, count, eps))


def scenario_count(eps: float, beta: float, decisions: int) -> int:
    """Smallest ``N`` with ``sum_{i<d} C(N,i) eps^i (1-eps)^(N-i) <= beta`` (Campi & Garatti 2008).

    Example
    -------
    >>> scenario_count(0.05, 1e-3, 1)  # one decision: (1 - eps)^N <= beta
    135
    >>> scenario_count(0.05, 1e-3, 10)
    447
    """
    eps = _check_probability(eps, "eps")
    beta = _check_probability(beta, "beta")
    if decisions < 1:
        raise ModelError(f"decisions={decisions}: the scenario bound needs at least one decision")
    low, high = decisions - 1, max(decisions, 16)
    while _binomial_tail(high, eps, decisions) > beta:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        if _binomial_tail(middle, eps, decisions) <= beta:
            high = middle
        else:
            low = middle
    return high


def scenario_epsilon(count: int, beta: float, decisions: int) -> float:
    """Smallest ``eps`` that ``count`` scenarios guarantee at confidence ``1 - beta`` (1.0 when none).

    Example
    -------
    >>> round(scenario_epsilon(135, 1e-3, 1), 4)
    0.0499
    """
    beta = _check_probability(beta, "beta")
    if count < decisions:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = 0.5 * (low + high)
        if _binomial_tail(count, middle, decisions) <= beta:
            high = middle
        else:
            low = middle
    return high


def support_rank_bound(uncertainty: RowUncertainty) -> int:
    """An upper bound on the support rank of the sampled rows (never more than the number of columns).

    Rows whose only uncertain number is the right-hand side keep their normal:
    one dimension each.  Rows with uncertain coefficients add their fixed normal
    and one unit direction per uncertain column.  The bound is the smaller of
    that count and the number of distinct columns in the uncertain rows.
    """
    form = uncertainty.analysis.form
    rows = uncertainty.rows
    coef_rows = np.unique(uncertainty.coef_row)
    rhs_only = np.setdiff1d(rows, coef_rows)
    A = sp.csr_matrix(form.A)
    used_cols = np.unique(A[rows].indices) if rows.size else np.zeros(0, dtype=np.int64)
    structural = rhs_only.size + min(np.unique(A[coef_rows].indices).size if coef_rows.size else 0,
                                     coef_rows.size + np.unique(uncertainty.coef_col).size)
    return int(max(1, min(form.num_cols, used_cols.size, structural)))


def scenario_rows(uncertainty: RowUncertainty, samples: np.ndarray, rows: np.ndarray
                   ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``rows`` of A and their bounds in every scenario, stacked scenario by scenario (N*len(rows) rows).

    The copies share the sparsity pattern of ``A[rows]``: one ``(N, nnz)`` array of values, in which each
    uncertain coefficient's column is overwritten by its draws, becomes the CSR data directly.
    """
    form = uncertainty.analysis.form
    count = samples.shape[0]
    local = rows.size
    matrix = uncertainty.matrix if uncertainty.matrix is not None else sp.csr_matrix(form.A)
    base = matrix[rows]
    base.sort_indices()
    nnz = base.nnz
    values = np.tile(base.data, (count, 1))
    pick = np.flatnonzero(np.isin(uncertainty.coef_row, rows))
    outside = np.zeros(0, dtype=np.int64)
    if pick.size:
        n = form.num_cols
        row_of_entry = np.repeat(np.arange(local, dtype=np.int64), np.diff(base.indptr))
        keys = row_of_entry * n + base.indices
        wanted = np.searchsorted(rows, uncertainty.coef_row[pick]).astype(np.int64) * n + uncertainty.coef_col[pick]
        where = np.minimum(np.searchsorted(keys, wanted), max(nnz - 1, 0))
        inside = (keys[where] == wanted) if nnz else np.zeros(pick.size, dtype=bool)
        values[:, where[inside]] = samples[:, uncertainty.coef_entries[pick[inside]]]
        outside = pick[~inside]  # a declared coefficient that is zero in the model: added below
    indptr = (base.indptr[None, :-1] + nnz * np.arange(count)[:, None]).reshape(-1)
    stacked = sp.csr_matrix((values.reshape(-1), np.tile(base.indices, count),
                             np.append(indptr, nnz * count).astype(np.int64)), shape=(count * local, form.num_cols))
    if outside.size:
        position = np.searchsorted(rows, uncertainty.coef_row[outside])
        extra = sp.csr_matrix((samples[:, uncertainty.coef_entries[outside]].reshape(-1),
                               ((np.arange(count)[:, None] * local + position[None, :]).reshape(-1),
                                np.tile(uncertainty.coef_col[outside], count))), shape=stacked.shape)
        stacked = (stacked + extra).tocsr()
    lower = np.tile(form.row_lower[rows], count).reshape(count, local)
    upper = np.tile(form.row_upper[rows], count).reshape(count, local)
    on_rows = np.isin(uncertainty.rhs_row, rows)
    if on_rows.any():
        position = np.searchsorted(rows, uncertainty.rhs_row[on_rows])
        drawn = samples[:, uncertainty.rhs_entries[on_rows]]
        le = uncertainty.sign[uncertainty.rhs_row[on_rows]] > 0
        upper[:, position[le]] = drawn[:, le]
        lower[:, position[~le]] = drawn[:, ~le]
    return stacked, lower.reshape(-1), upper.reshape(-1)


def scenario_form(uncertainty: RowUncertainty, count: int, seed: int | None) -> StandardForm:
    """The scenario program: every uncertain row in each of ``count`` sampled scenarios.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, Uniform
    >>> from opt_model.sensitivity.problem import AnalysisModel
    >>> m = om.Model(); x = m.add_variable("x"); _ = m.add_constraint("cap", x <= 10); m.maximize(x)
    >>> u = RowUncertainty.build(AnalysisModel.from_model(m), [Uncertain(capacity("cap"), Uniform(8, 12))])
    >>> form = scenario_form(u, 50, seed=0)
    >>> form.num_rows, bool(8 <= form.row_upper[0] < 8.5)
    (1, True)
    """
    if count < 1:
        raise ModelError(f"scenarios={count}: the scenario approach needs at least one scenario")
    form = uncertainty.analysis.form
    samples = uncertainty.sample(count, seed)
    A, row_lower, row_upper = form.A, form.row_lower.copy(), form.row_upper.copy()
    builder = RowBuilder(form, sp.csr_matrix(A), row_lower, row_upper, uncertainty.col_lower, uncertainty.col_upper)
    coef_rows = np.unique(uncertainty.coef_row)
    rhs_only = np.setdiff1d(uncertainty.rows, coef_rows)
    if rhs_only.size:
        _, low, up = scenario_rows(uncertainty, samples, rhs_only)
        builder.row_upper[rhs_only] = up.reshape(count, -1).min(axis=0)
        builder.row_lower[rhs_only] = low.reshape(count, -1).max(axis=0)
    if coef_rows.size:
        matrix, low, up = scenario_rows(uncertainty, samples, coef_rows)
        builder.add_csr_rows("scenario:csr", matrix.indptr.astype(np.int64), matrix.indices, matrix.data, low, up)
        builder.row_lower[coef_rows] = -np.inf
        builder.row_upper[coef_rows] = np.inf
    return builder.finish(f"{form.name}:scenario")


def saa_form(uncertainty: RowUncertainty, count: int, eps: float, seed: int | None) -> StandardForm:
    """Sample average approximation with one indicator per scenario (a MILP).

    Scenario ``k``'s rows are ``a_k x - M_k w_k <= b_k`` (``>=`` rows mirrored),
    ``M_k`` the largest violation possible within the variable bounds, and
    ``sum_k w_k <= floor(eps * count)``.
    """
    eps = _check_probability(eps, "eps")
    if count < 1:
        raise ModelError(f"scenarios={count}: the sample average approximation needs at least one scenario")
    form = uncertainty.analysis.form
    rows = uncertainty.rows
    samples = uncertainty.sample(count, seed)
    matrix, low, up = scenario_rows(uncertainty, samples, rows)
    sign = np.tile(uncertainty.sign[rows], count)
    bound = np.where(sign > 0, up, low)
    lower_col, upper_col = uncertainty.col_lower, uncertainty.col_upper
    signed = sp.diags(sign) @ matrix
    positive = signed.maximum(0).tocsr()
    negative = signed.minimum(0).tocsr()
    for part, limits, side in ((positive, upper_col, "upper"), (negative, lower_col, "lower")):
        used = np.unique(part.indices)
        infinite = used[~np.isfinite(limits[used])]
        if infinite.size:
            name = uncertainty.analysis.col_name(int(infinite[0]))
            raise ModelError(f"the indicator (big-M) formulation needs a finite {side} bound on {name}; give the "
                             "variable bounds, or use the scenario approach (method 'scenario')")
    with np.errstate(invalid="ignore"):
        largest = positive @ np.where(np.isfinite(upper_col), upper_col, 0.0) + \
            negative @ np.where(np.isfinite(lower_col), lower_col, 0.0)
    big_m = np.maximum(largest - sign * bound, 0.0) + 1e-6
    builder = RowBuilder(form, sp.csr_matrix(form.A), form.row_lower.copy(), form.row_upper.copy(), lower_col,
                       upper_col)
    builder.row_lower[rows] = -np.inf
    builder.row_upper[rows] = np.inf
    w_first = builder.add_cols("saa_indicator", count, 0.0, 1.0)
    coo = matrix.tocoo()
    scenario_of_row = np.repeat(np.arange(count), rows.size)
    builder.add_rows("saa_scenario", np.concatenate([coo.row, np.arange(matrix.shape[0])]),
                     np.concatenate([coo.col, w_first + scenario_of_row]),
                     np.concatenate([coo.data, -sign * big_m]), matrix.shape[0], low, up)
    builder.add_rows("saa_budget", np.zeros(count, dtype=np.int64), w_first + np.arange(count), np.ones(count), 1,
                     -np.inf, float(math.floor(eps * count)))
    robust = builder.finish(f"{form.name}:saa")
    integrality = np.zeros(robust.num_cols, dtype=np.int32) if robust.integrality is None else robust.integrality
    integrality[w_first:w_first + count] = 1
    robust.integrality = integrality
    return robust
