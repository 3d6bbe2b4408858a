"""``opt-model solve FILE`` and ``opt-model solvers``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from opt_model.cli.output import FORMATS, emit
from opt_model.errors import InputFileError
from opt_model.formatting import (
    format_number,
    objective_unit_text,
    plural,
    resource_text_table,
    text_table,
    to_csv,
    to_json,
)
from solvers.numbers import finite_or_none

SPEC_SUFFIXES = (".yaml", ".yml")


def register(subparsers: Any) -> None:
    solve = subparsers.add_parser("solve", help="solve a model file (MPS, LP or YAML spec)",
                                  description="Solve a model file and print the result.")
    solve.add_argument("file", help="model file: .mps, .lp (optionally .gz) or a .yaml spec")
    solve.add_argument("--solver", default=None,
                       help="solver: auto, highs, highs:ipm, highs:pdlp, cvxpy, pyomo:glpk, ... (`opt-model solvers` "
                            "lists them; default: the spec's 'solver', else auto)")
    solve.add_argument("--time-limit", type=float, default=None, metavar="S",
                       help="time limit in seconds (default: the spec's options, else none)")
    solve.add_argument("--mip-gap", type=float, default=None, metavar="GAP",
                       help="relative MIP gap, e.g. 0.01 for 1%% (default: the solver's, 1e-4 for HiGHS)")
    solve.add_argument("--threads", type=int, default=None, metavar="N", help="solver threads (default: the solver's)")
    solve.add_argument("--format", choices=FORMATS, default="table",
                       help="output format (default: table); csv starts with summary rows "
                            "(kind=summary: model, status, objective, check) before resources and variables")
    solve.add_argument("--output", "-o", default=None, metavar="PATH",
                       help="write the output to PATH (default: stdout)")
    solve.add_argument("--verbose", action="store_true", help="show the solver log (default: off)")
    solve.add_argument("--no-check", action="store_true",
                       help="do not compare the result with the spec's 'expected:' section (default: a spec's "
                            "expected status and objective are checked; a mismatch is reported and exits 1)")
    solve.set_defaults(handler=run_solve)

    solvers = subparsers.add_parser("solvers", help="list solver backends and what they solve")
    solvers.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    solvers.set_defaults(handler=run_solvers)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"verbose": bool(args.verbose)}
    for key in ("time_limit", "mip_gap", "threads"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    return options


CSV_COLUMNS = ["kind", "name", "value", "unit", "capacity", "bought", "total_capacity", "utilisation_pct",
               "shadow_price"]


def run_solve(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.suffix.lower() in SPEC_SUFFIXES:
        payload, rows = _solve_spec(path, args)
    else:
        payload, rows = _solve_file(path, args)
    if args.format == "json":
        text = to_json(payload)
    elif args.format == "csv":
        text = to_csv([*_summary_rows(payload), *rows], CSV_COLUMNS)
    else:
        text = _table(payload, rows)
    emit(text, args.output)
    check = payload.get("check")
    if check is not None and not check["passed"]:
        return 1
    return 0 if payload["status"] == "optimal" else 1


def _summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The CSV's first rows: what a table shows at its top, one ``kind=summary`` row each."""
    rows = [{"kind": "summary", "name": "model", "value": payload.get("model", "")},
            {"kind": "summary", "name": "status", "value": payload["status"]},
            {"kind": "summary", "name": "objective", "value": payload.get("objective"),
             "unit": payload.get("objective_unit", "")},
            {"kind": "summary", "name": "solver", "value": payload.get("solver", "")}]
    check = payload.get("check")
    if check is not None:
        rows.append({"kind": "summary", "name": "check", "value": "passed" if check["passed"] else "failed"})
    return rows


def check_expected(expected: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any] | None:
    """Compare a solve with a spec's ``expected:`` section; ``None`` when it states nothing to check.

    The objective matches within ``tolerance`` (relative, default 1e-7) or 1e-9 absolute, as in the
    project's own tests.

    Example
    -------
    >>> check_expected({"objective": 181}, {"status": "optimal", "objective": 180.0})["problems"]
    ['objective 180 differs from the expected 181 (tolerance 1e-07 relative)']
    """
    tolerance = float(expected.get("tolerance", 1e-7))
    problems: list[str] = []
    checked: list[str] = []

    def close(found: Any, wanted: float) -> bool:
        return found is not None and abs(float(found) - wanted) <= max(tolerance * abs(wanted), 1e-9)

    if "status" in expected:
        checked.append("status")
        if payload["status"] != expected["status"]:
            problems.append(f"status {payload['status']} differs from the expected {expected['status']}")
    if expected.get("objective") is not None:
        checked.append("objective")
        wanted = float(expected["objective"])
        if not close(payload.get("objective"), wanted):
            problems.append(f"objective {format_number(payload.get('objective'), 10)} differs from the expected "
                            f"{format_number(wanted, 10)} (tolerance {tolerance:g} relative)")
    stages = payload.get("stages") or []
    if expected.get("objectives") and stages:
        checked.append("objectives")
        for stage, wanted in zip(stages, expected["objectives"]):
            if not close(stage["objective"], float(wanted)):
                problems.append(f"stage {stage['name']} objective {format_number(stage['objective'], 10)} differs "
                                f"from the expected {format_number(float(wanted), 10)}")
    if not checked:
        return None
    return {"passed": not problems, "checked": checked, "problems": problems, "tolerance": tolerance}


def _solve_file(path: Path, args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from solvers import is_model_file, solve_file

    if not is_model_file(path):
        raise InputFileError(f"{path}: unknown file type; give a .mps, .lp or .yaml file")
    result, form = solve_file(path, args.solver or "auto", _options(args))  # HiGHS solves it as it reads it
    payload: dict[str, Any] = {
        "model": form.name, "status": result.status.value,
        "objective": finite_or_none(result.objective) if result.status.is_optimal else None,
        "solver": result.solver, "solver_version": result.solver_version, "solve_time_s": result.solve_time_s,
        "rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.num_nonzeros,
    }
    if result.status.is_limit and result.x is not None and finite_or_none(result.objective) is not None:
        payload["incumbent_objective"] = finite_or_none(result.objective)
    if result.status.is_limit and result.mip_bound is not None and finite_or_none(result.mip_bound) is not None:
        payload["best_bound"] = finite_or_none(result.mip_bound)
    if result.mip_gap is not None:
        payload["mip_gap"] = result.mip_gap
    rows: list[dict[str, Any]] = []
    if result.x is not None and result.status.is_optimal:
        names = form.column_names
        payload["variables"] = dict(zip(names, result.x.tolist()))
        rows = [{"kind": "variable", "name": n, "value": v} for n, v in zip(names, result.x.tolist())]
    return payload, rows




def _solve_spec(path: Path, args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from opt_model.spec import load_spec

    model = load_spec(path)
    options = {**model.solver_options, **_options(args)}
    result = model.solve(args.solver, options=options)
    payload = result.to_dict()
    form = result.compiled.form
    payload.update({"rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.num_nonzeros})
    rows: list[dict[str, Any]] = []
    if result.has_solution:
        table = result.resource_table()
        payload["resources"] = table.to_dict(orient="records") if len(table) else []
        for record in payload["resources"]:
            label = f"{record['resource']}[{record['label']}]" if record["label"] else record["resource"]
            rows.append({"kind": "resource", "name": label, "value": record["usage"], "unit": record["unit"],
                         "capacity": record["base_capacity"], "bought": record["bought"],
                         "total_capacity": record["capacity"], "utilisation_pct": record["utilisation_pct"],
                         "shadow_price": record["shadow_price"]})
        user = result.user_variable_names()  # hides auxiliary variables of cone models
        payload["variables"] = {n: v for n, v in payload["variables"].items() if n in user}
        rows.extend({"kind": "variable", "name": n, "value": v} for n, v in payload["variables"].items())
    expected = model.metadata.get("expected")
    expected = expected if isinstance(expected, dict) else {}
    if expected.get("objective") is not None:
        payload["expected_objective"] = expected["objective"]
    unit = objective_unit_text(result.objective_unit)
    if unit:
        payload["objective_unit"] = unit
    stages = getattr(result, "stages", None)
    if stages:
        payload["stages"] = [{"name": s.name, "sense": s.sense, "status": s.status.value, "objective": s.objective,
                              "unit": objective_unit_text(getattr(s, "unit", ""))} for s in stages]
    if not getattr(args, "no_check", False):
        check = check_expected(expected, payload)
        if check is not None:
            payload["check"] = check
    return payload, rows


def _table(payload: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    unit = payload.get("objective_unit", "")
    lines = [f"model      {payload.get('model', '')}",
             f"status     {payload['status']}",
             f"objective  {format_number(payload.get('objective'), 10)} {unit}".rstrip(),
             *([f"incumbent  {format_number(payload['incumbent_objective'], 10)} {unit}".rstrip()]
               if payload.get("incumbent_objective") is not None else []),
             *([f"best bound {format_number(payload['best_bound'], 10)} {unit}".rstrip()]
               if payload.get("best_bound") is not None else []),
             f"solver     {payload['solver']} {payload.get('solver_version', '')}",
             f"time       {format_number(payload.get('solve_time_s'), 3)} s",
             f"size       {plural(payload.get('rows') or 0, 'row')}, {plural(payload.get('columns') or 0, 'column')}, "
             f"{plural(payload.get('nonzeros') or 0, 'nonzero')}"]
    for stage in payload.get("stages", []):
        stage_unit = f" {stage['unit']}" if stage.get("unit") else ""
        lines.append(f"  stage {stage['name']}: {stage['sense']} -> "
                     f"{format_number(stage['objective'], 10)}{stage_unit} ({stage['status']})")
    check = payload.get("check")
    if check is not None:
        lines.append("check      " + ("passed: " + ", ".join(check["checked"]) + " as expected" if check["passed"]
                                      else "FAILED: " + "; ".join(check["problems"])))
    lines.append("")
    resources = [r for r in rows if r["kind"] == "resource"]
    if resources:
        lines.append("Resources")
        lines.append(resource_text_table(resources))
    variables = [r for r in rows if r["kind"] == "variable" and abs(r["value"]) > 1e-9]
    if variables:
        shown = variables[:50]
        lines.append(f"Variables (nonzero: {len(variables)}{', first 50 shown' if len(variables) > 50 else ''})")
        lines.append(text_table([[r["name"], r["value"]] for r in shown], ["variable", "value"]))
    return "\n".join(lines).rstrip() + "\n"


def run_solvers(args: argparse.Namespace) -> int:
    """Print the capability table: each backend (and variant), installed or not, and what it solves."""
    from solvers import capability_table

    rows = capability_table()
    if args.format == "json":
        emit(to_json({"solvers": rows}), None)
        return 0
    emit(text_table([[r["backend"], "yes" if r["installed"] else "no", r["version"] or "-",
                      " ".join(r["problem_classes"]), "yes" if r["duals"] else "no",
                      "yes" if r["ranging"] else "no", "yes" if r["warm_start"] else "no"] for r in rows],
                    ["solver", "installed", "version", "problem classes", "duals", "ranging", "warm start"]),
         None)
    return 0
