"""What every registered backend can do, as one table (for ``opt-model solvers``).

One row per backend string that can be passed as ``solver=``: ``"highs"`` for a
backend whose variants are methods of one solver, and ``"cvxpy:CLARABEL"``,
``"pyomo:cbc"``, ... for backends whose variants are distinct solvers.
"""

from __future__ import annotations

from typing import Any

from solvers.backend import backend_class, backend_names
from solvers.standard_form import ProblemClass

_ORDER = list(ProblemClass)


def capability_table(installed_only: bool = False) -> list[dict[str, Any]]:
    """One dict per backend string: what it is, whether it is installed, what it solves.

    Keys: ``backend`` (the ``solver=`` string), ``installed`` (bool), ``version`` (``""``
    when not installed), ``problem_classes`` (list of :class:`ProblemClass` values such as
    ``"LP"``), ``duals``, ``ranging``, ``warm_start`` (bools) and ``description``.  A backend
    whose Python package is missing is listed as not installed rather than left out.

    Example
    -------
    >>> from solvers import capability_table
    >>> row = capability_table()[0]
    >>> row["backend"], row["installed"], "LP" in row["problem_classes"]
    ('highs', True, True)
    """
    rows: list[dict[str, Any]] = []
    for name in backend_names():
        try:
            cls = backend_class(name)
        except ImportError as exc:
            rows.append({"backend": name, "installed": False, "version": "", "problem_classes": [],
                         "duals": False, "ranging": False, "warm_start": False,
                         "description": f"cannot be imported: {exc}"})
            continue
        available = cls.is_available()
        installed_variants = set(cls.installed_variants()) if available else set()
        specs: list[tuple[str, str | None]] = (
            [(f"{name}:{variant}", variant) for variant in cls.variants] if cls.solver_variants
            else [(name, None)])
        for spec, variant in specs:
            installed = available and (variant is None or variant in installed_variants)
            classes = cls.variant_problem_classes(variant)
            rows.append({
                "backend": spec,
                "installed": installed,
                "version": cls.variant_version(variant) if installed else "",
                "problem_classes": [pc.value for pc in _ORDER if pc in classes],
                "duals": cls.variant_gives_duals(variant),
                "ranging": cls.gives_ranging,
                "warm_start": cls.warm_start,
                "description": cls.description,
            })
    return [row for row in rows if row["installed"]] if installed_only else rows
