"""A model's objectives: one, or several by priority (:attr:`Model.objectives`).

Every model has an ordered, typed collection of :class:`Objective` entries: name,
sense, priority, tolerance (relative and absolute) and unit.  ``Model.minimize`` /
``Model.maximize`` set a single objective; :meth:`Objectives.add` adds objectives by
priority (1 is optimised first).  With two or more, ``Model.solve`` solves them one
after another (the lexicographic transform in :mod:`opt_model.multiobjective`), and
every analysis looks at one of the stages (``stage=``).  The model's ``objective`` and
``sense`` are those of the first priority (what an MPS/LP export holds); its
``objective_unit`` is that of the last (the objective of the plan ``solve`` returns).

Example
-------
>>> import opt_model as om
>>> m = om.Model("cost-then-energy")
>>> x = m.add_variable("x", ub=4); y = m.add_variable("y", ub=4)
>>> _ = m.add_constraint("budget", x + y <= 5)
>>> _ = m.objectives.add(x, "maximize", name="first", tolerance=0.25, unit="USD")
>>> _ = m.objectives.add(y, "maximize", name="second", unit="kWh")
>>> m.objectives.names, m.objectives.lexicographic, m.objective_unit
(['first', 'second'], True, 'kWh')
>>> [round(v, 6) for v in m.solve().objectives]
[4.0, 2.0]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from opt_model.errors import ModelError

if TYPE_CHECKING:
    from opt_model.model import Model

SENSES = ("minimize", "maximize")


@dataclass(eq=False)
class Objective:
    """One objective of a model.

    ``tolerance`` is relative (0.01 lets the optimum worsen by 1 % while later
    objectives are optimised), ``abs_tolerance`` absolute, in the objective's own
    unit; the larger of the two applies.  ``priority`` orders objectives (1 first);
    ``unit`` labels the objective's numbers (it is not converted).
    """

    expr: Any
    sense: str = "minimize"
    tolerance: float = 0.0
    abs_tolerance: float = 0.0
    name: str = ""
    unit: str = ""
    priority: int | None = None

    def __post_init__(self) -> None:
        if self.sense not in SENSES:
            raise ModelError(f"objective sense must be 'minimize' or 'maximize', got {self.sense!r}")
        for label, value in (("tolerance", self.tolerance), ("abs_tolerance", self.abs_tolerance)):
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ModelError(f"objective {self.name or ''} {label} must be a finite number >= 0, got {value!r}"
                                 .replace("objective  ", "objective "))
        if self.priority is not None and (isinstance(self.priority, bool) or not isinstance(self.priority, int)):
            raise ModelError(f"objective {self.name!r}: priority must be an integer, got {self.priority!r}")

    def slack(self, value: float) -> float:
        """How far the optimum ``value`` may worsen: ``max(abs_tolerance, tolerance * |value|)``."""
        return max(float(self.abs_tolerance), float(self.tolerance) * abs(value))

    def __repr__(self) -> str:
        parts = [repr(self.name), self.sense]
        if self.priority is not None:
            parts.append(f"priority={self.priority}")
        if self.tolerance:
            parts.append(f"tolerance={self.tolerance:g}")
        if self.abs_tolerance:
            parts.append(f"abs_tolerance={self.abs_tolerance:g}")
        if self.unit:
            parts.append(f"unit={self.unit!r}")
        return f"Objective({', '.join(parts)})"


def as_objective(item: Objective | tuple[Any, ...] | Any, position: int) -> Objective:
    """An :class:`Objective` from itself, ``(expr, sense)``, ``(expr, sense, tolerance)`` or an expression.

    Example
    -------
    >>> as_objective((1.0, "maximize", 0.1), 1)
    Objective('objective_2', maximize, tolerance=0.1)
    """
    if isinstance(item, Objective):
        return item
    if isinstance(item, tuple):
        if not 1 <= len(item) <= 3:
            raise ModelError(f"objective {position + 1}: give (expr, sense) or (expr, sense, tolerance)")
        expr = item[0]
        sense = item[1] if len(item) > 1 else "minimize"
        tolerance = float(item[2]) if len(item) > 2 else 0.0
        return Objective(expr, sense, tolerance, name=f"objective_{position + 1}")
    return Objective(item, name=f"objective_{position + 1}")


class Objectives(Sequence[Objective]):
    """The objectives of a model in order of priority (the first is optimised first).

    Index by position (0-based) or by name.  Stages of the lexicographic solve are
    numbered from 1 in this order (:meth:`stage_number`).
    """

    def __init__(self, model: Model | None = None) -> None:
        self._model = model
        self._items: list[Objective] = []
        self._unit = ""  # a unit given before any objective (``Model.objective_unit = ...``)

    # reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, key: int | str) -> Objective: ...

    @overload
    def __getitem__(self, key: slice) -> list[Objective]: ...

    def __getitem__(self, key: int | str | slice) -> Objective | list[Objective]:
        if isinstance(key, str):
            for item in self._items:
                if item.name == key:
                    return item
            from opt_model.errors import did_you_mean
            raise KeyError(f"no objective named {key!r}{did_you_mean(key, self.names)}; the objectives are "
                           + (", ".join(self.names) or "none"))
        return self._items[key]

    def __iter__(self) -> Iterator[Objective]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Objectives({list(self._items)!r})"

    @property
    def names(self) -> list[str]:
        return [item.name for item in self._items]

    @property
    def lexicographic(self) -> bool:
        """True with two or more objectives: ``solve`` optimises them by priority."""
        return len(self._items) > 1

    @property
    def unit(self) -> str:
        """The unit of the last objective (that of the plan ``solve`` returns), ``""`` if none."""
        return self._items[-1].unit if self._items else self._unit

    @unit.setter
    def unit(self, unit: str) -> None:
        if self._items:
            self._items[-1].unit = str(unit or "")
        else:
            self._unit = str(unit or "")

    def stage_number(self, stage: int | str | None = None) -> int:
        """The 1-based stage of ``stage``: a number, a name, or None for the last.

        Example
        -------
        >>> objectives = Objectives()
        >>> _ = objectives.add(1.0, name="bill"); _ = objectives.add(2.0, name="energy")
        >>> objectives.stage_number(), objectives.stage_number("bill"), objectives.stage_number("2")
        (2, 1, 2)
        """
        names = self.names
        if not names:
            raise ModelError("the model has no objective; set one with minimize() or maximize()")
        if stage is None:
            return len(names)
        if isinstance(stage, bool):
            raise ModelError(f"stage {stage!r}: give a stage number (from 1) or an objective name")
        if isinstance(stage, int) or (isinstance(stage, str) and stage.strip().isdigit()):
            number = int(stage)
            if not 1 <= number <= len(names):
                raise ModelError(f"stage {number}: the model has stages 1 to {len(names)} ({', '.join(names)})")
            return number
        if stage in names:
            return names.index(stage) + 1
        raise ModelError(f"stage {stage!r}: no objective of that name; the stages are "
                         + ", ".join(f"{k + 1} ({name})" for k, name in enumerate(names)))

    # changing ------------------------------------------------------------------------
    def add(self, expr: Any, sense: str = "minimize", *, name: str | None = None, priority: int | None = None,
            tolerance: float = 0.0, abs_tolerance: float = 0.0, unit: str = "") -> Objective:
        """Add an objective; ``priority`` defaults to after every objective so far.

        Objectives are kept in order of priority; two objectives cannot share one
        (combine them first, e.g. with :func:`~opt_model.multiobjective.weighted_sum`).
        """
        item = Objective(expr, sense, tolerance, abs_tolerance, name or f"objective_{len(self._items) + 1}",
                         str(unit or ""), priority)
        self.set([*self._items, item])
        return self[item.name]

    def set(self, items: Iterable[Objective | tuple[Any, ...] | Any]) -> None:
        """Replace every objective (in the order given unless they carry priorities)."""
        new = [self._checked(as_objective(item, k), k) for k, item in enumerate(items)]
        if not new:
            raise ModelError("give at least one objective (Model.objectives.set)")
        named = {}
        for item in new:
            if item.name in named:
                raise ModelError(f"two objectives are named {item.name!r}; give each a name of its own")
            named[item.name] = item
        if any(item.priority is not None for item in new):
            last = max((item.priority for item in new if item.priority is not None), default=0)
            for item in new:
                if item.priority is None:
                    last += 1
                    item.priority = last
            by_priority: dict[int, Objective] = {}
            for item in new:
                assert item.priority is not None
                if item.priority in by_priority:
                    raise ModelError(f"objectives {by_priority[item.priority].name!r} and {item.name!r} share "
                                     f"priority {item.priority}; combine them into one (weighted_sum) or give "
                                     "each its own priority")
                by_priority[item.priority] = item
            new.sort(key=lambda item: item.priority if item.priority is not None else 0)
        else:
            for k, item in enumerate(new):
                item.priority = k + 1
        if len(new) == 1 and not new[0].unit:
            new[0].unit = self._unit
        self._items = new

    def clear(self) -> None:
        self._items = []

    def keep_first(self) -> None:
        """Drop every objective but the first priority (a single objective again)."""
        self._items = self._items[:1]

    def _checked(self, item: Objective, position: int) -> Objective:
        if not item.name:
            item = dataclasses.replace(item, name=f"objective_{position + 1}")
        from opt_model.convex import ConvexExpression
        from opt_model.expressions import as_expression
        if isinstance(item.expr, ConvexExpression):
            if self._model is None:
                raise ModelError(f"objective {item.name!r} uses a nonlinear atom; set it with Model.minimize or "
                                 "Model.maximize")
            from opt_model.convex import lower_objective
            item = dataclasses.replace(item, expr=lower_objective(self._model, item.expr, item.sense))
        expr = as_expression(item.expr, f"objective {item.name!r}")
        if expr.dims:
            raise ModelError(f"objective {item.name!r} must be a scalar, got {expr.describe()}; sum it with .sum()")
        if self._model is not None and expr.model is not None and expr.model is not self._model:
            raise ModelError(f"objective {item.name!r} uses variables of another model")
        return dataclasses.replace(item, expr=expr)

    def _replace_first(self, **changes: Any) -> None:
        """Change the first priority (``Model.objective = ...``, ``Model.sense = ...``)."""
        if self._items:
            self._items[0] = dataclasses.replace(self._items[0], **changes)
