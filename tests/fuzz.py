"""Fuzzing opt-model's inputs: mutated specs and model files, each with a clear answer.

Every case is one input (a YAML spec or an MPS/LP file), made by mutating the
shipped ``problems/*.yaml`` and MPS files (deleting, renaming, duplicating and
swapping keys, wrong types, extreme numbers, NaN/inf, bad units, garbage and
deeply nested expressions, odd names, bad CSV references, hostile YAML) or by
injecting a value that is known to be invalid.  A case is loaded (and, when it
loads, solved with a time limit) in a worker process, and ends in one outcome:

``clean_error``
    one of the project's own errors (:class:`~opt_model.errors.OptModelError`);
    a spec error carries a file and line.
``valid``
    the input loaded and the solve returned a :class:`~opt_model.result.Result`
    whose objective is honest (a number only for an optimal status).
``traceback``
    any other exception, or a project error without a location.
``hang``
    the case ran past the per-case time guard (the worker is killed).
``silently_accepted``
    an input known to be invalid loaded and solved without an error, or an
    optimal result came with a NaN objective.

Run a long campaign with::

    python -m tests.fuzz --cases 100000 --seed 1

It prints the counts by outcome and one example per distinct failure, and
exits 1 when any case is a traceback, a hang or silently accepted.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import contextlib
import copy
import math
import multiprocessing as mp
import multiprocessing.connection
import os
import random
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
NETLIB = ROOT.parent / "shared" / "data" / "netlib"
OUTCOMES = ("clean_error", "valid", "traceback", "hang", "silently_accepted")
BAD_OUTCOMES = ("traceback", "hang", "silently_accepted")


@dataclass
class Case:
    """One fuzz input: ``kind`` is ``spec``, ``mps`` or ``lp``; ``invalid`` says why it must fail."""

    kind: str
    text: str | bytes
    mutation: str
    invalid: str | None = None
    base_dir: str = str(PROBLEMS)
    expected_objective: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# values and names ------------------------------------------------------------------------------
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2, 0.5, -0.0, 1e308, -1e308, 10 ** 30, -(10 ** 400), 10 ** 400, 1e-320,
    "nan", "NaN", ".nan", "inf", ".inf", "-.inf", "1e999", "abc", "", " ", "16 GiB", "-5 GiB", "1e9 TiB",
    "3 furlongs", "5 USD/kWh", "2 h", [], {}, [1, 2], [[1], [2]], {"a": 1}, {"dims": []},
    "x" * 300, "é✓\U0001d518", "line\n", "a: b", "[1, 2", "{", "0**-1", "10**400", "2^1e9", "(((1)))",
]
ODD_KEYS: list[Any] = [
    0, 1, -1, 1.5, 1e300, True, False, None, "", " ", "name\n", "tab\tname", "a b", "x" * 300, "é✓",
    "sum", "and", "not", "1abc", "has-dash", "dot.name", "[x]", "x=1",
]
EXPRESSION_SNIPPETS = [
    " + 1", " * 2", " / 0", " ** -1", " ^ 2", " ^ 0.5", " ^ 1e9", " ** 400", " - unknown_name", " + 5 GiB",
    " * 10**300", " + 1e308 * 1e308", " <= 3", " == ", "(", ")", " + sum(", " + log(0)", " + exp(1000)",
    " + shift(", "[host='nope']", " + 'str'", " and ", " + 0**-1", " * (1/3)", " + 99999999999999999999",
    " + nan", " + inf", " , ", " = 1",
]
FILE_REFS = ["../../../../etc/passwd", "/proc/self/environ", "/etc/hostname", "x" * 5000, "missing.csv",
             "../README.md", "", "problems", "/dev/zero", "a\x00b.csv"]


def _plain(node: Any) -> Any:
    """A spec document as plain dicts and lists (for mutation and dumping)."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


_BASE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: ~5x faster


def _dump(document: Any) -> str:
    class Dumper(_BASE_DUMPER):  # type: ignore[valid-type,misc]
        pass

    def represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.Node:
        if math.isnan(value):
            text = ".nan"
        elif math.isinf(value):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value)
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(float, represent_float)
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=10 ** 6)


def shipped_specs() -> list[tuple[str, Any, str]]:
    """(file name, plain document, text) of every shipped spec."""
    from opt_model.spec.loader import read_yaml

    specs = []
    for path in sorted(PROBLEMS.glob("*.yaml")):
        specs.append((path.name, _plain(read_yaml(path)), path.read_text(encoding="utf-8")))
    return specs


# structured mutations ---------------------------------------------------------------------------
def _mutate_tree(rng: random.Random, document: Any) -> tuple[Any, str]:
    doc = copy.deepcopy(document)
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return doc, "empty"
    path = rng.choice(paths)
    parent = _get(doc, path[:-1])
    key = path[-1]
    operation = rng.choice(["delete", "rename", "duplicate", "swap", "value", "value", "expression",
                            "expression", "number", "unit", "csv", "label"])
    if operation == "delete":
        del parent[key]
    elif operation == "rename" and isinstance(parent, dict):
        new_key = rng.choice([*ODD_KEYS, f"{key}_x", str(key).upper()])
        parent[new_key] = parent.pop(key)
    elif operation == "duplicate":
        other = _get(doc, rng.choice(paths))
        parent[key] = copy.deepcopy(other)
    elif operation == "swap":
        other_path = rng.choice(paths)
        try:
            other_parent = _get(doc, other_path[:-1])
            parent[key], other_parent[other_path[-1]] = other_parent[other_path[-1]], parent[key]
        except (KeyError, IndexError, TypeError):
            return doc, "swap-failed"
    elif operation == "value":
        parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif operation == "expression":
        target = parent[key]
        if isinstance(target, str):
            position = rng.randrange(len(target) + 1)
            parent[key] = target[:position] + rng.choice(EXPRESSION_SNIPPETS) + target[position:]
        else:
            parent[key] = rng.choice(["x" + " + x" * rng.randrange(1, 50), "(" * 40 + "1" + ")" * 40,
                                      "sum(" * 30 + "x" + ")" * 30, "-" * 500 + "1"])
    elif operation == "number":
        parent[key] = rng.choice([10 ** rng.randrange(300, 500), -(10 ** rng.randrange(20, 400)),
                                  float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, -1e9, 1e9,
                                  rng.uniform(-1e6, 1e6)])
    elif operation == "unit":
        target = parent[key]
        parent[key] = f"{target} {rng.choice(['GiB', 'furlong', 'USD/kWh', 'h^2', 'm/s^1e9', '%', 'xyz'])}"
    elif operation == "csv":
        parent[key] = {"csv": rng.choice(FILE_REFS), "column": "value"} if rng.random() < 0.5 else \
            rng.choice(FILE_REFS)
    elif operation == "label" and isinstance(parent, list):
        parent[key] = rng.choice(["dup", "name\n", "", 1.5, None, True, "x" * 500, parent[0]])
    return doc, operation


# known-invalid injections: (description, function that changes the document) --------------------
def _set(doc: dict, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _first(doc: dict, section: str) -> str | None:
    items = doc.get(section)
    return next(iter(items)) if isinstance(items, dict) and items else None


def _inject_invalid(rng: random.Random, document: Any) -> tuple[Any, str] | None:
    doc = copy.deepcopy(document)
    choices = ["mip_gap", "threads", "extra_list", "time_limit", "range", "range_float", "newline_name",
               "odd_dim_key", "nan_capacity", "negative_capacity", "nan_priority", "nan_weight", "nan_tol",
               "negative_provision", "odd_variable_key", "odd_data_key", "odd_constraint_key",
               "odd_expression_key", "nan_data", "neg_mip_gap"]
    choice = rng.choice(choices)
    nan = float("nan")
    if choice == "mip_gap":
        _set(doc, ("options", "mip_gap"), nan)
    elif choice == "neg_mip_gap":
        _set(doc, ("options", "mip_gap"), -0.5)
    elif choice == "threads":
        _set(doc, ("options", "threads"), 1000000)
    elif choice == "extra_list":
        _set(doc, ("options", "extra"), rng.choice([[1, 2], {"a": [1]}, {"presolve": {"x": 1}}]))
    elif choice == "time_limit":
        _set(doc, ("options", "time_limit"), rng.choice([nan, -1, 0, "abc"]))
    elif choice == "range":
        _set(doc, ("dims", "huge"), {"range": rng.choice([10 ** 9, 10 ** 12, 10 ** 30])})
    elif choice == "range_float":
        _set(doc, ("dims", "huge"), {"range": rng.choice([1e9, 2.5, 1e300])})
    elif choice == "newline_name":
        name = _first(doc, "variables")
        if name is None:
            return None
        doc["variables"][name + "\n"] = doc["variables"].pop(name)
    elif choice.startswith("odd_") and choice.endswith("_key"):
        section = {"odd_dim_key": "dims", "odd_variable_key": "variables", "odd_data_key": "data",
                   "odd_constraint_key": "constraints", "odd_expression_key": "expressions"}[choice]
        name = _first(doc, section)
        if name is None:
            return None
        odd = rng.choice([1, 1.5, True, None, "", "a b", "x-y", "é✓\n"])
        doc[section][odd] = doc[section].pop(name)
    elif choice in ("nan_capacity", "negative_capacity"):
        name = _first(doc, "resources")
        if name is None or not isinstance(doc["resources"][name], dict):
            return None
        doc["resources"][name]["capacity"] = nan if choice == "nan_capacity" else -5
    elif choice in ("nan_priority", "nan_weight", "nan_tol"):
        objective = doc.get("objective")
        if not isinstance(objective, dict):
            return None
        key = {"nan_priority": "priority", "nan_weight": "weight", "nan_tol": "tolerance"}[choice]
        sense = "minimize" if "minimize" in objective else "maximize"
        if sense not in objective:
            return None
        doc["objective"] = {"objectives": [{sense: objective[sense], key: nan, "name": "a"},
                                           {sense: objective[sense], "name": "b"}]}
        if key == "priority":
            doc["objective"]["objectives"][1]["priority"] = 1
    elif choice == "negative_provision":
        name = _first(doc, "resources")
        if name is None or not isinstance(doc["resources"][name], dict):
            return None
        doc["resources"][name]["provision"] = {"price": 1, "min": -10, "max": 100}
    elif choice == "nan_data":
        name = _first(doc, "data")
        if name is None:
            return None
        doc["data"][name] = nan
    return doc, f"invalid:{choice}"


def _hostile_text(rng: random.Random) -> tuple[str, str, str | None]:
    """(text, mutation, invalid reason or None) for hand-made hostile YAML and expressions."""
    choice = rng.choice(["laughs", "flow_deep", "block_deep", "parens", "flat_sum", "garbage", "tags",
                         "long_label", "many_labels", "bad_tags", "deep_unary", "power_tower"])
    head = "version: 1\ndims:\n  host: [h1, h2]\nvariables:\n  x: {dims: [host], upper: 1}\n"
    if choice == "laughs":
        levels = rng.randrange(5, 12)
        lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        for k in range(1, levels):
            lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
        return "version: 1\n" + "\n".join(lines) + "\n", "hostile:laughs", "alias expansion"
    if choice == "flow_deep":
        depth = rng.choice([50, 500, 900, 5000])
        return f"version: 1\ndims: {'[' * depth}{']' * depth}\n", "hostile:flow_deep", "nesting"
    if choice == "block_deep":
        depth = rng.choice([50, 300, 1000])
        text = "version: 1\ndata:\n" + "".join("  " * (k + 1) + f"k{k}:\n" for k in range(depth)) + \
            "  " * (depth + 1) + "1\n"
        return text, "hostile:block_deep", "nesting"
    if choice == "parens":
        depth = rng.choice([10, 100, 999, 1000, 1001, 5000])
        text = head + f"objective:\n  maximize: \"{'(' * depth}sum(x){')' * depth}\"\n"
        return text, f"hostile:parens{depth}", None if depth <= 1000 else "expression depth"
    if choice == "deep_unary":
        depth = rng.choice([10, 999, 3000])
        text = head + f"objective:\n  maximize: \"{'-' * depth}sum(x)\"\n"
        return text, f"hostile:unary{depth}", None if depth <= 1000 else "expression depth"
    if choice == "power_tower":
        depth = rng.choice([3, 50, 2000])
        text = head + "data:\n  p: \"" + "^".join(["2"] * depth) + "\"\nobjective:\n  maximize: \"p * sum(x)\"\n"
        return text, f"hostile:tower{depth}", None if depth < 5 else "overflow"
    if choice == "flat_sum":
        terms = rng.choice([400, 10000])
        text = head + "objective:\n  maximize: \"" + " + ".join(["x[host='h1']"] * terms) + "\"\n"
        return text, f"hostile:flat_sum{terms}", None
    if choice == "garbage":
        size = rng.choice([100, 10000, 200000])
        data = "".join(rng.choice("{}[]:,-&*!|>'\"#\n abc\t%@`") for _ in range(size))
        return data, "hostile:garbage", None
    if choice == "tags":
        tag = rng.choice(["!!python/object:os.system", "!custom", "!!binary", "!!set", "!!omap", "!!timestamp"])
        return f"version: 1\nname: {tag} x\n", "hostile:tags", "tag"
    if choice == "bad_tags":
        value = rng.choice(["!!float abc", "!!bool maybe", "!!int 1.5", "!!int abc", "!!null x", "!!float ''",
                            "!!int 0x", "!!float 1e99999"])
        return f"version: 1\nname: x\ndata:\n  a: {value}\n", "hostile:bad_tags", "bad tag"
    if choice == "long_label":
        label = "x" * rng.choice([1000, 100000])
        return head.replace("[h1, h2]", f"[h1, {label}]") + "objective:\n  maximize: sum(x)\n", \
            "hostile:long_label", None
    count = rng.choice([100, 10 ** 5])
    return (f"version: 1\ndims:\n  host: {{range: {count}}}\nvariables:\n  x: {{dims: [host], upper: 1}}\n"
            "objective:\n  maximize: sum(x)\n", f"hostile:range{count}", None)


def spec_cases(rng: random.Random, count: int) -> Iterator[Case]:
    """``count`` mutated spec cases."""
    specs = shipped_specs()
    for _ in range(count):
        roll = rng.random()
        name, document, text = rng.choice(specs)
        if roll < 0.08:
            hostile, mutation, invalid = _hostile_text(rng)
            yield Case("spec", hostile, mutation, invalid)
        elif roll < 0.25:
            injected = _inject_invalid(rng, document)
            if injected is None:
                continue
            doc, mutation = injected
            yield Case("spec", _dump(doc), f"{name}:{mutation}", mutation)
        elif roll < 0.33:
            lines = text.splitlines(keepends=True)
            k = rng.randrange(len(lines))
            op = rng.choice(["drop", "dup", "indent", "truncate", "garbage"])
            if op == "drop":
                del lines[k]
            elif op == "dup":
                lines.insert(k, lines[k])
            elif op == "indent":
                lines[k] = " " * rng.randrange(1, 5) + lines[k]
            elif op == "truncate":
                lines = [*lines[:k], lines[k][:rng.randrange(len(lines[k]) + 1)]]
            else:
                lines[k] = lines[k][:-1] + rng.choice(["&", "*", "!", "{", "\t", "\x00", "\ufeff", "%", "`"]) + "\n"
            yield Case("spec", "".join(lines), f"{name}:text:{op}")
        else:
            doc = document
            operations = []
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                doc, operation = _mutate_tree(rng, doc)
                operations.append(operation)
            try:
                dumped = _dump(doc)
            except Exception:
                continue
            yield Case("spec", dumped, f"{name}:{'+'.join(operations)}")


# model files ----------------------------------------------------------------------------------------
def shipped_model_files() -> list[tuple[str, str, float | None]]:
    """(name, MPS text, known optimum) for Wyndor and a few small Netlib files when present."""
    files = [("wyndor.mps", (PROBLEMS / "mps" / "wyndor.mps").read_text(encoding="utf-8"), 36.0)]
    for name in ("afiro.mps", "sc50a.mps", "adlittle.mps", "blend.mps", "kb2.mps"):
        path = NETLIB / name
        if path.is_file():
            files.append((name, path.read_text(encoding="utf-8", errors="replace"), None))
    return files


def _number_token(rng: random.Random) -> tuple[str, bool]:
    """A replacement for a number in an MPS file: (text, is it malformed?)."""
    good = ["0", "1", "-1", "2.5", "1e30", "-1e30", "1E+2", "3."]
    bad = ["abc", "1.2.3", "nan", "NaN", "inf", "--1", "1e", "0x10", "1,5", "1e99999"]
    if rng.random() < 0.5:
        return rng.choice(good), False
    return rng.choice(bad), True


def file_cases(rng: random.Random, count: int) -> Iterator[Case]:
    """``count`` mutated MPS files (bad numbers, sections, names, references, bound types)."""
    files = shipped_model_files()
    for _ in range(count):
        name, text, optimum = rng.choice(files)
        lines = text.splitlines()
        body = [k for k, line in enumerate(lines) if line.startswith(" ") and line.split()]
        op = rng.choice(["number", "number", "section", "dup_row", "dup_col", "missing_row", "bound_type",
                         "drop", "swap", "bytes", "unchanged", "no_n_row", "ranges", "garbage"])
        invalid: str | None = None
        k = rng.choice(body) if body else 0
        fields = lines[k].split() if body else []
        if op == "number" and fields:
            section = _section_of(lines, k)
            positions = {"COLUMNS": [2, 4], "RHS": [2, 4], "RANGES": [2, 4], "BOUNDS": [3]}.get(section, [])
            numbers = [i for i in positions if i < len(fields) and "MARKER" not in lines[k]
                       and re.fullmatch(r"[-+]?[\d.]+(?:[eE][-+]?\d+)?", fields[i])]
            if numbers:
                i = rng.choice(numbers)
                fields[i], malformed = _number_token(rng)
                lines[k] = "    " + "  ".join(fields)
                invalid = "malformed number" if malformed else None
        elif op == "section":
            lines.insert(rng.choice(range(1, len(lines))), rng.choice(["FOO", "COLUMNSX", "OBJSENSE MAXX", "QUAD"]))
            invalid = "unknown section"
        elif op == "dup_row":
            start = next((i for i, line in enumerate(lines) if line.startswith("ROWS")), None)
            if start is not None and start + 2 < len(lines) and lines[start + 2].startswith(" "):
                lines.insert(start + 2, lines[start + 2])
                invalid = "duplicate row"
        elif op == "missing_row" and fields and len(fields) >= 3 and _section_of(lines, k) in ("COLUMNS", "RHS"):
            fields[1] = "NOSUCHROW"
            lines[k] = "    " + "  ".join(fields)
            invalid = "missing reference"
        elif op == "bound_type":
            start = next((i for i, line in enumerate(lines) if line.startswith("ENDATA")), len(lines))
            column = _first_column(lines)
            if column:
                bound = rng.choice(["MI", "PL", "BV", "LI 5", "UI 4", "FR", "SC 3", "XX 1", "UP"])
                parts = bound.split()
                if not lines_have(lines, "BOUNDS"):
                    lines.insert(start, "BOUNDS")
                    start += 1
                value = parts[1] if len(parts) > 1 else ""
                lines.insert(start, f" {parts[0]} BND {column} {value}".rstrip())
                invalid = "unknown bound type" if parts[0] == "XX" else \
                    ("missing bound value" if parts[0] == "UP" else None)
        elif op == "drop" and body:
            del lines[k]
        elif op == "swap" and len(fields) >= 3:
            fields[1], fields[2] = fields[2], fields[1]
            lines[k] = "    " + "  ".join(fields)
        elif op == "bytes":
            raw = ("\n".join(lines) + "\n").encode("utf-8")
            position = rng.randrange(len(raw))
            raw = raw[:position] + bytes([rng.choice([0xff, 0xc3, 0x80, 0x00])]) + raw[position + 1:]
            yield Case("mps", raw, f"{name}:bytes", None, expected_objective=None)
            continue
        elif op == "no_n_row":
            lines = [line for line in lines if not re.match(r"^\s*N\s", line)]
            invalid = "no objective row"
        elif op == "ranges":
            start = next((i for i, line in enumerate(lines) if line.startswith("ENDATA")), len(lines))
            lines[start:start] = ["RANGES", f"    RNG  {rng.choice(['abc', 'NOSUCHROW'])}  1"]
            invalid = "ranges with a missing row"
        elif op == "garbage":
            lines.insert(rng.randrange(len(lines)), "".join(rng.choice("abc 123.,;#*$") for _ in range(30)))
        text_out = "\n".join(lines) + "\n"
        expected = optimum if op == "unchanged" else None
        yield Case("mps", text_out, f"{name}:{op}", invalid, expected_objective=expected)


def lines_have(lines: list[str], section: str) -> bool:
    return any(line.strip() == section for line in lines)


def _section_of(lines: list[str], k: int) -> str:
    for line in reversed(lines[:k]):
        if line and not line.startswith(" "):
            return line.split()[0]
    return ""


def _first_column(lines: list[str]) -> str | None:
    start = next((i for i, line in enumerate(lines) if line.startswith("COLUMNS")), None)
    if start is None:
        return None
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            return None
        parts = line.split()
        if parts and "MARKER" not in line:
            return parts[0]
    return None


# running one case -----------------------------------------------------------------------------------
def run_case(case: Case) -> tuple[str, str]:
    """``(outcome, detail)`` of one case, run in this process (see :func:`run_cases` for the guard)."""
    from opt_model.errors import OptModelError, SpecError

    try:
        if case.kind == "spec":
            from opt_model.spec import loads_spec

            assert isinstance(case.text, str)
            model = loads_spec(case.text, base_dir=case.base_dir, file="mutant.yaml")
        else:
            from opt_model.model import Model

            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"mutant.{case.kind}"
                data = case.text.encode("utf-8") if isinstance(case.text, str) else case.text
                path.write_bytes(data)
                model = Model.read(path)
        result = model.solve(time_limit=5.0)
        objective = result.objective
        if result.status.value == "optimal" and (objective is None or not math.isfinite(objective)):
            return "silently_accepted", f"optimal with objective {objective}"
        if result.status.value != "optimal" and objective is not None and not _named_objective(result):
            return "silently_accepted", f"{result.status.value} with objective {objective}"
        if case.invalid is not None:
            return "silently_accepted", f"{case.invalid} accepted ({result.status.value}, objective {objective})"
        if case.expected_objective is not None and (
                objective is None or abs(objective - case.expected_objective) > 1e-6 * max(1, abs(objective))):
            return "silently_accepted", f"objective {objective}, expected {case.expected_objective}"
        return "valid", result.status.value
    except SpecError as error:
        if error.file is None or error.line is None:
            return "traceback", f"SpecError without a location: {error}"
        return "clean_error", type(error).__name__
    except OptModelError as error:
        if case.kind != "spec" and type(error).__name__ == "InputFileError" and \
                not re.search(rf"mutant\.{case.kind}:\d+: ", str(error)):
            return "traceback", f"a model file error without a line: {error}"
        return "clean_error", type(error).__name__
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        where = f"{Path(frame.filename).name}:{frame.name}" if frame else "?"
        return "traceback", f"{type(error).__name__} in {where}: {str(error)[:200]}"


def _named_objective(result: Any) -> bool:
    """A limit outcome may report its incumbent's objective (named so by the result)."""
    return bool(getattr(result, "objective_kind", None) in ("incumbent", "best bound"))


WARM_UP = "version: 1\ndims:\n  h: [a, b]\nvariables:\n  x: {dims: [h], upper: 1}\nobjective:\n  maximize: sum(x)\n"


def _warm_up() -> None:
    """Import and run once what every case uses, so a case's time guard is not spent on imports."""
    from opt_model.spec import loads_spec

    loads_spec(WARM_UP, file="warm.yaml").solve()
    with contextlib.suppress(Exception):  # cone specs solve through CVXPY: seconds to import, once
        import solvers.cvxpy_backend  # noqa: F401


def _worker(connection: Any, memory_bytes: int) -> None:
    """Run cases from ``connection`` until ``None``: answers ``(outcome, detail, cpu seconds)``."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without rlimits
        pass
    _warm_up()
    connection.send("ready")
    while True:
        case = connection.recv()
        if case is None:
            return
        started = time.process_time()
        outcome, detail = run_case(case)
        connection.send((outcome, detail, time.process_time() - started))


@dataclass
class Report:
    """Counts by outcome, CPU seconds by outcome and one example (mutation, detail) per distinct failure."""

    counts: collections.Counter = field(default_factory=collections.Counter)
    cpu: collections.Counter = field(default_factory=collections.Counter)
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    wall: float = 0.0

    @property
    def bad(self) -> int:
        return sum(self.counts[outcome] for outcome in BAD_OUTCOMES)

    def add(self, case: Case, outcome: str, detail: str, cpu: float = 0.0) -> None:
        self.counts[outcome] += 1
        self.cpu[outcome] += cpu
        if outcome in BAD_OUTCOMES:
            key = f"{outcome}: {re.sub(r'[0-9]+', 'N', detail)[:120]}"
            self.failures.setdefault(key, (case.mutation, detail))

    def text(self) -> str:
        total = sum(self.counts.values())
        lines = [f"{total} cases: " + ", ".join(f"{outcome} {self.counts[outcome]}" for outcome in OUTCOMES)]
        cpu = sum(self.cpu.values())
        if total:
            per = ", ".join(f"{outcome} {1000 * self.cpu[outcome] / self.counts[outcome]:.0f} ms"
                            for outcome in OUTCOMES if self.counts[outcome])
            lines.append(f"  worker CPU {cpu:.1f} s ({1000 * cpu / total:.1f} ms a case: {per}); "
                         f"wall {self.wall:.1f} s")
        for key, (mutation, detail) in sorted(self.failures.items()):
            lines.append(f"  {key}\n      e.g. {mutation}: {detail[:300]}")
        return "\n".join(lines)


class _Worker:
    """One worker process from the fork server, fed one case at a time over a pipe.

    The worker comes from a fork server, not a fork of this process: a process that has already run
    HiGHS (the test suite) holds its thread pool, and a plain fork of it can deadlock in the next solve.
    """

    def __init__(self, memory_bytes: int) -> None:
        context = mp.get_context("forkserver")
        self.memory_bytes = memory_bytes
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, memory_bytes), daemon=True)
        self.process.start()
        child.close()
        self.case: Case | None = None
        self.since = 0.0
        self.ready = False

    def wait_ready(self, timeout: float = 600.0) -> None:
        if not self.ready:
            if not self.connection.poll(timeout) or self.connection.recv() != "ready":
                raise RuntimeError("a fuzz worker did not start")
            self.ready = True

    def send(self, case: Case) -> None:
        self.case, self.since = case, time.monotonic()
        self.connection.send(case)

    def stop(self, kill: bool = False) -> None:
        if not kill:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.connection.send(None)
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


_POOL: list[_Worker] = []
"""Workers kept between calls of :func:`run_cases` (start-up and warm-up cost seconds each)."""


def _pool(workers: int, memory_bytes: int) -> list[_Worker]:
    global _POOL
    kept = [w for w in _POOL if w.process.is_alive() and w.memory_bytes == memory_bytes]
    for worker in _POOL:
        if worker not in kept:
            worker.stop(kill=True)
    while len(kept) < workers:
        kept.append(_Worker(memory_bytes))
    _POOL = kept
    for worker in kept[:workers]:
        worker.wait_ready()
    return kept[:workers]


@atexit.register
def _close_pool() -> None:
    for worker in _POOL:
        worker.stop()
    _POOL.clear()


def default_workers() -> int:
    """Two workers where there are two cores (the suite's cases are independent)."""
    return max(1, min(2, os.cpu_count() or 1))


def run_cases(cases: Iterator[Case], timeout: float = 20.0, memory_bytes: int = 3 * 2 ** 30,
              report: Report | None = None, progress: bool = False, deadline: float | None = None,
              workers: int | None = None) -> Report:
    """Run ``cases`` on ``workers`` worker processes, one case at a time each, with a time guard per case.

    A worker whose case runs past ``timeout`` seconds is killed and replaced (the case is a ``hang``);
    one that dies is replaced too (the case is a ``traceback``).  Workers stay alive for the next call.
    """
    report = report or Report()
    pool = _pool(workers or default_workers(), memory_bytes)
    started = time.monotonic()
    idle = list(pool)
    busy: dict[Any, _Worker] = {}
    source = iter(cases)
    exhausted = False
    number = 0

    def replace(worker: _Worker) -> None:
        worker.stop(kill=True)
        fresh = _Worker(memory_bytes)
        fresh.wait_ready()
        _POOL[_POOL.index(worker)] = fresh
        idle.append(fresh)

    while True:
        while idle and not exhausted:
            if deadline is not None and time.monotonic() > deadline:
                print(f"time budget spent after {number} cases", file=sys.stderr, flush=True)
                exhausted = True
                break
            case = next(source, None)
            if case is None:
                exhausted = True
                break
            worker = idle.pop()
            worker.send(case)
            busy[worker.connection] = worker
        if not busy:
            break
        now = time.monotonic()
        wait = max(0.0, min(w.since + timeout for w in busy.values()) - now)
        ready = mp.connection.wait(list(busy), timeout=wait)
        for connection in ready:
            worker = busy.pop(connection)
            assert worker.case is not None
            try:
                outcome, detail, cpu = connection.recv()
                idle.append(worker)
            except (EOFError, OSError):
                worker.process.join(timeout=5)
                outcome, detail, cpu = "traceback", f"the worker died (exit code {worker.process.exitcode})", 0.0
                replace(worker)
            report.add(worker.case, outcome, detail, cpu)
            number += 1
            if progress and number % 1000 == 0:
                rate = number / (time.monotonic() - started)
                print(f"{number} cases ({rate:.0f}/s): {dict(report.counts)}", file=sys.stderr, flush=True)
        now = time.monotonic()
        for connection, worker in list(busy.items()):
            if now - worker.since > timeout:
                del busy[connection]
                assert worker.case is not None
                report.add(worker.case, "hang", f"no answer within {timeout:g} s", timeout)
                number += 1
                replace(worker)
    report.wall += time.monotonic() - started
    return report


def mixed_cases(seed: int, count: int, file_share: float = 0.2) -> Iterator[Case]:
    """``count`` cases, about ``file_share`` of them model files, the rest specs."""
    rng = random.Random(seed)
    files = int(count * file_share)
    spec_iter = spec_cases(random.Random(rng.random()), 10 ** 9)
    file_iter = file_cases(random.Random(rng.random()), 10 ** 9)
    for _ in range(count):
        yield next(file_iter) if rng.random() < files / max(count, 1) else next(spec_iter)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10000, help="number of cases (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--files", type=float, default=0.2, help="share of MPS cases (default 0.2)")
    parser.add_argument("--minutes", type=float, default=None, help="stop after this many minutes (default: none)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1: leave cores to others)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    deadline = time.monotonic() + 60 * args.minutes if args.minutes else None
    report = run_cases(mixed_cases(args.seed, args.cases, args.files), timeout=args.timeout, progress=True,
                       deadline=deadline, workers=args.workers)
    print(report.text())
    return 1 if report.bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
