"""HighsSession: in-place changes, warm re-solves, the optimality guard, ranging, IIS, relaxation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from solvers import ResidualTolerances, Sense, SolveStatus, StandardForm, check_optimality, solve
from solvers.highs import HighsSession


def wyndor_form(extra_row: bool = False) -> StandardForm:
    rows = [[1.0, 0], [0, 2], [3, 2]] + ([[1, 1]] if extra_row else [])
    upper = [4.0, 12, 18] + ([8.0] if extra_row else [])
    return StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE, A=sp.csr_matrix(np.array(rows)),
                        row_lower=np.full(len(upper), -np.inf), row_upper=np.array(upper),
                        col_lower=np.zeros(2), col_upper=np.full(2, np.inf))


def random_lp(seed: int, sense: Sense, m: int = 12, n: int = 9) -> StandardForm:
    """A feasible, bounded, generically non-degenerate LP with <=, >= and = rows."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.1, 2.0, size=(m, n)) * (rng.random((m, n)) < 0.7)
    x0 = rng.uniform(0.5, 2.0, n)
    activity = A @ x0
    lower = np.full(m, -np.inf)
    upper = activity + rng.uniform(0.1, 1.0, m)
    ge = np.arange(m) % 3 == 1
    lower[ge] = activity[ge] - rng.uniform(0.1, 1.0, ge.sum())
    upper[ge] = np.inf
    eq = np.arange(m) % 5 == 4
    lower[eq] = upper[eq] = activity[eq]
    c = rng.uniform(-3, 3, n)
    return StandardForm(c=c, sense=sense, A=sp.csr_matrix(A), row_lower=lower, row_upper=upper,
                        col_lower=np.zeros(n), col_upper=np.full(n, 5.0))


def changed(form: StandardForm, **fields: np.ndarray) -> StandardForm:
    copy = StandardForm(c=form.c.copy(), sense=form.sense, A=form.A.copy(), row_lower=form.row_lower.copy(),
                        row_upper=form.row_upper.copy(), col_lower=form.col_lower.copy(),
                        col_upper=form.col_upper.copy())
    for key, value in fields.items():
        setattr(copy, key, value)
    return copy


def test_warm_resolve_matches_a_fresh_solve_after_each_kind_of_change() -> None:
    form = random_lp(3, Sense.MINIMIZE)
    session = HighsSession(form)
    assert session.solve().status is SolveStatus.OPTIMAL
    rng = np.random.default_rng(7)

    costs = form.c.copy()
    costs[[1, 4]] += rng.uniform(-1, 1, 2)
    session.change_costs([1, 4], costs[[1, 4]])
    warm = session.solve()
    cold = solve(changed(form, c=costs))
    assert warm.extra["warm"] and warm.objective == pytest.approx(cold.objective, abs=1e-8)

    col_upper = form.col_upper.copy()
    col_upper[[0, 2]] = [0.7, 1.1]
    session.change_col_bounds([0, 2], form.col_lower[[0, 2]], col_upper[[0, 2]])
    warm = session.solve()
    cold = solve(changed(form, c=costs, col_upper=col_upper))
    assert warm.objective == pytest.approx(cold.objective, abs=1e-8)

    row_upper = form.row_upper.copy()
    row_upper[0] += 0.3
    session.change_row_bounds([0], form.row_lower[[0]], row_upper[[0]])
    warm = session.solve()
    cold = solve(changed(form, c=costs, col_upper=col_upper, row_upper=row_upper))
    assert warm.objective == pytest.approx(cold.objective, abs=1e-8)

    A = form.A.toarray()
    A[2, 3] = 0.9  # may or may not be a nonzero already
    A[5, 0] = 0.0
    session.change_coefficients([2, 5], [3, 0], [0.9, 0.0])
    warm = session.solve()
    cold = solve(changed(form, c=costs, col_upper=col_upper, row_upper=row_upper, A=sp.csr_matrix(A)))
    assert warm.objective == pytest.approx(cold.objective, abs=1e-8)
    assert np.allclose(session.form.A.toarray(), A)
    assert warm.extra["residuals"]["ok"]
    assert session.stats.warm_solves == 4 and session.stats.cold_fallbacks == 0


@pytest.mark.parametrize("sense", [Sense.MINIMIZE, Sense.MAXIMIZE])
def test_duals_are_derivatives_of_the_objective(sense: Sense) -> None:
    """row_dual = d obj / d rhs and reduced_cost = d obj / d bound, for min and max (finite differences)."""
    form = random_lp(11, sense)
    session = HighsSession(form)
    base = session.solve()
    assert base.row_dual is not None and base.reduced_cost is not None and base.row_activity is not None
    basis = session.basis()
    step = 1e-5
    for row in range(form.num_rows):
        lower, upper = form.row_lower[row], form.row_upper[row]
        moves_upper = np.isfinite(upper) and (not np.isfinite(lower) or
                                             abs(base.row_activity[row] - upper) <= abs(base.row_activity[row] - lower))
        new_lower = lower + step if (not moves_upper or lower == upper) else lower
        new_upper = upper + step if (moves_upper or lower == upper) else upper
        session.change_row_bounds([row], [new_lower], [new_upper])
        moved = session.solve()
        session.change_row_bounds([row], [lower], [upper])
        session.set_basis(basis)
        assert (moved.objective - base.objective) / step == pytest.approx(base.row_dual[row], abs=1e-5)
    for col in range(form.num_cols):
        at_upper = abs(base.x[col] - form.col_upper[col]) < 1e-9
        bound = form.col_upper[col] if at_upper else form.col_lower[col]
        direction = -1.0 if at_upper else 1.0  # move into the box
        low = bound + direction * step if not at_upper else form.col_lower[col]
        up = bound + direction * step if at_upper else form.col_upper[col]
        session.change_col_bounds([col], [low], [up])
        moved = session.solve()
        session.change_col_bounds([col], [form.col_lower[col]], [form.col_upper[col]])
        session.set_basis(basis)
        if abs(base.x[col] - bound) < 1e-9:  # nonbasic at that bound: derivative is the reduced cost
            assert (moved.objective - base.objective) / (direction * step) == pytest.approx(
                base.reduced_cost[col], abs=1e-5)


def test_wyndor_duals_have_the_textbook_signs() -> None:
    result = HighsSession(wyndor_form()).solve()
    assert result.objective == 36.0
    assert np.allclose(result.row_dual, [0, 1.5, 1.0])
    assert np.allclose(result.x, [2, 6])


def test_check_optimality_rejects_wrong_answers() -> None:
    form = wyndor_form()
    good = HighsSession(form).solve()
    args = (good.x, good.row_activity, good.row_dual, good.reduced_cost, good.objective)
    assert check_optimality(form, *args).ok
    x = np.array([2.0, 6.5])  # infeasible: 2 x2 = 13 > 12
    assert not check_optimality(form, x, form.A @ x, good.row_dual, good.reduced_cost, 38.5).ok
    x = np.array([2.0, 5.0])  # feasible, suboptimal; the old duals leave a complementarity gap
    verdict = check_optimality(form, x, form.A @ x, good.row_dual, good.reduced_cost, 31.0)
    assert not verdict.ok and verdict.gap > 0
    wrong_sign = np.array([0.0, -1.5, 1.0])  # raising plant2's capacity cannot hurt a max problem
    verdict = check_optimality(form, good.x, good.row_activity, wrong_sign, form.c - form.A.T @ wrong_sign, 36.0)
    assert not verdict.ok and verdict.dual_infeasibility > 0
    assert not check_optimality(form, good.x, good.row_activity + 1.0, good.row_dual, good.reduced_cost, 36.0).ok


def test_failed_check_triggers_a_counted_cold_resolve() -> None:
    """With an impossible tolerance every warm answer fails: each is re-solved cold and counted."""
    session = HighsSession(wyndor_form(), tolerances=ResidualTolerances(primal=-1.0))
    session.solve()
    for capacity in (13.0, 14.0):
        session.change_row_bounds([1], [-np.inf], [capacity])
        result = session.solve()
        assert result.extra["fallback"] and not result.extra["warm"]
        assert result.objective == pytest.approx(36.0 + 1.5 * (capacity - 12))
        assert "fails the optimality check" in result.message
    assert session.stats.cold_fallbacks == 2
    assert session.stats.failed_after_cold == 2
    assert session.stats.cold_solves == 3


def test_infeasible_warm_answer_is_confirmed_cold() -> None:
    session = HighsSession(wyndor_form())
    session.solve()
    session.change_row_bounds([0], [5.0], [5.0])       # x1 == 5
    session.change_row_bounds([2], [-np.inf], [12.0])  # 3 x1 + 2 x2 <= 12 cannot hold with x1 == 5
    result = session.solve()
    assert result.status is SolveStatus.INFEASIBLE
    assert session.stats.confirmations == 1 and session.stats.status_changed_on_confirm == 0


def test_basis_snapshot_restores_the_optimal_start() -> None:
    session = HighsSession(wyndor_form())
    session.solve()
    optimal = session.basis()
    assert optimal.basic.tolist() == [0, 1, 2]  # x1, x2 and the slack of plant1
    session.change_costs([0], [10.0])
    assert session.solve().x.tolist() == [4.0, 3.0]
    session.change_costs([0], [3.0])
    session.set_basis(optimal)
    again = session.solve()
    assert again.iterations["simplex"] == 0 and again.objective == 36.0
    assert optimal.col_status.tolist() == [1, 1] and optimal.row_status.tolist() == [1, 2, 2]


def test_ranging_arrays_match_highs_textbook_values() -> None:
    session = HighsSession(wyndor_form())
    session.solve()
    ranging = session.ranging()
    assert ranging.cost_down.value.tolist() == [0.0, 2.0]
    assert ranging.cost_up.value.tolist() == [7.5, np.inf]
    assert ranging.row_bound_down.value[1:].tolist() == [6.0, 12.0]
    assert ranging.row_bound_up.value[1:].tolist() == [18.0, 24.0]
    assert ranging.row_bound_up.objective[1:].tolist() == [45.0, 42.0]


def test_iis_and_feasibility_relaxation() -> None:
    # x1 + x2 >= 10, x1 <= 3 (row), x2 <= 4 (bound), x3 <= 5 (unrelated)
    form = StandardForm(c=np.zeros(3), A=sp.csr_matrix(np.array([[1.0, 1, 0], [1, 0, 0], [0, 0, 1]])),
                        row_lower=np.array([10.0, -np.inf, -np.inf]), row_upper=np.array([np.inf, 3.0, 5.0]),
                        col_lower=np.zeros(3), col_upper=np.array([np.inf, 4.0, np.inf]))
    session = HighsSession(form)
    assert session.solve().status is SolveStatus.INFEASIBLE
    iis = session.iis()
    assert iis.valid and sorted(iis.rows.tolist()) == [0, 1]
    assert dict(zip(iis.rows.tolist(), iis.row_bounds, strict=True)) == {0: "lower", 1: "upper"}
    assert dict(zip(iis.cols.tolist(), iis.col_bounds, strict=True))[1] == "upper"
    relaxed = session.feasibility_relaxation(row_penalty=np.array([-1.0, 1.0, 1.0]), col_upper_penalty=2.0)
    assert relaxed.status is SolveStatus.OPTIMAL
    assert relaxed.total_penalty == pytest.approx(3.0)  # cheapest: raise row 1 by 3 (x2's bound costs 2/unit)
    assert relaxed.row_violation.tolist() == pytest.approx([0.0, 3.0, 0.0])


def test_milp_session_has_no_duals_and_no_warm_flag() -> None:
    form = StandardForm(c=np.array([5.0, 4.0, 3.0]), sense=Sense.MAXIMIZE,
                        A=sp.csr_matrix(np.array([[2.0, 3.0, 1.0]])), row_lower=np.array([-np.inf]),
                        row_upper=np.array([5.0]), col_lower=np.zeros(3), col_upper=np.ones(3),
                        integrality=np.ones(3, dtype=np.int32))
    session = HighsSession(form)
    first = session.solve()
    assert first.objective == 9.0 and first.row_dual is None
    session.change_costs([2], [6.0])
    second = session.solve()
    assert second.objective == 11.0 and not second.extra["warm"]


def test_check_optimality_sees_violations_next_to_infinite_bounds() -> None:
    """A row with only an upper bound (lower = -inf) must still report its violation, not NaN."""
    form = wyndor_form()
    good = HighsSession(form).solve()
    x = np.array([2.0, 7.0])
    verdict = check_optimality(form, x, form.A @ x, None, None, 41.0)
    assert not verdict.ok and verdict.primal_infeasibility == pytest.approx(2.0 / 13.0)
    assert np.isfinite(check_optimality(form, good.x, good.row_activity, good.row_dual, good.reduced_cost,
                                        36.0).primal_infeasibility)


def knapsack_form(n: int = 40, seed: int = 3) -> StandardForm:
    """Two-constraint 0/1 knapsack whose optimum moves with the first capacity."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(10, 60, n).astype(float)
    A = sp.csr_matrix(np.vstack([weight, rng.integers(1, 30, n)]))
    return StandardForm(c=weight + rng.integers(0, 20, n), sense=Sense.MAXIMIZE, A=A,
                        row_lower=np.full(2, -np.inf), row_upper=np.array([500.0, 300.0]), col_lower=np.zeros(n),
                        col_upper=np.ones(n), integrality=np.ones(n, dtype=np.int32))


def test_milp_resolve_from_the_incumbent_gives_the_cold_answer() -> None:
    """set_solution: each MILP re-solve starts from the nominal incumbent and ends where a cold solve ends."""
    form = knapsack_form()
    session = HighsSession(form)
    assert session.takes_solution
    nominal = session.solve()
    assert not nominal.extra["mip_start"]
    for capacity in (480.0, 499.0, 501.0, 510.0, 560.0):  # tighter (start infeasible) and looser (start feasible)
        session.change_row_bounds([0], [-np.inf], [capacity])
        session.set_solution(nominal.x)
        warm = session.solve()
        cold = solve(changed(form, row_upper=np.array([capacity, 300.0]), integrality=form.integrality), "highs")
        assert warm.status is SolveStatus.OPTIMAL and warm.extra["mip_start"]
        assert warm.objective == pytest.approx(cold.objective, abs=1e-9)
        assert float(form.c @ warm.x) == pytest.approx(cold.objective, abs=1e-9)
        assert float((form.A @ warm.x)[0]) <= capacity + 1e-9
    assert session.stats.mip_starts == 5


def test_the_start_is_used_when_the_search_may_not_find_one() -> None:
    """With no branch-and-bound node allowed, a cold solve has no solution; the given start is the incumbent."""
    form = knapsack_form()
    nominal = HighsSession(form).solve()
    session = HighsSession(form, {"mip_max_nodes": 0, "presolve": False, "mip_heuristic_effort": 0.0})
    session.change_row_bounds([0], [-np.inf], [510.0])
    assert session.solve().x is None
    session.set_solution(nominal.x)
    started = session.solve()
    assert started.x is not None and started.objective == pytest.approx(nominal.objective)


def test_set_solution_checks_its_point_and_lps_ignore_it() -> None:
    from solvers.errors import ModelError
    session = HighsSession(knapsack_form())
    with pytest.raises(ModelError, match="one value per column"):
        session.set_solution(np.zeros(3))
    with pytest.raises(ModelError, match="finite"):
        session.set_solution(np.full(40, np.nan))
    lp = HighsSession(wyndor_form())
    assert not lp.takes_solution
    lp.solve()
    lp.set_solution(np.array([0.0, 0.0]))  # accepted, ignored: the LP restarts from its basis
    again = lp.solve()
    assert again.objective == 36.0 and again.extra["warm"] and "mip_start" not in again.extra


def test_highs_qp_takes_no_hot_start_so_qp_sessions_say_cold() -> None:
    """HiGHS's QP solver (1.16) starts from its own phase-1 point: a basis from the last solve saves no
    iteration.  So a QP session reports warm_start False and robustness says its QP scenarios run cold;
    if a HiGHS release starts using the basis, this test fails and the session can switch warm starts on."""
    n = 12
    rng = np.random.default_rng(1)
    A = sp.csr_matrix(rng.uniform(0.0, 1.0, (6, n)))
    M = rng.normal(size=(n, n))
    form = StandardForm(c=rng.normal(size=n), sense=Sense.MINIMIZE, A=A, row_lower=np.full(6, -np.inf),
                        row_upper=np.ones(6), col_lower=np.zeros(n), col_upper=np.full(n, 10.0),
                        Q=sp.csc_matrix(M @ M.T + 0.1 * np.eye(n)))
    session = HighsSession(form)
    assert not session.warm_start and session.gives_basis
    session.solve()
    basis = session.basis()
    upper = np.ones(6)
    upper[0] = 0.7
    session.change_row_bounds(np.arange(6), np.full(6, -np.inf), upper)
    session.set_basis(basis)
    warm = session.solve()
    cold = HighsSession(changed(form, row_upper=upper, Q=form.Q)).solve()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.iterations["qp"] == cold.iterations["qp"] > 0 and not warm.extra["warm"]
