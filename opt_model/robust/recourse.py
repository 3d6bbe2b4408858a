"""Two-stage recourse: buy capacity now, use it once the uncertainty is known.

The first-stage decisions (by default the amounts bought of every ``provision``
resource; or any variable blocks named in ``first_stage``) are taken once; every
other decision is a recourse, taken separately in each of ``N`` sampled
scenarios with that scenario's numbers.  The extensive form is one model with
the first-stage columns once and the recourse columns once per scenario,
minimising (maximising) first-stage cost plus the average recourse cost: the
sample average of the expected cost.  Rows that touch only first-stage columns
and hold no uncertain number are kept once; all others are copied per scenario,
as arrays.  The plan is the first-stage decision; recourse values are reported
as their average over the scenarios.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.robust.chance import scenario_rows
from opt_model.robust.plans import RobustPlan
from opt_model.robust.protect import UncertaintyInput, row_uncertainty
from opt_model.robust.sets import RowUncertainty
from opt_model.sensitivity.plan import COST, LOWER, UPPER
from solvers import BackendResult, NameBlock, NameMap, StandardForm, solve


def first_stage_columns(unc: RowUncertainty, names: Sequence[str] | None = None) -> np.ndarray:
    """Columns decided before the uncertainty is revealed: ``names``, or every provisioned amount."""
    analysis = unc.analysis
    if names:
        return np.unique(np.concatenate([analysis.col_indices(name) for name in names])).astype(np.int64)
    model = analysis.model
    blocks = [resource.provisioned for resource in getattr(model, "resources", {}).values()
              if resource.provisioned is not None]
    if not blocks:
        raise ModelError("two-stage recourse needs first-stage decisions: the model has no provision resources; "
                         "name the variables bought in advance with first_stage=[...] (--first-stage NAME)")
    return np.concatenate([np.arange(var.start, var.start + var.size) for var in blocks]).astype(np.int64)


def extensive_form(unc: RowUncertainty, first: np.ndarray, count: int, seed: int | None) -> StandardForm:
    """The two-stage model over ``count`` sampled scenarios (first-stage columns first)."""
    form = unc.analysis.form
    if (form.Q is not None and form.Q.nnz) or form.cones:
        raise ModelError("two-stage recourse is built for linear models (LP/MILP); this model has a quadratic "
                         "objective or cones")
    if count < 1:
        raise ModelError(f"scenarios={count}: two-stage recourse needs at least one scenario")
    n = form.num_cols
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    second = np.flatnonzero(~is_first)
    n_first, n_second = first.size, second.size
    position = np.empty(n, dtype=np.int64)
    position[first] = np.arange(n_first)
    position[second] = np.arange(n_second)
    samples = unc.sample(count, seed)
    A = sp.csr_matrix(form.A)
    touches_second = np.asarray(abs(A[:, second]).sum(axis=1)).reshape(-1) > 0 if n_second else np.zeros(
        form.num_rows, dtype=bool)
    repeated = np.union1d(np.flatnonzero(touches_second), unc.rows).astype(np.int64)
    once = np.setdiff1d(np.arange(form.num_rows), repeated)
    # rows copied per scenario, with the scenario's numbers; columns remapped to (first | second of scenario k)
    matrix, low, up = scenario_rows(unc, samples, repeated)
    coo = matrix.tocoo()
    scenario = coo.row // max(repeated.size, 1)
    cols = np.where(is_first[coo.col], position[coo.col], n_first + scenario * n_second + position[coo.col])
    total = n_first + count * n_second
    rows_once = A[once].tocoo()
    top = sp.csr_matrix((rows_once.data, (rows_once.row, position[rows_once.col])), shape=(once.size, total))
    body = sp.csr_matrix((coo.data, (coo.row, cols)), shape=(matrix.shape[0], total))
    full = sp.vstack([top, body], format="csr")
    full.indices = full.indices.astype(np.int32, copy=False)
    full.indptr = full.indptr.astype(np.int32, copy=False)
    # costs and bounds: first stage once (worst-case bounds), recourse per scenario (sampled where uncertain)
    kind = unc.plan.entry_kind
    cost = np.tile(form.c, (count, 1))
    lower = np.tile(form.col_lower, (count, 1))
    upper = np.tile(form.col_upper, (count, 1))
    for code, target in ((COST, cost), (LOWER, lower), (UPPER, upper)):
        pick = np.flatnonzero(kind == code)
        if pick.size:
            target[:, unc.plan.entry_col[pick]] = samples[:, pick]
    c = np.concatenate([form.c[first], (cost[:, second] / count).reshape(-1)])
    col_lower = np.concatenate([unc.col_lower[first], lower[:, second].reshape(-1)])
    col_upper = np.concatenate([unc.col_upper[first], upper[:, second].reshape(-1)])
    integrality = None
    if form.integrality is not None:
        integrality = np.concatenate([form.integrality[first], np.tile(form.integrality[second], count)])
    col_names = NameMap()
    col_names.add(NameBlock("first_stage", 0, (range(n_first),), ("k",)))
    col_names.add(NameBlock("recourse", n_first, (range(count), range(n_second)), ("scenario", "k")))
    row_names = NameMap()
    row_names.add(NameBlock("first_stage_rows", 0, (range(once.size),), ("k",)))
    row_names.add(NameBlock("recourse_rows", once.size, (range(count), range(repeated.size)), ("scenario", "k")))
    return StandardForm(c=c, A=full, row_lower=np.concatenate([form.row_lower[once], low]),
                        row_upper=np.concatenate([form.row_upper[once], up]), col_lower=col_lower,
                        col_upper=col_upper, sense=form.sense, constant=form.constant, integrality=integrality,
                        col_names=col_names, row_names=row_names, name=f"{form.name}:two-stage")


def two_stage(source: Any, uncertainty: UncertaintyInput = None, *, first_stage: Sequence[str] | None = None,
              scenarios: int = 100, seed: int | None = 0, solver: str = "auto",
              options: Mapping[str, Any] | None = None) -> RobustPlan:
    """Buy first-stage capacity for the expected cost over ``scenarios`` sampled futures (extensive form).

    The returned plan holds the first-stage values and the recourse values
    averaged over the scenarios; ``plan.details`` has the first-stage decisions by
    name, the expected cost and the spread of the scenario costs.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, Uniform
    >>> m = om.Model("newsvendor"); sold = m.add_variable("sold")
    >>> stock = m.add_resource("stock", unit="units", capacity=0, provision=om.Provision(max=100, price=3.0))
    >>> _ = stock.add_usage(sold); _ = m.add_constraint("demand", sold <= 50)
    >>> m.maximize(5.0 * sold - stock.cost())
    >>> plan = two_stage(m, [Uncertain(capacity("demand"), Uniform(20, 80))], scenarios=400, seed=1)
    >>> bool(38 < plan.details["first_stage"]["stock_provisioned"] < 50)  # newsvendor: F^-1(2/5) = 44
    True
    """
    unc = row_uncertainty(source, uncertainty)
    first = first_stage_columns(unc, first_stage)
    start = time.perf_counter()
    form = extensive_form(unc, first, int(scenarios), seed)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    outcome = solve(form, solver, dict(options or {}))
    solve_s = time.perf_counter() - start
    nominal = unc.analysis.form
    n = nominal.num_cols
    x = None
    details: dict[str, Any] = {"scenarios": int(scenarios), "first_stage_columns": int(first.size)}
    backend = None
    if outcome.x is not None:
        is_first = np.zeros(n, dtype=bool)
        is_first[first] = True
        second = np.flatnonzero(~is_first)
        x = np.empty(n)
        x[first] = outcome.x[:first.size]
        recourse = outcome.x[first.size:].reshape(int(scenarios), second.size)
        x[second] = recourse.mean(axis=0)
        names = unc.analysis.form.column_names()
        details["first_stage"] = {names.name(int(j)): float(x[j]) for j in first}
        scenario_costs = recourse @ nominal.c[second] + float(nominal.c[first] @ x[first]) + nominal.constant
        details["expected_objective"] = float(outcome.objective)
        details["scenario_objective"] = {"min": float(scenario_costs.min()), "mean": float(scenario_costs.mean()),
                                         "max": float(scenario_costs.max())}
        backend = BackendResult(status=outcome.status, solver=outcome.solver, objective=outcome.objective, x=x,
                                row_activity=np.asarray(nominal.A @ x), solve_time_s=outcome.solve_time_s,
                                solver_version=outcome.solver_version)
    size = {"rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.num_nonzeros, "cones": 0,
            "integers": form.num_integers}
    guarantee = (f"expected cost over N={int(scenarios)} sampled scenarios (sample average); the first-stage plan "
                 "is checked out of sample by re-solving the recourse in fresh scenarios")
    plan = RobustPlan("two-stage", float(scenarios), outcome.status.value, float(outcome.objective), x, size, build_s,
                      solve_s, outcome.solver, unc, backend, guarantee, details)
    plan.details["first_stage_indices"] = first.tolist()
    plan.notes.extend(unc.notes)
    return plan
