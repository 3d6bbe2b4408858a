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

from opt_model.constraints import ConstraintBlock, ConstraintDef
from opt_model.convex import ConvexExpression, entropy, exp, log, log_sum_exp, norm2, sum_squares
from opt_model.data import LabeledArray, data
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
from opt_model.lifecycle import LifecycleReport, lifecycle
from opt_model.model import Model
from opt_model.multiobjective import Objective, solve_lexicographic, weighted_sum
from opt_model.network import Network, flow_conservation
from opt_model.resources import Provision, Resource
from opt_model.result import Result
from opt_model.spec import load_spec, loads_spec, to_spec
from opt_model.variables import Variable, VarKind
from solvers import SolveStatus

__version__ = "0.1.0"

__all__ = [
    "__version__", "ConstraintBlock", "ConstraintDef", "ConvexExpression", "data", "Dim", "entropy", "exp",
    "flow_conservation", "InputFileError", "LabeledArray", "lifecycle", "LifecycleReport", "LinearExpression",
    "load_spec", "loads_spec", "log", "log_sum_exp", "Model", "ModelError", "Network", "norm2", "Objective",
    "OptModelError", "Provision", "quad_form", "QuadraticExpression", "quicksum", "Resource", "Result",
    "SensitivityError", "solve_lexicographic", "SolverError", "SolverNotAvailableError", "SolveStatus", "SpecError",
    "sum_squares", "to_spec", "UnsupportedProblemError", "Variable", "VarKind", "weighted_sum",
]
