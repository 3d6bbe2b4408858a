"""The five phases in order: :func:`lifecycle`.

Each phase is a module (:mod:`~opt_model.lifecycle.baseline`,
:mod:`~opt_model.lifecycle.analysis`, :mod:`~opt_model.lifecycle.strategy`,
:mod:`~opt_model.lifecycle.implementation`, :mod:`~opt_model.lifecycle.validation`)
that takes the shared :class:`~opt_model.lifecycle.context.Context` and the
earlier phases' results.  This module runs them, draws the charts and writes
the report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opt_model.lifecycle.analysis import run_analysis
from opt_model.lifecycle.baseline import run_baseline
from opt_model.lifecycle.context import (
    DEFAULT_PARETO_POINTS,
    DEFAULT_SAMPLES,
    Context,
    PhaseProgress,
    Settings,
    output_folder,
)
from opt_model.lifecycle.implementation import run_implementation
from opt_model.lifecycle.report import LifecycleReport
from opt_model.lifecycle.source import LifecycleSource, as_source
from opt_model.lifecycle.strategy import run_strategy
from opt_model.lifecycle.validation import run_validation
from opt_model.model import Model


def lifecycle(model_or_spec: Model | str | Path | LifecycleSource, *, out: str | Path | None = None,
              time_limit: float | None = None, samples: int = DEFAULT_SAMPLES, jobs: int = 1, seed: int = 0,
              solvers: Sequence[str] | None = None, uncertainty: Sequence[Mapping[str, Any]] | None = None,
              thresholds: Mapping[str, float] | None = None, pareto_points: int = DEFAULT_PARETO_POINTS,
              global_method: str = "morris", repeats: int | None = None, progress: bool = True,
              write: bool = True, stage: int | str | None = None) -> LifecycleReport:
    """Run the optimization lifecycle of a model: baseline, analysis, strategy, implementation, validation.

    Parameters
    ----------
    model_or_spec
        A :class:`~opt_model.Model` or the path of a YAML spec (whose
        ``uncertainty:`` and ``validation:`` sections are used).
    out
        Folder for the report (``report.html``, ``report.md``,
        ``lifecycle.json``), the SQLite database of runs and the monitoring
        baseline (``lifecycle.sqlite``), ``solver.yaml`` and
        ``uncertainty.yaml``; a new temporary folder when ``None``.
    time_limit
        Seconds per solve (default: the spec's ``options.time_limit``, else 60).
    samples
        Monte Carlo scenarios of the validation phase (global sensitivity gets
        about a fifth of that budget).
    jobs
        Isolated solver runs and scenario chunks at a time.
    seed
        Seed of every random draw (same seed, same numbers).
    solvers
        Strategy configurations (``["highs", "highs:ipm"]``); default: every
        installed configuration suited to the problem class.
    uncertainty, thresholds
        Uncertain parameters (spec entries) and validation thresholds; they
        replace the spec's sections.
    pareto_points
        Levels of the epsilon-constraint Pareto front (lexicographic models).
    global_method
        ``"morris"`` (default), ``"sobol"`` or ``"none"``.
    repeats
        Runs of each strategy configuration (default: 3 when the baseline's
        isolated run took under 2 s, else 1; the median time counts).
    progress
        One line per phase on stderr (and progress bars for long runs).
    write
        Write the report files into ``out``.
    stage
        Objectives by priority: the stage (number from 1 or objective name) that the
        analysis and validation look at; default the last (the plan ``solve`` returns).
        Every number of those phases is in that stage's objective and unit.

    Returns
    -------
    LifecycleReport
        The phases as attributes, the summary, and the paths written.

    Example
    -------
    >>> from opt_model.lifecycle import lifecycle
    >>> report = lifecycle("problems/diet.yaml", samples=20, solvers=["highs"], progress=False)
    >>> round(report.baseline.objective, 9), report.strategy.chosen, report.exit_code
    (1.455436986, 'highs', 0)
    """
    started = time.perf_counter()
    source = as_source(model_or_spec, uncertainty=uncertainty, thresholds=thresholds)
    settings = Settings(time_limit=time_limit, samples=samples, jobs=jobs, seed=seed,
                        solvers=list(solvers) if solvers else None, pareto_points=pareto_points,
                        global_method=global_method, repeats=repeats, progress=progress, stage=stage)
    if stage is not None:
        from opt_model.sensitivity.stages import stage_info
        stage_info(source.model, stage)  # an unknown stage is an input error before any solve
    folder = output_folder(out, source.name)
    ctx = Context(source, settings, folder, PhaseProgress(progress))
    report = LifecycleReport(source.name, str(source.spec_path) if source.spec_path else None, str(folder),
                             settings={"time_limit": ctx.time_limit(), "samples": samples, "jobs": jobs, "seed": seed,
                                       "solvers": settings.solvers, "pareto_points": pareto_points,
                                       "global_method": global_method, "repeats": repeats, "stage": stage})
    report.files["db"] = str(ctx.db)
    report.baseline = run_baseline(ctx)
    report.analysis = run_analysis(ctx, report.baseline)
    if report.analysis.result is None or not report.analysis.result.has_solution or not report.analysis.feasible:
        report.skipped = f"the model is {report.baseline.status} and could not be repaired" \
            if report.baseline.status != "optimal" else "the analysis failed"
    else:
        report.strategy = run_strategy(ctx, report.baseline, report.analysis)
        report.implementation = run_implementation(ctx, report.baseline, report.analysis, report.strategy)
        if not report.implementation.result or not report.implementation.result.has_solution:
            report.skipped = f"the solve with {report.strategy.chosen} gave no solution"
        else:
            report.validation = run_validation(ctx, report.baseline, report.analysis, report.implementation)
    report.files.update({"solver": str(folder / "solver.yaml"), "uncertainty": str(folder / "uncertainty.yaml")})
    report.files = {key: path for key, path in report.files.items() if Path(path).exists()}
    draw_figures(report)
    report.elapsed_s = time.perf_counter() - started
    if write:
        report.write(folder)
    return report


def draw_figures(report: LifecycleReport) -> None:
    """The report's charts as PNG bytes in ``report.figures`` (written by :meth:`LifecycleReport.write`)."""
    from opt_model.lifecycle import plots

    unit = report.baseline.objective_unit if report.baseline is not None else ""
    analysis = report.analysis
    if analysis is not None and analysis.scope == "resources" and len(analysis.table):
        report.figures["utilisation.png"] = plots.to_png(plots.plot_utilisation(analysis.table))
    strategy = report.strategy
    if strategy is not None and len(strategy.runs):
        report.figures["solvers.png"] = plots.to_png(plots.plot_solver_comparison(strategy.runs, strategy.chosen))
        if strategy.pareto is not None and len(strategy.pareto.points) > 1:
            report.figures["pareto.png"] = plots.to_png(plots.plot_pareto(strategy.pareto))
    validation = report.validation
    if validation is not None:
        if validation.tornado is not None and len(validation.tornado):
            report.figures["tornado.png"] = plots.tornado_png(validation.tornado, unit)
        if validation.robustness is not None and validation.robustness.objective.get("count"):
            report.figures["distribution.png"] = plots.distribution_png(validation.robustness, unit)
