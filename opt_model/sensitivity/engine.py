"""The scenario engine: many re-solves of one model, changed in place, warm-started.

The nominal model is solved once.  Scenarios are cut into chunks whose size
depends only on the number of scenarios; each chunk opens a fresh
:class:`~solvers.Session` (chosen by :func:`solvers.open_session` from the declared
capabilities) and solves its scenarios one after another.  Where the session is
warm-started (HiGHS on an LP), each starts from the nominal optimal basis (by
default: independent perturbations of one nominal model are closer to it than to
each other) or from the previous scenario's; other sessions (QP, cone programs
through a conic backend) re-solve each scenario from scratch, and where they
report no basis, basis changes are NaN.  A chunk's answers do not depend on where it runs,
and serial, process-parallel and Dask runs give identical results for the same
seed.  Random draws of a chunk come from ``SeedSequence(seed, spawn_key=(chunk,))``.

For every scenario the engine records the status and optimal objective, the
chosen outputs, whether the nominal plan is still feasible (and by how much
each tracked row is violated), what the nominal plan costs under the scenario,
and whether the optimal basis or the set of binding constraints changed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opt_model.errors import SensitivityError
from opt_model.sensitivity.outputs import ResolvedOutput
from opt_model.sensitivity.plan import Applier, Changes, ScenarioPlan
from opt_model.sensitivity.problem import AnalysisModel
from solvers import SolveStatus, StandardForm, open_session

FEASIBILITY_TOLERANCE = 1e-7
INTERIOR_BINDING_TOLERANCE = 1e-6
"""Relative distance to a bound that counts as binding in a cone program (interior-point answers sit close to,
not on, their bounds)."""


@dataclass
class Nominal:
    """The nominal optimum every scenario is compared with."""

    objective: float
    x: np.ndarray
    activity: np.ndarray
    col_status: np.ndarray | None
    """Basis status codes of the nominal optimum (``None`` when the session reports no basis)."""
    row_status: np.ndarray | None
    basic: np.ndarray | None
    binding: np.ndarray
    binding_tolerance: float = FEASIBILITY_TOLERANCE


def binding_rows(form: StandardForm, activity: np.ndarray, tol: float = FEASIBILITY_TOLERANCE) -> np.ndarray:
    """Rows whose activity sits at a finite bound."""
    upper, lower = form.row_upper, form.row_lower
    with np.errstate(invalid="ignore"):
        at_upper = np.isfinite(upper) & (np.abs(activity - upper) <= tol * (1 + np.abs(upper)))
        at_lower = np.isfinite(lower) & (np.abs(activity - lower) <= tol * (1 + np.abs(lower)))
    return at_upper | at_lower


def solve_nominal(analysis: AnalysisModel, options: dict[str, Any] | None = None) -> Nominal:
    """Solve the nominal model; raises :class:`SensitivityError` when it has no optimum."""
    if analysis.form.is_mip:
        raise SensitivityError("scenario analysis re-solves LPs from a basis; this model has integer variables "
                               "(fix them first, e.g. AnalysisModel.with_integers_fixed)")
    session = analysis.session(options)
    result = session.solve()
    if result.status is not SolveStatus.OPTIMAL or result.x is None:
        raise SensitivityError(f"the nominal model ended {result.status.value}; scenario analysis needs a nominal "
                               "optimum (run diagnose_infeasibility for an infeasible model)")
    activity = result.row_activity if result.row_activity is not None else analysis.form.A @ result.x
    tolerance = INTERIOR_BINDING_TOLERANCE if analysis.form.cones else FEASIBILITY_TOLERANCE
    binding = binding_rows(analysis.form, activity, tolerance)
    if not session.gives_basis:
        return Nominal(result.objective, result.x, activity, None, None, None, binding, tolerance)
    basis = session.basis()
    return Nominal(result.objective, result.x, activity, basis.col_status, basis.row_status, basis.basic,
                   binding, tolerance)


@dataclass
class EngineSetup:
    """What every chunk needs (sent once to each worker)."""

    form: StandardForm
    nominal: Nominal
    plan: ScenarioPlan | None
    outputs: list[ResolvedOutput]
    track_rows: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)
    warm_from: str = "nominal"
    """``"nominal"``: every scenario starts from the nominal optimal basis (fewer iterations for
    independent perturbations, and answers independent of scenario order); ``"previous"``: from the
    previous scenario's basis (continuation, for gradual changes)."""
    solver: str = "auto"
    """Backend of each chunk's :class:`~solvers.Session` (``"auto"``: chosen by declared capabilities)."""
    restage: Any = None
    """Objectives by priority, every stage re-solved per scenario: an object whose ``run(session)`` re-runs
    the earlier stages on the changed model before the scenario's solve (None when all end optimal, else
    the status that stopped them) and whose ``rows`` are the hold rows it sets (not constraints of the plan;
    see :class:`opt_model.multiobjective.StageSequence`)."""


@dataclass
class Chunk:
    """A run of consecutive scenarios: explicit changes, factor values, or a seed to draw them."""

    index: int
    start: int
    count: int
    factor_values: np.ndarray | None = None
    changes: list[Changes] | None = None
    seed: int | None = None


@dataclass
class ScenarioResults:
    """Per-scenario records, in scenario order."""

    status: np.ndarray
    objective: np.ndarray
    nominal_value: np.ndarray
    nominal_feasible: np.ndarray
    violation: np.ndarray
    col_violation: np.ndarray
    basis_changed: np.ndarray
    binding_changed: np.ndarray
    outputs: np.ndarray
    iterations: np.ndarray
    fallback: np.ndarray
    factor_values: np.ndarray | None = None
    warm: np.ndarray | None = None
    """Per scenario: whether its solve started warm (from a basis, or a MILP from the nominal incumbent)."""
    gap: np.ndarray | None = None
    """Per scenario: the relative MIP gap of a MILP re-solve (re-optimise mode; NaN otherwise)."""
    integers_changed: np.ndarray | None = None
    """Per scenario: whether a MILP re-solve chose other integer decisions than the nominal plan."""
    output_labels: list[str] = field(default_factory=list)
    track_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    elapsed_s: float = float("nan")
    chunks: int = 0

    @property
    def count(self) -> int:
        return int(self.status.size)

    @property
    def optimal(self) -> np.ndarray:
        return self.status == SolveStatus.OPTIMAL.value

    @property
    def scenarios_per_second(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else float("nan")


def chunk_size_for(count: int) -> int:
    """Chunk size from the number of scenarios only (so results never depend on the worker count)."""
    return max(8, math.ceil(count / 32))


def run_chunk(setup: EngineSetup, chunk: Chunk) -> tuple[int, ScenarioResults]:
    """Solve one chunk in a fresh session started from the nominal basis."""
    form = setup.form
    nominal = setup.nominal
    session = open_session(form, setup.solver, setup.options)
    warm = session.warm_start and nominal.col_status is not None and nominal.row_status is not None
    if warm:
        assert nominal.col_status is not None and nominal.row_status is not None
        session.set_basis_status(nominal.col_status, nominal.row_status)
        start_basis = session.basis()
    from_nominal = warm and setup.warm_from == "nominal"
    nominal_basic = nominal.basic
    track_basis = nominal_basic is not None
    applier = Applier(session, form)
    count = chunk.count
    factor_values = chunk.factor_values
    entry_values = None
    if chunk.changes is None:
        plan = setup.plan
        assert plan is not None
        if factor_values is None:
            rng = np.random.default_rng(np.random.SeedSequence(chunk.seed, spawn_key=(chunk.index,)))
            factor_values = plan.factor_values(rng.random((count, plan.num_factors)))
        entry_values = plan.entry_values(factor_values)
    coefficients = bool(setup.plan is not None and setup.plan.has_coefficients)
    bounds = bool(setup.plan is not None and setup.plan.has_bounds)
    x0 = nominal.x
    x0_tolerance = FEASIBILITY_TOLERANCE * (1 + np.abs(x0))
    tracked = setup.track_rows
    out = ScenarioResults(
        status=np.empty(count, dtype=object), objective=np.full(count, np.nan), nominal_value=np.full(count, np.nan),
        nominal_feasible=np.zeros(count, dtype=bool), violation=np.zeros((count, tracked.size)),
        col_violation=np.zeros(count),
        basis_changed=np.zeros(count, dtype=bool) if track_basis else np.full(count, np.nan),
        binding_changed=np.zeros(count, dtype=bool), outputs=np.full((count, len(setup.outputs)), np.nan),
        iterations=np.zeros(count, dtype=np.int64), fallback=np.zeros(count, dtype=bool),
        factor_values=factor_values)
    out.warm = warm_flags = np.zeros(count, dtype=bool)
    current = session.form
    for k in range(count):
        if chunk.changes is not None:
            changes = chunk.changes[k]
            coefficients = coefficients or bool(changes.coef_rows.size)
            bounds = bounds or bool(changes.lower_cols.size or changes.upper_cols.size)
        else:
            assert setup.plan is not None and entry_values is not None
            changes = setup.plan.changes(entry_values[k])
        applier.apply(changes)
        if from_nominal:
            session.set_basis(start_basis)
        stopped = setup.restage.run(session) if setup.restage is not None else None
        result = session.solve()
        status = stopped or result.status
        out.status[k] = status.value
        out.iterations[k] = result.iterations.get("simplex", 0)
        out.fallback[k] = bool(result.extra.get("fallback", False))
        warm_flags[k] = bool(result.extra.get("warm", False))
        # the nominal plan under this scenario
        activity0 = current.A @ x0 if coefficients else nominal.activity
        with np.errstate(invalid="ignore"):
            row_excess = np.maximum(np.maximum(current.row_lower - activity0, activity0 - current.row_upper), 0.0)
            scale_rows = 1.0 + np.abs(np.where(np.isfinite(current.row_upper), current.row_upper, 0.0)) + \
                np.abs(np.where(np.isfinite(current.row_lower), current.row_lower, 0.0))
        if setup.restage is not None:
            row_excess[setup.restage.rows] = 0.0  # hold rows move with the re-solved stages
        feasible = bool((row_excess <= FEASIBILITY_TOLERANCE * scale_rows).all())
        if bounds:  # x0 keeps its nominal bounds unless a scenario moves them
            col_excess = np.maximum(np.maximum(current.col_lower - x0, x0 - current.col_upper), 0.0)
            feasible = feasible and bool((col_excess <= x0_tolerance).all())
            out.col_violation[k] = float(col_excess.max(initial=0.0))
        out.nominal_feasible[k] = feasible
        out.violation[k] = row_excess[tracked]
        out.nominal_value[k] = float(np.einsum("i,i->", current.c, x0)) + current.constant + \
            (0.5 * float(x0 @ (current.Q @ x0)) if current.Q is not None and current.Q.nnz else 0.0)
        if status is SolveStatus.OPTIMAL and result.x is not None:
            out.objective[k] = result.objective
            if nominal_basic is not None:
                out.basis_changed[k] = not np.array_equal(session.basic_variables(), nominal_basic)
            activity = result.row_activity if result.row_activity is not None else current.A @ result.x
            out.binding_changed[k] = bool((binding_rows(current, activity, nominal.binding_tolerance)
                                           != nominal.binding).any())
            for j, output in enumerate(setup.outputs):
                out.outputs[k, j] = output.evaluate(result, current)
    return chunk.start, out


def run_milp_chunk(setup: EngineSetup, chunk: Chunk) -> tuple[int, ScenarioResults]:
    """Re-solve the MILP of ``setup.form`` for each scenario of one chunk (the re-optimise mode of robustness).

    A fresh session per chunk; every scenario starts from the nominal incumbent
    (``setup.nominal.x``) where the session takes starting solutions, so answers do
    not depend on how scenarios are cut into chunks or where the chunks run.  The
    chunk carries the factor values (the same draws as the plan-mode run).
    """
    form = setup.form
    plan = setup.plan
    assert plan is not None and chunk.factor_values is not None
    session = open_session(form, setup.solver, setup.options)
    applier = Applier(session, form)
    entries = plan.entry_values(chunk.factor_values)
    count = chunk.count
    integer = np.asarray(form.integrality) != 0 if form.integrality is not None else np.zeros(form.num_cols, bool)
    x0 = setup.nominal.x
    out = ScenarioResults(
        status=np.empty(count, dtype=object), objective=np.full(count, np.nan), nominal_value=np.full(count, np.nan),
        nominal_feasible=np.zeros(count, dtype=bool), violation=np.zeros((count, setup.track_rows.size)),
        col_violation=np.zeros(count), basis_changed=np.full(count, np.nan),
        binding_changed=np.zeros(count, dtype=bool), outputs=np.full((count, len(setup.outputs)), np.nan),
        iterations=np.zeros(count, dtype=np.int64), fallback=np.zeros(count, dtype=bool),
        factor_values=chunk.factor_values)
    out.warm = started = np.zeros(count, dtype=bool)
    out.gap = gaps = np.full(count, np.nan)
    out.integers_changed = changed = np.zeros(count, dtype=bool)
    current = session.form
    for k in range(count):
        applier.apply(plan.changes(entries[k]))
        if session.takes_solution:
            session.set_solution(x0)
        result = session.solve()
        out.status[k] = result.status.value
        out.iterations[k] = result.iterations.get("simplex", 0)
        started[k] = bool(result.extra.get("mip_start", False))
        gaps[k] = float(result.mip_gap) if result.mip_gap is not None else np.nan
        if result.x is None:
            continue
        # a time-limited re-solve keeps its incumbent's objective; its status leaves it out of the distribution
        out.objective[k] = float(result.objective)
        changed[k] = bool(np.any(np.abs(result.x[integer] - x0[integer]) > 0.5))
        if result.status is SolveStatus.OPTIMAL:
            activity = result.row_activity if result.row_activity is not None else current.A @ result.x
            out.binding_changed[k] = bool((binding_rows(current, activity, setup.nominal.binding_tolerance)
                                           != setup.nominal.binding).any())
            for j, output in enumerate(setup.outputs):
                out.outputs[k, j] = output.evaluate(result, current)
    return chunk.start, out


def chunks_of(total: int, seed: int | None = None, factor_values: np.ndarray | None = None,
              changes: Sequence[Changes] | None = None) -> list[Chunk]:
    """Cut ``total`` scenarios into chunks whose size depends on ``total`` only (:func:`chunk_size_for`)."""
    size = chunk_size_for(total)
    chunks = []
    for index, start in enumerate(range(0, total, size)):
        stop = min(start + size, total)
        chunks.append(Chunk(index, start, stop - start,
                            factor_values=None if factor_values is None else factor_values[start:stop],
                            changes=None if changes is None else list(changes[start:stop]), seed=seed))
    return chunks


def merge(parts: Sequence[tuple[int, ScenarioResults]]) -> ScenarioResults:
    ordered = [part for _, part in sorted(parts, key=lambda item: item[0])]
    first = ordered[0]
    def stack(name: str) -> Any:
        arrays = [getattr(part, name) for part in ordered]
        if any(array is None for array in arrays):
            return None
        return np.concatenate(arrays, axis=0)
    merged = ScenarioResults(**{name: stack(name) for name in (
        "status", "objective", "nominal_value", "nominal_feasible", "violation", "col_violation", "basis_changed",
        "binding_changed", "outputs", "iterations", "fallback", "factor_values", "warm", "gap",
        "integers_changed")})
    merged.track_rows = first.track_rows
    merged.chunks = len(ordered)
    return merged


def run_scenarios(analysis: AnalysisModel, *, plan: ScenarioPlan | None = None, count: int | None = None,
                  seed: int | None = 0, factor_values: np.ndarray | None = None,
                  changes: Sequence[Changes] | None = None, outputs: Sequence[ResolvedOutput] = (),
                  jobs: int = 1, scheduler: Any = None, options: dict[str, Any] | None = None,
                  progress: bool = True, nominal: Nominal | None = None, warm_from: str = "nominal",
                  on_chunk: Callable[[int], None] | None = None, restage: Any = None) -> ScenarioResults:
    """Re-solve many scenarios of ``analysis`` in place with warm starts.

    Give either ``plan`` with ``count`` and ``seed`` (random draws), ``plan``
    with ``factor_values`` (a design, e.g. from SALib), or explicit
    ``changes`` (one :class:`Changes` per scenario).  ``jobs`` > 1 uses local
    worker processes; ``scheduler`` (an address or a ``dask.distributed.Client``)
    a Dask cluster.  Results are identical for every ``jobs`` / ``scheduler``.
    ``warm_from`` is ``"nominal"`` (each scenario starts from the nominal
    optimal basis) or ``"previous"`` (from the previous scenario's).  ``restage``
    (see :attr:`EngineSetup.restage`) re-runs earlier lexicographic stages per scenario.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.plan import Changes
    >>> m = om.Model(); x = m.add_variable("x", ub=4); m.maximize(2 * x)
    >>> analysis = AnalysisModel.from_model(m)
    >>> up = [Changes(upper_cols=np.array([0]), upper_values=np.array([b])) for b in (1.0, 2.0, 3.0)]
    >>> run_scenarios(analysis, changes=up, progress=False).objective.tolist()
    [2.0, 4.0, 6.0]
    """
    from opt_model.sensitivity.parallel import execute
    start_time = time.perf_counter()
    nominal = nominal or solve_nominal(analysis, options)
    if changes is not None:
        total = len(changes)
    elif factor_values is not None:
        total = int(factor_values.shape[0])
    else:
        if plan is None or count is None:
            raise SensitivityError("give a plan with count (and seed), a plan with factor_values, or changes")
        total = int(count)
    if total <= 0:
        raise SensitivityError("no scenarios to run")
    if warm_from not in ("nominal", "previous"):
        raise SensitivityError(f"warm_from={warm_from!r}: use 'nominal' or 'previous'")
    track = plan.affected_rows() if plan is not None else np.zeros(0, dtype=np.int64)
    setup = EngineSetup(analysis.form, nominal, plan, list(outputs), track, dict(options or {}), warm_from,
                        analysis.solver, restage)
    if not analysis.form.is_mip:
        setup.options.setdefault("method", "simplex")
    chunks = chunks_of(total, seed, factor_values, changes)
    parts = execute(setup, chunks, run_chunk, jobs=jobs, scheduler=scheduler, progress=progress, total=total,
                    on_chunk=on_chunk)
    results = merge(parts)
    results.output_labels = [output.label for output in outputs]
    results.track_rows = track
    results.elapsed_s = time.perf_counter() - start_time
    return results
