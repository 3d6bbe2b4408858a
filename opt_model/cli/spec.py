"""CLI subcommands for specs: ``validate``, ``schema``, ``convert``.

``opt-model validate SPEC...`` exits 0 when every spec is valid and 2 with one
``file:line:column: message`` line per problem otherwise; ``opt-model schema``
prints the JSON Schema; ``opt-model convert SPEC --to mps|lp|yaml`` writes a
spec (or an MPS/LP file) in another format.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from opt_model.errors import InputFileError, ModelError, SpecError
from opt_model.formatting import plural

YAML_SUFFIXES = (".yaml", ".yml")


def register(subparsers: Any) -> None:
    """Add the spec subcommands to the ``opt-model`` parser."""
    validate = subparsers.add_parser(
        "validate", help="check specs: YAML, schema, names, dims, units, numbers (exit 0 or 2)",
        description="Check one or more YAML specs and report every problem as file:line:column: message.")
    validate.add_argument("specs", nargs="+", metavar="SPEC", help="YAML spec files")
    validate.add_argument("-q", "--quiet", action="store_true", help="print nothing when the specs are valid")
    validate.set_defaults(handler=run_validate)

    schema = subparsers.add_parser("schema", help="print the JSON Schema of the spec format",
                                   description="Print the JSON Schema (draft 2020-12) of spec format version 1.")
    schema.add_argument("-o", "--output", help="write to this file instead of standard output")
    schema.set_defaults(handler=run_schema)

    convert = subparsers.add_parser(
        "convert", help="convert a spec or model file: --to mps, lp or yaml",
        description="Convert a YAML spec, MPS or LP file to MPS, LP or a YAML spec. Large data tables of a "
                    "YAML output go to CSV files next to it (with --output).")
    convert.add_argument("source", metavar="SPEC", help="a .yaml/.yml spec or a .mps/.lp file")
    convert.add_argument("--to", required=True, choices=["mps", "lp", "yaml"], help="output format")
    convert.add_argument("-o", "--output", help="output file (default: standard output)")
    convert.set_defaults(handler=run_convert)


def run_validate(args: argparse.Namespace) -> int:
    from opt_model.spec import validate_spec

    errors: list[SpecError] = []
    summaries = []
    for spec in args.specs:
        if not str(spec).lower().endswith(YAML_SUFFIXES):
            errors.append(SpecError(f"not a YAML spec (expected {' or '.join(YAML_SUFFIXES)})", str(spec), 1, 1))
            continue
        problems = validate_spec(spec)
        if problems:
            errors.extend(problems)
            continue
        summaries.append(_summary(spec))
    if errors:
        raise SpecError.combine(errors)
    if not args.quiet:
        for line in summaries:
            print(line)
    return 0


def _summary(spec: str) -> str:
    from opt_model.spec import load_spec

    model = load_spec(spec)
    try:
        form = model.compile().form
    except ModelError as error:
        raise SpecError(f"the model does not compile: {error}", spec, 1, 1) from None
    kind = form.problem_class.value
    return (f"{spec}: valid {kind} '{model.name}': {plural(form.num_cols, 'variable')}, "
            f"{plural(form.num_rows, 'constraint row')}, {plural(len(model.resources), 'resource')}")


def run_schema(args: argparse.Namespace) -> int:
    from opt_model.spec.schema import SCHEMA

    text = json.dumps(SCHEMA, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def refuse_lossy_conversion(model: Any, form: Any, target: str, source: str) -> None:
    """Raise :class:`InputFileError` when ``target`` (mps or lp) cannot hold the whole model.

    MPS and LP files hold one linear or quadratic objective, linear rows and
    integer columns; cone constraints (log, exp, norm2 atoms) and objectives
    by priority would be dropped silently, so they are refused, naming the
    format that keeps them.
    """
    fmt = target.upper()
    keep = "keep the YAML spec (it holds the whole model)" if model is not None else \
        "convert --to yaml keeps it"
    if model is not None and model.objectives.lexicographic:
        count = len(model.objectives)
        raise InputFileError(f"{source}: cannot convert to {fmt}: the model has {count} objectives by priority "
                             f"(lexicographic) and an {fmt} file holds one objective; {keep}")
    if getattr(form, "cones", None):
        kinds = sorted({"second-order" if cone.kind == "soc" else "exponential" for cone in form.cones})
        raise InputFileError(f"{source}: cannot convert to {fmt}: the model has {' and '.join(kinds)} cone "
                             f"constraints (from log, exp, entropy or norm atoms), which an {fmt} file cannot hold; "
                             f"{keep}")


def run_convert(args: argparse.Namespace) -> int:
    from opt_model.spec import load_spec
    from opt_model.spec.export import dump_yaml, form_to_spec, model_to_spec
    from solvers import is_model_file, read_file, write_file

    source = str(args.source)
    if source.lower().endswith(YAML_SUFFIXES):
        model = load_spec(source)
        form = None
    elif is_model_file(source):
        if not Path(source).is_file():
            raise InputFileError(f"{source}: no such file")
        model = None
        form = read_file(source)
    else:
        raise InputFileError(f"{source}: unknown input format; give a .yaml/.yml spec or an .mps/.lp file")
    output = args.output
    if args.to == "yaml":
        data_dir = Path(output).parent if output else None
        stem = Path(output).stem if output else ""
        try:
            document = model_to_spec(model, data_dir, stem) if model is not None else \
                form_to_spec(form, data_dir, stem)
        except ModelError as error:
            raise InputFileError(f"{source}: cannot express the model as a spec: {error}") from None
        text = dump_yaml(document)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    form = form if form is not None else model.compile().form  # type: ignore[union-attr]
    refuse_lossy_conversion(model, form, args.to, source)
    if output:
        write_file(form, output)
        return 0
    handle, temporary = tempfile.mkstemp(suffix=f".{args.to}")
    os.close(handle)
    try:
        write_file(form, temporary)
        sys.stdout.write(Path(temporary).read_text(encoding="utf-8"))
    finally:
        os.unlink(temporary)
    return 0
