"""``opt-model solve FILE`` and ``opt-model solvers``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from opt_model.cli.output import FORMATS, emit
from opt_model.errors import InputFileError
from opt_model.formatting import format_number, text_table, to_csv, to_json

SPEC_SUFFIXES = (".yaml", ".yml")


def register(subparsers: Any) -> None:
    solve = subparsers.add_parser("solve", help="solve a model file (MPS, LP or YAML spec)",
                                  description="Solve a model file and print the result.")
    solve.add_argument("file", help="model file: .mps, .lp (optionally .gz) or a .yaml spec")
    solve.add_argument("--solver", default=None, help="solver: auto (default), highs, highs:ipm, highs:pdlp, ...")
    solve.add_argument("--time-limit", type=float, default=None, metavar="S", help="time limit in seconds")
    solve.add_argument("--mip-gap", type=float, default=None, help="relative MIP gap")
    solve.add_argument("--threads", type=int, default=None, help="solver threads")
    solve.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    solve.add_argument("--output", "-o", default=None, metavar="PATH", help="write the output to PATH")
    solve.add_argument("--verbose", action="store_true", help="show the solver log")
    solve.set_defaults(handler=run_solve)

    solvers = subparsers.add_parser("solvers", help="list solver backends and what they solve")
    solvers.add_argument("--format", choices=("table", "json"), default="table")
    solvers.set_defaults(handler=run_solvers)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"verbose": bool(args.verbose)}
    for key in ("time_limit", "mip_gap", "threads"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    return options


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
        text = to_csv(rows, ["kind", "name", "value", "unit", "capacity", "utilisation_pct", "shadow_price"])
    else:
        text = _table(payload, rows)
    emit(text, args.output)
    return 0 if payload["status"] == "optimal" else 1


def _solve_file(path: Path, args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from solvers import is_model_file, read_file, solve

    if not is_model_file(path):
        raise InputFileError(f"{path}: unknown file type; give a .mps, .lp or .yaml file")
    form = read_file(path)
    result = solve(form, args.solver or "auto", _options(args))
    payload: dict[str, Any] = {
        "model": form.name, "status": result.status.value, "objective": result.objective,
        "solver": result.solver, "solver_version": result.solver_version, "solve_time_s": result.solve_time_s,
        "rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.num_nonzeros,
    }
    if result.mip_gap is not None:
        payload["mip_gap"] = result.mip_gap
    rows: list[dict[str, Any]] = []
    if result.x is not None:
        names = form.column_names().names()
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
                         "capacity": record["capacity"], "utilisation_pct": record["utilisation_pct"],
                         "shadow_price": record["shadow_price"]})
        rows.extend({"kind": "variable", "name": n, "value": v} for n, v in payload["variables"].items())
    expected = model.metadata.get("expected", {}).get("objective") if isinstance(
        model.metadata.get("expected"), dict) else None
    if expected is not None:
        payload["expected_objective"] = expected
    if model.metadata.get("objective_unit"):
        payload["objective_unit"] = str(model.metadata["objective_unit"])
    stages = getattr(result, "stages", None)
    if stages:
        payload["stages"] = [{"name": s.name, "sense": s.sense, "status": s.status.value, "objective": s.objective}
                             for s in stages]
    return payload, rows


def _table(payload: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [f"model      {payload.get('model', '')}",
             f"status     {payload['status']}",
             f"objective  {format_number(payload.get('objective'), 10)} {payload.get('objective_unit', '')}".rstrip(),
             f"solver     {payload['solver']} {payload.get('solver_version', '')}",
             f"time       {format_number(payload.get('solve_time_s'), 3)} s",
             f"size       {payload.get('rows')} rows, {payload.get('columns')} columns, "
             f"{payload.get('nonzeros')} nonzeros", ""]
    for stage in payload.get("stages", []):
        lines.insert(-1, f"  stage {stage['name']}: {stage['sense']} -> {format_number(stage['objective'], 10)} "
                         f"({stage['status']})")
    resources = [r for r in rows if r["kind"] == "resource"]
    if resources:
        lines.append("Resources")
        lines.append(text_table([[r["name"], r["unit"], r["value"], r["capacity"], r["utilisation_pct"],
                                  r["shadow_price"]] for r in resources],
                                ["resource", "unit", "usage", "capacity", "util %", "shadow price"]))
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
