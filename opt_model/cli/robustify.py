"""``opt-model robustify SPEC``: the cheapest protected plan that passes out of sample.

Reads the spec's ``uncertainty:``, ``validation:`` and ``robust:`` sections
(options given here override them), searches the protection levels of the
chosen method, and prints the chosen plan beside the nominal plan and the box
counterpart, with the price of robustness (cost against P(feasible) per level).
Exit code 0 when a plan passes, 1 when none does, 2 on bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from opt_model.cli.output import FORMATS, emit
from opt_model.cli.sensitivity import parse_thresholds
from opt_model.errors import InputFileError, SpecError
from opt_model.formatting import to_csv, to_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "robustify", help="find the cheapest plan that stays feasible under the declared uncertainty",
        description="Protect a spec's plan against its uncertainty: section (robust counterparts or chance "
                    "constraints), search the cheapest protection level whose plan passes the target on fresh "
                    "out-of-sample scenarios, and print the price of robustness.")
    parser.add_argument("spec", help="YAML spec with an uncertainty: section (robust: and validation: are used)")
    parser.add_argument("--target", type=float, default=None, metavar="P",
                        help="required out-of-sample P(feasible), e.g. 0.95 (default: robust: or validation:)")
    parser.add_argument("--method", choices=("budget", "box", "ellipsoid", "scenario", "saa", "two-stage"),
                        default=None, help="protection: budget (Bertsimas & Sim, default), box, ellipsoid (SOCP), "
                                           "scenario (Campi & Garatti), saa (indicator MILP), two-stage (recourse)")
    parser.add_argument("--first-stage", action="append", default=None, metavar="NAME",
                        help="two-stage: a variable decided before the uncertainty (repeatable; default: every "
                             "provisioned amount)")
    parser.add_argument("--levels", default=None, metavar="L1,L2,...",
                        help="protection levels to search: Gamma, Omega or scenario counts (scenario, saa)")
    parser.add_argument("--scenarios", type=int, default=None, help="fresh out-of-sample scenarios (default 1000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument("--refine", type=int, default=None, metavar="K",
                        help="bisection steps between the last failing and the first passing level (default 2)")
    parser.add_argument("--saa-scenarios", type=int, default=200, metavar="N",
                        help="first sample size of the indicator SAA, whose levels are sample sizes: N, 2N, 4N, 8N "
                             "(method saa; default 200)")
    parser.add_argument("--saa-eps", type=float, default=None, metavar="EPS",
                        help="share of its scenarios the SAA may drop (default: a quarter of 1 - target)")
    parser.add_argument("--beta", type=float, default=None, help="confidence parameter of the scenario approach")
    parser.add_argument("--strict", action="store_true",
                        help="require the Wilson lower bound of P(feasible), not the estimate, to reach the target")
    parser.add_argument("--threshold", action="append", default=[], metavar="NAME=NUMBER",
                        help="extra validation threshold, e.g. max_regret_mean=5 (repeatable)")
    parser.add_argument("--no-box", action="store_true", help="do not solve the box counterpart for comparison")
    parser.add_argument("--solver", default="auto", help="solver for the protected models (default: auto)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the out-of-sample scenarios")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler for the scenarios")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--output", "-o", default=None, metavar="PATH", help="write the output to PATH")
    parser.add_argument("--plot", default=None, metavar="PATH", help="write the price-of-robustness plot (PNG)")
    parser.set_defaults(handler=run_robustify)


def _levels(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputFileError(f"--levels {text!r}: expected numbers separated by commas, e.g. 1,2,4") from error
    if not values or any(value < 0 for value in values):
        raise InputFileError(f"--levels {text!r}: give one or more non-negative numbers")
    return values


def run_robustify(args: argparse.Namespace) -> int:
    from opt_model.robust.loop import robustify
    from opt_model.spec import load_spec

    path = Path(args.spec)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputFileError(f"{path}: robustify reads a .yaml spec with an uncertainty: section")
    if args.target is not None and not 0 < args.target < 1:
        raise InputFileError(f"--target {args.target}: give a probability strictly between 0 and 1, e.g. 0.95")
    if args.scenarios is not None and args.scenarios < 1:
        raise InputFileError(f"--scenarios {args.scenarios}: give at least 1")
    if args.saa_scenarios < 1:
        raise InputFileError(f"--saa-scenarios {args.saa_scenarios}: give at least 1")
    if args.saa_eps is not None and not 0 < args.saa_eps < 1:
        raise InputFileError(f"--saa-eps {args.saa_eps}: give a share strictly between 0 and 1, e.g. 0.01")
    if args.refine is not None and args.refine < 0:
        raise InputFileError(f"--refine {args.refine}: give 0 or more bisection steps")
    if args.jobs < 1:
        raise InputFileError(f"--jobs {args.jobs}: give at least 1")
    model = load_spec(path)
    if not model.metadata.get("spec") or not getattr(model.metadata["spec"], "document", {}).get("uncertainty"):
        raise SpecError(f"{path}: no uncertainty: section; declare what is uncertain (see docs/robust.md)")
    report = robustify(model, method=args.method, target=args.target, thresholds=parse_thresholds(args.threshold),
                       levels=_levels(args.levels), scenarios=args.scenarios, seed=args.seed, beta=args.beta,
                       refine=args.refine, saa_scenarios=args.saa_scenarios, saa_eps=args.saa_eps,
                       strict=args.strict, first_stage=args.first_stage, solver=args.solver,
                       options=dict(model.solver_options) or None,
                       jobs=args.jobs, scheduler=args.scheduler, compare_box=not args.no_box)
    if args.plot:
        report.plot(args.plot)
    if args.format == "json":
        text = to_json(report.to_dict())
    elif args.format == "csv":
        text = to_csv(report.csv_rows(), list(report.CSV_COLUMNS))
    else:
        text = report.to_text()
    emit(text, args.output)
    return report.exit_code
