"""The JSON Schema of spec format version 1, and structural validation against it.

:data:`SCHEMA` is a JSON Schema (draft 2020-12) document; ``opt-model schema``
prints it.  :func:`structural_problems` checks a parsed spec against it with
:mod:`jsonschema` when that package is installed, or else with the small
built-in validator below (which implements exactly the keywords the schema
uses), and turns each violation into a :class:`~opt_model.errors.SpecError`
at the offending node, with a "did you mean" for misspelt keys.

Example
-------
>>> from opt_model.spec.loader import parse_yaml
>>> doc = parse_yaml("version: 1\\nvariabls: {}\\n", "s.yaml")
>>> [str(e) for e in structural_problems(doc)]
["s.yaml:2:1: unknown key 'variabls' in the spec; did you mean 'variables'?"]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from opt_model.errors import SpecError, did_you_mean
from opt_model.section_schemas import UNCERTAINTY_SCHEMA, VALIDATION_SCHEMA
from opt_model.spec.loader import Loc, SpecList, SpecMap

SPEC_VERSION = 1
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

_NUMBER_OR_TEXT = {"type": ["number", "string"]}
_NUMERIC = {
    "description": "A number (in the field's unit; 'inf', '-inf' and '.inf' are numbers), a quantity or "
                   "expression over data ('64 GiB', '2 * base'), or a mapping from labels to such values (nested "
                   "for several dims; a 'default' key fills the labels not given; null means no bound in bounds "
                   "and capacities).",
    "x-expected": "a number, a quantity string like '64 GiB', a data expression, or a mapping of labels to values",
    "anyOf": [
        {"type": "number"},
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1,
         "additionalProperties": {"anyOf": [{"$ref": "#/$defs/numeric"}, {"type": "null"}]}},
    ],
}
_LABEL = {"type": ["string", "integer", "number"]}
_DIM_LIST = {
    "description": "Names of dimensions.",
    "x-expected": "a list of dimension names",
    "type": "array",
    "items": {"$ref": "#/$defs/name"},
}
_EXPRESSION = {"type": "string", "minLength": 1, "x-expected": "an expression (a string)"}

# How 'opt-model robustify' protects the plan (opt_model.robust reads it; docs/robust.md).
_ROBUST: dict[str, Any] = {
    "description": "How 'opt-model robustify' protects the plan against the uncertainty: section "
                   "(see docs/robust.md). Command-line options override these.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "method": {"enum": ["budget", "box", "ellipsoid", "scenario", "saa", "two-stage"],
                   "description": "budget (Bertsimas & Sim), box (Soyster), ellipsoid (SOCP), scenario "
                                  "(Campi & Garatti), saa (indicator MILP), two-stage (recourse)."},
        "target": {"type": "number", "minimum": 0, "maximum": 1,
                   "description": "Required out-of-sample P(feasible), e.g. 0.95."},
        "levels": {"type": "array", "items": {"type": "number", "minimum": 0},
                   "description": "Protection levels to search (Gamma, Omega, scenario counts or eps)."},
        "scenarios": {"type": "integer", "minimum": 1, "description": "Fresh out-of-sample scenarios."},
        "seed": {"type": "integer", "minimum": 0},
        "beta": {"type": "number", "minimum": 0, "maximum": 1,
                 "description": "Confidence parameter of the scenario approach."},
        "coverage": {"type": "number", "minimum": 0.5, "maximum": 1,
                     "description": "Share of an unbounded distribution its interval covers."},
        "first_stage": {"type": "array", "items": {"type": "string"},
                        "description": "Two-stage: variables decided before the uncertainty (default: every "
                                       "provisioned amount)."},
        "refine": {"type": "integer", "minimum": 0, "description": "Bisection steps between the last two levels."},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://opt-model.dev/schema/spec-v1.json",
    "title": "opt-model spec, version 1",
    "description": "A resource-allocation optimization model: dims, data, resources, variables, "
                   "constraints and objective. Quantities may carry units ('16 GiB', '0.12 USD/kWh').",
    "type": "object",
    "required": ["version"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": SPEC_VERSION, "description": "Spec format version; must be 1."},
        "name": {"type": "string", "description": "Model name."},
        "description": {"type": "string"},
        "units": {
            "description": "Units of your own: a list of definitions ('case', 'agent = [count]', "
                           "'crate = 12 bottle') or a mapping name -> definition (null: a count of its own).",
            "x-expected": "a list of unit definitions like 'case' or 'crate = 12 bottle', or a mapping of names "
                          "to definitions",
            "anyOf": [
                {"type": "array", "items": {"type": "string", "minLength": 1}},
                {"type": "object", "propertyNames": {"pattern": NAME_PATTERN},
                 "additionalProperties": {"type": ["string", "number", "null"]}},
            ],
        },
        "dims": {
            "type": "object",
            "description": "Sets of labels, by name.",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/dim"},
        },
        "data": {
            "type": "object",
            "description": "Parameters: scalars, quantities, inline tables or CSV files.",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/data"},
        },
        "networks": {
            "type": "object",
            "description": "Graphs whose edges carry flows (loaded with networkx).",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/network"},
        },
        "variables": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/variable"},
        },
        "resources": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/resource"},
        },
        "expressions": {
            "type": "object",
            "description": "Named expressions that other expressions, constraints and the objective use.",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/expression"},
        },
        "constraints": {
            "type": "object",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": {"$ref": "#/$defs/constraint"},
        },
        "objective": {
            "x-expected": "a mapping with 'minimize' or 'maximize', or a list of them",
            "anyOf": [
                {"$ref": "#/$defs/objective_entry"},
                {"type": "array", "items": {"$ref": "#/$defs/objective_entry"}, "minItems": 1},
            ],
        },
        "solver": {"type": "string", "description": "Backend: auto, highs, highs:ipm, cvxpy, ..."},
        "options": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "time_limit": {**_NUMBER_OR_TEXT, "description": "Seconds, or a quantity like '2 min'."},
                "mip_gap": {"type": "number", "minimum": 0},
                "threads": {"type": "integer", "minimum": 1},
                "presolve": {"type": "boolean"},
                "method": {"type": "string"},
                "seed": {"type": "integer"},
                "verbose": {"type": "boolean"},
                "extra": {"type": "object", "description": "Solver-specific options, passed unchanged."},
            },
        },
        "uncertainty": UNCERTAINTY_SCHEMA,
        "validation": VALIDATION_SCHEMA,
        "robust": _ROBUST,
        "expected": {
            "type": "object",
            "description": "Known answer, checked by tests and the benchmark runner.",
            "additionalProperties": False,
            "properties": {
                "objective": {"type": ["number", "null"]},
                "objectives": {"type": "array", "items": {"type": "number"},
                               "description": "Lexicographic specs: the optimum of every priority level."},
                "status": {"type": "string"},
                "tolerance": {"type": "number", "minimum": 0},
                "source": {"type": "string"},
            },
        },
    },
    "$defs": {
        "name": {"type": "string", "pattern": NAME_PATTERN,
                 "x-expected": "a name (letters, digits and _, not starting with a digit)"},
        "numeric": _NUMERIC,
        "dim": {
            "x-expected": "a list of labels, or a mapping with 'labels', 'csv' or 'range'",
            "anyOf": [
                {"type": "array", "items": _LABEL},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "labels": {"type": "array", "items": _LABEL},
                        "csv": {"type": "string", "minLength": 1},
                        "column": {"type": "string"},
                        "header": {"type": "boolean",
                                   "description": "Labels from the CSV's header: every column not named like a "
                                                  "dim of the spec (nor listed in 'exclude')."},
                        "exclude": {"type": "array", "items": {"type": "string"}},
                        "range": {"type": "integer", "minimum": 0},
                        "start": {"type": "integer"},
                        "description": {"type": "string"},
                    },
                },
            ],
        },
        "data": {
            "x-expected": "a number, a quantity or expression string, or a table mapping with 'dims'",
            "anyOf": [
                {"type": "number"},
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "required": ["dims"],
                    "additionalProperties": False,
                    "properties": {
                        "dims": _DIM_LIST,
                        "unit": {"type": "string"},
                        "values": {"type": ["object", "array"],
                                   "x-expected": "a mapping from labels to values, or a list"},
                        "csv": {"type": "string", "minLength": 1},
                        "column": {"type": "string", "description": "Value column of a long-format CSV."},
                        "columns": {"$ref": "#/$defs/name",
                                    "description": "Wide CSV: the header holds labels of this dimension."},
                        "index": {"type": "array", "items": {"type": "string"},
                                  "description": "CSV columns holding the row labels (default: the dim names)."},
                        "default": {"type": ["number", "string"]},
                        "description": {"type": "string"},
                    },
                },
            ],
        },
        "variable": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "dims": _DIM_LIST,
                "type": {"enum": ["continuous", "integer", "binary"]},
                "integer": {"type": "boolean"},
                "binary": {"type": "boolean"},
                "lower": {"anyOf": [{"$ref": "#/$defs/numeric"}, {"type": "null"}],
                          "x-expected": "a number, quantity, data expression, mapping or null"},
                "upper": {"anyOf": [{"$ref": "#/$defs/numeric"}, {"type": "null"}],
                          "x-expected": "a number, quantity, data expression, mapping or null"},
                "unit": {"type": "string"},
                "where": _EXPRESSION,
                "description": {"type": "string"},
            },
        },
        "resource": {
            "type": "object",
            "required": ["unit"],
            "additionalProperties": False,
            "properties": {
                "unit": {"type": "string", "description": "Unit of capacity and usage ('GiB', 'kWh', 'USD', '1')."},
                "dims": _DIM_LIST,
                "capacity": {"$ref": "#/$defs/numeric"},
                "price": {"$ref": "#/$defs/numeric"},
                "usage": {
                    "x-expected": "an expression or a list of expressions",
                    "anyOf": [_EXPRESSION, {"type": "array", "items": _EXPRESSION, "minItems": 1}],
                },
                "provision": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "max": {"$ref": "#/$defs/numeric"},
                        "min": {"$ref": "#/$defs/numeric"},
                        "price": {"$ref": "#/$defs/numeric"},
                        "integer": {"type": "boolean"},
                    },
                },
                "description": {"type": "string"},
            },
        },
        "expression": {
            "x-expected": "an expression string or a mapping with 'expr'",
            "anyOf": [
                _EXPRESSION,
                {
                    "type": "object",
                    "required": ["expr"],
                    "additionalProperties": False,
                    "properties": {"expr": _EXPRESSION, "unit": {"type": "string"},
                                   "description": {"type": "string"}},
                },
            ],
        },
        "constraint": {
            "x-expected": "a constraint string like 'sum(x, over=host) == 1' or a mapping with 'expr'",
            "anyOf": [
                _EXPRESSION,
                {
                    "type": "object",
                    "required": ["expr"],
                    "additionalProperties": False,
                    "properties": {
                        "expr": _EXPRESSION,
                        "foreach": _DIM_LIST,
                        "where": _EXPRESSION,
                        "description": {"type": "string"},
                    },
                },
            ],
        },
        "objective_entry": {
            "type": "object",
            "additionalProperties": False,
            "x-one-of-keys": ["minimize", "maximize"],
            "properties": {
                "minimize": _EXPRESSION,
                "maximize": _EXPRESSION,
                "name": {"$ref": "#/$defs/name"},
                "unit": {"type": "string"},
                "priority": {"type": "integer", "minimum": 1,
                             "description": "Lexicographic level: 1 is optimised first."},
                "weight": {"type": ["number", "string"],
                           "description": "Weight within a priority level (may carry a unit, e.g. '0.2 USD/kWh')."},
                "tolerance": {"type": "number", "minimum": 0,
                              "description": "Relative degradation allowed when later levels are optimised."},
                "abs_tolerance": {"type": ["number", "string"],
                                  "description": "Absolute degradation allowed (in the objective's unit)."},
                "description": {"type": "string"},
            },
        },
        "network": {
            "type": "object",
            "required": ["edges"],
            "additionalProperties": False,
            "properties": {
                "directed": {"type": "boolean"},
                "nodes": {"$ref": "#/$defs/dim"},
                "edges": {
                    "x-expected": "a list of edge mappings (from, to, ...) or a mapping with 'csv'",
                    "anyOf": [
                        {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["from", "to"],
                            "properties": {"from": _LABEL, "to": _LABEL, "id": _LABEL},
                            "additionalProperties": {"type": ["number", "string"]}}},
                        {"type": "object", "required": ["csv"], "additionalProperties": False,
                         "properties": {"csv": {"type": "string", "minLength": 1},
                                        "from": {"type": "string"}, "to": {"type": "string"},
                                        "id": {"type": "string"}}},
                    ],
                },
                "node_dim": {"$ref": "#/$defs/name"},
                "edge_dim": {"$ref": "#/$defs/name"},
                "units": {"type": "object", "additionalProperties": {"type": "string"},
                          "description": "Unit of each edge attribute column (capacity: Gbit/s, ...)."},
                "flow": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "variable": {"$ref": "#/$defs/name"},
                        "dims": _DIM_LIST,
                        "unit": {"type": "string"},
                        "upper": {"anyOf": [{"$ref": "#/$defs/numeric"}, {"type": "null"}]},
                        "supply": {"$ref": "#/$defs/numeric"},
                        "conservation": {"$ref": "#/$defs/name"},
                    },
                },
                "description": {"type": "string"},
            },
        },
    },
}


# problems -----------------------------------------------------------------------------------
def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_TYPE_WORDS = {"null": "nothing (null)", "boolean": "true/false", "integer": "a whole number",
               "number": "a number", "string": "a string", "array": "a list", "object": "a mapping"}


def _type_matches(value: Any, expected: str | list[str]) -> bool:
    kinds = [expected] if isinstance(expected, str) else expected
    actual = _json_type(value)
    return actual in kinds or (actual == "integer" and "number" in kinds)


def _path_text(path: tuple[Any, ...]) -> str:
    if not path:
        return "the spec"
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text


def _locate(document: Any, path: tuple[Any, ...], fallback: Loc) -> Loc:
    node = document
    loc = getattr(document, "loc", fallback)
    for item in path:
        if isinstance(node, SpecMap) and item in node:
            loc = node.value_loc(item)
        elif isinstance(node, SpecList) and isinstance(item, int) and item < len(node):
            loc = node.item_loc(item)
        else:
            break
        node = node[item]
    return loc


def _key_loc(document: Any, path: tuple[Any, ...], key: Any, fallback: Loc) -> Loc:
    node = document
    for item in path:
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            return fallback
    return node.key_loc(key) if isinstance(node, SpecMap) else fallback


class _Problem:
    def __init__(self, path: tuple[Any, ...], message: str, key: Any = None) -> None:
        self.path = path
        self.message = message
        self.key = key


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    target: Any = SCHEMA
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return _resolve(merged) if "$ref" in merged else merged


def _expected(schema: dict[str, Any]) -> str:
    schema = _resolve(schema)
    if "x-expected" in schema:
        return str(schema["x-expected"])
    if "enum" in schema:
        return "one of " + ", ".join(repr(item) for item in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kind)
    if isinstance(kind, str):
        return _TYPE_WORDS.get(kind, kind)
    return "a valid value"


def _check(value: Any, schema: dict[str, Any], path: tuple[Any, ...]) -> Iterator[_Problem]:
    """The built-in validator: yields friendly problems for the keywords SCHEMA uses."""
    schema = _resolve(schema)
    where = _path_text(path)
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            branches = [_resolve(branch) for branch in schema[keyword]]
            typed = [b for b in branches if "type" not in b or _type_matches(value, b["type"])]
            results = [list(_check(value, b, path)) for b in typed]
            if any(not problems for problems in results):
                pass
            elif len(typed) == 1:
                yield from results[0]
            else:
                got = _TYPE_WORDS.get(_json_type(value), "a value")
                yield _Problem(path, f"{where} must be {_expected(schema)}; got {got}")
            return
    if "const" in schema and value != schema["const"]:
        yield _Problem(path, f"{where} must be {schema['const']!r}, got {value!r}")
        return
    if "enum" in schema and value not in schema["enum"]:
        hint = did_you_mean(str(value), [str(v) for v in schema["enum"]])
        yield _Problem(path, f"{where} must be one of {', '.join(map(repr, schema['enum']))}, got {value!r}{hint}")
        return
    if "type" in schema and not _type_matches(value, schema["type"]):
        got = _TYPE_WORDS.get(_json_type(value), "a value")
        shown = f" ({value!r})" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        yield _Problem(path, f"{where} must be {_expected(schema)}; got {got}{shown}")
        return
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            yield _Problem(path, f"{where} is empty; give {_expected(schema)}")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            yield _Problem(path, f"{where} must be {_expected(schema)}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in schema \
            and not value >= schema["minimum"]:
        yield _Problem(path, f"{where} must be at least {schema['minimum']}, got {value!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield _Problem(path, f"{where} is an empty list; give at least {schema['minItems']} item")
        if "items" in schema:
            for index, item in enumerate(value):
                yield from _check(item, schema["items"], (*path, index))
    if isinstance(value, dict):
        yield from _check_object(value, schema, path)


def _check_object(value: dict[Any, Any], schema: dict[str, Any], path: tuple[Any, ...]) -> Iterator[_Problem]:
    where = _path_text(path)
    properties = schema.get("properties", {})
    if len(value) < schema.get("minProperties", 0):
        yield _Problem(path, f"{where} is empty")
    one_of_keys = schema.get("x-one-of-keys")
    if one_of_keys:
        present = [key for key in one_of_keys if key in value]
        if len(present) != 1:
            options = " or ".join(repr(k) for k in one_of_keys)
            yield _Problem(path, f"{where} needs exactly one of {options}" +
                           (f"; it has {', '.join(map(repr, present))}" if present else ""))
    for key in schema.get("required", []):
        if key not in value:
            yield _Problem(path, f"{where} is missing the required key {key!r}")
    names = schema.get("propertyNames")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if names and (not isinstance(key, str) or not re.fullmatch(names["pattern"], key)):
            yield _Problem(path, f"{key!r} is not a valid name in {where}: use letters, digits and _, "
                                 "not starting with a digit", key)
            continue
        if key in properties:
            yield from _check(item, properties[key], (*path, key))
        elif extra is False:
            hint = did_you_mean(str(key), list(properties), f"; allowed keys: {', '.join(properties)}")
            yield _Problem(path, f"unknown key {key!r} in {where}{hint}", key)
        elif isinstance(extra, dict):
            yield from _check(item, extra, (*path, key))


_VALIDATOR: Any = None


def _from_jsonschema(document: Any) -> list[_Problem] | None:
    """Problems found by the ``jsonschema`` package, or None when it is not installed."""
    try:
        import jsonschema
    except ImportError:
        return None
    global _VALIDATOR
    if _VALIDATOR is None:  # building it resolves the schema's references: once, not per spec
        _VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
    validator = _VALIDATOR
    problems: list[_Problem] = []
    for error in validator.iter_errors(document):
        problems.extend(_translate(error))
    return problems


def _translate(error: Any) -> list[_Problem]:
    """Turn a jsonschema ValidationError into the same problems the built-in validator reports."""
    path = tuple(error.absolute_path)
    # Re-run the built-in checker on the failing node for a friendly, located message; it
    # agrees with jsonschema on every keyword SCHEMA uses.
    schema = dict(error.schema) if isinstance(error.schema, dict) else {}
    if error.validator in ("additionalProperties", "required", "propertyNames", "anyOf", "oneOf", "type",
                           "enum", "const", "minimum", "pattern", "minLength", "minItems", "minProperties"):
        found = list(_check(error.instance, schema, path))
        if found:
            return found
    return [_Problem(path, f"{_path_text(path)}: {error.message}")]


def structural_problems(document: Any, fallback: Loc | None = None) -> list[SpecError]:
    """Every violation of :data:`SCHEMA` in ``document``, located at its node.

    Uses :mod:`jsonschema` when installed, the built-in validator otherwise.
    """
    return structural_paths(document, fallback)[0]


def structural_paths(document: Any, fallback: Loc | None = None, use_jsonschema: bool = True
                     ) -> tuple[list[SpecError], list[tuple[Any, ...]]]:
    """:func:`structural_problems` plus the path of the node of each problem."""
    base: Loc = fallback or getattr(document, "loc", None) or Loc("<spec>", 1, 1)
    if not isinstance(document, dict):
        return [base.error(f"a spec must be a mapping with 'version: {SPEC_VERSION}' at the top; "
                           f"got {_TYPE_WORDS.get(_json_type(document), 'a value')}")], [()]
    problems = _from_jsonschema(document) if use_jsonschema else None
    if problems is None:
        problems = list(_check(document, SCHEMA, ()))
    else:
        problems.extend(_extra_checks(document))
        # the built-in validator is stricter where jsonschema is lenient (and costs well under a millisecond):
        # a float is not an integer (range: 1e9), NaN is not >= a minimum, a key that is not a string or ends
        # in a newline is not a name; duplicates of jsonschema's findings are dropped below
        problems.extend(_check(document, SCHEMA, ()))
    errors: list[tuple[SpecError, tuple[Any, ...]]] = []
    seen: set[tuple[int, int, str]] = set()
    for problem in problems:
        if problem.key is not None:
            loc = _key_loc(document, problem.path, problem.key, base)
        else:
            loc = _locate(document, problem.path, base)
        signature = (loc.line, loc.column, problem.message)
        if signature in seen:
            continue
        seen.add(signature)
        errors.append((loc.error(problem.message), problem.path))
    errors.sort(key=lambda pair: (pair[0].line or 0, pair[0].column or 0))
    return [e for e, _ in errors], [p for _, p in errors]


def _extra_checks(document: Any) -> Iterator[_Problem]:
    """Rules JSON Schema cannot state simply (checked with jsonschema too)."""
    objective = document.get("objective")
    entries = objective if isinstance(objective, list) else [objective] if isinstance(objective, dict) else []
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            path = ("objective", index) if isinstance(objective, list) else ("objective",)
            present = [key for key in ("minimize", "maximize") if key in entry]
            if len(present) != 1:
                yield _Problem(path, f"{_path_text(path)} needs exactly one of 'minimize' or 'maximize'"
                               + (f"; it has {', '.join(map(repr, present))}" if present else ""))
