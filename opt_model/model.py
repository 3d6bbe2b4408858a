"""The :class:`Model`: variables, constraints, resources and an objective."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from opt_model.constraints import ConstraintBlock, ConstraintDef
from opt_model.convex import ConeSpec, ConvexConstraint, ConvexExpression, lower_constraint, lower_objective
from opt_model.dims import Dim, as_dims, shape_of
from opt_model.errors import ModelError, did_you_mean
from opt_model.expressions import LinearExpression, QuadraticExpression, as_expression
from opt_model.labeled import LabeledArray
from opt_model.objectives import Objective, Objectives
from opt_model.resources import Provision, Resource, resource_data
from opt_model.variables import Variable, VarKind, bound_array

if TYPE_CHECKING:
    from opt_model.compiler import CompiledModel
    from opt_model.result import Result
    from solvers import StandardForm

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class Model:
    """An optimization model built from blocks of variables and constraints.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model("wyndor")
    >>> x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("plant1", x1 <= 4)
    >>> _ = m.add_constraint("plant2", 2 * x2 <= 12)
    >>> _ = m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18)
    >>> m.maximize(3 * x1 + 5 * x2)
    >>> result = m.solve()
    >>> result.objective, result.dual("plant2")
    (36.0, 1.5)
    """

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.variables: dict[str, Variable] = {}
        self.constraints: dict[str, ConstraintBlock] = {}
        self.resources: dict[str, Resource] = {}
        self.objectives = Objectives(self)
        """The objectives in order of priority (one, or several solved lexicographically)."""
        self._sense = "minimize"
        self.cones: list[ConeSpec] = []
        self.num_cols = 0
        self.solver: str = "auto"
        self.solver_options: dict[str, Any] = {}
        self.metadata: dict[str, Any] = _Metadata(self)

    def __repr__(self) -> str:
        return (f"<Model {self.name!r}: {len(self.variables)} variable blocks ({self.num_cols} columns), "
                f"{len(self.constraints)} constraint blocks, {len(self.resources)} resources>")

    # names ---------------------------------------------------------------------------
    def _claim(self, name: str, what: str) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ModelError(f"{what} name {name!r} is not valid: use letters, digits, '_', '.', '-' "
                             "and start with a letter or '_'")
        for kind, table in (("variable", self.variables), ("constraint", self.constraints),
                            ("resource", self.resources)):
            if name in table:
                raise ModelError(f"the name {name!r} is already used by a {kind}; choose another {what} name")

    # variables -------------------------------------------------------------------------
    def add_variables(self, name: str, dims: Dim | Sequence[Dim] | None = None, lb: Any = 0.0, ub: Any = None,
                      integer: bool = False, binary: bool = False) -> Variable:
        """Add a block of variables over ``dims``.

        ``lb`` defaults to 0 (allocations are non-negative); pass ``lb=None`` or
        ``-inf`` for a free variable.  Bounds may be numbers, labelled data, dicts
        or arrays shaped like the dims.

        Example
        -------
        >>> import opt_model as om
        >>> m = om.Model(); task = om.Dim("task", ["a", "b"]); host = om.Dim("host", ["h1", "h2"])
        >>> x = m.add_variables("x", dims=(task, host), ub=1)
        >>> x.size
        4
        """
        self._claim(name, "variable")
        dims_t = as_dims(dims)
        if integer and binary:
            raise ModelError(f"variable {name!r} cannot be both integer and binary; pick one")
        kind = VarKind.BINARY if binary else VarKind.INTEGER if integer else VarKind.CONTINUOUS
        lower = bound_array(lb, dims_t, f"lower bound of {name}", -np.inf)
        upper = bound_array(ub, dims_t, f"upper bound of {name}", np.inf)
        if binary:
            lower = np.maximum(lower, 0.0)
            upper = np.minimum(upper, 1.0)
        if (lower == np.inf).any() or (upper == -np.inf).any():
            raise ModelError(f"variable {name!r} has a lower bound of +inf or an upper bound of -inf")
        crossed = lower > upper
        if crossed.any():
            k = int(np.flatnonzero(crossed.ravel())[0])
            where = LabeledArray(lower, dims_t).label_of(k)
            raise ModelError(f"variable {name}{where} has lower bound {lower.ravel()[k]} above upper bound "
                             f"{upper.ravel()[k]}; fix the bounds")
        variable = Variable(self, name, dims_t, self.num_cols, lower, upper, kind)
        self.variables[name] = variable
        self.num_cols += variable.size
        return variable

    def add_variable(self, name: str, lb: float | None = 0.0, ub: float | None = None, integer: bool = False,
                     binary: bool = False) -> Variable:
        """Add one scalar variable (``lb`` defaults to 0)."""
        return self.add_variables(name, (), lb=lb, ub=ub, integer=integer, binary=binary)

    # constraints ----------------------------------------------------------------------
    def add_constraints(self, name: str, constraint: ConstraintDef | ConvexConstraint) -> ConstraintBlock:
        """Add a block of constraints, indexed like its expression, under ``name``.

        Example
        -------
        >>> import opt_model as om
        >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
        >>> x = m.add_variables("x", dims=host)
        >>> m.add_constraints("cap", x <= om.data({"h1": 3, "h2": 4}, dims=host)).size
        2
        """
        self._claim(name, "constraint")
        if isinstance(constraint, ConvexConstraint):
            constraint = lower_constraint(self, name, constraint)
        if isinstance(constraint, bool):
            raise ModelError(f"constraint {name!r} is a plain True/False: compare an expression built from "
                             "variables, not numbers")
        if not isinstance(constraint, ConstraintDef):
            raise ModelError(f"constraint {name!r} must be a comparison such as expr <= rhs, "
                             f"got {type(constraint).__name__}")
        if constraint.expr.model is not None and constraint.expr.model is not self:
            raise ModelError(f"constraint {name!r} uses variables of another model")
        block = ConstraintBlock(name, constraint)
        self.constraints[name] = block
        return block

    add_constraint = add_constraints

    # resources --------------------------------------------------------------------------
    def add_resource(self, name: str, unit: str = "", capacity: Any = None, *,
                     dims: Dim | Sequence[Dim] | None = None, price: Any = None,
                     provision: Provision | None = None) -> Resource:
        """Declare a resource with a capacity per label of ``dims``.

        ``capacity`` may be a number (the same for every label), labelled data
        or a dict; its dims are taken from labelled data when ``dims`` is not
        given.  ``price`` (per unit used) lets :meth:`Resource.cost` enter an
        objective; ``provision`` makes extra capacity a decision.

        Example
        -------
        >>> import opt_model as om
        >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
        >>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 64, "h2": 128}, dims=host))
        >>> mem.dims[0].name
        'host'
        """
        self._claim(name, "resource")
        if dims is None and isinstance(capacity, LabeledArray):
            dims_t = capacity.dims
        else:
            dims_t = as_dims(dims)
        if capacity is None and provision is None:
            raise ModelError(f"resource {name!r} needs a capacity (or a provision to buy capacity)")
        cap = resource_data(0.0 if capacity is None else capacity, dims_t, f"capacity of {name}")
        price_data = None if price is None else resource_data(price, dims_t, f"price of {name}",
                                                              allow_negative=True)
        if price_data is not None:
            price_data.require_finite(f"price of {name}")
        provisioned = None
        provision_price = None
        if provision is not None:
            if (np.asarray(getattr(provision.min, "values", provision.min), dtype=np.float64) < 0).any():
                raise ModelError(f"provision min of resource {name!r} is negative; capacity bought cannot be "
                                 "negative")
            provisioned = self.add_variables(f"{name}_provisioned", dims_t, lb=provision.min, ub=provision.max,
                                             integer=provision.integer)
            provision_price = resource_data(provision.price, dims_t, f"provision price of {name}",
                                            allow_negative=True)
            provision_price.require_finite(f"provision price of {name}")
        resource = Resource(self, name, unit, dims_t, cap, price_data, provisioned, provision_price)
        self.resources[name] = resource
        return resource

    # objective ------------------------------------------------------------------------
    def minimize(self, expr: Any, *, unit: str | None = None, name: str = "objective") -> None:
        """Set the objective to minimise ``expr`` (a scalar linear or quadratic expression).

        ``unit`` (e.g. ``"USD"``) is how results and reports label the objective
        (``result.objective_unit``); it is not converted.  This replaces every
        objective; :attr:`objectives` adds objectives by priority.
        """
        self._set_objective(expr, "minimize", unit, name)

    def maximize(self, expr: Any, *, unit: str | None = None, name: str = "objective") -> None:
        """Set the objective to maximise ``expr``; ``unit`` labels it as in :meth:`minimize`."""
        self._set_objective(expr, "maximize", unit, name)

    def _set_objective(self, expr: Any, sense: str, unit: str | None, name: str = "objective") -> None:
        if isinstance(expr, ConvexExpression):
            expr = lower_objective(self, expr, sense)
        objective = as_expression(expr, "objective")
        if objective.dims:
            raise ModelError(f"the objective must be a scalar, got {objective.describe()}; sum it with .sum()")
        if objective.model is not None and objective.model is not self:
            raise ModelError("the objective uses variables of another model")
        keep = self.objectives.unit if unit is None else str(unit)
        self.objectives.set([Objective(objective, sense, name=name or "objective", unit=keep)])

    @property
    def objective(self) -> LinearExpression | QuadraticExpression | None:
        """The first priority's expression (the one objective of most models; what MPS/LP export holds)."""
        return self.objectives[0].expr if len(self.objectives) else None

    @objective.setter
    def objective(self, expr: Any) -> None:
        if len(self.objectives):
            self.objectives._replace_first(expr=as_expression(expr, "objective"))
        else:
            self._set_objective(expr, self._sense, None)

    @property
    def sense(self) -> str:
        """``"minimize"`` or ``"maximize"``: the first priority's sense."""
        return self.objectives[0].sense if len(self.objectives) else self._sense

    @sense.setter
    def sense(self, sense: str) -> None:
        if sense not in ("minimize", "maximize"):
            raise ModelError(f"sense must be 'minimize' or 'maximize', got {sense!r}")
        self._sense = sense
        self.objectives._replace_first(sense=sense)

    @property
    def objective_unit(self) -> str:
        """The unit of the objective ``solve`` returns (the last priority's), ``""`` if none."""
        return self.objectives.unit

    @objective_unit.setter
    def objective_unit(self, unit: str) -> None:
        self.objectives.unit = unit

    # compile and solve ----------------------------------------------------------------
    def compile(self) -> CompiledModel:
        """The model as a :class:`~solvers.StandardForm` plus the map back to names."""
        from opt_model.compiler import compile_model
        return compile_model(self)

    def to_standard_form(self) -> StandardForm:
        return self.compile().form

    def solve(self, solver: str | None = None, *, time_limit: float | None = None,
              options: Mapping[str, Any] | None = None, **extra_options: Any) -> Result:
        """Compile and solve; returns a :class:`~opt_model.result.Result` (never raises for a status).

        ``solver`` is ``"auto"`` (default: picked by problem class), ``"highs"``,
        ``"highs:ipm"``, ... Options: ``time_limit``, ``mip_gap``, ``threads``,
        ``presolve``, ``method``, ``seed``, ``verbose``; anything else is passed
        to the solver unchanged.
        """
        from opt_model.result import Result
        from solvers import solve as solve_form

        if self.objectives.lexicographic:  # objectives by priority: one solve per stage
            from opt_model.multiobjective import Lexicographic
            return Lexicographic(self).solve(solver, options={**(options or {}), **extra_options},
                                             time_limit=time_limit)
        compiled = self.compile()
        merged = {**self.solver_options, **(options or {}), **extra_options}
        if time_limit is not None:
            merged["time_limit"] = time_limit
        backend_result = solve_form(compiled.form, solver or self.solver, merged)
        return Result(self, compiled, backend_result)

    @classmethod
    def from_standard_form(cls, form: StandardForm, name: str | None = None) -> Model:
        """A model equivalent to a :class:`~solvers.StandardForm` (for example one read from an MPS file)."""
        from opt_model.importing import from_standard_form
        return from_standard_form(form, name)

    @classmethod
    def read(cls, path: str | Path) -> Model:
        """A model from an MPS or LP file; variables keep the file's names (block ``x``, rows ``row``)."""
        from opt_model.importing import read_model
        return read_model(path)

    @classmethod
    def from_pyomo(cls, pyomo_model: Any) -> Model:
        """Import a Pyomo model's linear and quadratic part (through Pyomo's standard-form compiler).

        Example
        -------
        >>> import pyomo.environ as pyo, opt_model as om
        >>> p = pyo.ConcreteModel(); p.x = pyo.Var(bounds=(0, 4))
        >>> p.obj = pyo.Objective(expr=2 * p.x, sense=pyo.maximize)
        >>> om.Model.from_pyomo(p).solve().objective
        8.0
        """
        from opt_model.importing import from_pyomo
        return from_pyomo(pyomo_model)

    def to_pyomo(self) -> Any:
        """This model as a Pyomo ``ConcreteModel`` (linear and quadratic parts)."""
        from opt_model.importing import to_pyomo
        return to_pyomo(self)

    def to_spec(self) -> str:
        """The model as YAML spec text (for the models a spec can express; see :func:`opt_model.to_spec`)."""
        import yaml

        from opt_model.spec import to_spec
        return str(yaml.safe_dump(to_spec(self), sort_keys=False))

    def to_mps(self, path: str | Path) -> None:
        """Write the model as an MPS file (``.lp`` suffix writes CPLEX LP)."""
        from solvers import write_file
        write_file(self.to_standard_form(), path)

    to_file = to_mps

    def variable(self, name: str) -> Variable:
        if name not in self.variables:
            raise ModelError(_unknown("variable", name, self.variables))
        return self.variables[name]

    def constraint_names(self) -> list[str]:
        return [*self.constraints, *self.resources]

    def shape(self, name: str) -> tuple[int, ...]:
        return shape_of(self.variable(name).dims)


def _unknown(kind: str, name: str, known: Mapping[str, Any]) -> str:
    hint = did_you_mean(name, known, f"; known: {', '.join(sorted(known)) or 'none'}")
    return f"unknown {kind} {name!r}{hint}"


class _Metadata(dict[str, Any]):
    """``Model.metadata``: free-form notes; two old keys are views of :attr:`Model.objectives`.

    ``metadata["lexicographic"]`` (the objectives by priority) and
    ``metadata["objective_unit"]`` still read and write the typed objectives, with a
    :class:`DeprecationWarning`: use ``model.objectives`` and ``model.objective_unit``.
    """

    _VIEWS: ClassVar[dict[str, str]] = {"lexicographic": "model.objectives",
                                        "objective_unit": "model.objective_unit"}

    def __init__(self, model: Model) -> None:
        super().__init__()
        self._model = model

    def _warn(self, key: str) -> None:
        import warnings
        warnings.warn(f"model.metadata[{key!r}] is deprecated: use {self._VIEWS[key]}", DeprecationWarning,
                      stacklevel=3)

    def _view(self, key: str) -> Any:
        objectives = self._model.objectives
        if key == "lexicographic":
            return list(objectives) if objectives.lexicographic else None
        return objectives.unit or None

    def __getitem__(self, key: Any) -> Any:
        if key in self._VIEWS:
            self._warn(key)
            value = self._view(key)
            if value is None:
                raise KeyError(key)
            return value
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self._VIEWS:
            self._warn(key)
            value = self._view(key)
            return default if value is None else value
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        if key in self._VIEWS:
            return self._view(key) is not None
        return super().__contains__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        if key == "lexicographic":
            self._warn(key)
            if value:
                self._model.objectives.set(list(value))
            else:
                self._model.objectives.keep_first()
        elif key == "objective_unit":
            self._warn(key)
            self._model.objectives.unit = "" if value is None else str(value)
        else:
            super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        if key in self._VIEWS:
            self[key] = None
        else:
            super().__delitem__(key)

    def __reduce__(self) -> Any:
        return (_Metadata, (self._model,), None, None, iter(dict(self).items()))
