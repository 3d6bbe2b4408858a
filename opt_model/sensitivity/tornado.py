"""One-at-a-time sensitivity for tornado charts.

Each factor moves alone to a low and a high quantile of its distribution
(5 % and 95 % by default) while every other number stays nominal; the
optimal objective at both ends, from warm-started re-solves, gives the bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from opt_model.sensitivity.engine import run_scenarios, solve_nominal
from opt_model.sensitivity.plan import build_plan
from opt_model.sensitivity.problem import as_analysis_model
from opt_model.sensitivity.uncertainty import Uncertain, as_parameters


def tornado(source: Any, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
            low: float = 0.05, high: float = 0.95, options: dict[str, Any] | None = None) -> pd.DataFrame:
    """Objective at the ``low`` and ``high`` quantile of each factor, widest swing first.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model(); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("a", x1 <= 1); _ = m.add_constraint("b", x2 <= 1); m.maximize(x1 + 2 * x2)
    >>> table = tornado(m, [Uncertain(capacity(n), relative(10)) for n in ("a", "b")], low=0.0, high=1.0)
    >>> table[["factor", "objective_low", "objective_high"]].round(6).values.tolist()
    [['rhs of b', 2.8, 3.2], ['rhs of a', 2.9, 3.1]]
    """
    analysis = as_analysis_model(source)
    plan = build_plan(analysis, as_parameters(parameters))
    nominal = solve_nominal(analysis, options)
    count = plan.num_factors
    base = np.array([1.0 if plan.entry_relative[plan.entry_factor == k].all() else
                     float(plan.entry_nominal[plan.entry_factor == k].mean()) for k in range(count)])
    quantiles = np.array([[low], [high]])
    ends = np.vstack([plan.factors[k].distribution.ppf(quantiles[:, 0]) for k in range(count)])  # (F, 2)
    changes = []
    for k in range(count):
        for side in range(2):
            factors = base.copy()
            factors[k] = ends[k, side]
            entries = np.where(plan.entry_factor == k, plan.entry_values(factors[None, :])[0], plan.entry_nominal)
            changes.append(plan.changes(entries))
    results = run_scenarios(analysis, changes=changes, options=options, progress=False, nominal=nominal)
    objective = results.objective.reshape(count, 2)
    table = pd.DataFrame({"factor": [factor.name for factor in plan.factors], "low": ends[:, 0],
                          "high": ends[:, 1], "objective_low": objective[:, 0], "objective_high": objective[:, 1],
                          "nominal_objective": nominal.objective})
    table["swing"] = (table["objective_high"] - table["objective_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
