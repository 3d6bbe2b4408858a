"""opt-model: resource-allocation optimization with vectorized modeling.

Example
-------
>>> import opt_model as om
>>> m = om.Model("placement")
>>> task = om.Dim("task", ["etl", "train", "serve"]); host = om.Dim("host", ["h1", "h2"])
>>> x = m.add_variables("x", dims=(task, host), lb=0, ub=1)
>>> _ = m.add_constraints("assign", x.sum("host") == 1)
>>> need = om.data([[8, 8], [48, 48], [16, 16]], dims=(task, host), name="mem_need")
>>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 32, "h2": 64}, dims=host))
>>> _ = mem.add_usage((need * x).sum("task"))
>>> price = om.data([[1, 2], [3, 4], [2, 1]], dims=(task, host), name="price")
>>> m.minimize((price * x).sum())
>>> result = m.solve()
>>> result.status.value, round(result.objective, 6)
('optimal', 5.5)
"""

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public names and the module that defines each.  Nothing is imported until a name is first used
# (PEP 562), so ``import opt_model`` and ``opt-model --version`` stay cheap.
_LAZY: dict[str, str] = {
    "ConstraintBlock": "opt_model.constraints", "ConstraintDef": "opt_model.constraints",
    "ConvexExpression": "opt_model.convex", "entropy": "opt_model.convex", "exp": "opt_model.convex",
    "log": "opt_model.convex", "log_sum_exp": "opt_model.convex", "norm2": "opt_model.convex",
    "sum_squares": "opt_model.convex",
    "LabeledArray": "opt_model.labeled", "data": "opt_model.labeled",
    "Dim": "opt_model.dims",
    "InputFileError": "opt_model.errors", "ModelError": "opt_model.errors", "OptModelError": "opt_model.errors",
    "SensitivityError": "opt_model.errors", "SolverError": "opt_model.errors",
    "SolverNotAvailableError": "opt_model.errors", "SpecError": "opt_model.errors",
    "UnsupportedProblemError": "opt_model.errors",
    "LinearExpression": "opt_model.expressions", "QuadraticExpression": "opt_model.expressions",
    "quad_form": "opt_model.expressions", "quicksum": "opt_model.expressions",
    "LifecycleReport": "opt_model.lifecycle.report",
    "Model": "opt_model.model",
    "Objective": "opt_model.objectives", "Objectives": "opt_model.objectives",
    "Lexicographic": "opt_model.multiobjective", "solve_lexicographic": "opt_model.multiobjective",
    "weighted_sum": "opt_model.multiobjective",
    "Network": "opt_model.network", "flow_conservation": "opt_model.network",
    "Provision": "opt_model.resources", "Resource": "opt_model.resources",
    "Result": "opt_model.result",
    "RobustPlan": "opt_model.robust.plans", "RobustifyReport": "opt_model.robust.loop",
    "robustify": "opt_model.robust.loop", "robust_counterpart": "opt_model.robust.protect",
    "chance_constrained": "opt_model.robust.protect", "two_stage": "opt_model.robust.recourse",
    "load_spec": "opt_model.spec", "loads_spec": "opt_model.spec", "to_spec": "opt_model.spec",
    "define_unit": "opt_model.spec.units",
    "Variable": "opt_model.variables", "VarKind": "opt_model.variables",
    "SolveStatus": "solvers.status",
}
# Subpackages reachable as attributes (``om.lifecycle.lifecycle(...)``, ``om.sensitivity``).
_SUBMODULES = ("bench", "cli", "lifecycle", "robust", "sensitivity", "spec")


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'opt_model' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported eagerly
    from opt_model.constraints import ConstraintBlock, ConstraintDef
    from opt_model.convex import ConvexExpression, entropy, exp, log, log_sum_exp, norm2, sum_squares
    from opt_model.dims import Dim
    from opt_model.errors import (
        InputFileError,
        ModelError,
        OptModelError,
        SensitivityError,
        SolverError,
        SolverNotAvailableError,
        SpecError,
        UnsupportedProblemError,
    )
    from opt_model.expressions import LinearExpression, QuadraticExpression, quad_form, quicksum
    from opt_model.labeled import LabeledArray, data
    from opt_model.lifecycle.report import LifecycleReport
    from opt_model.model import Model
    from opt_model.multiobjective import Lexicographic, solve_lexicographic, weighted_sum
    from opt_model.network import Network, flow_conservation
    from opt_model.objectives import Objective, Objectives
    from opt_model.resources import Provision, Resource
    from opt_model.result import Result
    from opt_model.robust.loop import RobustifyReport, robustify
    from opt_model.robust.plans import RobustPlan
    from opt_model.robust.protect import chance_constrained, robust_counterpart
    from opt_model.robust.recourse import two_stage
    from opt_model.spec import load_spec, loads_spec, to_spec
    from opt_model.spec.units import define_unit
    from opt_model.variables import Variable, VarKind
    from solvers.status import SolveStatus


__all__ = [
    "__version__", "ConstraintBlock", "ConstraintDef", "ConvexExpression", "data", "define_unit", "Dim",
    "entropy", "exp",
    "flow_conservation", "InputFileError", "LabeledArray", "LifecycleReport", "LinearExpression",
    "load_spec", "loads_spec", "log", "log_sum_exp", "Model", "ModelError", "Network", "norm2", "Objective",
    "Objectives", "Lexicographic",
    "OptModelError", "Provision", "quad_form", "QuadraticExpression", "quicksum", "Resource", "Result",
    "SensitivityError", "solve_lexicographic", "SolverError", "SolverNotAvailableError", "SolveStatus", "SpecError",
    "sum_squares", "to_spec", "UnsupportedProblemError", "Variable", "VarKind", "weighted_sum",
    "RobustPlan", "RobustifyReport", "robustify", "robust_counterpart", "chance_constrained", "two_stage",
]
