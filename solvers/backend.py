"""The backend protocol, capability declarations and the registry.

Each backend module registers one :class:`Backend` subclass.  Capabilities are
class attributes (data), so ``solver="auto"`` and ``opt-model solvers`` read
them without importing any solver library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from solvers.errors import SolverNotAvailableError, UnsupportedProblemError
from solvers.result import BackendResult
from solvers.standard_form import ProblemClass, StandardForm


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands; backends ignore what does not apply.

    ``extra`` passes solver-specific options through unchanged.
    """

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    presolve: bool | None = None
    method: str | None = None
    seed: int | None = None
    verbose: bool = False
    extra: Mapping[str, Any] | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> SolveOptions:
        if not options:
            return cls()
        known = {name for name in cls.__dataclass_fields__ if name != "extra"}
        aliases = {"time_limit_s": "time_limit", "mip_rel_gap": "mip_gap", "gap": "mip_gap",
                   "random_seed": "seed", "output_flag": "verbose"}
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = dict(options.get("extra", {}) or {})
        for key, value in options.items():
            if key == "extra":
                continue
            key = aliases.get(key, key)
            if key in known:
                fields[key] = value
            else:
                extra[key] = value
        return cls(**fields, extra=extra or None)


class Backend:
    """Base class of solver backends.

    Subclasses set the capability attributes and implement :meth:`solve`.
    """

    name: ClassVar[str] = ""
    """Registry name, e.g. ``"highs"``; sub-solvers are addressed as ``name:variant``."""
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset()
    gives_duals: ClassVar[bool] = False
    gives_ranging: ClassVar[bool] = False
    warm_start: ClassVar[bool] = False
    variants: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    solver_variants: ClassVar[bool] = False
    """True when each variant is a distinct solver (``cvxpy:CLARABEL``, ``pyomo:cbc``): variants
    are then listed one by one in :func:`solvers.capability_table` and may differ in what they
    solve; False when variants are methods of one solver (``highs:ipm``)."""

    def __init__(self, variant: str | None = None) -> None:
        self.variant = variant

    @classmethod
    def is_available(cls) -> bool:
        return True

    @classmethod
    def version(cls) -> str:
        return ""

    @classmethod
    def installed_variants(cls) -> tuple[str, ...]:
        """The variants that can be used on this machine (all of them when the backend is installed)."""
        return cls.variants if cls.is_available() else ()

    @classmethod
    def variant_problem_classes(cls, variant: str | None) -> frozenset[ProblemClass]:
        """The problem classes ``variant`` (``None``: the backend's default) can solve."""
        return cls.problem_classes

    @classmethod
    def variant_gives_duals(cls, variant: str | None) -> bool:
        """Whether ``variant`` reports row duals and reduced costs for continuous problems."""
        return cls.gives_duals

    @classmethod
    def variant_version(cls, variant: str | None) -> str:
        """Version of the solver behind ``variant``, or ``""`` when it is not installed."""
        return cls.version()

    def supports(self, problem_class: ProblemClass) -> bool:
        return problem_class in self.variant_problem_classes(self.variant)

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        raise NotImplementedError

    @property
    def full_name(self) -> str:
        return f"{self.name}:{self.variant}" if self.variant else self.name


_REGISTRY: dict[str, str] = {
    "highs": "solvers.highs_backend:HighsBackend",
    "cvxpy": "solvers.cvxpy_backend:CvxpyBackend",
    "pyomo": "solvers.pyomo_backend:PyomoBackend",
}
_LOADED: dict[str, type[Backend]] = {}

# Preference order for solver="auto", best first: backend strings ("name" or "name:variant").
# HiGHS for LP/MILP/QP; Clarabel (interior point, exp and second-order cones) for SOCP/EXP;
# SCIP for mixed-integer QP and second-order cone problems; then any installed solver.
AUTO_ORDER: list[str] = [
    "highs", "cvxpy:CLARABEL", "cvxpy:ECOS", "cvxpy:SCS", "cvxpy:SCIP", "cvxpy:GUROBI", "cvxpy:MOSEK",
    "cvxpy:ECOS_BB", "cvxpy", "pyomo:highs", "pyomo:cbc", "pyomo:glpk", "pyomo:scip",
]


def register(name: str, target: str | type[Backend]) -> None:
    """Register a backend class, or a ``"module:Class"`` path imported lazily."""
    if isinstance(target, str):
        _REGISTRY[name] = target
        _LOADED.pop(name, None)
    else:
        _REGISTRY[name] = f"{target.__module__}:{target.__qualname__}"
        _LOADED[name] = target


def backend_names() -> list[str]:
    return list(_REGISTRY)


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name``; raises :class:`SolverNotAvailableError`."""
    if name not in _REGISTRY:
        raise SolverNotAvailableError(
            f"unknown solver {name!r}; known solvers: {', '.join(sorted(_REGISTRY))}")
    if name not in _LOADED:
        module_name, _, class_name = _REGISTRY[name].partition(":")
        module = importlib.import_module(module_name)
        _LOADED[name] = getattr(module, class_name)
    return _LOADED[name]


def get_backend(spec: str) -> Backend:
    """A backend instance from a solver string such as ``"highs"`` or ``"highs:ipm"``."""
    name, _, variant = spec.partition(":")
    cls = backend_class(name.lower())
    if not cls.is_available():
        raise SolverNotAvailableError(
            f"solver {name!r} is not installed; install its package or choose another solver "
            f"(available: {', '.join(available_backends()) or 'none'})")
    if variant and cls.variants:
        canonical = {v.lower(): v for v in cls.variants}
        if variant.lower() not in canonical:
            raise SolverNotAvailableError(
                f"solver {name!r} has no variant {variant!r}; choose one of {', '.join(cls.variants)}")
        variant = canonical[variant.lower()]
        installed = cls.installed_variants()
        if variant not in installed:
            raise SolverNotAvailableError(
                f"solver '{name}:{variant}' is not installed; installed {name} variants: "
                f"{', '.join(installed) or 'none'}; install it or choose one of those")
    return cls(variant or None)


def available_backends() -> list[str]:
    names = []
    for name in _REGISTRY:
        try:
            if backend_class(name).is_available():
                names.append(name)
        except ImportError:
            continue
    return names


def _split(spec: str) -> tuple[str, str | None]:
    name, _, variant = spec.partition(":")
    return name.lower(), variant or None


def choose_backend(problem_class: ProblemClass) -> Backend:
    """The first installed backend string in :data:`AUTO_ORDER` that can solve ``problem_class``.

    Example
    -------
    >>> from solvers import ProblemClass, choose_backend
    >>> choose_backend(ProblemClass.LP).full_name
    'highs'
    """
    for spec in AUTO_ORDER:
        name, variant = _split(spec)
        try:
            cls = backend_class(name)
            if not cls.is_available():
                continue
            if variant is not None and variant not in cls.installed_variants():
                continue
        except ImportError:
            continue
        backend = cls(variant)
        if backend.supports(problem_class):
            return backend
    able = capable_backends(problem_class)
    hint = f"install one of: {', '.join(able)}" if able else "no registered solver can"
    raise UnsupportedProblemError(
        f"no installed solver can solve a {problem_class.value} problem; {hint} "
        f"(installed: {', '.join(available_backends()) or 'none'})")


def capable_backends(problem_class: ProblemClass, installed_only: bool = False) -> list[str]:
    """Backend strings (``"highs"``, ``"cvxpy:CLARABEL"``) that declare ``problem_class``.

    Installed ones come first, in :data:`AUTO_ORDER` preference; with ``installed_only`` the
    others are left out.

    Example
    -------
    ::

        from solvers import ProblemClass, capable_backends
        capable_backends(ProblemClass.EXP, installed_only=True)[:1]
        # -> ['cvxpy:CLARABEL']
    """
    candidates: list[str] = list(AUTO_ORDER)
    for name in _REGISTRY:
        try:
            cls = backend_class(name)
        except ImportError:
            continue
        candidates.append(name)
        if cls.solver_variants:
            candidates.extend(f"{name}:{variant}" for variant in cls.variants)
    installed: list[str] = []
    others: list[str] = []
    for spec in dict.fromkeys(candidates):
        name, variant = _split(spec)
        try:
            cls = backend_class(name)
        except ImportError:
            continue
        if variant is None and cls.solver_variants:
            continue  # "cvxpy" alone means "whatever CVXPY picks": name a concrete variant instead
        if problem_class not in cls.variant_problem_classes(variant):
            continue
        usable = cls.is_available() and (variant is None or variant in cls.installed_variants())
        (installed if usable else others).append(spec)
    return installed if installed_only else installed + others


def solve(form: StandardForm, solver: str = "auto", options: Mapping[str, Any] | SolveOptions | None = None,
          on_backend: Callable[[Backend], None] | None = None) -> BackendResult:
    """Solve a standard form with the named backend (``"auto"`` picks one by problem class).

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, solve
    >>> form = StandardForm(c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> solve(form).objective
    36.0
    """
    opts = options if isinstance(options, SolveOptions) else SolveOptions.from_mapping(options)
    problem_class = form.problem_class
    backend = choose_backend(problem_class) if solver == "auto" else get_backend(solver)
    if not backend.supports(problem_class):
        able = capable_backends(problem_class, installed_only=True)
        if able:
            hint = f"use solver={able[0]!r}"
        else:
            others = capable_backends(problem_class)
            hint = f"install one of: {', '.join(others)}" if others else "no registered solver can"
        raise UnsupportedProblemError(
            f"solver {backend.full_name!r} cannot solve a {problem_class.value} problem; {hint}")
    if on_backend is not None:
        on_backend(backend)
    return backend.solve(form, opts)
