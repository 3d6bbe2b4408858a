"""The YAML loader: locations, YAML 1.2 scalars, duplicate keys, unsafe tags."""

from __future__ import annotations

import pytest

from opt_model.errors import SpecError
from opt_model.spec.loader import Loc, SpecList, SpecMap, parse_yaml, read_yaml


def test_every_node_keeps_its_line_and_column() -> None:
    doc = parse_yaml("version: 1\ndims:\n  host: [h1, h2]\n  task:\n    - a\n    - b\n", "s.yaml")
    assert isinstance(doc, SpecMap)
    assert doc.key_loc("dims") == Loc("s.yaml", 2, 1, None, 2) or doc.key_loc("dims").line == 2
    dims = doc["dims"]
    assert (dims.value_loc("host").line, dims.value_loc("host").column) == (3, 9)
    tasks = dims["task"]
    assert isinstance(tasks, SpecList)
    assert [(loc.line, loc.column) for loc in tasks.item_locs] == [(5, 7), (6, 7)]


@pytest.mark.parametrize(("text", "expected"), [
    ("1e3", 1000.0), ("2.5E-3", 0.0025), ("-4", -4), ("017", 17), ("0x1F", 31), (".inf", float("inf")),
    ("1_000", "1_000"), ("yes", "yes"), ("no", "no"), ("NO", "NO"), ("on", "on"), ("true", True),
    ("False", False), ("2024-01-01", "2024-01-01"), ("1:30", "1:30"), ("~", None), ("'1e3'", "1e3"),
])
def test_scalars_resolve_the_yaml_1_2_way(text: str, expected: object) -> None:
    assert parse_yaml(f"value: {text}\n")["value"] == expected


def test_nan_is_a_float_for_later_checks() -> None:
    value = parse_yaml("value: .nan\n")["value"]
    assert value != value


def test_all_duplicate_keys_are_reported_with_both_lines() -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "s.yaml")
    lines = str(caught.value).splitlines()
    assert lines[0] == "s.yaml: 2 problems"
    assert lines[1] == "s.yaml:4:3: duplicate key 'c' (first given at line 3); keep one of them"
    assert lines[2] == "s.yaml:5:1: duplicate key 'a' (first given at line 1); keep one of them"
    assert [(e.line, e.column) for e in caught.value.errors] == [(4, 3), (5, 1)]


def test_syntax_error_has_the_parser_position() -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", "s.yaml")
    assert (caught.value.file, caught.value.line) == ("s.yaml", 2)
    assert "YAML syntax error" in str(caught.value)


def test_python_tags_are_refused_not_executed(tmp_path) -> None:
    marker = tmp_path / "ran"
    text = f"version: 1\nname: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(SpecError, match=r"tag .* is not allowed"):
        parse_yaml(text, "s.yaml")
    assert not marker.exists()


def test_quoted_scalar_offsets_point_inside_the_string() -> None:
    doc = parse_yaml('expr: "sum(x) <= 3"\n', "s.yaml")
    loc = doc.value_loc("expr")
    assert loc.style == '"'
    assert loc.shifted(10).column == 7 + 1 + 10


def test_read_yaml_reports_unreadable_and_non_utf8_files(tmp_path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec"):
        read_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"version: 1\nname: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        read_yaml(bad)
    assert caught.value.line == 2
