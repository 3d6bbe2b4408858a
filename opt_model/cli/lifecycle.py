"""``opt-model lifecycle SPEC``: the five phases of optimizing a model in one command.

Prints one line per phase on stderr while it runs, then the summary on stdout
(``--format json``: the whole report as JSON), and writes ``report.html``,
``report.md``, ``lifecycle.json``, ``lifecycle.sqlite``, ``solver.yaml`` and
``uncertainty.yaml`` into ``--out``.  Exit code 0 when the validation passes,
1 when it fails (or the spec as written has no optimum), 2 for input errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from opt_model.errors import InputFileError


def register(subparsers: Any) -> None:
    """Add ``lifecycle`` to the ``opt-model`` command line."""
    parser = subparsers.add_parser(
        "lifecycle", help="baseline, analysis, strategy, implementation and validation of a spec, with a report",
        description="Solve a spec and measure it (baseline), find its bottlenecks or repair it (analysis), compare "
                    "solver configurations and the Pareto front (strategy), solve with the chosen one and write its "
                    "settings (implementation), and check the plan under perturbed numbers (validation). Writes an "
                    "HTML and a Markdown report. Exit 0 when the validation passes, 1 when it fails.")
    parser.add_argument("spec", help="YAML spec (its uncertainty: and validation: sections are used)")
    parser.add_argument("--out", "-o", default=None, metavar="DIR",
                        help="folder for the report and the database (default: SPECNAME-lifecycle)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="seconds per solve (default: the spec's options.time_limit, else 60)")
    parser.add_argument("--samples", type=int, default=1000, metavar="N",
                        help="Monte Carlo scenarios (default 1000; global sensitivity gets about a fifth of that)")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="isolated solver runs and scenario chunks at a time (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws (default 0)")
    parser.add_argument("--solvers", default=None,
                        help="comma-separated strategy configurations, e.g. highs,highs:ipm "
                             "(default: every installed one that fits the problem)")
    parser.add_argument("--pareto-points", type=int, default=11, metavar="K",
                        help="levels of the Pareto front of a spec with priorities (default 11)")
    parser.add_argument("--global", dest="global_method", choices=("morris", "sobol", "none"), default="morris",
                        help="global sensitivity method (default morris)")
    parser.add_argument("--repeats", type=int, default=None, metavar="N",
                        help="isolated runs of each strategy configuration (default: 3 when a run takes under 2 s, "
                             "else 1; the median time counts)")
    parser.add_argument("--stage", default=None, metavar="N|NAME",
                        help="objectives by priority: the stage analysed and validated (default the last, "
                             "earlier stages held)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="what to print on stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(handler=run_lifecycle)


def run_lifecycle(args: argparse.Namespace) -> int:
    from opt_model.lifecycle.pipeline import lifecycle

    spec = Path(args.spec)
    if not spec.is_file():
        raise InputFileError(f"{spec}: no such spec file")
    solvers = [text.strip() for text in (args.solvers or "").split(",") if text.strip()] or None
    if solvers:
        _check_solvers(solvers)
    out = Path(args.out) if args.out else Path(f"{spec.stem}-lifecycle")
    report = lifecycle(spec, out=out, time_limit=args.time_limit, samples=args.samples, jobs=args.jobs,
                       seed=args.seed, solvers=solvers, pareto_points=args.pareto_points,
                       global_method=args.global_method, repeats=args.repeats, progress=not args.quiet,
                       stage=args.stage)
    if args.format == "json":
        sys.stdout.write(report.to_json())
    else:
        sys.stdout.write(report.to_text())
        sys.stdout.write(f"report: {report.files.get('html')} (and {Path(report.files.get('markdown', '')).name}, "
                         f"{Path(report.files.get('json', '')).name})\n")
    return report.exit_code


def _check_solvers(solvers: list[str]) -> None:
    """Unknown backends are input errors (exit 2), not failed runs."""
    from solvers.backend import backend_class

    for solver in solvers:
        name = solver.partition(":")[0].partition("?")[0]
        try:
            backend_class(name)
        except (ImportError, ValueError, KeyError) as error:
            raise InputFileError(f"--solvers: {solver!r}: {error}") from None
