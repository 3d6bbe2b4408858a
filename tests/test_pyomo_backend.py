"""The Pyomo backend: status maps, StandardForm <-> Pyomo translation, options and errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

pyo = pytest.importorskip("pyomo.environ")

from pyomo.contrib.solver.common.results import TerminationCondition as ContribTermination  # noqa: E402
from pyomo.opt import TerminationCondition as LegacyTermination  # noqa: E402

from solvers import (  # noqa: E402
    ConeBlock,
    ModelError,
    Sense,
    SolveOptions,
    SolverError,
    SolverNotAvailableError,
    SolveStatus,
    StandardForm,
    UnsupportedProblemError,
    get_backend,
    solve,
)
from solvers.pyomo_backend import (  # noqa: E402
    CONTRIB_STATUS_MAP,
    LEGACY_STATUS_MAP,
    PyomoBackend,
    SolveOutcome,
    form_to_pyomo,
    glpk_status_from_log,
    map_contrib_status,
    map_legacy_status,
    pyomo_to_form,
    refine_feasible,
)

INF = np.inf


def _require(variant: str) -> None:
    if variant not in PyomoBackend.installed_variants():
        pytest.skip(f"pyomo:{variant} is not installed")


@pytest.fixture(autouse=True)
def _quiet_pyomo(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="pyomo")


def _mixed_form() -> StandardForm:
    """The conformance suite's mixed minimisation (>=, ==, ranged, free rows; z = 4)."""
    A = np.array([[1, 1, 1, 1, 0, 0], [1, -1, 0, 0, 0, 0], [1, 0, 2, 0, 0, 0], [0, 0, 0, 0, 0, 1],
                  [1, 0, 0, 0, 1, 0]], dtype=float)
    return StandardForm(c=np.array([1.0, 4, 1, 5, -1, 1]), A=sp.csr_matrix(A),
                        row_lower=np.array([4.0, 1, 2, 1, -INF]), row_upper=np.array([INF, 1, 6, 4, INF]),
                        col_lower=np.zeros(6), col_upper=np.array([INF, INF, 10, INF, 2, INF]), name="mixed")


def _hand_model() -> Any:
    """A Pyomo model written the way people write them: indexed sets, all constraint shapes."""
    m = pyo.ConcreteModel(name="plant")
    m.products = pyo.Set(initialize=["chairs", "tables"])
    m.make = pyo.Var(m.products, bounds=(0, 40))
    m.overtime = pyo.Var(within=pyo.NonNegativeReals)
    m.trucks = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 3))
    m.ship = pyo.Var(within=pyo.Binary)
    m.fixed_cost = pyo.Var(initialize=5.0)
    m.fixed_cost.fix()
    profit = {"chairs": 45, "tables": 80}
    m.obj = pyo.Objective(expr=sum(profit[p] * m.make[p] for p in m.products) - 20 * m.overtime
                          - m.fixed_cost - 7 * m.trucks - m.ship + 3, sense=pyo.maximize)
    m.wood = pyo.Constraint(expr=5 * m.make["chairs"] + 20 * m.make["tables"] <= 400)
    m.labour = pyo.Constraint(expr=10 * m.make["chairs"] + 15 * m.make["tables"] <= 450 + m.overtime)
    m.balance = pyo.Constraint(expr=pyo.inequality(2, m.make["chairs"] - m.make["tables"], 30))
    m.crew = pyo.Constraint(expr=m.overtime == 10 - m.fixed_cost)  # a fixed variable on the right
    m.min_trucks = pyo.Constraint(expr=m.trucks + m.ship >= 1)
    return m


# ---------------------------------------------------------------------------------------------
# statuses


def test_legacy_status_map_walks_the_whole_enum() -> None:
    members = set(LegacyTermination.__members__)
    assert set(LEGACY_STATUS_MAP) == members
    for member in LegacyTermination:
        assert isinstance(map_legacy_status(member), SolveStatus)


def test_contrib_status_map_walks_the_whole_enum() -> None:
    members = set(ContribTermination.__members__)
    assert set(CONTRIB_STATUS_MAP) == members
    for member in ContribTermination:
        assert isinstance(map_contrib_status(member), SolveStatus)


def test_status_meanings() -> None:
    assert map_legacy_status(LegacyTermination.optimal) is SolveStatus.OPTIMAL
    assert map_legacy_status(LegacyTermination.infeasible) is SolveStatus.INFEASIBLE
    assert map_legacy_status(LegacyTermination.maxTimeLimit) is SolveStatus.TIME_LIMIT
    assert map_legacy_status("not a member") is SolveStatus.ERROR
    assert map_contrib_status(ContribTermination.provenInfeasible) is SolveStatus.INFEASIBLE
    assert map_contrib_status(ContribTermination.convergenceCriteriaSatisfied) is SolveStatus.OPTIMAL
    assert map_contrib_status(ContribTermination.infeasibleOrUnbounded) is SolveStatus.INFEASIBLE_OR_UNBOUNDED


def test_feasible_is_refined_by_gap_and_clock() -> None:
    stopped = SolveOutcome(SolveStatus.ITERATION_LIMIT, "feasible", bound=100.0, incumbent=99.0)
    assert refine_feasible(stopped, SolveOptions(mip_gap=0.05), 1.0) is SolveStatus.OPTIMAL
    assert refine_feasible(stopped, SolveOptions(), 1.0) is SolveStatus.ITERATION_LIMIT
    assert refine_feasible(stopped, SolveOptions(time_limit=1.0), 0.99) is SolveStatus.TIME_LIMIT


def test_glpk_log_wording() -> None:
    """GLPK 5 words these outcomes differently from what Pyomo's GLPK plugin looks for."""
    error = SolveStatus.ERROR
    assert glpk_status_from_log("LP HAS NO PRIMAL FEASIBLE SOLUTION\n", error, "other")[0] is SolveStatus.INFEASIBLE
    assert glpk_status_from_log("LP HAS UNBOUNDED PRIMAL SOLUTION", error, "other")[0] is SolveStatus.UNBOUNDED
    assert glpk_status_from_log("PROBLEM HAS NO INTEGER FEASIBLE SOLUTION", error, "other")[0] \
        is SolveStatus.INFEASIBLE
    assert glpk_status_from_log("nothing useful", error, "other") == (error, "other")


# ---------------------------------------------------------------------------------------------
# StandardForm -> Pyomo


def test_form_to_pyomo_structure() -> None:
    form = _mixed_form()
    form.integrality = np.array([0, 0, 0, 1, 0, 0], dtype=np.int32)
    model = form_to_pyomo(form)
    assert len(model.x) == 6
    assert model.x[3].is_integer() and model.x[0].is_continuous()
    assert model.x[2].bounds == (0.0, 10.0) and model.x[0].bounds == (0.0, None)
    assert list(model.c.keys()) == [0, 1, 2, 3]  # the free row 4 is left out
    assert model.c[1].equality and model.c[1].lower == 1.0
    assert (model.c[2].lower, model.c[2].upper) == (2.0, 6.0)
    assert model.c[0].upper is None and model.c[0].lower == 4.0
    assert model.obj.sense == pyo.minimize
    assert model.column_names.name(3) == "x[3]" and model.constraint_names.name(1) == "r[1]"


def test_form_to_pyomo_objective_matches_at_random_points() -> None:
    rng = np.random.default_rng(3)
    B = rng.normal(size=(3, 3))
    form = StandardForm(c=rng.normal(size=3), A=sp.csr_matrix(np.ones((1, 3))), row_lower=np.array([-INF]),
                        row_upper=np.array([1.0]), col_lower=np.full(3, -INF), col_upper=np.full(3, INF),
                        Q=sp.csc_matrix(B.T @ B), constant=2.5, sense=Sense.MAXIMIZE)
    model = form_to_pyomo(form)
    assert model.obj.sense == pyo.maximize
    for _ in range(3):
        point = rng.normal(size=3)
        for j in range(3):
            model.x[j].value = float(point[j])
        assert pyo.value(model.obj) == pytest.approx(form.objective_value(point), rel=1e-12)


def test_form_to_pyomo_rejects_cones_naming_a_conic_solver() -> None:
    form = _mixed_form()
    form.cones = [ConeBlock("soc", sp.identity(6, format="csr")[:2], np.zeros(2), np.array([2]))]
    with pytest.raises(UnsupportedProblemError, match="cvxpy:CLARABEL"):
        form_to_pyomo(form)


def test_empty_rows() -> None:
    form = _mixed_form()
    form.A = sp.vstack([form.A, sp.csr_matrix((1, 6))]).tocsr()
    form.row_lower = np.append(form.row_lower, -1.0)
    form.row_upper = np.append(form.row_upper, 1.0)
    model = form_to_pyomo(form)
    assert 5 in model.c  # feasible: kept as a trivially satisfied row
    _require("glpk")
    assert solve(form, solver="pyomo:glpk").objective == pytest.approx(4.0, rel=1e-9)
    form.row_lower[-1] = 0.5  # 0 * x >= 0.5: infeasible before any solver runs
    result = solve(form, solver="pyomo:glpk")
    assert result.status is SolveStatus.INFEASIBLE and "r[5]" in result.message


def test_unused_column_gets_the_value_closest_to_zero() -> None:
    _require("glpk")
    form = _mixed_form()
    form.c = np.append(form.c, 0.0)
    form.A = sp.hstack([form.A, sp.csr_matrix((5, 1))]).tocsr()
    form.col_lower = np.append(form.col_lower, 2.0)
    form.col_upper = np.append(form.col_upper, 7.0)
    result = solve(form, solver="pyomo:glpk")
    assert result.status is SolveStatus.OPTIMAL
    assert result.x is not None and result.x[-1] == 2.0
    assert result.reduced_cost is not None and result.reduced_cost[-1] == 0.0


@pytest.mark.parametrize("variant", ["highs", "glpk", "cbc", "scip"])
def test_a_model_that_sends_the_solver_nothing_is_solved_by_hand(variant: str) -> None:
    """No coefficient anywhere (found by the differential test: pyomo's HiGHS interface calls HiGHS's
    'empty model' an unknown stop): each column at the value in its bounds closest to zero."""
    _require(variant)
    form = StandardForm(c=np.zeros(3), A=sp.csr_matrix((2, 3)), row_lower=np.array([-1.0, -np.inf]),
                        row_upper=np.array([0.0, 5.0]), col_lower=np.array([-4.0, 0.5, -np.inf]),
                        col_upper=np.array([-2.0, 2.5, np.inf]), constant=1.5,
                        integrality=np.array([0, 1, 0]))
    result = solve(form, solver=f"pyomo:{variant}")
    assert result.status is SolveStatus.OPTIMAL and result.objective == 1.5
    assert result.x is not None and result.x.tolist() == [-2.0, 1.0, 0.0]
    assert np.array_equal(result.row_activity, [0.0, 0.0])
    lp = StandardForm(c=np.zeros(1), A=sp.csr_matrix((1, 1)), row_lower=np.array([0.0]),
                      row_upper=np.array([0.0]), col_lower=np.array([0.0]), col_upper=np.array([np.inf]),
                      constant=1.0)
    answer = solve(lp, solver=f"pyomo:{variant}")
    assert answer.status is SolveStatus.OPTIMAL and answer.objective == 1.0
    assert answer.row_dual is not None and answer.row_dual.tolist() == [0.0]
    form.col_upper[1] = 0.9  # integer column in [0.5, 0.9]: no integer value
    result = solve(form, solver=f"pyomo:{variant}")
    assert result.status is SolveStatus.INFEASIBLE and "x[1]" in result.message
    assert solve(form, solver="highs").status is SolveStatus.INFEASIBLE


@pytest.mark.parametrize("variant", ["glpk", "cbc"])
def test_an_unused_integer_column_takes_an_integer_value(variant: str) -> None:
    _require(variant)
    form = _mixed_form()
    form.c = np.append(form.c, 0.0)
    form.A = sp.hstack([form.A, sp.csr_matrix((5, 1))]).tocsr()
    form.col_lower = np.append(form.col_lower, 0.5)
    form.col_upper = np.append(form.col_upper, 2.5)
    form.integrality = np.append(np.zeros(6, dtype=np.int64) if form.integrality is None else form.integrality, 1)
    result = solve(form, solver=f"pyomo:{variant}")
    assert result.status is SolveStatus.OPTIMAL and result.x is not None and result.x[-1] == 1.0


# ---------------------------------------------------------------------------------------------
# Pyomo -> StandardForm


def test_pyomo_to_form_reads_a_hand_written_model() -> None:
    model = _hand_model()
    form = pyomo_to_form(model)
    names = form.column_names().names()
    assert names == ["make[chairs]", "make[tables]", "overtime", "trucks", "ship"]  # fixed_cost is a constant
    assert form.constraint_names().names() == ["wood", "labour", "balance", "crew", "min_trucks"]
    assert form.sense is Sense.MAXIMIZE
    np.testing.assert_allclose(form.c, [45, 80, -20, -7, -1])
    assert form.constant == pytest.approx(3 - 5)
    dense = form.A.toarray()
    np.testing.assert_allclose(dense[0], [5, 20, 0, 0, 0])
    np.testing.assert_allclose(dense[1], [10, 15, -1, 0, 0])
    np.testing.assert_allclose(dense[2], [1, -1, 0, 0, 0])
    np.testing.assert_allclose(dense[3], [0, 0, 1, 0, 0])
    np.testing.assert_allclose(form.row_lower, [-INF, -INF, 2, 5, 1])  # crew: overtime == 10 - 5
    np.testing.assert_allclose(form.row_upper, [400, 450, 30, 5, INF])
    np.testing.assert_allclose(form.col_lower, [0, 0, 0, 0, 0])
    np.testing.assert_allclose(form.col_upper, [40, 40, INF, 3, 1])
    assert form.integrality is not None and form.integrality.tolist() == [0, 0, 0, 1, 1]
    assert form.A.indptr.dtype == np.int32 and form.A.indices.dtype == np.int32
    form.validate()


def test_imported_model_solves_like_pyomo_itself() -> None:
    """Import with pyomo_to_form, solve with HiGHS; Pyomo's own GLPK solve must agree."""
    _require("glpk")
    model = _hand_model()
    form = pyomo_to_form(model)
    ours = solve(form, solver="highs")
    assert ours.status is SolveStatus.OPTIMAL
    theirs = pyo.SolverFactory("glpk").solve(model)
    assert str(theirs.solver.termination_condition) == "optimal"
    assert ours.objective == pytest.approx(pyo.value(model.obj), rel=1e-9)
    values = [pyo.value(var) for var in (model.make["chairs"], model.make["tables"], model.overtime)]
    assert ours.x is not None
    np.testing.assert_allclose(ours.x[:3], values, rtol=1e-7, atol=1e-7)


def test_imported_lp_duals_match_pyomo_glpk_duals() -> None:
    _require("glpk")
    model = _hand_model()
    model.trucks.fix(1)
    model.ship.fix(0)
    form = pyomo_to_form(model)
    assert not form.is_mip
    ours = solve(form, solver="highs")
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    pyo.SolverFactory("glpk").solve(model)
    theirs = [model.dual[con] for con in (model.wood, model.labour, model.balance, model.crew)]
    assert ours.row_dual is not None
    np.testing.assert_allclose(ours.row_dual[:4], theirs, atol=1e-8)


def test_pyomo_to_form_quadratic_objective() -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1], bounds=(0, None))
    m.obj = pyo.Objective(expr=m.x[0] ** 2 + 0.5 * m.x[0] * m.x[1] + 0.5 * m.x[1] ** 2 - m.x[0] - m.x[1])
    m.c = pyo.Constraint(expr=m.x[0] + m.x[1] >= 2)
    form = pyomo_to_form(m)
    assert form.Q is not None
    np.testing.assert_allclose(form.Q.toarray(), [[2.0, 0.5], [0.5, 1.0]])
    result = solve(form, solver="highs")
    assert result.objective == pytest.approx(-0.25, rel=1e-7)
    assert result.x is not None
    np.testing.assert_allclose(result.x, np.array([0.5, 1.5]), atol=1e-6)


def test_round_trip_form_pyomo_form() -> None:
    form = _mixed_form()
    form.row_lower[4] = -3.0  # no free row: form_to_pyomo leaves those out
    form.integrality = np.array([0, 0, 0, 1, 0, 0], dtype=np.int32)
    form.Q = sp.csc_matrix(np.diag([1.0, 0, 2, 0, 0, 0]))
    form.constant = 1.5
    back = pyomo_to_form(form_to_pyomo(form))
    np.testing.assert_allclose(back.A.toarray(), form.A.toarray())
    for field in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integrality"):
        np.testing.assert_array_equal(getattr(back, field), getattr(form, field), err_msg=field)
    assert back.Q is not None
    np.testing.assert_allclose(back.Q.toarray(), form.Q.toarray())
    assert back.constant == form.constant and back.sense is form.sense
    assert back.column_names().names() == [f"x[{j}]" for j in range(6)]


@pytest.mark.parametrize("build, match", [
    (lambda m: setattr(m, "bad", pyo.Constraint(expr=m.x[0] * m.x[1] <= 1)), "only linear constraints"),
    (lambda m: setattr(m, "obj2", pyo.Objective(expr=m.x[0])), "2 active objectives"),
    (lambda m: m.obj.set_value(pyo.exp(m.x[0])), "nonlinear terms"),
])
def test_pyomo_to_form_rejects_what_it_cannot_import(build: object, match: str) -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1], bounds=(0, 1))
    m.obj = pyo.Objective(expr=m.x[0] + m.x[1])
    m.c = pyo.Constraint(expr=m.x[0] + m.x[1] >= 1)
    build(m)  # type: ignore[operator]
    with pytest.raises(ModelError, match=match):
        pyomo_to_form(m)
    assert m.obj.active  # the objective is restored even when compilation fails


# ---------------------------------------------------------------------------------------------
# the backend


def test_uninstalled_variant_names_what_is_installed() -> None:
    missing = [v for v in PyomoBackend.variants if v not in PyomoBackend.installed_variants()]
    if not missing:
        pytest.skip("every Pyomo variant is installed here")
    with pytest.raises(SolverNotAvailableError) as info:
        get_backend(f"pyomo:{missing[0]}")
    for variant in PyomoBackend.installed_variants():
        assert variant in str(info.value)


def test_unknown_variant() -> None:
    with pytest.raises(SolverNotAvailableError, match=r"no variant 'gams'.*cbc"):
        get_backend("pyomo:gams")


def test_default_variant_is_highs() -> None:
    _require("highs")
    result = solve(_mixed_form(), solver="pyomo")
    assert result.solver == "pyomo:highs" and result.objective == pytest.approx(4.0, rel=1e-9)


@pytest.mark.parametrize("variant", ["glpk", "cbc", "highs", "scip"])
def test_unknown_option_is_a_solver_error(variant: str) -> None:
    _require(variant)
    with pytest.raises(SolverError, match="bogus_opt"):
        solve(_mixed_form(), solver=f"pyomo:{variant}", options={"bogus_opt": 1})


@pytest.mark.parametrize("variant", ["glpk", "highs"])
@pytest.mark.parametrize("options", [{"time_limit": 0}, {"mip_gap": -1}])
def test_bad_generic_option_values(variant: str, options: dict[str, float]) -> None:
    _require(variant)
    with pytest.raises(ModelError, match="is out of range"):
        solve(_mixed_form(), solver=f"pyomo:{variant}", options=options)


@pytest.mark.parametrize("variant", ["glpk", "cbc", "highs", "scip"])
def test_mip_with_time_limit_and_gap(variant: str) -> None:
    _require(variant)
    form = StandardForm(c=np.array([10.0, 13, 7, 8]), A=sp.csr_matrix(np.array([[4.0, 6, 3, 5]])),
                        row_lower=np.array([-INF]), row_upper=np.array([10.0]), col_lower=np.zeros(4),
                        col_upper=np.ones(4), sense=Sense.MAXIMIZE, integrality=np.ones(4, dtype=np.int32))
    options = {"time_limit": 20, "mip_gap": 1e-6}
    if variant != "highs":  # see test_highs_threads_are_ignored_with_a_warning
        options["threads"] = 1
    result = solve(form, solver=f"pyomo:{variant}", options=options)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(23.0)
    assert result.row_dual is None
    assert result.mip_bound is not None and result.mip_bound == pytest.approx(23.0, rel=1e-4)


def test_presolve_off_is_passed_through() -> None:
    for variant in ("glpk", "cbc", "highs"):
        if variant in PyomoBackend.installed_variants():
            result = solve(_mixed_form(), solver=f"pyomo:{variant}", options={"presolve": False})
            assert result.objective == pytest.approx(4.0, rel=1e-6), variant  # CBC writes 8 digits


def test_highs_threads_are_ignored_with_a_warning() -> None:
    _require("highs")
    with pytest.warns(UserWarning, match="ignores threads"):
        result = solve(_mixed_form(), solver="pyomo:highs", options={"threads": 1})
    assert result.status is SolveStatus.OPTIMAL


def test_scip_quadratic_accuracy_follows_its_feasibility_tolerance() -> None:
    """Extra options reach SCIP: a tighter tolerance makes the flat QP optimum exact."""
    _require("scip")
    form = StandardForm(c=np.array([-1.0, -1.0]), A=sp.csr_matrix(np.ones((1, 2))), row_lower=np.array([2.0]),
                        row_upper=np.array([INF]), col_lower=np.zeros(2), col_upper=np.full(2, INF),
                        Q=sp.csc_matrix(np.array([[2.0, 0.5], [0.5, 1.0]])))
    result = solve(form, solver="pyomo:scip", options={"numerics/feastol": 1e-9})
    assert result.x is not None
    np.testing.assert_allclose(result.x, np.array([0.5, 1.5]), atol=1e-6)


def test_only_this_module_imports_pyomo() -> None:
    package = Path(__file__).resolve().parents[1] / "solvers"
    importers = sorted(path.name for path in package.glob("*.py")
                       if "import pyomo" in path.read_text() or "from pyomo" in path.read_text())
    assert importers == ["pyomo_backend.py"]
