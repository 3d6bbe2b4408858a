"""Broken specs: every problem reported at once, each as file:line:column, exit code 2, no traceback.

The specs are in ``tests/specs/broken``; ``EXPECTED`` lists, for each, every problem it must
produce: where (``line:column`` in the spec, or ``csvfile:line:column``) and a fragment of the
message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import opt_model.spec.schema as schema_module
from opt_model.cli import main
from opt_model.errors import SpecError
from opt_model.spec import load_spec, loads_spec, validate_spec

BROKEN = Path(__file__).parent / "specs" / "broken"

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "syntax_error": [("4:7", "YAML syntax error")],
    "bad_indentation": [("4:4", "YAML syntax error")],
    "duplicate_key": [("6:3", "duplicate key 'x' (first given at line 5)"),
                      ("9:3", "duplicate key 'minimize' (first given at line 8)")],
    "python_tag": [("2:7", "tag !!python/object/apply:os.system is not allowed")],
    "wrong_version": [("1:10", "version must be 1, got 2")],
    "unknown_key": [("4:1", "unknown key 'variabls' in the spec; did you mean 'variables'?"),
                    ("7:34", "unknown key 'usge' in resources.cpu; did you mean 'usage'?")],
    "wrong_type": [("5:13", "variables.x.dims must be a list of dimension names; got a string"),
                   ("5:27", "variables.x.binary must be true/false; got a string ('yes')"),
                   ("6:28", "variables.y.upper must be a number"),
                   ("8:10", "constraints.limit must be a constraint string")],
    "unknown_name": [("13:17", "usage of resource 'memory': unknown name 'mem_ned'; did you mean 'mem_need'?")],
    "misspelled_dim": [("6:14", "variable 'x': unknown dimension 'tsk'; did you mean 'task'?"),
                       ("10:21", "constraint 'assign': unknown dimension 'hots'; did you mean 'host'?")],
    "unit_mismatch": [("14:17", "cannot add 'duration * x' (h, [time]) to 'mem_need * x' (GiB, [information])")],
    "literal_without_unit": [("9:33", "'40' is a plain number but GiB ([information]) is needed; write the "
                                      "number with a unit, like '40 GiB'"),
                             ("10:31", "'2 h' is in h ([time]) but GiB ([information]) is needed")],
    "currency_mix": [("10:14", "cannot add 'sum(price_eu * x)' (EUR, [currency_EUR]) to 'sum(price_us * x)' "
                               "(USD, [currency_USD])")],
    "bad_unit": [("5:27", "unit of variable 'x': 'gigglebyte' is not a unit"),
                 ("7:33", "capacity of resource 'memory': 'GiBs' is not a unit")],
    "nan_value": [("5:47", "data 'speed'[h2] is NaN"), ("7:28", "upper bound of 'x' is nan")],
    "negative_capacity": [("9:32", "capacity of resource 'memory'[host=h2] is -0.5 GiB; a capacity cannot be "
                                   "negative")],
    "empty_set": [("3:9", "dimension 'host' has no labels"), ("4:17", "dimension 'task' has no labels")],
    "duplicate_label": [("3:18", "dimension 'host': label 'h1' repeats")],
    "missing_csv": [("3:15", "CSV file 'data/no_such_file.csv' not found")],
    "csv_bad_row": [("data/bad_row.csv:3:1", "this row has 4 fields but the header has 3")],
    "csv_not_number": [("data/not_number.csv:3:11", "'abc' in column 'h2' is not a number")],
    "csv_unknown_label": [("data/unknown_label.csv:5:1", "'trian' is not a label of dimension 'task'; did you "
                                                        "mean 'train'?")],
    "csv_missing_value": [("data/missing_value.csv:3:4", "missing (or NaN) value in column 'cores'")],
    "csv_duplicate_row": [("data/duplicate_row.csv:4:1", "labels repeat a row given at line 2")],
    "dim_mismatch": [("9:11", "constraint 'assign' has dims (task, host) but foreach lists (task): sum over host"),
                     ("11:11", "constraint 'total': the two sides have different dims, (host) and (task)")],
    "expression_syntax": [("7:27", "syntax error in constraint 'one': '=' is not a comparison; write '=='"),
                          ("8:27", "syntax error in constraint 'two': unexpected ')'"),
                          ("10:19", "syntax error in objective: expected ')' to close the call of sum()")],
    "cycle": [("6:11", "'a' is defined in terms of itself (a -> b -> a)")],
    "bad_constraints": [("7:11", "'<' is not allowed in a constraint"),
                        ("8:14", "'3 <= 5' has no variables"),
                        ("9:16", "cannot divide by 'sum(x)'"),
                        ("11:13", "objective 'x' has dims (host); an objective is one number")],
    "name_clash": [("6:3", "'and' is a keyword"),
                   ("8:3", "the name 'x' is already used by data (line 5)"),
                   ("9:3", "the name 'host' is already used by dims (line 3)")],
}


def _where(error: SpecError, spec: Path) -> str:
    position = f"{error.line}:{error.column}"
    if Path(str(error.file)).resolve() == spec.resolve():
        return position
    return f"{Path(str(error.file)).resolve().relative_to(BROKEN)}:{position}"


def test_every_broken_spec_has_expectations() -> None:
    on_disk = {path.stem for path in BROKEN.glob("*.yaml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_spec_reports_every_problem_with_location(name: str) -> None:
    spec = BROKEN / f"{name}.yaml"
    errors = validate_spec(spec)
    found = [(_where(error, spec), error.reason) for error in errors]
    assert len(found) == len(EXPECTED[name]), found
    for (where, fragment), (actual_where, reason) in zip(EXPECTED[name], found):
        assert actual_where == where, found
        assert fragment in reason, found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_built_in_validator_agrees_with_jsonschema(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = BROKEN / f"{name}.yaml"
    with_jsonschema = [str(e) for e in validate_spec(spec)]
    monkeypatch.setattr(schema_module, "_from_jsonschema", lambda document: None)
    assert [str(e) for e in validate_spec(spec)] == with_jsonschema


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_validate_prints_one_line_per_problem_and_exits_2(name: str, capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    spec = BROKEN / f"{name}.yaml"
    code = main(["validate", str(spec)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    count = len(EXPECTED[name])
    if count == 1:
        assert (len(lines) == 1 and lines[0].startswith(f"opt-model: error: {BROKEN.name}")) or \
            lines[0].startswith("opt-model: error: ")
    else:
        assert lines[0].endswith(f"{count} problems")
        assert len(lines) == count + 1
    for line in lines[1:] if count > 1 else lines:
        body = line.removeprefix("opt-model: error: ")
        file, row, column = body.split(":")[:3]
        assert file.endswith((".yaml", ".csv")) and row.isdigit() and column.isdigit()


def test_load_spec_raises_one_error_carrying_all_problems() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(BROKEN / "bad_constraints.yaml")
    error = caught.value
    assert len(error.errors) == 4
    assert (error.line, error.column) == (7, 11)
    assert isinstance(error, ValueError)


def test_references_to_a_broken_item_stay_silent() -> None:
    text = """
version: 1
dims: {host: [h1, h2]}
data:
  speed: {dims: [hots], values: {h1: 1, h2: 2}}
variables:
  x: {dims: [host], upper: 1}
constraints:
  a: "sum(speed * x) <= 1"
  b: "sum(speed * x) <= 2"
objective: {maximize: "sum(speed * x)"}
"""
    with pytest.raises(SpecError) as caught:
        loads_spec(text, file="s.yaml")
    assert [e.reason for e in caught.value.errors] == ["data 'speed': unknown dimension 'hots'; did you mean 'host'?"]


@pytest.mark.parametrize(("snippet", "fragment"), [
    ("objective: {minimize: 'sum(y)'}", "unknown name 'y'"),
    ("objective: {minimize: 'sum(x, over=task)'}", "unknown dimension 'task'"),
    ("objective: {minimize: 'sum(x, over=host, wehre=x)'}", "has no argument 'wehre'; did you mean 'where'?"),
    ("objective: {minimize: 'summ(x)'}", "unknown function 'summ'; did you mean 'sum'?"),
    ("objective: {minimize: 'sum(x[host=\"h9\"])'}", "'h9' is not a label of dimension 'host'"),
    ("objective: {minimize: 'sum(x * x * x)'}", "multiplies a quadratic expression"),
    ("objective: {minimize: 'sum(2 x)'}", "'x' after a number is read as a unit; to multiply, write '2 * x'"),
    ("objective: {minimize: 'host'}", "dimension 'host' is not a number"),
    ("objective: [{minimize: 'sum(x)', priority: 1}, {maximize: 'sum(x)'}]", "give every objective a 'priority'"),
    ("objective: {minimize: 'sum(x)', maximize: 'sum(x)'}", "needs exactly one of 'minimize' or 'maximize'"),
    ("constraints: {c: {expr: 'x <= 1', where: 'x > 0'}}", "only data and numbers can be used here"),
    ("constraints: {c: {expr: 'x <= 1', where: 'speed'}}", "is not a condition"),
    ("constraints: {c: 'x <= 1 <= 2'}", "the middle of a range must contain variables"),
    ("constraints: {c: 'x == 1 == 1'}", "a chained comparison must be a range"),
    ("constraints: {c: 'sum(x) >= 1 GiB'}", "'1 GiB' is in GiB ([information]) but a plain number is needed"),
    ("constraints: {c: 'sum(x) > 1'}", "'>' is not allowed in a constraint"),
    ("constraints: {c: 'sum(x)'}", "needs a comparison"),
])
def test_semantic_errors_in_expressions(snippet: str, fragment: str) -> None:
    text = ("version: 1\ndims: {host: [h1, h2]}\ndata:\n  speed: {dims: [host], values: {h1: 1, h2: 2}}\n"
            "variables:\n  x: {dims: [host], upper: 1}\n" + snippet + "\n")
    with pytest.raises(SpecError) as caught:
        loads_spec(text, file="s.yaml")
    assert fragment in str(caught.value)
    assert all(e.file == "s.yaml" and e.line and e.column for e in caught.value.errors)
