"""``opt-model bench`` (run, report, compare, export) and ``opt-model monitor``.

``opt-model bench PATHS...`` runs a batch (``run`` is the default action);
``opt-model bench report DB``, ``opt-model bench compare BASE NEW`` and
``opt-model bench export DB --csv FILE`` read databases.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opt_model.errors import InputFileError

ACTIONS = ("run", "report", "compare", "export")


class _OpenChoices(dict[str, Any]):
    """The action map of ``bench``: every first word is accepted (an unknown one means ``run``)."""

    def __contains__(self, key: object) -> bool:
        return True


if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction


class _DefaultRunAction(_SubParsers):
    """Sub-actions of ``bench`` where a first word that is not an action means ``run``."""

    def open(self) -> None:
        """Accept any first word from now on (call after adding the actions)."""
        self._name_parser_map = _OpenChoices(self._name_parser_map)
        self.choices = self._name_parser_map

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if values and not dict.__contains__(self._name_parser_map, values[0]):
            values = ["run", *values]
        super().__call__(parser, namespace, values, option_string)


def register(subparsers: Any) -> None:
    """Add ``bench`` and ``monitor`` to the ``opt-model`` command line."""
    bench = subparsers.add_parser(
        "bench", help="benchmark solvers over problems; report, compare, export results",
        description="Run every problem with every solver, each run in its own process with hard time and memory "
                    "limits, results checked against known optima and stored in SQLite. "
                    "'opt-model bench PATHS...' runs; 'bench report DB', 'bench compare BASE NEW' and "
                    "'bench export DB --csv FILE' read results.")
    actions = bench.add_subparsers(dest="bench_action", metavar="ACTION", action=_DefaultRunAction,
                                   parser_class=type(bench))
    _add_run(actions)
    _add_report(actions)
    _add_compare(actions)
    _add_export(actions)
    actions.open()
    _options_first_means_run(bench)
    bench.set_defaults(handler=_bench_help(bench))
    _add_monitor(subparsers)


def _options_first_means_run(parser: argparse.ArgumentParser) -> None:
    """``bench --solvers highs PATHS`` (options before the paths) is ``bench run --solvers highs PATHS``."""
    parse = parser.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        words = list(args or [])
        if words and words[0].startswith("-") and words[0] not in ("-h", "--help"):
            words = ["run", *words]
        return parse(words, namespace)

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]


def _bench_help(parser: argparse.ArgumentParser) -> Any:
    def show(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2
    return show


def _add_run(actions: Any) -> None:
    run = actions.add_parser("run", help="run a batch (the default action)",
                             description="Run a benchmark batch. PATHS: MPS/LP files, YAML specs, folders of them, "
                                         "or YAML suite files (with a 'problems' key).")
    run.add_argument("paths", nargs="+", metavar="PATH", help="problems, folders or suite files")
    run.add_argument("--solvers", default=None,
                     help="comma-separated solvers, e.g. highs,highs:ipm,pyomo:glpk; options after '?': "
                          "'highs?presolve=false&threads=1' (default: the suite file's, else highs)")
    run.add_argument("--db", default="bench.sqlite", help="SQLite result file (default: bench.sqlite)")
    run.add_argument("--time-limit", type=float, default=None, metavar="S",
                     help="seconds per run, enforced by killing the run (default: suite file's, else 300)")
    run.add_argument("--grace", type=float, default=2.0, metavar="S",
                     help="seconds past the time limit before the hard kill (default: 2)")
    run.add_argument("--memory-limit", default=None, metavar="SIZE",
                     help="address-space cap per run, e.g. 4G or 512M (default: 75%% of RAM)")
    run.add_argument("--repeats", type=int, default=None, help="runs of each problem and solver (default 1)")
    run.add_argument("--tolerance", type=float, default=None,
                     help="relative tolerance of the objective check (default 1e-6)")
    run.add_argument("--solu", action="append", default=[], metavar="FILE",
                     help="a .solu file of known optima (repeatable; *.solu beside the problems is read anyway)")
    run.add_argument("--reference", action="append", default=[], metavar="NAME=VALUE",
                     help="a known optimum for one problem (repeatable; overrides .solu)")
    again = run.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="skip runs the database already holds")
    again.add_argument("--rerun", action="store_true", help="run everything again")
    again.add_argument("--rerun-failed", action="store_true", help="run again the runs whose last status failed")
    run.add_argument("--jobs", "-j", type=int, default=1,
                     help="runs at a time on this machine (default 1: parallel timings are not comparable)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on a Dask cluster, e.g. tcp://10.0.0.1:8786 (results written here)")
    run.add_argument("--isolation", choices=("fork", "spawn"), default="fork",
                     help="fork: pre-imported fork server (default, low overhead); spawn: fresh interpreter per run")
    run.add_argument("--log-dir", default=None, help="keep each run's solver output in this folder")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    run.set_defaults(handler=run_bench)


def _add_report(actions: Any) -> None:
    report = actions.add_parser("report", help="solved counts, shifted geometric means, performance profile",
                                description="Report on a result database.")
    report.add_argument("db", help="SQLite result file")
    report.add_argument("--format", choices=("text", "md", "html"), default=None,
                        help="text (default on stdout), md or html (default from --output's suffix)")
    report.add_argument("--output", "-o", default=None, metavar="PATH", help="write the report to PATH")
    report.add_argument("--png", default=None, metavar="PATH",
                        help="write the performance profile PNG here (markdown: default beside the report)")
    report.add_argument("--time-column", choices=("wall_time_s", "solve_time_s"), default="wall_time_s",
                        help="time measure: wall time of the isolated run (default) or the solver's solve time")
    report.add_argument("--shift", type=float, default=10.0, help="shift of the geometric mean in seconds (10)")
    report.set_defaults(handler=run_report)


def _add_compare(actions: Any) -> None:
    compare = actions.add_parser("compare", help="regression gate: exit 1 on a slowdown, new failure or wrong result",
                                 description="Compare two result databases on their common (problem, solver) pairs.")
    compare.add_argument("base", help="baseline database")
    compare.add_argument("new", help="new database")
    compare.add_argument("--threshold", type=float, default=1.10,
                         help="slowdown factor that counts (default 1.10; raised by the spread of repeats)")
    compare.add_argument("--min-time", type=float, default=0.1, metavar="S",
                         help="differences below this many seconds are noise (default 0.1)")
    compare.add_argument("--time-column", choices=("wall_time_s", "solve_time_s"), default="wall_time_s",
                         help="time measure: wall time of the isolated run or the solver's solve time")
    compare.add_argument("--shift", type=float, default=10.0, metavar="S",
                         help="shift of the geometric mean in seconds")
    compare.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    compare.add_argument("--output", "-o", default=None, metavar="PATH",
                         help="write the output to PATH (default: stdout)")
    compare.set_defaults(handler=run_compare)


def _add_export(actions: Any) -> None:
    export = actions.add_parser("export", help="write the runs to CSV", description="Export runs to CSV.")
    export.add_argument("db", help="SQLite result file")
    export.add_argument("--csv", required=True, metavar="PATH", help="CSV file to write ('-' for stdout)")
    export.add_argument("--all", action="store_true", help="every row, not only the latest of each run")
    export.set_defaults(handler=run_export)


def _add_monitor(subparsers: Any) -> None:
    monitor = subparsers.add_parser(
        "monitor", help="re-solve a spec on new data and report drift from a baseline",
        description="Solve a YAML spec (optionally with CSV files replaced), store the snapshot in the baseline "
                    "database and compare objective, binding resources and allocation with the baseline. "
                    "Exit 1 when a drift exceeds its threshold or the solve is not optimal.")
    monitor.add_argument("spec", help="YAML spec")
    monitor.add_argument("--data", action="append", default=[], metavar="[NAME=]CSV",
                         help="replace a CSV of the spec: NAME is a dims/data entry or the CSV path the spec "
                              "names; without NAME the CSV with the same file name (repeatable)")
    monitor.add_argument("--baseline", required=True, metavar="DB", help="SQLite file holding the snapshots")
    monitor.add_argument("--name", default=None, help="name of the monitored model (default: the spec's file name)")
    monitor.add_argument("--set-baseline", action="store_true", help="make this solve the new baseline")
    monitor.add_argument("--solver", default=None, help="solver (default: the spec's, else auto)")
    monitor.add_argument("--objective-threshold", type=float, default=0.05,
                         help="relative objective change that counts as drift (default 0.05)")
    monitor.add_argument("--allocation-threshold", type=float, default=0.10,
                         help="relative L1 change of the allocation that counts as drift (default 0.10)")
    monitor.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    monitor.set_defaults(handler=run_monitor)


# ------------------------------------------------------------------------------------------
# handlers
# ------------------------------------------------------------------------------------------

def _references(items: Sequence[str]) -> dict[str, float]:
    references = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            references[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InputFileError(f"--reference {item!r}: write NAME=VALUE, e.g. afiro=-464.7531")
    return references


def run_bench(args: argparse.Namespace) -> int:
    from opt_model.bench.runner import BenchSettings, run_batch
    from opt_model.bench.suite import build_suite

    solvers = [text for text in (args.solvers or "").split(",") if text.strip()] or None
    suite = build_suite(args.paths, solvers, solu=args.solu, repeats=args.repeats, time_limit=args.time_limit,
                        memory_limit=args.memory_limit, tolerance=args.tolerance,
                        references=_references(args.reference))
    settings = BenchSettings(db=args.db, jobs=args.jobs, isolation=args.isolation, grace=args.grace,
                             resume=args.resume, rerun=args.rerun, rerun_failed=args.rerun_failed,
                             scheduler=args.scheduler, log_dir=args.log_dir, progress=not args.quiet,
                             argv=["opt-model", *sys.argv[1:]])
    summary = run_batch(suite, settings)
    sys.stderr.write(summary.text() + "\n")
    if summary.interrupted:
        return 130
    if summary.ran:
        from opt_model.bench.report import build_report, summary_table, text_table
        from opt_model.bench.storage import ResultStore

        with ResultStore(args.db) as store:
            sys.stdout.write(text_table(*summary_table(build_report(store))) + "\n")
        sys.stdout.write(f"full report: opt-model bench report {args.db} -o report.html\n")
    return 1 if summary.wrong else 0


def run_report(args: argparse.Namespace) -> int:
    from opt_model.bench.report import build_report, render_html, render_markdown, render_text
    from opt_model.bench.storage import open_existing

    output = Path(args.output) if args.output else None
    fmt = args.format or ({".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}.get(
        output.suffix.lower(), "text") if output else "text")
    with open_existing(args.db) as store:
        report = build_report(store, args.time_column, args.shift, with_png=fmt == "html" or bool(args.png)
                              or (fmt == "md" and output is not None))
    png_path = Path(args.png) if args.png else (output.with_suffix(".png") if fmt == "md" and output else None)
    if report.png and png_path:
        png_path.write_bytes(report.png)
    if fmt == "html":
        text = render_html(report)
    elif fmt == "md":
        text = render_markdown(report, png_name=png_path.name if (png_path and report.png) else None)
    else:
        text = render_text(report)
    if output:
        output.write_text(text)
        sys.stderr.write(f"wrote {output}{f' and {png_path}' if png_path and report.png else ''}\n")
    else:
        sys.stdout.write(text)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from opt_model.bench.compare import compare_stores
    from opt_model.bench.storage import open_existing

    if args.threshold < 1.0:
        raise InputFileError(f"--threshold {args.threshold}: must be at least 1 (1.10 means 10% slower)")
    with open_existing(args.base) as base, open_existing(args.new) as new:
        result = compare_stores(base, new, args.threshold, args.min_time, args.time_column, args.shift)
    if args.format == "json":
        text = json.dumps({"regressed": result.regressed, "threshold": result.threshold,
                           "compared": result.compared,
                           "changes": [vars(change) | {"gating": change.gating} for change in result.changes]},
                          indent=2) + "\n"
    else:
        text = result.text()
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 1 if result.regressed else 0


def run_export(args: argparse.Namespace) -> int:
    from opt_model.bench.storage import open_existing

    with open_existing(args.db) as store:
        if args.csv == "-":
            import tempfile

            with tempfile.NamedTemporaryFile("r", suffix=".csv") as handle:
                store.to_csv(handle.name, latest=not args.all)
                sys.stdout.write(Path(handle.name).read_text())
        else:
            store.to_csv(args.csv, latest=not args.all)
    return 0


def _data_overrides(items: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        name, sep, path = item.partition("=")
        if sep:
            overrides[name.strip()] = path.strip()
        else:
            overrides[""] = item
    if "" in overrides and len(items) > 1:
        raise InputFileError("with several --data files, name each one: --data NAME=FILE")
    return overrides


def run_monitor(args: argparse.Namespace) -> int:
    from opt_model.bench.monitor import monitor
    from opt_model.bench.spec_data import load_with_data

    spec = Path(args.spec)
    if not spec.is_file():
        raise InputFileError(f"{spec}: no such spec file")
    overrides = _data_overrides(args.data)
    model = load_with_data(spec, overrides)
    report = monitor(model, args.baseline, args.name or spec.stem, solver=args.solver,
                     data={key or "csv": str(Path(value).resolve()) for key, value in overrides.items()},
                     set_baseline=args.set_baseline, objective_threshold=args.objective_threshold,
                     allocation_threshold=args.allocation_threshold)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    else:
        sys.stdout.write(report.text())
    return 1 if report.exceeded else 0
