"""Cross-backend conformance through the shipped suite :mod:`solvers.testing`, for every registered backend.

The backend strings come from the registry (:func:`solvers.testing.conformance_backends`), so a
backend added to it is tested without editing this file.  Each runs every known-answer case its
declarations allow (``Backend.supports``, ``gives_duals``) and skips the others with the reason.

An uninstalled backend is a skip; set ``OPT_MODEL_REQUIRE_SOLVERS=1`` (CI does) to make the ones CI
installs (:data:`tests.backend_lists.REQUIRED_IN_CI`) a failure instead, so that a missing install step cannot hide
behind a green run.  A backend registered through :func:`solvers.register` runs the whole suite in
one call (:func:`test_a_registered_backend_runs_the_whole_suite_in_one_call`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

from solvers import (
    Backend,
    BackendResult,
    ProblemClass,
    Sense,
    SolveOptions,
    SolveStatus,
    StandardForm,
    backend_class,
    register,
    unregister,
)
from solvers.testing import CASES, Case, check_case, check_session, conformance_backends, run_conformance
from tests.backend_lists import REQUIRED_IN_CI, require

_INSTALLED = set(conformance_backends(installed_only=True))
BACKENDS = [spec for spec in conformance_backends() if spec in _INSTALLED or spec in REQUIRED_IN_CI]
"""Every installed backend string of the registry, plus the ones CI must have."""


@pytest.fixture(params=BACKENDS, scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """A backend string of the registry, skipped (or failed, in CI, if CI installs it) when not installed."""
    spec = str(request.param)
    require(spec)
    return spec


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_known_answer(backend: str, case: Case) -> None:
    outcome = check_case(backend, case)
    if outcome is not None and outcome.startswith("skip: "):
        pytest.skip(outcome)
    assert outcome is None, f"{backend} on {case.name}: {outcome}"


def test_session(backend: str) -> None:
    outcome = check_session(backend)
    if outcome is not None and outcome.startswith("skip: "):
        pytest.skip(outcome)
    assert outcome is None, f"{backend} session: {outcome}"


def test_backend_list_comes_from_the_registry() -> None:
    """Every string CI requires and every AUTO_ORDER preference with a variant is in the derived list."""
    for spec in REQUIRED_IN_CI:
        assert spec in conformance_backends(), spec
    for spec in BACKENDS:
        name, _, variant = spec.partition(":")
        assert not variant or variant in backend_class(name).variants, spec


def test_cases_cover_every_continuous_class_and_mip() -> None:
    classes = {case.build().problem_class for case in CASES}
    assert {ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP, ProblemClass.SOCP, ProblemClass.EXP} <= classes


def test_expected_answers_are_feasible() -> None:
    """The hand-worked optimal points satisfy their own problems (guards the expected values)."""
    for case in CASES:
        if case.x is None:
            continue
        form = case.build()
        x = np.array(case.x)
        activity = form.A @ x
        assert np.all(activity >= form.row_lower - 1e-9) and np.all(activity <= form.row_upper + 1e-9), case.name
        assert np.all(x >= form.col_lower - 1e-9) and np.all(x <= form.col_upper + 1e-9), case.name
        assert form.objective_value(x) == pytest.approx(case.objective, abs=1e-9), case.name


class LinprogBackend(Backend):
    """A backend written the way a user would add one: LPs through ``scipy.optimize.linprog``.

    Duals come from linprog's marginals (derivatives of the minimised objective with respect to the
    right-hand sides of ``A_ub x <= b_ub`` / ``A_eq x = b_eq`` and to the bounds), turned into the project
    convention: the derivative of the optimal objective with respect to each row's active bound.
    """

    name: ClassVar[str] = "linprog"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset({ProblemClass.LP})
    gives_duals: ClassVar[bool] = True
    description: ClassVar[str] = "scipy.optimize.linprog (test backend)"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        sign = -1.0 if form.sense == Sense.MAXIMIZE else 1.0
        A = sp.csr_matrix(form.A)
        low, up = form.row_lower, form.row_upper
        eq = np.isfinite(low) & (low == up)
        upper = np.isfinite(up) & ~eq
        lower = np.isfinite(low) & ~eq
        A_ub = sp.vstack([A[upper], -A[lower]]).tocsr()
        b_ub = np.concatenate([up[upper], -low[lower]])
        res = scipy.optimize.linprog(sign * form.c, A_ub=A_ub if A_ub.shape[0] else None,
                                     b_ub=b_ub if b_ub.size else None, A_eq=A[eq] if eq.any() else None,
                                     b_eq=low[eq] if eq.any() else None,
                                     bounds=np.column_stack([form.col_lower, form.col_upper]), method="highs")
        status = {0: SolveStatus.OPTIMAL, 2: SolveStatus.INFEASIBLE, 3: SolveStatus.UNBOUNDED}.get(
            res.status, SolveStatus.ERROR)
        result = BackendResult(status, "linprog", raw_status=str(res.status), message=res.message)
        if status is SolveStatus.OPTIMAL:
            x = np.asarray(res.x)
            result.x, result.row_activity = x, A @ x
            result.objective = sign * float(res.fun) + form.constant
            marginals = np.asarray(res.ineqlin.marginals) if upper.any() or lower.any() else np.zeros(0)
            dual = np.zeros(form.num_rows)
            dual[upper] += marginals[:int(upper.sum())]
            dual[lower] -= marginals[int(upper.sum()):]
            if eq.any():
                dual[eq] = np.asarray(res.eqlin.marginals)
            result.row_dual = sign * dual
            result.reduced_cost = sign * (np.asarray(res.lower.marginals) + np.asarray(res.upper.marginals))
        return result


def test_a_registered_backend_runs_the_whole_suite_in_one_call() -> None:
    register("linprog", LinprogBackend)
    try:
        report = run_conformance("linprog").raise_for_failures()
        assert {"wyndor_max", "wyndor_min", "dakota", "mixed_min", "infeasible_lp", "unbounded_lp",
                "session"} <= set(report.passed)
        assert set(report.skipped) == {"knapsack", "qp_min", "qp_max", "socp", "exp_cone"}
    finally:
        unregister("linprog")


def test_the_suite_catches_a_backend_with_a_sign_error() -> None:
    """A backend whose duals have the wrong sign on maximisation fails the suite, naming the cases."""

    class SignSlip(LinprogBackend):
        name: ClassVar[str] = "signslip"

        def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
            result = super().solve(form, options)
            if result.row_dual is not None and form.sense == Sense.MAXIMIZE:
                result.row_dual = -result.row_dual
            return result

    register("signslip", SignSlip)
    try:
        report = run_conformance("signslip")
        assert not report.ok and {"wyndor_max", "dakota"} <= set(report.failed)
        assert "row duals" in report.failed["wyndor_max"]
        with pytest.raises(AssertionError, match="signslip fails"):
            report.raise_for_failures()
    finally:
        unregister("signslip")
