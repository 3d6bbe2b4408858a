"""Backend strings for the cross-backend tests, derived from the registry (no hand-typed backend lists).

A backend added to the registry (built in, or through :func:`solvers.register`) is picked up by
the differential and Netlib tests without editing them.  What is typed here are facts about
machines and methods, not the list of backends: which backends CI installs (:data:`REQUIRED_IN_CI`),
and the accuracy of the methods that do not solve to simplex precision (:data:`ACCURACY`).

An uninstalled backend is a skip; with ``OPT_MODEL_REQUIRE_SOLVERS=1`` (CI sets it) an uninstalled
backend that CI installs is a failure instead (:func:`require`).
"""

from __future__ import annotations

import os

import pytest

from solvers import ProblemClass, SolverNotAvailableError, backend_class, get_backend
from solvers.testing import conformance_backends

REQUIRED_IN_CI = ["highs", "cvxpy:CLARABEL", "cvxpy:SCS", "cvxpy:OSQP", "cvxpy:HIGHS", "cvxpy:SCIP", "pyomo:cbc",
                  "pyomo:glpk", "pyomo:highs", "pyomo:scip"]
"""The backends CI installs (a fact of the CI image, not of the registry)."""
REQUIRE_ALL = os.environ.get("OPT_MODEL_REQUIRE_SOLVERS", "") not in ("", "0")

ACCURACY = {"cvxpy:CLARABEL": 1e-5, "cvxpy:SCS": 1e-3, "cvxpy:OSQP": 1e-3}
"""Relative objective accuracy of a backend at its default settings, where it is not the 1e-6 of a simplex
code: Clarabel is an interior-point method, SCS and OSQP are first-order (ADMM) methods."""
DEFAULT_ACCURACY = 1e-6


def accuracy(spec: str) -> float:
    return ACCURACY.get(spec, DEFAULT_ACCURACY)


def backends_for(problem_class: ProblemClass, *, at_most: float = 1.0) -> list[str]:
    """Every backend string of the registry that declares ``problem_class``, installed here or required in CI,
    whose accuracy is ``at_most`` or better.

    Example
    -------
    >>> "highs" in backends_for(ProblemClass.LP) and "cvxpy:SCS" not in backends_for(ProblemClass.LP, at_most=1e-5)
    True
    """
    installed = set(conformance_backends(installed_only=True))
    specs = []
    for spec in conformance_backends():
        if spec not in installed and spec not in REQUIRED_IN_CI:
            continue
        name, _, variant = spec.partition(":")
        if problem_class in backend_class(name).variant_problem_classes(variant or None) \
                and accuracy(spec) <= at_most:
            specs.append(spec)
    return specs


def installed(specs: list[str]) -> list[str]:
    """The installed ones of ``specs`` (the others are reported by :func:`require` in their own test)."""
    found = set(conformance_backends(installed_only=True))
    return [spec for spec in specs if spec in found]


def require(spec: str) -> None:
    """Skip the calling test when ``spec`` is not installed; fail it instead in CI when CI installs ``spec``."""
    try:
        get_backend(spec)
    except SolverNotAvailableError as exc:
        if REQUIRE_ALL and spec in REQUIRED_IN_CI:
            pytest.fail(f"{spec} must be installed (OPT_MODEL_REQUIRE_SOLVERS is set): {exc}")
        pytest.skip(f"{spec} is not installed: {exc}")
