"""Robust counterparts against hand-solved cases, brute force and a separately written CVXPY model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import linprog

import opt_model as om
from opt_model.errors import ModelError
from opt_model.robust.counterpart import counterpart, protection
from opt_model.robust.protect import robust_counterpart, row_uncertainty
from opt_model.sensitivity.uncertainty import Uncertain, Uniform, capacity, coefficient, relative

# A knapsack-like row in the spirit of Bertsimas & Sim (2004, section 6): items with values c,
# nominal weights a and weight deviations h (uniform on [a - h, a + h]), capacity b.
VALUES = np.array([10.0, 9.0, 7.0, 6.0, 4.0])
WEIGHTS = np.array([6.0, 5.0, 4.0, 4.0, 3.0])
DEVIATIONS = np.array([3.0, 1.0, 2.0, 0.5, 1.5])
CAPACITY = 12.0


def knapsack(integer: bool = False) -> tuple[om.Model, list[Uncertain]]:
    model = om.Model("knapsack")
    item = om.Dim("item", [f"i{k}" for k in range(VALUES.size)])
    take = model.add_variables("take", dims=item, ub=1, integer=integer)
    weight = om.data(WEIGHTS, dims=item, name="weight")
    model.add_constraints("capacity", (weight * take).sum() <= CAPACITY)
    model.maximize((om.data(VALUES, dims=item, name="value") * take).sum())
    params = [Uncertain(coefficient("capacity", f"take[i{k}]"), Uniform(WEIGHTS[k] - DEVIATIONS[k],
                                                                          WEIGHTS[k] + DEVIATIONS[k]))
              for k in range(VALUES.size)]
    return model, params


def worst_case_usage(x: np.ndarray, gamma: float) -> float:
    """max over adversaries: floor(Gamma) items at their worst, plus (Gamma - floor) of one more."""
    whole = math.floor(gamma)
    share = gamma - whole
    deviation = DEVIATIONS * np.abs(x)
    worst = 0.0
    items = range(VALUES.size)
    for chosen in itertools.combinations(items, min(whole, VALUES.size)):
        rest = [k for k in items if k not in chosen]
        extra = max((share * deviation[k] for k in rest), default=0.0)
        worst = max(worst, float(deviation[list(chosen)].sum()) + extra)
    return float(WEIGHTS @ x) + worst


def enumerated_robust_lp(gamma: float) -> float:
    """The robust LP with one constraint per adversary (subset S, fractional item t): no duality used."""
    whole = math.floor(gamma)
    share = gamma - whole
    rows = []
    n = VALUES.size
    for size in range(0, min(whole, n) + 1):
        for chosen in itertools.combinations(range(n), size):
            for t in [None, *[k for k in range(n) if k not in chosen]]:
                if size < min(whole, n) and t is not None:
                    continue
                row = WEIGHTS.copy()
                row[list(chosen)] += DEVIATIONS[list(chosen)]
                if t is not None:
                    row[t] += share * DEVIATIONS[t]
                rows.append(row)
    result = linprog(-VALUES, A_ub=np.array(rows), b_ub=np.full(len(rows), CAPACITY), bounds=(0, 1))
    assert result.status == 0
    return float(-result.fun)


GAMMAS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_budget_counterpart_equals_the_robust_lp_over_every_adversary(gamma: float) -> None:
    model, params = knapsack()
    plan = robust_counterpart(model, params, method="budget", gamma=gamma)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(enumerated_robust_lp(gamma), rel=1e-7)
    # the plan survives the worst adversary of its budget, and that adversary uses the whole capacity
    x = plan.x
    assert x is not None
    assert worst_case_usage(x, gamma) == pytest.approx(CAPACITY, abs=1e-6)
    # protection() reports the same worst case
    unc = row_uncertainty(model, params)
    assert float(WEIGHTS @ x + protection(unc, x, "budget", gamma)[0]) == pytest.approx(worst_case_usage(x, gamma))


def test_objective_falls_with_gamma_from_nominal_to_box() -> None:
    model, params = knapsack()
    objectives = [robust_counterpart(model, params, method="budget", gamma=g).objective for g in GAMMAS]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(objectives))
    assert objectives[0] == pytest.approx(model.solve().objective)
    box = robust_counterpart(model, params, method="box")
    assert objectives[-1] == pytest.approx(box.objective)
    assert objectives[0] > objectives[2] > objectives[-1]


@pytest.mark.parametrize("gamma", (0.0, 1.0, 1.5, 2.0, 5.0))
def test_budget_counterpart_of_a_milp_stays_a_milp_and_matches_enumeration(gamma: float) -> None:
    model, params = knapsack(integer=True)
    unc = row_uncertainty(model, params)
    form = counterpart(unc, "budget", gamma).form
    assert form.problem_class.value == "MILP"
    plan = robust_counterpart(model, params, method="budget", gamma=gamma)
    best = max(float(VALUES @ np.array(bits)) for bits in itertools.product((0, 1), repeat=VALUES.size)
               if worst_case_usage(np.array(bits, dtype=float), gamma) <= CAPACITY + 1e-9)
    assert plan.objective == pytest.approx(best)


def wyndor() -> om.Model:
    model = om.Model("wyndor")
    x1 = model.add_variable("x1")
    x2 = model.add_variable("x2")
    model.add_constraint("plant1", x1 <= 4)
    model.add_constraint("plant2", 2 * x2 <= 12)
    model.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18)
    model.maximize(3 * x1 + 5 * x2)
    return model


def test_box_counterpart_of_wyndor_solved_by_hand() -> None:
    # x1's hours in plant 3 are 2..4 (nominal 3) and plant 3's 18 hours are +-10 %: the box counterpart is
    # 4 x1 + 2 x2 <= 16.2 with x2 <= 6 (plant 2), so x2 = 6, x1 = (16.2 - 12) / 4 = 1.05, z = 3.15 + 30 = 33.15.
    params = [Uncertain(coefficient("plant3", "x1"), Uniform(2, 4)), Uncertain(capacity("plant3"), relative(10))]
    plan = robust_counterpart(wyndor(), params, method="box")
    assert plan.objective == pytest.approx(33.15)
    assert plan.variable_values() == pytest.approx({"x1": 1.05, "x2": 6.0})
    # a budget of one uncertain number: the worse of the two deviations (x1 * 1 or 1.8 hours)
    # at x2 = 6: 3 x1 + 12 + max(x1, 1.8) <= 18 -> x1 = 1.4 (then x1 < 1.8), z = 4.2 + 30
    one = robust_counterpart(wyndor(), params, method="budget", gamma=1)
    assert one.objective == pytest.approx(34.2)


def test_ge_rows_are_protected_downwards() -> None:
    # cover demand: x >= d with d uniform on [8, 12]: the box plan covers the worst demand 12
    model = om.Model("cover")
    x = model.add_variable("x")
    model.add_constraint("demand", x >= 10)
    model.minimize(2 * x)
    plan = robust_counterpart(model, [Uncertain(capacity("demand"), Uniform(8, 12))], method="box")
    assert plan.objective == pytest.approx(24.0)


def test_ellipsoid_counterpart_matches_a_separate_cvxpy_model() -> None:
    cp = pytest.importorskip("cvxpy")
    omega = 1.3
    model, params = knapsack()
    plan = robust_counterpart(model, params, method="ellipsoid", omega=omega)
    assert plan.status == "optimal"
    x = cp.Variable(VALUES.size)
    problem = cp.Problem(cp.Maximize(VALUES @ x),
                         [WEIGHTS @ x + omega * cp.norm(cp.multiply(DEVIATIONS, x), 2) <= CAPACITY, x >= 0, x <= 1])
    problem.solve()
    assert plan.objective == pytest.approx(problem.value, rel=1e-5)
    assert plan.x == pytest.approx(x.value, abs=1e-4)
    # and it lies between the nominal and the box plans
    assert robust_counterpart(model, params, method="box").objective < plan.objective < model.solve().objective


def test_ellipsoid_with_a_right_hand_side_and_a_ge_row_against_cvxpy() -> None:
    cp = pytest.importorskip("cvxpy")
    model = om.Model("cover")
    x = model.add_variable("x")
    y = model.add_variable("y")
    model.add_constraint("demand", 2 * x + y >= 10)
    model.minimize(3 * x + 2 * y)
    params = [Uncertain(coefficient("demand", "x"), Uniform(1.5, 2.5)), Uncertain(capacity("demand"), Uniform(9, 11))]
    plan = robust_counterpart(model, params, method="ellipsoid", omega=2.0)
    v = cp.Variable(2)
    problem = cp.Problem(cp.Minimize(3 * v[0] + 2 * v[1]),
                         [2 * v[0] + v[1] - 2.0 * cp.norm(cp.hstack([0.5 * v[0], 1.0]), 2) >= 10, v >= 0])
    problem.solve()
    assert plan.objective == pytest.approx(problem.value, rel=1e-5)


def test_free_variables_get_absolute_value_columns() -> None:
    # x may be negative: |x| enters the protection; max x + y with (1 +- 0.5) x + y <= 4, -3 <= x <= 3, y <= 2
    model = om.Model("free")
    x = model.add_variable("x", lb=-3, ub=3)
    y = model.add_variable("y", ub=2)
    model.add_constraint("row", x + y <= 4)
    model.maximize(x - 0.25 * y)
    params = [Uncertain(coefficient("row", "x"), Uniform(0.5, 1.5))]
    plan = robust_counterpart(model, params, method="box")
    # 1.5 x <= 4 - y with y = 0 at the optimum: x = 8/3
    assert plan.objective == pytest.approx(8 / 3)
    # brute check on a grid: no better robust-feasible point
    grid = np.linspace(-3, 3, 121)
    best = max(xv - 0.25 * yv for xv in grid for yv in np.linspace(0, 2, 41)
               if max(0.5 * xv, 1.5 * xv) + yv <= 4 + 1e-12)
    assert plan.objective >= best - 1e-9


def test_block_coefficient_targets_cover_every_usage_coefficient() -> None:
    model = om.Model()
    host = om.Dim("host", ["h1", "h2"])
    job = om.Dim("job", ["a", "b", "c"])
    share = model.add_variables("share", dims=(job, host), ub=1)
    need = om.data([[4, 4], [2, 2], [3, 3]], dims=(job, host), name="need")
    model.add_resource("memory", capacity=om.data({"h1": 5, "h2": 4}, dims=host)).add_usage(
        (need * share).sum("job"))
    model.add_constraints("once", share.sum("host") <= 1)
    model.maximize(share.sum())
    unc = row_uncertainty(model, [Uncertain(coefficient("memory", "share"), relative(20))])
    rows = unc.analysis.row_indices("memory").tolist()
    assert unc.coef_row.tolist() == [rows[0]] * 3 + [rows[1]] * 3
    assert unc.coef_half.tolist() == pytest.approx([0.8, 0.4, 0.6, 0.8, 0.4, 0.6])
    assert unc.coef_center.tolist() == pytest.approx([4, 2, 3, 4, 2, 3])


def test_bad_requests_are_clear_errors() -> None:
    model, params = knapsack()
    with pytest.raises(ModelError, match="Gamma"):
        robust_counterpart(model, params, method="budget", gamma=-1)
    with pytest.raises(ModelError, match="unknown robust method"):
        robust_counterpart(model, params, method="octahedron")
    with pytest.raises(ModelError, match="no uncertain parameters"):
        robust_counterpart(model, None, method="box")
    eq = om.Model()
    z = eq.add_variable("z")
    eq.add_constraint("fixed", z == 3)
    eq.minimize(z)
    with pytest.raises(ModelError, match="equality"):
        robust_counterpart(eq, [Uncertain(capacity("fixed"), relative(5))], method="box")


def random_protected_model(seed: int) -> tuple[om.Model, list[Uncertain]]:
    """Rows <= and >=, columns >= 0 and <= 0, asymmetric coefficient intervals, uncertain right-hand sides."""
    rng = np.random.default_rng(seed)
    model = om.Model(f"random{seed}")
    cols = [model.add_variable(f"x{k}", lb=0, ub=4) if k % 3 else model.add_variable(f"x{k}", lb=-4, ub=0)
            for k in range(7)]
    params: list[Uncertain] = []
    for r in range(5):
        picked = sorted(rng.choice(7, size=4, replace=False).tolist())
        weights = rng.uniform(0.5, 3.0, size=4) * np.where(np.array(picked) % 3 == 0, -1.0, 1.0)
        usage = sum(float(w) * cols[k] for w, k in zip(weights, picked, strict=True))
        if r % 2:
            model.add_constraint(f"r{r}", usage >= 1.0 + r)
        else:
            model.add_constraint(f"r{r}", usage <= 6.0 + r)
        for w, k in zip(weights[:3], picked[:3], strict=True):  # asymmetric: the center moves off the nominal
            low, high = sorted((float(w) * 0.7, float(w) * 1.5))
            params.append(Uncertain(coefficient(f"r{r}", f"x{k}"), Uniform(low, high)))
        if r != 2:
            params.append(Uncertain(capacity(f"r{r}"), relative(10)))
    model.maximize(sum(float(c) * v for c, v in zip(rng.uniform(-1, 2, size=7), cols, strict=True)))
    return model, params


@pytest.mark.parametrize("seed", range(6))
def test_fused_budget_build_matches_the_general_builder_and_the_worst_case(seed: int) -> None:
    from opt_model.robust.counterpart import RowBuilder, box_form, box_rows, budget_form, budget_rows
    from solvers import solve

    model, params = random_protected_model(seed)
    unc = row_uncertainty(model, params)
    assert unc.shifted_coefficients().size > 0  # the fused build moves coefficients to their centers too
    form = unc.analysis.form
    box = box_form(unc, "box")
    assert box is not None and box.num_rows == form.num_rows and box.num_cols == form.num_cols
    A, low, up = unc.centered_form_arrays()
    builder = RowBuilder(form, A, low.copy(), up.copy(), unc.col_lower, unc.col_upper)
    box_rows(builder, unc)
    fused_box, general_box = solve(box), solve(builder.finish("general box"))
    assert fused_box.status.value == general_box.status.value
    if fused_box.status.value == "optimal":
        assert fused_box.objective == pytest.approx(general_box.objective, rel=1e-7, abs=1e-7)
        x = np.asarray(fused_box.x)
        guard = protection(unc, x, "box")
        rows = unc.rows
        le = unc.sign[rows] > 0
        assert np.all((A @ x)[rows][le] + guard[le] <= up[rows][le] + 1e-6)
        assert np.all((A @ x)[rows][~le] - guard[~le] >= low[rows][~le] - 1e-6)
    for gamma in (0.5, 1.0, 2.5):
        fused = budget_form(unc, gamma, "fused")
        assert fused is not None
        A, low, up = unc.centered_form_arrays()
        builder = RowBuilder(form, A, low, up, unc.col_lower, unc.col_upper)
        budget_rows(builder, unc, gamma)
        general = builder.finish("general")
        a, b = solve(fused), solve(general)
        assert a.status.value == b.status.value
        if a.status.value != "optimal":
            continue
        assert a.objective == pytest.approx(b.objective, rel=1e-7, abs=1e-7)
        # the fused plan holds against the worst Gamma deviations of every protected row
        x = np.asarray(a.x[:form.num_cols])
        centered = A @ x
        guard = protection(unc, x, "budget", gamma)
        rows = unc.rows
        le = unc.sign[rows] > 0
        assert np.all(centered[rows][le] + guard[le] <= up[rows][le] + 1e-6)
        assert np.all(centered[rows][~le] - guard[~le] >= low[rows][~le] - 1e-6)
