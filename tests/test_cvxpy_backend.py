"""The CVXPY backend: status map, capability declarations, options, errors, problem building."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

cp = pytest.importorskip("cvxpy")

from solvers import (  # noqa: E402  (after the importorskip above)
    ConeBlock,
    ModelError,
    ProblemClass,
    Sense,
    SolveOptions,
    SolverError,
    SolverNotAvailableError,
    SolveStatus,
    StandardForm,
    get_backend,
    solve,
)
from solvers.cvxpy_backend import (  # noqa: E402
    STATUS_MAP,
    VARIANT_CLASSES,
    CvxpyBackend,
    build_problem,
    installed_solvers,
    map_status,
    refine_limit,
    translate_options,
)

INF = np.inf


def _lp(sense: Sense = Sense.MINIMIZE) -> StandardForm:
    """min x1 + x2 with x1 + x2 >= 1 in the box [-10, 10]^2: optimum 1."""
    return StandardForm(c=np.ones(2), A=sp.csr_matrix(np.ones((1, 2))), row_lower=np.array([1.0]),
                        row_upper=np.array([INF]), col_lower=np.full(2, -10.0), col_upper=np.full(2, 10.0),
                        sense=sense)


def _require(variant: str) -> None:
    if variant not in installed_solvers():
        pytest.skip(f"CVXPY solver {variant} is not installed")


# ---------------------------------------------------------------------------------------------
# statuses


def _cvxpy_status_strings() -> set[str]:
    """Every status CVXPY defines: the members of the status groups in ``cvxpy.settings``."""
    settings = cp.settings
    statuses: set[str] = set()
    for group in (settings.SOLUTION_PRESENT, settings.INF_OR_UNB, settings.INACCURATE, settings.ERROR):
        statuses.update(group)
    for name in ("OPTIMAL", "OPTIMAL_INACCURATE", "INFEASIBLE", "INFEASIBLE_INACCURATE", "UNBOUNDED",
                 "UNBOUNDED_INACCURATE", "INFEASIBLE_OR_UNBOUNDED", "USER_LIMIT", "SOLVER_ERROR"):
        statuses.add(getattr(settings, name))
    return statuses


def test_status_map_covers_every_cvxpy_status_exactly() -> None:
    statuses = _cvxpy_status_strings()
    assert len(statuses) >= 9
    assert set(STATUS_MAP) == statuses
    for raw in statuses:
        assert isinstance(map_status(raw), SolveStatus)


def test_status_map_meanings() -> None:
    assert map_status("optimal") is SolveStatus.OPTIMAL
    assert map_status("optimal_inaccurate") is SolveStatus.NUMERICAL_ERROR
    assert map_status("infeasible_inaccurate") is SolveStatus.INFEASIBLE
    assert map_status("unbounded") is SolveStatus.UNBOUNDED
    assert map_status("infeasible_or_unbounded") is SolveStatus.INFEASIBLE_OR_UNBOUNDED
    assert map_status("user_limit") is SolveStatus.ITERATION_LIMIT
    assert map_status("solver_error") is SolveStatus.NUMERICAL_ERROR
    assert map_status(None) is SolveStatus.ERROR
    assert map_status("something new") is SolveStatus.ERROR


def test_user_limit_is_a_time_limit_when_the_clock_ran_out() -> None:
    options = SolveOptions(time_limit=2.0)
    assert refine_limit(SolveStatus.ITERATION_LIMIT, options, 1.95) is SolveStatus.TIME_LIMIT
    assert refine_limit(SolveStatus.ITERATION_LIMIT, options, 0.5) is SolveStatus.ITERATION_LIMIT
    assert refine_limit(SolveStatus.ITERATION_LIMIT, SolveOptions(), 100.0) is SolveStatus.ITERATION_LIMIT
    assert refine_limit(SolveStatus.OPTIMAL, options, 5.0) is SolveStatus.OPTIMAL


def test_iteration_limit_from_a_real_solver() -> None:
    _require("CLARABEL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CVXPY warns that the solution may be inaccurate
        result = solve(_lp(), solver="cvxpy:CLARABEL", options={"max_iter": 1})
    assert result.status is SolveStatus.ITERATION_LIMIT
    assert result.raw_status == "user_limit"
    assert result.x is not None and result.row_dual is None


def test_time_limit_from_a_real_solver() -> None:
    _require("CLARABEL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = solve(_lp(), solver="cvxpy:CLARABEL", options={"time_limit": 1e-9})
    assert result.status is SolveStatus.TIME_LIMIT


def test_inaccurate_optimum_is_not_reported_optimal() -> None:
    _require("SCS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = solve(_lp(), solver="cvxpy:SCS", options={"max_iters": 1})
    assert result.raw_status == "optimal_inaccurate"
    assert result.status is SolveStatus.NUMERICAL_ERROR
    assert result.x is not None  # kept for inspection
    assert "inaccurate" in result.message


def test_solver_failure_is_a_status_not_an_exception() -> None:
    """A non-convex Q passed through psd_wrap makes the solver itself fail."""
    _require("CLARABEL")
    form = _lp()
    form.Q = sp.csc_matrix(-np.eye(2))
    result = solve(form, solver="cvxpy:CLARABEL")
    assert result.status is SolveStatus.NUMERICAL_ERROR
    assert result.raw_status == "solver_error"
    assert "CLARABEL" in result.message and result.x is None


# ---------------------------------------------------------------------------------------------
# capabilities


def _declared_by_cvxpy(variant: str) -> frozenset[ProblemClass]:
    """What CVXPY's own solver interface says ``variant`` can do, in the project's classes."""
    from cvxpy.constraints import SOC, ExpCone
    from cvxpy.reductions.solvers.defines import SOLVER_MAP_CONIC, SOLVER_MAP_QP

    classes: set[ProblemClass] = set()
    conic = SOLVER_MAP_CONIC.get(variant)
    qp = SOLVER_MAP_QP.get(variant)
    if conic is not None:
        supported = set(conic.SUPPORTED_CONSTRAINTS)
        mixed = set(getattr(conic, "MI_SUPPORTED_CONSTRAINTS", [])) if conic.MIP_CAPABLE else set()
        classes.add(ProblemClass.LP)
        if conic.MIP_CAPABLE:
            classes.add(ProblemClass.MILP)
        if SOC in supported:
            classes |= {ProblemClass.SOCP, ProblemClass.QP}
        if ExpCone in supported:
            classes.add(ProblemClass.EXP)
        if SOC in mixed:
            classes |= {ProblemClass.MISOCP, ProblemClass.MIQP}
        if ExpCone in mixed:
            classes.add(ProblemClass.MIEXP)
    if qp is not None:
        classes |= {ProblemClass.LP, ProblemClass.QP}
        if qp.MIP_CAPABLE:
            classes |= {ProblemClass.MILP, ProblemClass.MIQP}
    return frozenset(classes)


def test_declared_classes_match_cvxpy() -> None:
    """The capability table equals what CVXPY's solver interfaces declare, solver by solver."""
    for variant, declared in VARIANT_CLASSES.items():
        expected = _declared_by_cvxpy(variant)
        if variant == "MOSEK" and variant not in installed_solvers():
            # CVXPY adds the exponential cone to MOSEK's interface only once mosek (>= 9) is imported
            expected |= {ProblemClass.EXP, ProblemClass.MIEXP}
        assert declared == expected, variant


def test_supports_depends_on_the_variant() -> None:
    _require("CLARABEL")
    _require("OSQP")
    assert get_backend("cvxpy:CLARABEL").supports(ProblemClass.EXP)
    assert not get_backend("cvxpy:CLARABEL").supports(ProblemClass.MILP)
    assert not get_backend("cvxpy:OSQP").supports(ProblemClass.SOCP)
    assert get_backend("cvxpy").supports(ProblemClass.EXP)  # CVXPY's choice: any installed solver


def test_installed_variants_follow_cvxpy() -> None:
    assert set(CvxpyBackend.installed_variants()) == set(CvxpyBackend.variants) & set(cp.installed_solvers())


def test_variant_names_are_case_insensitive() -> None:
    _require("CLARABEL")
    assert get_backend("cvxpy:clarabel").variant == "CLARABEL"


def test_uninstalled_variant_names_what_is_installed() -> None:
    missing = [v for v in CvxpyBackend.variants if v not in installed_solvers()]
    if not missing:
        pytest.skip("every known CVXPY solver is installed")
    with pytest.raises(SolverNotAvailableError) as info:
        get_backend(f"cvxpy:{missing[0]}")
    message = str(info.value)
    assert missing[0] in message
    for variant in CvxpyBackend.installed_variants():
        assert variant in message


def test_unknown_variant() -> None:
    with pytest.raises(SolverNotAvailableError, match=r"no variant 'NOPE'.*CLARABEL"):
        get_backend("cvxpy:NOPE")


def test_default_variant_reports_the_solver_cvxpy_chose() -> None:
    result = solve(_lp(), solver="cvxpy")
    assert result.status is SolveStatus.OPTIMAL
    assert result.solver.startswith("cvxpy:") and result.solver != "cvxpy:"
    assert result.objective == pytest.approx(1.0, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# options


def test_translate_options_per_solver() -> None:
    assert translate_options("CLARABEL", SolveOptions(time_limit=3), False) == {"time_limit": 3.0}
    assert translate_options("SCS", SolveOptions(time_limit=3), False) == {"time_limit_secs": 3.0}
    assert translate_options("HIGHS", SolveOptions(mip_gap=0.01, seed=3), True) == \
        {"mip_rel_gap": 0.01, "random_seed": 3}
    assert translate_options("CLARABEL", SolveOptions(threads=2), False) == {"max_threads": 2}
    scip = translate_options("SCIP", SolveOptions(time_limit=5, mip_gap=0.1,
                                                  extra={"scip_params": {"limits/nodes": 10}}), True)
    assert scip == {"scip_params": {"limits/time": 5.0, "limits/gap": 0.1, "limits/nodes": 10}}
    assert translate_options("OSQP", SolveOptions(extra={"eps_abs": 1e-9}), False) == {"eps_abs": 1e-9}
    assert translate_options("CLARABEL", SolveOptions(mip_gap=0.1), is_mip=False) == {}


def test_an_option_the_solver_lacks_is_ignored_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="OSQP has no MIP gap"):
        translate_options("OSQP", SolveOptions(mip_gap=0.1), is_mip=True)


@pytest.mark.parametrize("options", [{"time_limit": -1.0}, {"mip_gap": -0.5}])
def test_bad_generic_option_values(options: dict[str, float]) -> None:
    _require("CLARABEL")
    with pytest.raises(ModelError, match="is out of range"):
        solve(_lp(), solver="cvxpy:CLARABEL", options=options)


@pytest.mark.parametrize("variant", ["CLARABEL", "SCS", "OSQP", "HIGHS"])
def test_unknown_extra_option_is_a_solver_error_naming_it(variant: str) -> None:
    _require(variant)
    with pytest.raises(SolverError, match="bogus_setting"):
        solve(_lp(), solver=f"cvxpy:{variant}", options={"bogus_setting": 1})


def test_extra_options_reach_the_solver() -> None:
    _require("HIGHS")
    result = solve(_lp(), solver="cvxpy:HIGHS", options={"time_limit": 10, "presolve": False,
                                                         "simplex_strategy": 4})
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(1.0)


def test_highs_threads_are_ignored_with_a_warning() -> None:
    """HiGHS keeps one thread pool per process; a different count later would make it fail."""
    _require("HIGHS")
    solve(_lp(), solver="highs")  # the pool now exists
    with pytest.warns(UserWarning, match="ignores threads"):
        result = solve(_lp(), solver="cvxpy:HIGHS", options={"threads": 1})
    assert result.status is SolveStatus.OPTIMAL


def test_mip_with_gap_and_time_limit() -> None:
    for variant in ("HIGHS", "SCIP"):
        if variant not in installed_solvers():
            continue
        form = _lp(Sense.MAXIMIZE)
        form.A = sp.csr_matrix(np.array([[2.0, 3.0]]))
        form.row_lower, form.row_upper = np.array([-INF]), np.array([12.5])
        form.col_lower = np.zeros(2)
        form.integrality = np.ones(2, dtype=np.int32)
        result = solve(form, solver=f"cvxpy:{variant}", options={"mip_gap": 0.0, "time_limit": 30})
        assert result.status is SolveStatus.OPTIMAL, variant
        assert result.objective == pytest.approx(6.0), variant  # x = (6, 0): 2*6 <= 12.5
        assert result.x is not None and np.allclose(result.x, np.round(result.x)), variant
        assert result.row_dual is None


# ---------------------------------------------------------------------------------------------
# building


def test_build_uses_one_constraint_per_bound_kind() -> None:
    form = StandardForm(
        c=np.ones(3), A=sp.csr_matrix(np.array([[1.0, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]])),
        row_lower=np.array([1.0, -INF, 2.0, 0.5]), row_upper=np.array([1.0, 3.0, 5.0, INF]),
        col_lower=np.array([0.0, -INF, 1.0]), col_upper=np.array([INF, 4.0, 1.0]))
    built = build_problem(form)
    kinds = {kind: positions.tolist() for _, positions, kind in built.row_blocks}
    assert kinds == {"eq": [0], "up": [1, 2], "lo": [2, 3]}  # the ranged row 2 is in both
    col_kinds = {kind: positions.tolist() for _, positions, kind in built.col_blocks}
    assert col_kinds == {"eq": [2], "up": [1], "lo": [0]}
    assert len(built.problem.constraints) == 6


def test_cones_are_grouped_by_size() -> None:
    """Three second-order cones of sizes 3, 2, 3 become two SOC constraints."""
    matrix = sp.identity(8, format="csr")
    block = ConeBlock("soc", matrix, np.zeros(8), np.array([3, 2, 3]))
    form = StandardForm(c=np.zeros(8), A=sp.csr_matrix((0, 8)), row_lower=np.zeros(0), row_upper=np.zeros(0),
                        col_lower=np.full(8, -INF), col_upper=np.full(8, INF), cones=[block])
    built = build_problem(form)
    assert len(built.cones) == 2
    assert all(isinstance(con, cp.constraints.SOC) for con in built.cones)


def test_exp_cone_block_needs_rows_of_three() -> None:
    block = ConeBlock("exp", sp.identity(4, format="csr"), np.zeros(4), np.array([2, 2]), name="bad")
    form = StandardForm(c=np.zeros(4), A=sp.csr_matrix((0, 4)), row_lower=np.zeros(0), row_upper=np.zeros(0),
                        col_lower=np.full(4, -INF), col_upper=np.full(4, INF), cones=[block])
    with pytest.raises(ModelError, match=r"'bad'.*exactly 3"):
        build_problem(form)


def test_unknown_cone_kind() -> None:
    block = ConeBlock("psd", sp.identity(3, format="csr"), np.zeros(3), np.array([3]))
    form = StandardForm(c=np.zeros(3), A=sp.csr_matrix((0, 3)), row_lower=np.zeros(0), row_upper=np.zeros(0),
                        col_lower=np.full(3, -INF), col_upper=np.full(3, INF), cones=[block])
    with pytest.raises(ModelError, match="'psd'"):
        build_problem(form)


def test_objective_constant_is_included() -> None:
    _require("CLARABEL")
    form = _lp()
    form.constant = 10.0
    assert solve(form, solver="cvxpy:CLARABEL").objective == pytest.approx(11.0, rel=1e-7)


def test_only_this_module_imports_cvxpy() -> None:
    """The layering rule: exactly one module of ``solvers`` imports cvxpy."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "solvers"
    importers = sorted(path.name for path in package.glob("*.py")
                       if "import cvxpy" in path.read_text() or "from cvxpy" in path.read_text())
    assert importers == ["cvxpy_backend.py"]


def test_nested_solver_options_are_checked_like_flat_ones() -> None:
    from solvers.options import SolveOptions
    assert SolveOptions(extra={"scip_params": {"limits/nodes": 10}}).extra == {"scip_params": {"limits/nodes": 10}}
    with pytest.raises(ModelError, match=r"extra\.scip_params\.limits/nodes=nan"):
        SolveOptions(extra={"scip_params": {"limits/nodes": float("nan")}})
    with pytest.raises(ModelError, match=r"extra\.a\.b=\{"):
        SolveOptions(extra={"a": {"b": {"c": 1}}})
