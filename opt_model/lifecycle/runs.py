"""Isolated solver runs of one problem, through the benchmark runner and into its SQLite format.

The lifecycle measures time and peak memory the way ``opt-model bench`` does:
each run is a child process with hard limits (:mod:`opt_model.bench.isolation`),
checked against a known answer and stored as a row of the ``runs`` table of
the lifecycle's database (:class:`opt_model.bench.ResultStore`), so
``opt-model bench report``, ``bench compare`` and ``bench export`` read it.

The runner solves a spec through its first objective only, so a lexicographic
spec, a repaired model or a model built in Python is written as an MPS file
(the standard form that is actually solved) and run from that.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solvers import ProblemClass, StandardForm, capable_backends, choose_backend

FILE_CLASSES = frozenset({ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP, ProblemClass.MIQP})
"""Problem classes an MPS file can hold (cone blocks cannot be written)."""


@dataclass(frozen=True)
class ProblemFile:
    """The file isolated runs read, its name in the database and the answer runs are checked against."""

    path: Path
    kind: str
    name: str
    reference: float | None
    reference_source: str
    tolerance: float
    note: str = ""


def problem_file(form: StandardForm, name: str, out_dir: Path, *, spec_path: Path | None, use_spec: bool,
                 reference: float | None, reference_source: str, tolerance: float) -> ProblemFile | None:
    """The spec itself when ``use_spec``, else ``form`` written as ``out_dir/NAME.mps``; ``None`` when impossible.

    Example
    -------
    >>> import opt_model as om, tempfile, pathlib
    >>> m = om.Model("tiny"); x = m.add_variable("x", ub=2); m.maximize(x)
    >>> pf = problem_file(m.compile().form, "tiny", pathlib.Path(tempfile.mkdtemp()), spec_path=None,
    ...                   use_spec=False, reference=2.0, reference_source="in-process solve", tolerance=1e-6)
    >>> pf.kind, pf.path.name
    ('file', 'tiny.mps')
    """
    if use_spec and spec_path is not None:
        return ProblemFile(spec_path.resolve(), "spec", name, reference, reference_source, tolerance)
    if form.problem_class not in FILE_CLASSES:
        return None
    from solvers import write_file

    folder = out_dir / "models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.mps"
    write_file(form, path)
    return ProblemFile(path.resolve(), "file", name, reference, reference_source, tolerance)


def default_solver(solver: str, problem_class: ProblemClass) -> str:
    """The backend string ``solver`` stands for (``"auto"`` resolved for the problem class).

    Example
    -------
    >>> default_solver("auto", ProblemClass.LP)
    'highs'
    """
    if solver in ("", "auto"):
        return choose_backend(problem_class).full_name
    return solver


def strategy_solvers(problem_class: ProblemClass) -> list[str]:
    """Every installed configuration that declares the problem class (solvers' capability declarations).

    HiGHS first (for an LP its simplex, interior point and PDLP variants), then each other
    installed backend that declares the class: Pyomo's solvers (CBC, GLPK, HiGHS, SCIP ...), then
    CVXPY's (Clarabel, SCS, OSQP, ...).  Pass ``solvers=[...]`` (``--solvers``) to compare fewer.

    Example
    -------
    >>> lp = strategy_solvers(ProblemClass.LP)
    >>> lp[:3]
    ['highs:simplex', 'highs:ipm', 'highs:pdlp']
    >>> set(lp) >= set(capable_backends(ProblemClass.LP, installed_only=True)) - {"highs"}
    True
    """
    installed = capable_backends(problem_class, installed_only=True)
    first: list[str] = []
    if "highs" in installed:
        first = ["highs:simplex", "highs:ipm", "highs:pdlp"] if problem_class is ProblemClass.LP else ["highs"]
    family = {"pyomo": 0, "cvxpy": 1}
    others = sorted((name for name in installed if name.partition(":")[0] != "highs"),
                    key=lambda name: family.get(name.partition(":")[0], 2))
    return [*first, *others]


def run_isolated(problem: ProblemFile, solvers: list[str], options: dict[str, Any], *, db: Path,
                 time_limit: float, jobs: int = 1, repeats: int = 1, progress: bool = True
                 ) -> list[list[dict[str, Any]]]:
    """Run ``problem`` with each solver configuration ``repeats`` times, isolated; the stored rows per configuration.

    ``options`` (the spec's solver options) go to every configuration; each
    configuration is stored under its solver string as label, so ``opt-model
    bench compare`` matches it with later benchmark runs.  Rows that exist
    for the same problem, label and repeat are superseded (``--rerun``).
    """
    from opt_model.bench.references import Reference
    from opt_model.bench.runner import BenchSettings, run_batch
    from opt_model.bench.storage import ResultStore
    from opt_model.bench.suite import Problem, SolverConfig, Suite

    reference = Reference("optimal", problem.reference, source=problem.reference_source,
                          tolerance=problem.tolerance) if problem.reference is not None else None
    shared = tuple(sorted((key, value) for key, value in options.items() if key != "time_limit"))
    configs = [SolverConfig(solver, shared, label=solver) for solver in solvers]
    suite = Suite([Problem(problem.name, str(problem.path), problem.kind, reference)], configs, repeats=repeats,
                  time_limit=time_limit, tolerance=problem.tolerance, name=f"lifecycle {problem.name}",
                  source=str(problem.path))
    settings = BenchSettings(db=str(db), jobs=jobs, rerun=True, progress=progress,
                             argv=["opt-model", "lifecycle", str(problem.path)])
    run_batch(suite, settings)
    with ResultStore(db) as store:
        latest = {str(row["run_key"]): row for row in store.runs()}
    rows: list[list[dict[str, Any]]] = []
    for config in configs:
        found = []
        for repeat in range(repeats):
            row = dict(latest.get(f"{problem.name}|{config.name}|{repeat}") or {})
            if isinstance(row.get("options"), str):
                with contextlib.suppress(ValueError):
                    row["options"] = json.loads(row["options"])
            found.append(row)
        rows.append(found)
    return rows
