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

from opt_model.formatting import objective_unit_text
from opt_model.sensitivity.engine import run_scenarios, solve_nominal
from opt_model.sensitivity.plan import COST, LOWER, RHS, UPPER, ScenarioPlan
from opt_model.sensitivity.problem import AnalysisModel, AnalysisSource
from opt_model.sensitivity.stages import analysis_for_stage
from opt_model.sensitivity.steps import named_units
from opt_model.sensitivity.targets import resolve_plan
from opt_model.sensitivity.uncertainty import Uncertain, as_parameters


def tornado(source: AnalysisSource, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]], *,
            low: float = 0.05, high: float = 0.95, options: dict[str, Any] | None = None,
            stage: int | str | None = None) -> pd.DataFrame:
    """Objective at the ``low`` and ``high`` quantile of each factor, widest swing first.

    Columns: ``factor``, ``unit`` (of the number that moves), ``nominal`` (its nominal
    value; the mean over the entries a shared factor moves), ``low`` and ``high`` (the
    values at the two quantiles, in ``unit``), ``factor_low`` / ``factor_high`` (the
    multipliers of a relative distribution, NaN for an absolute one), the objective at
    both ends, the nominal objective (in ``objective_unit``) and the ``swing``.  ``stage``
    picks the objective of a model with objectives by priority (default the last).

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model(); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
    >>> _ = m.add_constraint("a", x1 <= 1); _ = m.add_constraint("b", x2 <= 1); m.maximize(x1 + 2 * x2)
    >>> table = tornado(m, [Uncertain(capacity(n), relative(10)) for n in ("a", "b")], low=0.0, high=1.0)
    >>> table[["factor", "low", "high", "objective_low", "objective_high"]].round(6).values.tolist()
    [['rhs of b', 0.9, 1.1, 2.8, 3.2], ['rhs of a', 0.9, 1.1, 2.9, 3.1]]
    >>> table[["factor_low", "factor_high"]].round(6).values.tolist()[0]
    [0.9, 1.1]
    """
    analysis = analysis_for_stage(source, stage)[0]
    plan = resolve_plan(analysis, as_parameters(parameters))
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
    nominal_values = np.array([float(plan.entry_nominal[plan.entry_factor == k].mean()) for k in range(count)])
    relative = np.array([bool(plan.entry_relative[plan.entry_factor == k].all()) for k in range(count)])
    values = np.where(relative[:, None], ends * nominal_values[:, None], ends)
    multipliers = np.where(relative[:, None], ends, np.nan)
    table = pd.DataFrame({"factor": [factor.name for factor in plan.factors], "unit": _units(analysis, plan),
                          "nominal": nominal_values, "low": values[:, 0], "high": values[:, 1],
                          "factor_low": multipliers[:, 0], "factor_high": multipliers[:, 1],
                          "objective_low": objective[:, 0], "objective_high": objective[:, 1],
                          "nominal_objective": nominal.objective,
                          "objective_unit": objective_unit_text(analysis.objective_unit)})
    table["swing"] = (table["objective_high"] - table["objective_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _units(analysis: AnalysisModel, plan: ScenarioPlan) -> list[str]:
    """The unit of the number each factor moves: a row's, a bound's variable's, or objective per variable unit."""
    objective = objective_unit_text(analysis.objective_unit)
    names = named_units(analysis)
    units = []
    for k in range(plan.num_factors):
        first = int(np.flatnonzero(plan.entry_factor == k)[0])
        kind, row, col = int(plan.entry_kind[first]), int(plan.entry_row[first]), int(plan.entry_col[first])
        if kind == RHS:
            group = analysis.row_group(row)
            units.append(group.unit or names.get(group.name, ""))
        elif kind in (LOWER, UPPER):
            units.append(names.get(analysis.col_group(col).name, ""))
        elif kind == COST:
            per = names.get(analysis.col_group(col).name, "")
            units.append(f"{objective}/{per}" if objective and per else objective)
        else:
            units.append("")
    return units
