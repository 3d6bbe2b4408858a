"""Phase 1, baseline: validate, solve with the default solver, measure, and store the baseline.

The model is solved in this process (the answer every later phase builds on)
and once more as an isolated run of the benchmark runner, which measures wall
time and peak memory the way ``opt-model bench`` does and stores the run in the
lifecycle's SQLite file.  When the solve is optimal its snapshot (objective,
binding resources, allocation) is stored as the monitoring baseline, so
``opt-model monitor SPEC --data NEW.csv --baseline DB`` compares new data with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opt_model.lifecycle.context import Context
from opt_model.lifecycle.runs import ProblemFile, default_solver, problem_file, run_isolated
from opt_model.result import Result
from solvers.numbers import finite_or_none

DEFAULT_TOLERANCE = 1e-6
"""Relative agreement of two objectives, as the benchmark runner checks them."""


@dataclass
class Baseline:
    """What the default solve gave and what it cost.

    ``solve_time_s`` is the in-process solve (all stages of a lexicographic
    model); ``wall_time_s`` and ``peak_memory_mb`` come from the isolated run
    (loading the spec included, as in ``opt-model bench``).
    """

    model_name: str
    spec: str | None
    description: str
    problem_class: str
    rows: int
    columns: int
    nonzeros: int
    integers: int
    solver: str
    status: str
    objective: float | None
    objective_unit: str
    sense: str
    solve_time_s: float
    wall_time_s: float | None = None
    peak_memory_mb: float | None = None
    isolated_status: str | None = None
    isolated_objective: float | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    expected_objective: float | None = None
    expected_status: str | None = None
    matches_expected: bool | None = None
    tolerance: float = DEFAULT_TOLERANCE
    db: str = ""
    monitor_name: str = ""
    monitor_stored: bool = False
    notes: list[str] = field(default_factory=list)
    result: Result | None = field(default=None, repr=False)
    problem: ProblemFile | None = field(default=None, repr=False)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def objective_text(self) -> str:
        if self.objective is None:
            return "-"
        return f"{self.objective:.10g}" + (f" {self.objective_unit}" if self.objective_unit else "")

    def to_dict(self) -> dict[str, Any]:
        keys = ("model_name", "spec", "description", "problem_class", "rows", "columns", "nonzeros", "integers",
                "solver", "status", "objective", "objective_unit", "sense", "solve_time_s", "wall_time_s",
                "peak_memory_mb", "isolated_status", "isolated_objective", "stages", "expected_objective",
                "expected_status", "matches_expected", "tolerance", "db", "monitor_name", "monitor_stored", "notes")
        return {key: getattr(self, key) for key in keys}


def agreement_tolerance(form_is_mip: bool, options: dict[str, Any], expected: dict[str, Any]) -> float:
    """The relative tolerance two answers must agree within: the spec's, or the MIP gap for a MILP.

    Example
    -------
    >>> agreement_tolerance(True, {"mip_gap": 1e-4}, {}), agreement_tolerance(False, {}, {"tolerance": 1e-5})
    (0.0001, 1e-05)
    """
    tolerance = float(expected.get("tolerance") or DEFAULT_TOLERANCE)
    if form_is_mip:
        gap = options.get("mip_gap")
        tolerance = max(tolerance, float(gap) if isinstance(gap, (int, float)) else 1e-4)
    return tolerance


def plain_unit(unit: str) -> str:
    """A unit for people: ``""`` for a dimensionless ``"1"``.

    Example
    -------
    >>> plain_unit("1"), plain_unit("USD")
    ('', 'USD')
    """
    return "" if unit.strip() in ("1", "dimensionless", "") else unit


def relative_difference(value: float, reference: float) -> float:
    """``|value - reference| / max(1, |reference|)``, the benchmark runner's measure."""
    return abs(value - reference) / max(1.0, abs(reference))




def store_monitor_baseline(ctx: Context, model: Any) -> bool:
    """Solve ``model`` as ``opt-model monitor`` does and store the snapshot as the baseline of ``ctx.name``."""
    from opt_model.bench.monitor import SnapshotStore, take_snapshot

    snapshot = take_snapshot(model, ctx.name)
    if snapshot.status != "optimal":
        return False
    store = SnapshotStore(ctx.db)
    try:
        store.add(snapshot, baseline=True)
    finally:
        store.close()
    return True


def run_baseline(ctx: Context) -> Baseline:
    """Solve the model with its default solver, in process and isolated; store the baseline."""
    model = ctx.source.model
    ctx.progress.start(1, "baseline", f"solve {ctx.name} with its default solver and measure it")
    options = ctx.solve_options()
    result = model.solve(options=options)
    form = result.compiled.form
    info = model.metadata.get("spec")
    document = getattr(info, "document", None) or {}
    raw_expected = model.metadata.get("expected")
    expected: dict[str, Any] = dict(raw_expected) if isinstance(raw_expected, dict) else {}
    lexicographic = model.objectives.lexicographic
    base_form = model.compile().form if lexicographic else form
    solver = default_solver(model.solver, base_form.problem_class)
    baseline = Baseline(
        model_name=model.name, spec=str(ctx.source.spec_path) if ctx.source.spec_path else None,
        description=str(document.get("description") or "").strip() if isinstance(document, dict) else "",
        problem_class=base_form.problem_class.value, rows=base_form.num_rows, columns=base_form.num_cols,
        nonzeros=base_form.num_nonzeros, integers=base_form.num_integers, solver=solver,
        status=result.status.value, objective=finite_or_none(result.objective),
        objective_unit=plain_unit(result.objective_unit), sense=form.sense.value,
        solve_time_s=sum(stage.solve_time_s for stage in getattr(result, "stages", [])) or result.solve_time_s,
        tolerance=agreement_tolerance(form.is_mip, options, expected), db=str(ctx.db), monitor_name=ctx.name,
        result=result)
    for stage in getattr(result, "stages", []):
        baseline.stages.append({"name": stage.name, "sense": stage.sense, "status": stage.status.value,
                                "objective": finite_or_none(stage.objective), "held_at": stage.bound,
                                "solve_time_s": stage.solve_time_s})
    if lexicographic:
        baseline.notes.append(f"{len(baseline.stages)} objectives by priority: each level is held within its "
                              "tolerance while the next is optimised; the objective is the last level's")
    baseline.expected_status = expected.get("status")
    baseline.expected_objective = finite_or_none(expected.get("objective"))
    if baseline.expected_objective is not None and baseline.objective is not None:
        baseline.matches_expected = relative_difference(baseline.objective, baseline.expected_objective) \
            <= baseline.tolerance
    elif baseline.expected_status:
        baseline.matches_expected = baseline.expected_status == baseline.status
    # the isolated run: the spec itself, or the standard form actually solved
    reference = baseline.expected_objective if baseline.expected_objective is not None else baseline.objective
    source = "spec expected" if baseline.expected_objective is not None else "in-process solve"
    use_spec = not lexicographic
    problem = problem_file(form, ctx.name, ctx.out_dir, spec_path=ctx.source.spec_path,
                           use_spec=use_spec, reference=reference if baseline.optimal else None,
                           reference_source=source, tolerance=baseline.tolerance)
    baseline.problem = problem
    if problem is None:
        baseline.notes.append(f"a {form.problem_class.value} model without a spec file cannot be written as an MPS "
                              "file, so it was not run isolated: no peak memory")
    else:
        if problem.kind == "file" and lexicographic:
            baseline.notes.append("the isolated run solves the last priority level with the earlier levels held "
                                  "(the benchmark runner solves a spec through its first objective only)")
        row = run_isolated(problem, [solver], options, db=ctx.db, time_limit=ctx.time_limit(), jobs=1,
                           progress=False)[0][0]
        baseline.wall_time_s = finite_or_none(row.get("wall_time_s"))
        baseline.peak_memory_mb = finite_or_none(row.get("peak_memory_mb"))
        baseline.isolated_status = row.get("status")
        baseline.isolated_objective = finite_or_none(row.get("objective"))
        if row.get("status") not in (None, baseline.status):
            baseline.notes.append(f"the isolated run ended {row.get('status')}: {row.get('message') or ''}".strip())
    if baseline.optimal:
        baseline.monitor_stored = store_monitor_baseline(ctx, model)
    ctx.progress.done(f"{baseline.status}, objective {baseline.objective_text()}, "
                      f"{baseline.rows} rows x {baseline.columns} columns")
    return baseline

