"""What a new user runs into (issue 14): each point of the friction list, checked on real solves.

Every test states the user's expectation and checks it against an independent reference (a
hand-solved optimum, a re-solve of an equivalent model, the file that was written).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

import opt_model as om
from opt_model.cli import main
from opt_model.errors import SpecError
from opt_model.spec import loads_spec

TOYS = """
version: 1
name: toys
dims:
  toy: [soldier, train]
data:
  profit: {dims: [toy], unit: USD, values: {soldier: 3, train: 2}}
variables:
  make: {dims: [toy], upper: UPPER}
resources:
  finishing: {unit: h, capacity: 100, usage: "sum(2 h * make)"}
objective: {maximize: "sum(profit * make)", unit: USD}
"""


def _toys(upper: str) -> om.Model:
    return loads_spec(TOYS.replace("UPPER", upper))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# 1. units of one's own ---------------------------------------------------------------------------
CASES = """
version: 1
name: packing
units: [case, "agent = [count]", bottle, "crate = 12 bottle"]
data:
  per_agent: 5 case/agent
variables:
  make: {unit: case}
  staff: {unit: agent, upper: 3 agent}
resources:
  packing: {unit: crate, capacity: 2 crate, usage: "make * 2 bottle/case"}
constraints:
  handled: "make <= per_agent * staff"
objective: {maximize: "make", unit: case}
"""


def test_units_section_defines_counts_and_multiples() -> None:
    model = loads_spec(CASES)
    result = model.solve()
    # hand-solved: crates hold 12 bottles, so 2 crates = 24 bottles = 12 cases; 3 agents handle 15 cases
    assert result.objective == pytest.approx(12.0)
    assert result.objective_unit == "case"
    assert float(result.usage("packing")) == pytest.approx(2.0)  # in crates, converted from bottles


def test_units_of_ones_own_are_checked_like_built_in_ones() -> None:
    text = CASES.replace("make <= per_agent * staff", "make <= staff")
    with pytest.raises(SpecError) as info:
        loads_spec(text)
    assert len(info.value.errors) == 1
    assert "agent" in str(info.value) and "case" in str(info.value)


def test_units_section_mapping_form_and_bad_definitions() -> None:
    model = loads_spec(CASES.replace('units: [case, "agent = [count]", bottle, "crate = 12 bottle"]',
                                     'units: {case: null, agent: "[count]", bottle: null, crate: 12 bottle}'))
    assert model.solve().objective == pytest.approx(12.0)
    with pytest.raises(SpecError, match="'h' is already a unit"):
        loads_spec(CASES.replace("units: [case,", "units: [h, case,"))
    with pytest.raises(SpecError, match=r"unknown unit|not a unit"):
        loads_spec(CASES.replace('"crate = 12 bottle"', '"crate = 12 bottel"'))


def test_define_unit_in_python() -> None:
    om.define_unit("ticket")
    om.define_unit("ticket")  # the same definition again is harmless
    with pytest.raises(ValueError, match="already defined"):
        om.define_unit("ticket = [other]")
    from opt_model.spec.units import compatible, parse_unit
    assert not compatible(parse_unit("ticket"), parse_unit("agent"))


# 2. defaults, infinity and null in label mappings -----------------------------------------------------
@pytest.mark.parametrize("upper", ["{soldier: 40, default: .inf}", "{soldier: 40, default: inf}",
                                   "{soldier: 40, default: infinity}", "{soldier: 40, train: null}",
                                   "{soldier: 40, train: inf}", "{soldier: 40, train: '+inf'}"])
def test_bound_mapping_with_default_and_infinity(upper: str) -> None:
    # reference: the same model with the train bound left out entirely (a huge explicit bound)
    reference = _toys("{soldier: 40, train: 1e9}").solve().objective
    result = _toys(upper).solve()
    assert result.objective == pytest.approx(reference)
    assert result.objective == pytest.approx(3 * 40 + 2 * 10)  # hand-solved: 100 h / 2 h = 50 toys


def test_bound_default_is_a_value_for_missing_labels_only() -> None:
    result = _toys("{soldier: 10, default: 5}").solve()
    assert result.value("make").to_dict() == {"soldier": 10.0, "train": 5.0}


def test_default_in_data_tables_and_capacities() -> None:
    text = TOYS.replace("UPPER", "inf").replace("values: {soldier: 3, train: 2}", "values: {soldier: 3, default: 2}")
    assert loads_spec(text).solve().objective == pytest.approx(150.0)  # 50 soldiers at 3
    text = text.replace("{unit: h, capacity: 100, usage: \"sum(2 h * make)\"}",
                        "{unit: h, dims: [toy], capacity: {soldier: 20, default: inf}, usage: \"2 h * make\"}")
    # soldiers limited to 10, trains unlimited: unbounded profit
    assert loads_spec(text).solve().status.value in ("unbounded", "infeasible_or_unbounded")


def test_missing_label_message_says_how_to_fix() -> None:
    with pytest.raises(SpecError, match="default: inf"):
        _toys("{soldier: 40}")


def test_null_in_data_is_refused_with_a_reason() -> None:
    text = TOYS.replace("UPPER", "inf").replace("train: 2}", "train: null}")
    with pytest.raises(SpecError, match="null"):
        loads_spec(text)


def test_lower_bound_null_and_minus_inf_mean_free() -> None:
    text = TOYS.replace("upper: UPPER", "lower: {soldier: -inf, train: null}, upper: 40")
    text = text.replace("maximize", "minimize")
    assert loads_spec(text).solve().status.value in ("unbounded", "infeasible_or_unbounded")


# 3. and 6. solve: CSV summary and the expected: check --------------------------------------------------
def test_csv_output_has_status_and_objective(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path, "toys.yaml", TOYS.replace("UPPER", "{soldier: 40, default: inf}"))
    assert main(["solve", str(spec), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    summary = {r["name"]: r for r in rows if r["kind"] == "summary"}
    assert summary["status"]["value"] == "optimal"
    assert float(summary["objective"]["value"]) == pytest.approx(140.0)
    assert summary["objective"]["unit"] == "USD"


def test_csv_of_an_infeasible_solve_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TOYS.replace("UPPER", "inf").replace("objective:", "constraints:\n  much: \"sum(make) >= 80\"\nobjective:")
    spec = _write(tmp_path, "toys.yaml", text)
    assert main(["solve", str(spec), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["name"]: r["value"] for r in rows if r["kind"] == "summary"}["status"] == "infeasible"


@pytest.mark.parametrize(("expected", "code"), [(140, 0), (181, 1), (140.0000001, 0)])
def test_solve_checks_expected(tmp_path: Path, capsys: pytest.CaptureFixture[str], expected: float,
                               code: int) -> None:
    text = TOYS.replace("UPPER", "{soldier: 40, default: inf}") + f"expected: {{objective: {expected}}}\n"
    spec = _write(tmp_path, "toys.yaml", text)
    assert main(["solve", str(spec)]) == code
    out = capsys.readouterr().out
    assert ("FAILED" in out) == (code == 1)
    assert main(["solve", str(spec), "--no-check", "--format", "json"]) == 0
    assert "check" not in json.loads(capsys.readouterr().out)


def test_solve_checks_expected_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = TOYS.replace("UPPER", "inf") + "expected: {status: infeasible}\n"
    spec = _write(tmp_path, "toys.yaml", text)
    assert main(["solve", str(spec), "--format", "json"]) == 1
    check = json.loads(capsys.readouterr().out)["check"]
    assert not check["passed"] and "status optimal differs" in check["problems"][0]


# 11. Python objects -------------------------------------------------------------------------------
def _wyndor() -> om.Result:
    m = om.Model("wyndor")
    x1, x2 = m.add_variable("x1"), m.add_variable("x2")
    m.add_constraint("plant1", x1 <= 4)
    m.add_constraint("plant2", 2 * x2 <= 12)
    m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18)
    m.maximize(3 * x1 + 5 * x2, unit="kUSD")
    return m.solve()


def test_objective_unit_in_python() -> None:
    result = _wyndor()
    assert result.objective_unit == "kUSD"
    assert "objective 36 kUSD" in str(result)


def test_reports_print_as_their_text() -> None:
    from opt_model.sensitivity import bottleneck_report
    result = _wyndor()
    report = result.sensitivity()
    assert str(report) == report.to_text()
    assert "Shadow price" in str(report) and "DataFrame" not in str(report)
    bottlenecks = bottleneck_report(result)
    assert str(bottlenecks) == bottlenecks.to_text()
    assert bottlenecks.messages()[0] in str(bottlenecks)


def test_rich_display_in_notebooks() -> None:
    from opt_model.sensitivity import bottleneck_report
    result = _wyndor()
    html = result._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and "x2" in html and "36 kUSD" in html
    for report in (result.sensitivity(), bottleneck_report(result)):
        assert "<pre>" in report._repr_html_() and "plant3" in report._repr_html_()


# 12. cosmetics --------------------------------------------------------------------------------------------
def test_no_negative_zero_and_noise_is_zero() -> None:
    from opt_model.formatting import format_number, text_table
    assert format_number(-0.0) == "0"
    assert format_number(-1e-13) == "0"
    assert format_number(-0.0000004, 6) == "-4e-07"  # a real small number stays
    assert "-0 " not in text_table([["a", -0.0, 1.0]], ["name", "x", "y"]) + " "


def test_solve_table_has_no_negative_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "problems/production_planning.yaml"]) == 0
    out = capsys.readouterr().out
    assert not any(cell == "-0" for line in out.splitlines() for cell in line.split())


def test_plural_and_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path, "toys.yaml", TOYS.replace("UPPER", "inf"))
    assert main(["solve", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "1 row," in out and "2 columns" in out
    assert main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "1 resource" in out and "1 resources" not in out


def test_dimensionless_objective_has_no_unit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "problems/bandwidth_fairness.yaml"]) == 0
    out = capsys.readouterr().out
    objective = next(line for line in out.splitlines() if line.startswith("objective"))
    assert not objective.rstrip().endswith(" 1")
    assert math.isfinite(float(objective.split()[1]))


def test_auxiliary_cone_variables_are_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "problems/bandwidth_fairness.yaml", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["variables"] and not any("_aux" in name for name in payload["variables"])
    result = om.load_spec("problems/bandwidth_fairness.yaml").solve()
    assert "_aux" not in str(result)


# 5. one mistake, one message ----------------------------------------------------------------------------
EVERY_SECTION = """
version: 1
name: every
units: [case]
dims:
  toy: [soldier, train]
data:
  profit: {dims: [toy], unit: USD/case, values: {soldier: 3, train: 2}}
variables:
  make: {dims: [toy], unit: case, upper: {soldier: 40, default: inf}}
resources:
  finishing: {unit: h, capacity: 100, usage: "sum(2 h/case * make)"}
expressions:
  revenue: {expr: "sum(profit * make)", unit: USD}
constraints:
  some_trains: "make[toy='train'] >= 1 case"
objective: {maximize: revenue, unit: USD}
solver: highs
options: {time_limit: 10}
expected: {objective: 140}
"""
SECTION_KEYS = ["units", "dims", "data", "variables", "resources", "expressions", "constraints", "objective",
                "solver", "options", "expected"]


def test_every_section_spec_is_valid() -> None:
    assert loads_spec(EVERY_SECTION).solve().objective == pytest.approx(140.0)


@pytest.mark.parametrize("key", SECTION_KEYS)
def test_misspelled_section_key_gives_one_message(key: str) -> None:
    wrong = key[:-1] if key.endswith("s") else key + "s"  # 'variable:' for 'variables:', 'objectives:' ...
    text = EVERY_SECTION.replace(f"\n{key}:", f"\n{wrong}:", 1)
    with pytest.raises(SpecError) as info:
        loads_spec(text)
    messages = [str(e) for e in info.value.errors]
    assert len(messages) == 1, messages
    assert f"unknown key {wrong!r}" in messages[0] and f"did you mean {key!r}" in messages[0]


# 9. LP/MPS export keeps names ----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["lp", "mps"])
def test_export_keeps_names_and_writes_short_numbers(tmp_path: Path, suffix: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from solvers.file_names import shortest
    target = tmp_path / f"diet.{suffix}"
    assert main(["convert", "problems/diet.yaml", "--to", suffix, "-o", str(target)]) == 0
    text = target.read_text()
    assert "amount(oats)" in text if suffix == "lp" else "amount[oats]" in text
    assert " c0 " not in text and "protein_min" in text
    tokens = [t for line in text.splitlines() if not line.startswith(("\\", "*")) for t in line.split()]
    assert all(shortest(t) == t for t in tokens)  # every number in its shortest round-trip form
    # iron in milk, 0.3 mg/kg: 0.0003 per g of food in the iron row (in mg, its bound's unit); once written
    # 0.29999999999999999
    assert "0.0003 " in text or "0.0003\n" in text
    if suffix == "mps":
        assert text.splitlines()[0].split() == ["NAME", "diet"]
    else:
        assert not any(line.strip() in ("bin", "gen", "semi") for line in text.splitlines())  # no empty sections
        mapping = list(csv.DictReader((tmp_path / "diet.lp.names.csv").open()))
        assert {"kind": "column", "model_name": "amount[oats]", "file_name": "amount(oats)"} in mapping
    # the written file solves to the spec's optimum (a re-solve of the original as reference)
    reference = om.load_spec("problems/diet.yaml").solve().objective
    assert main(["solve", str(target), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(reference, rel=1e-9)


# 10. help texts -----------------------------------------------------------------------------------------------
def _all_options() -> list[tuple[str, object]]:
    import argparse

    from opt_model.cli import build_parser

    found: list[tuple[str, object]] = []

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{prefix} {name}")
            elif action.option_strings and action.help is not argparse.SUPPRESS:
                found.append((f"{prefix} {action.option_strings[0]}", action))
    walk(build_parser(), "opt-model")
    return found


def test_every_option_has_help_and_its_default() -> None:
    import argparse

    from opt_model.cli import build_parser
    missing = []
    for name, action in _all_options():
        assert isinstance(action, argparse.Action)
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        if not action.help:
            missing.append(f"{name}: no help")
            continue
        default = action.default
        shown = default is None or default is False or default == [] or "default" in action.help.lower()
        if not shown:
            formatter = build_parser().formatter_class(prog="x")
            shown = "(default: %(default)s)" in formatter._get_help_string(action)  # type: ignore[attr-defined]
        if not shown:
            missing.append(f"{name}: default {default!r} not shown")
    assert not missing, missing


def test_robustness_help_explains_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["robustness", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "relative:10 means 90 %..110 %" in text
    assert "--scenarios N Monte Carlo scenarios" in text and "(default: 1000)" in text
    assert "--seed SEED random seed" in text and "(default: 0)" in text


def test_readme_says_netlib_tests_skip_without_shared_data() -> None:
    text = " ".join(Path("README.md").read_text().split())
    assert "../shared/data/netlib" in text and "skip" in text


# 8. notes point only at what is shown ------------------------------------------------------------------------
DEGENERATE = """
version: 1
name: degenerate
variables: {x: {}, y: {}}
constraints: {a: "x + y <= 4", b: "x <= 2", c: "y <= 2"}
objective: {maximize: "x + y"}
"""


@pytest.mark.parametrize("one_sided", [True, False])
def test_degeneracy_note_points_at_nothing_missing(one_sided: bool) -> None:
    report = loads_spec(DEGENERATE).solve().sensitivity(one_sided=one_sided)
    text = report.to_text()
    assert "primal degenerate" in text  # a + b + c meet at (2, 2): one basic row at its bound
    assert ("Price left" in text) == one_sided
    assert "dual_left" not in text or "Price left" in text  # a note names a column only when it is shown
    # what the note says is true: b's price holds for a decrease only (re-solve with b moved both ways)
    def optimum(b: float) -> float:
        return loads_spec(DEGENERATE.replace("x <= 2", f"x <= {b}")).solve().objective
    assert optimum(2.0) - optimum(1.9) == pytest.approx(0.1)  # left price 1
    assert optimum(2.1) - optimum(2.0) == pytest.approx(0.0)  # right price 0


# 13. the strategy phase compares every installed backend that declares the problem class -------------------
@pytest.mark.parametrize("problem_class", ["LP", "MILP", "QP", "SOCP", "EXP"])
def test_strategy_compares_every_installed_capable_backend(problem_class: str) -> None:
    from opt_model.lifecycle.runs import strategy_solvers
    from solvers import ProblemClass, capability_table
    declared = {row["backend"] for row in capability_table() if row["installed"]
                and problem_class in row["problem_classes"]}  # what `opt-model solvers` prints
    compared = strategy_solvers(ProblemClass(problem_class))
    highs_variants = {name for name in compared if name.startswith("highs")}
    assert declared - {"highs"} <= set(compared)
    assert ("highs" in declared) == bool(highs_variants)
    assert len(compared) == len(set(compared))


# 4. dims from a wide CSV's header --------------------------------------------------------------------------
def test_dim_labels_from_a_wide_csv_header(tmp_path: Path) -> None:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(7)
    cost = rng.integers(1, 100, size=(30, 30))
    hosts = [f"h{j:02d}" for j in range(30)][::-1]  # header order is the dim's order, not sorted
    rows = [f"t{i:02d}," + ",".join(map(str, cost[i])) for i in range(30)]
    (tmp_path / "cost.csv").write_text("task," + ",".join(hosts) + "\n" + "\n".join(rows) + "\n")
    spec = _write(tmp_path, "assign.yaml", """version: 1
dims:
  task: {csv: cost.csv, column: task}
  host: {csv: cost.csv, header: true}       # every column not named like a dim
data:
  cost: {dims: [task, host], csv: cost.csv, columns: host}
variables:
  x: {dims: [task, host], upper: 1}
constraints:
  each_task: "sum(x, over=host) == 1"
  each_host: "sum(x, over=task) <= 1"
objective: {minimize: "sum(cost * x)"}
""")
    model = om.load_spec(spec)
    assert [str(label) for label in model.variable("x").dims[1].labels] == hosts
    rows_, cols = linear_sum_assignment(cost)  # the Hungarian method as the reference
    assert model.solve().objective == pytest.approx(float(cost[rows_, cols].sum()))


# 7. one display of provisioned capacity: base, bought, total -------------------------------------------------
def test_provisioned_capacity_is_shown_the_same_way_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    from opt_model.lifecycle.render import capacity_text
    model = om.load_spec("problems/production_planning.yaml")
    result = model.solve()
    bought = float(result.value("machine_provisioned").to_dict()["jan"])  # the decision itself, as reference
    base = 340.0  # hours[jan] in the spec
    table = result.resource_table().set_index(["resource", "label"])
    row = table.loc[("machine", "jan")]
    assert (row["base_capacity"], row["bought"], row["capacity"]) == pytest.approx((base, bought, base + bought))
    assert bought > 1  # the example buys overtime in January
    # solve (CLI), print(result), sensitivity and the lifecycle report show the same three numbers
    assert main(["solve", "problems/production_planning.yaml"]) == 0
    solve_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("machine[jan]"))
    result_line = next(line for line in str(result).splitlines() if line.startswith("machine[jan]"))
    for line in (solve_line, result_line):
        assert line.split()[3:6] == ["340", "24.25", "364.25"]  # capacity, bought, total
    sensitivity = next(line for line in result.sensitivity().to_text().splitlines() if "machine[jan]" in line)
    assert sensitivity.split()[1] == "364.25" and "24.25" in sensitivity.split() and "340" in sensitivity.split()
    assert capacity_text(base + bought, bought, "h") == "340 h + 24.25 h bought = 364.25 h"


def test_sweep_table_has_one_row_per_value_and_no_nan() -> None:
    from opt_model.sensitivity import parametric_sweep
    from opt_model.sensitivity.uncertainty import Target
    model = om.load_spec("problems/production_planning.yaml")
    sweep = parametric_sweep(model.solve(), Target("rhs", "warehouse[jan]"), 0.0, 60.0, points=25, progress=False)
    values = sweep.table["value"].tolist()
    assert len(values) == len(set(values))  # 0 and 60 are the start and end, not also grid rows
    kinds = dict(zip(sweep.table["value"], sweep.table["kind"]))
    assert kinds[0.0] == "start" and kinds[60.0] == "end"
    text = sweep.to_text()
    assert "NaN" not in text and " -0 " not in f" {text} "
    # the objective at a grid point is that of a fresh solve with the capacity set there
    for value in (20.0, 32.5, 50.0):
        text = Path("problems/production_planning.yaml").read_text().replace(
            "capacity: 40 m^2", f"capacity: {{jan: {value}, default: 40}}")
        fresh = loads_spec(text, "problems").solve()
        row = sweep.table[sweep.table["value"] == value].iloc[0]
        assert row["status"] == fresh.status.value
        if fresh.status.value == "optimal":
            assert row["objective"] == pytest.approx(fresh.objective, rel=1e-9)


def test_bottleneck_groups_show_no_nan() -> None:
    from opt_model.sensitivity import bottleneck_report
    result = om.load_spec("problems/production_planning.yaml").solve()
    text = str(bottleneck_report(result, resources_only=False))
    assert "NaN" not in text and "nan" not in text
