"""The backend protocol, capability declarations and the registry.

Each backend module registers one :class:`Backend` subclass.  Capabilities are
class attributes (data), so ``solver="auto"`` and ``opt-model solvers`` read
them without importing any solver library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from solvers.errors import SolverNotAvailableError, UnsupportedProblemError
from solvers.options import SolveOptions
from solvers.resolve import ResolveSession
from solvers.result import BackendResult
from solvers.session import Session
from solvers.standard_form import ProblemClass, StandardForm


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

    def open_session(self, form: StandardForm, options: SolveOptions | Mapping[str, Any] | None = None,
                     **kwargs: Any) -> Session:
        """A :class:`~solvers.session.Session` on ``form``.

        The default re-solves a changed copy of the form from scratch through :meth:`solve`
        (:class:`~solvers.resolve.ResolveSession`); backends with a live solver (HiGHS) return
        their own, warm-started session.  ``kwargs``: ``verify``, ``tolerances``,
        ``confirm_nonoptimal``.
        """
        return ResolveSession(form, self, options, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.name}:{self.variant}" if self.variant else self.name


_REGISTRY: dict[str, str] = {
    "highs": "solvers.highs.backend:HighsBackend",
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


def unregister(name: str) -> None:
    """Remove a backend added with :func:`register` (for tests and plugins); unknown names are ignored."""
    _REGISTRY.pop(name, None)
    _LOADED.pop(name, None)


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


def split_backend(spec: str) -> tuple[str, str | None]:
    """``"cvxpy:CLARABEL"`` -> ``("cvxpy", "CLARABEL")``; ``"HiGHS"`` -> ``("highs", None)``."""
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
        name, variant = split_backend(spec)
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
        name, variant = split_backend(spec)
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


def session_backend(problem_class: ProblemClass, *, ranging: bool = False) -> Backend:
    """The installed backend :func:`open_session` uses for ``problem_class``, chosen by declared capabilities.

    Backends with a warm-started session come first (in :data:`AUTO_ORDER`); ``ranging=True``
    keeps only backends that declare ``gives_ranging``.

    Example
    -------
    >>> from solvers import ProblemClass
    >>> session_backend(ProblemClass.LP, ranging=True).full_name
    'highs'
    """
    for spec in AUTO_ORDER:  # usually the first preference decides: import no other backend (cvxpy takes seconds)
        name, variant = split_backend(spec)
        try:
            cls = backend_class(name)
        except ImportError:
            continue
        if (variant is None and cls.solver_variants) or problem_class not in cls.variant_problem_classes(variant) \
                or not cls.is_available() or (variant is not None and variant not in cls.installed_variants()) \
                or (ranging and not cls.gives_ranging):
            continue
        if cls.warm_start:
            return get_backend(spec)
        break  # the first usable backend re-solves cold: rank them all below
    able = capable_backends(problem_class, installed_only=True)
    candidates: list[tuple[bool, int, str]] = []
    for spec in able:
        cls = backend_class(split_backend(spec)[0])
        if ranging and not cls.gives_ranging:
            continue
        candidates.append((not cls.warm_start, len(candidates), spec))
    if not candidates:
        others = [spec for spec in capable_backends(problem_class)
                  if not ranging or backend_class(split_backend(spec)[0]).gives_ranging]
        hint = f"install one of: {', '.join(others)}" if others else "no registered solver can"
        need = "with ranging " if ranging else ""
        raise UnsupportedProblemError(
            f"no installed solver can open a session {need}on a {problem_class.value} problem; {hint}")
    return get_backend(min(candidates)[2])


def open_session(form: StandardForm, solver: str = "auto",
                 options: Mapping[str, Any] | SolveOptions | None = None, *, ranging: bool = False,
                 **kwargs: Any) -> Session:
    """Open a :class:`~solvers.session.Session` on ``form`` with the named backend.

    ``solver="auto"`` picks by declared capabilities (:func:`session_backend`): a backend
    with a warm-started session where one can solve the problem class (HiGHS for LP, MILP,
    QP), otherwise the first installed one that can (a conic solver for cone models,
    re-solving from scratch).  ``ranging=True`` requires a backend that gives ranging.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> from solvers import StandardForm, Sense, open_session
    >>> form = StandardForm(c=np.array([1.0]), A=sp.csr_matrix(np.array([[1.0]])),
    ...     row_lower=np.array([2.0]), row_upper=np.array([np.inf]),
    ...     col_lower=np.zeros(1), col_upper=np.full(1, np.inf))
    >>> session = open_session(form)
    >>> session.solve().objective, session.warm_start
    (2.0, True)
    >>> open_session(form, "cvxpy:CLARABEL").warm_start
    False
    """
    problem_class = form.problem_class
    if solver == "auto":
        backend = session_backend(problem_class, ranging=ranging)
    else:
        backend = get_backend(solver)
        if not backend.supports(problem_class):
            able = capable_backends(problem_class, installed_only=True)
            hint = f"use solver={able[0]!r}" if able else "no installed solver can"
            raise UnsupportedProblemError(
                f"solver {backend.full_name!r} cannot solve a {problem_class.value} problem; {hint}")
        if ranging and not type(backend).gives_ranging:
            raise UnsupportedProblemError(f"solver {backend.full_name!r} gives no ranging; use solver='highs'")
    return backend.open_session(form, options, **kwargs)
