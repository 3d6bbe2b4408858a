"""``opt-model sensitivity FILE`` and ``opt-model robustness SPEC``.

``sensitivity`` prints the local report of an LP (MPS, LP or YAML spec): cost
and right-hand-side ranging, shadow prices (one-sided where degenerate),
optionally bottlenecks and a parametric sweep; for an infeasible model it
prints the diagnosis (IIS and smallest relaxation) and exits 1.

``robustness`` runs Monte Carlo over the uncertain parameters of the spec's
``uncertainty:`` section, of ``--uncertainty FILE`` and of ``--uncertain``
options, and checks the spec's ``validation:`` thresholds and ``--threshold``
options: exit 0 when they pass, 1 when one fails, 2 for an input error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opt_model.cli.output import emit
from opt_model.errors import InputFileError, SensitivityError, SpecError
from opt_model.formatting import to_csv, to_json

if TYPE_CHECKING:  # the analysis layer is imported by the handlers, after the arguments are parsed
    from opt_model.sensitivity.problem import AnalysisModel
    from opt_model.sensitivity.uncertainty import Target, Uncertain

_DISTRIBUTION_ARGS = {"relative": ("percent",), "uniform": ("low", "high"), "normal": ("mean", "std"),
                      "triangular": ("low", "mode", "high"), "lognormal": ("mu", "sigma")}
_TARGET = re.compile(r"^(cost|capacity|rhs|lower|upper):(.+)$")


def register(subparsers: Any) -> None:
    sensitivity = subparsers.add_parser(
        "sensitivity", help="local sensitivity report of an LP (ranging, shadow prices, bottlenecks)",
        description="Cost and right-hand-side ranging, shadow prices (one-sided at degenerate optima), "
                    "bottlenecks and parametric sweeps; infeasibility diagnosis for an infeasible model.")
    sensitivity.add_argument("file", help="model file: .mps, .lp or a .yaml spec")
    sensitivity.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    sensitivity.add_argument("--output", "-o", default=None, metavar="PATH",
                             help="write the output to PATH (default: stdout)")
    sensitivity.add_argument("--bottlenecks", action="store_true", help="add the bottleneck ranking")
    sensitivity.add_argument("--no-one-sided", action="store_true",
                             help="skip the re-solves for one-sided shadow prices at degenerate rows")
    sensitivity.add_argument("--objective-unit", default="",
                             help="unit of the objective, e.g. USD (default: the spec's objective unit)")
    sensitivity.add_argument("--sweep", metavar="KIND:NAME",
                             help="parametric sweep of one number, e.g. capacity:memory[h1] or cost:x[etl,h1]")
    sensitivity.add_argument("--from", dest="sweep_from", type=float, help="start of the sweep")
    sensitivity.add_argument("--to", dest="sweep_to", type=float, help="end of the sweep")
    sensitivity.add_argument("--plot", metavar="DIR", help="write PNG charts into DIR")
    sensitivity.add_argument("--step", type=float, default=1.0,
                             help="the change each bottleneck sentence and MILP re-solve speaks of, in the unit of "
                                  "each limit (default 1)")
    sensitivity.add_argument("--max-steps", type=int, default=20, metavar="N",
                             help="MILPs: re-solve at most N binding or near-binding limits (tightest first; "
                                  "2 MILP solves each, default 20)")
    sensitivity.add_argument("--stage", default=None, metavar="N|NAME",
                             help="objectives by priority: the stage to analyse (default the last, earlier held)")
    sensitivity.set_defaults(handler=run_sensitivity)

    robust = subparsers.add_parser(
        "robustness", help="Monte Carlo robustness of the optimal allocation, with a pass/fail verdict",
        description="Re-solve the model under perturbed parameters (warm-started, in place) and report how "
                    "often the nominal plan stays feasible, the objective distribution, regret and basis changes.")
    robust.add_argument("file", help="a .yaml spec (with an uncertainty: section) or an .mps/.lp file")
    robust.add_argument("--uncertain", action="append", default=[], metavar="KIND:NAME=DIST:ARGS",
                        help="an uncertain parameter (repeatable). KIND is cost, capacity, rhs, lower or upper; "
                             "NAME a variable, resource or constraint, optionally with [labels]; DIST:ARGS one of "
                             "relative:P (multipliers of the nominal value, uniform within +-P %%: relative:10 "
                             "means 90 %%..110 %% of each value), uniform:LOW,HIGH, normal:MEAN,STD, "
                             "triangular:LOW,MODE,HIGH, lognormal:MU,SIGMA (absolute values). Examples: "
                             "capacity:memory=relative:10, cost:x=normal:3,0.5, rhs:demand[h1]=uniform:90,110 "
                             "(default: the spec's uncertainty: section, else --percent on every capacity)")
    robust.add_argument("--uncertainty", metavar="FILE", help="YAML or JSON list of uncertain parameters")
    robust.add_argument("--scenarios", type=int, default=1000, metavar="N",
                        help="Monte Carlo scenarios, each a warm re-solve")
    robust.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same scenarios")
    robust.add_argument("--jobs", type=int, default=1, metavar="N", help="local worker processes (default: 1)")
    robust.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (default: local processes)")
    robust.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                        help="validation threshold, e.g. min_feasible_probability=0.95 (repeatable)")
    robust.add_argument("--global", dest="global_method", choices=("morris", "sobol"),
                        help="also compute global sensitivity indices (default: none)")
    robust.add_argument("--samples", type=int, default=256,
                        help="Sobol base samples (power of 2) or Morris trajectories")
    robust.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    robust.add_argument("--output", "-o", default=None, metavar="PATH",
                        help="write the output to PATH (default: stdout)")
    robust.add_argument("--plot", metavar="DIR", help="write PNG charts into DIR")
    robust.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    robust.add_argument("--mode", choices=("plan", "reoptimise"), default="plan",
                        help="MILPs: keep the nominal integer decisions (plan, default) or also re-solve the MILP "
                             "per scenario (reoptimise, time-limited)")
    robust.add_argument("--stage", default=None, metavar="N|NAME",
                        help="objectives by priority: the stage to analyse (default the last, earlier held)")
    robust.add_argument("--all-stages", action="store_true",
                        help="objectives by priority: re-solve every stage per scenario (earlier objectives "
                             "re-optimised and held again), not only the analysed one with the earlier held")
    robust.add_argument("--percent", type=float, default=10.0,
                        help="without declared uncertain parameters: +-PERCENT %% on every capacity, cost and "
                             "variable upper bound (default 10)")
    robust.set_defaults(handler=run_robustness)


def _load(path_text: str) -> AnalysisModel:
    from opt_model.sensitivity.problem import AnalysisModel

    path = Path(path_text)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    return AnalysisModel.load(path)


def parse_target(text: str) -> Target:
    """``capacity:memory[h1]`` -> the rhs of ``memory[h1]``; kinds: cost, capacity, rhs, lower, upper."""
    from opt_model.sensitivity.uncertainty import Target

    match = _TARGET.match(text.strip())
    if not match:
        raise InputFileError(f"{text!r}: give KIND:NAME with KIND one of cost, capacity, rhs, lower, upper "
                             "(e.g. capacity:memory[h1])")
    kind = "rhs" if match.group(1) == "capacity" else match.group(1)
    return Target(kind, match.group(2))


def parse_uncertain(text: str) -> Uncertain:
    """``capacity:memory=relative:10`` and friends (see ``opt-model robustness --help``)."""
    from opt_model.sensitivity.uncertainty import parameters_from_spec

    target_text, sep, dist_text = text.partition("=")
    if not sep:
        raise InputFileError(f"--uncertain {text!r}: expected KIND:NAME=DIST:ARGS, e.g. capacity:memory=relative:10")
    target = parse_target(target_text)
    name, _, args = dist_text.partition(":")
    name = name.strip().lower()
    if name not in _DISTRIBUTION_ARGS:
        raise InputFileError(f"--uncertain {text!r}: unknown distribution {name!r}; use "
                             f"{', '.join(_DISTRIBUTION_ARGS)} (empirical ones go in --uncertainty FILE)")
    try:
        numbers = [float(part) for part in args.split(",")] if args else []
    except ValueError as error:
        raise InputFileError(f"--uncertain {text!r}: the arguments of {name} must be numbers") from error
    keys = _DISTRIBUTION_ARGS[name]
    if len(numbers) != len(keys):
        raise InputFileError(f"--uncertain {text!r}: {name} takes {len(keys)} numbers ({', '.join(keys)})")
    entry: dict[str, Any] = {"target": target.kind, "of": target.name, "distribution": name,
                             **dict(zip(keys, numbers, strict=True))}
    try:
        return parameters_from_spec([entry])[0]
    except SpecError as error:
        raise InputFileError(f"--uncertain {text!r}: {error}") from error


def _thresholds(model: Any, options: list[str]) -> dict[str, float]:
    from opt_model.sensitivity.problem import spec_section

    thresholds: dict[str, float] = {}
    section = spec_section(model, "validation")
    if section:
        if not isinstance(section, dict):
            raise SpecError("validation: expected a mapping of threshold names to numbers")
        thresholds.update(section)
    thresholds.update(parse_thresholds(options))
    return thresholds


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """``--threshold NAME=NUMBER`` options as a mapping.

    >>> parse_thresholds(["min_feasible_probability=0.95"])
    {'min_feasible_probability': 0.95}
    """
    thresholds: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            thresholds[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise InputFileError(f"--threshold {item!r}: expected NAME=NUMBER, e.g. min_feasible_probability=0.95")
    return thresholds


def _parameters(analysis: AnalysisModel, args: argparse.Namespace, path: Path) -> list[Uncertain]:
    from opt_model.sensitivity.problem import spec_section
    from opt_model.sensitivity.uncertainty import parameters_from_spec

    params: list[Uncertain] = []
    section = spec_section(analysis.model, "uncertainty")
    if section:
        params.extend(parameters_from_spec(section, base_dir=path.parent))
    if args.uncertainty:
        file = Path(args.uncertainty)
        if not file.is_file():
            raise InputFileError(f"{file}: no such uncertainty file")
        if file.suffix.lower() == ".json":
            try:
                entries = json.loads(file.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise InputFileError(f"{file}: not valid JSON: {error}") from None
        else:
            from opt_model.spec.loader import read_yaml  # located errors, input limits, safe tags

            entries = read_yaml(file)
        if isinstance(entries, dict) and "uncertainty" in entries:
            entries = entries["uncertainty"]
        if not isinstance(entries, list):
            raise SpecError(f"{file}: expected a list of uncertain parameters (or an 'uncertainty:' key)")
        params.extend(parameters_from_spec(entries, base_dir=file.parent))
    params.extend(parse_uncertain(text) for text in args.uncertain)
    if not params:
        from opt_model.sensitivity.stages import analysis_for_stage
        from opt_model.sensitivity.uncertainty import default_uncertainty
        staged = analysis_for_stage(analysis, getattr(args, "stage", None))[0]  # the analysed stage's costs
        entries, why = default_uncertainty(staged, args.percent)
        if not entries:
            raise InputFileError(f"{path}: the model has no capacity, cost or bound to perturb; give "
                                 "--uncertain KIND:NAME=DIST:ARGS")
        print(f"note: {why} (declare an 'uncertainty:' section, --uncertainty FILE or --uncertain to choose)",
              file=sys.stderr)
        params = parameters_from_spec(entries)
    return params


def run_sensitivity(args: argparse.Namespace) -> int:
    from opt_model.sensitivity.report import sensitivity_report  # no pandas: the report prints from arrays

    analysis = _load(args.file)
    try:
        report = sensitivity_report(analysis, one_sided=not args.no_one_sided, objective_unit=args.objective_unit,
                                    step=args.step, stage=args.stage, max_steps=args.max_steps)
    except SensitivityError as error:
        if "infeasible" not in str(error):
            raise
        from opt_model.sensitivity.infeasibility import diagnose_infeasibility
        diagnosis = diagnose_infeasibility(analysis)
        text = to_json({"status": "infeasible", "diagnosis": diagnosis.to_dict()}) if args.format == "json" \
            else f"the model is infeasible\n{diagnosis.to_text()}\n"
        emit(text, args.output)
        return 1
    payload = report.to_dict() if args.format in ("json", "csv") else {}  # text output reads the report itself
    bottlenecks = None
    if args.bottlenecks:
        from opt_model.sensitivity.bottleneck import bottleneck_report
        bottlenecks = bottleneck_report(report)
    if bottlenecks is not None:
        payload["bottlenecks"] = bottlenecks.to_dict()
    sweep = None
    if args.sweep:
        if args.sweep_from is None or args.sweep_to is None:
            raise InputFileError("--sweep needs --from and --to")
        target = parse_target(args.sweep)
        model = report.analysis or analysis
        from opt_model.sensitivity.sweep import parametric_sweep  # LP: ranging walk; MILP/QP/cone: grid + bisection
        sweep = parametric_sweep(model, target, args.sweep_from, args.sweep_to, points=25, progress=True)
        payload["sweep"] = sweep.to_dict()
    if args.plot:
        directory = Path(args.plot)
        directory.mkdir(parents=True, exist_ok=True)
        if sweep is not None:
            sweep.plot(str(directory / "sweep.png"))
    if args.format == "json":
        text = to_json(payload)
    elif args.format == "csv":
        rows = [{"section": "variable", **entry} for entry in payload["variables"]] + \
               [{"section": "constraint", **entry} for entry in payload["constraints"]]
        columns = ["section", "name", "value", "reduced_cost", "cost", "cost_lower", "cost_upper", "activity",
                   "slack", "dual", "rhs", "rhs_lower", "rhs_upper", "dual_left", "dual_right", "degenerate"]
        text = to_csv(rows, columns)
    else:
        parts = [report.to_text()]
        if bottlenecks is not None:
            parts.append(bottlenecks.to_text())
        if sweep is not None:
            parts.append(sweep.to_text())
        text = "\n\n".join(parts) + "\n"
    emit(text, args.output)
    return 0


def run_robustness(args: argparse.Namespace) -> int:
    from opt_model.sensitivity.montecarlo import robustness
    from opt_model.sensitivity.uncertainty import Uncertain
    from opt_model.sensitivity.validation import evaluate

    path = Path(args.file)
    analysis = _load(args.file)
    params = _parameters(analysis, args, path)
    thresholds = _thresholds(analysis.model, args.threshold)
    report = robustness(analysis, params, scenarios=args.scenarios, seed=args.seed, jobs=args.jobs,
                        scheduler=args.scheduler, progress=not args.no_progress, mode=args.mode, stage=args.stage,
                        stages="all" if args.all_stages else "held")
    verdict = evaluate(report, thresholds) if thresholds else None
    payload = report.to_dict()
    if verdict is not None:
        payload["validation"] = verdict.to_dict()
    global_result = None
    scenario_model = report.model or analysis
    if args.global_method:
        from opt_model.sensitivity.global_sa import morris, sobol
        shared = [Uncertain(p.target, p.distribution, per_entry=False, name=p.name) for p in params]
        if args.global_method == "sobol":
            global_result = sobol(scenario_model, shared, base_samples=args.samples, seed=args.seed, jobs=args.jobs,
                                  scheduler=args.scheduler, progress=not args.no_progress)
        else:
            global_result = morris(scenario_model, shared, trajectories=args.samples, seed=args.seed, jobs=args.jobs,
                                   scheduler=args.scheduler, progress=not args.no_progress)
        payload["global"] = global_result.to_dict()
    if args.plot:
        from opt_model.sensitivity.plots import plot_objective_distribution, plot_tornado
        from opt_model.sensitivity.tornado import tornado
        directory = Path(args.plot)
        directory.mkdir(parents=True, exist_ok=True)
        plot_objective_distribution(report, directory / "objective_distribution.png")
        shared = [Uncertain(p.target, p.distribution, per_entry=False, name=p.name) for p in params]
        plot_tornado(tornado(scenario_model, shared), directory / "tornado.png")
    if args.format == "json":
        text = to_json(payload)
    else:
        parts = [report.to_text()]
        if global_result is not None:
            parts.append(global_result.to_text())
        if verdict is not None:
            parts.append(verdict.to_text())
        text = "\n\n".join(parts) + "\n"
    emit(text, args.output)
    return verdict.exit_code if verdict is not None else 0
