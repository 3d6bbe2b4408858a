"""``opt-model sensitivity`` and ``opt-model robustness`` through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import opt_model.cli as cli
from tests.textbook import dakota, wyndor

SPEC = """\
version: 1
dims:
  task: [etl, train, serve]
  host: [h1, h2]
data:
  mem_need: {dims: [task], unit: GiB, values: {etl: 8, train: 48, serve: 16}}
  price: {dims: [task, host], unit: USD, values: [[1, 2], [3, 4], [2, 1]]}
variables:
  x: {dims: [task, host], upper: 1}
resources:
  memory:
    unit: GiB
    capacity: {h1: 32 GiB, h2: 64 GiB}
    usage: "sum(mem_need * x, over=task)"
constraints:
  assign: "sum(x, over=host) == 1"
objective:
  minimize: "sum(price * x)"
"""


@pytest.fixture(autouse=True)
def only_these_commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the real ``main`` with only this package's subcommands registered (isolates other modules)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["opt_model.cli.sensitivity"])
    yield


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"dakota": tmp_path / "dakota.mps", "wyndor": tmp_path / "wyndor.lp", "spec": tmp_path / "place.yaml"}
    dakota()[0].to_mps(paths["dakota"])
    wyndor(extra_row=True)[0].to_file(paths["wyndor"])
    paths["spec"].write_text(SPEC)
    return paths


def test_sensitivity_json_of_an_mps_file(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "sensitivity", str(files["dakota"]), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["objective"] == pytest.approx(280.0)
    tables = next(v for v in data["variables"] if v["name"] == "x[tables]")
    assert tables["cost_lower"] is None and tables["cost_upper"] == pytest.approx(35.0)
    assert tables["reduced_cost"] == pytest.approx(-5.0)
    lumber = next(c for c in data["constraints"] if c["name"] == "lumber")
    assert lumber["rhs_lower"] == pytest.approx(24.0) and lumber["rhs_upper"] is None
    assert set(lumber) >= {"name", "activity", "dual", "rhs", "rhs_lower", "rhs_upper", "dual_left", "dual_right",
                           "degenerate"}


def test_sensitivity_of_an_lp_file_shows_one_sided_prices(capsys: pytest.CaptureFixture[str],
                                                           files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "sensitivity", str(files["wyndor"]), "--bottlenecks")
    assert code == 0
    assert "Price left" in out and "plant2 is binding: +1 adds 1, up to +4" in out


def test_sensitivity_of_a_spec_names_scalar_rows(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "sensitivity", str(files["spec"]), "--format", "json")
    assert code == 0
    names = [c["name"] for c in json.loads(out)["constraints"]]
    assert names[:3] == ["assign[etl]", "assign[train]", "assign[serve]"] and "memory[h1]" in names
    code, out, _ = run(capsys, "sensitivity", str(files["spec"]), "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("section,name,value")


def test_sensitivity_sweep_and_plot(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                   tmp_path: Path) -> None:
    code, out, _ = run(capsys, "sensitivity", str(files["dakota"]), "--sweep", "capacity:finishing", "--from", "0",
                       "--to", "60", "--plot", str(tmp_path / "plots"), "--format", "json")
    assert code == 0
    assert json.loads(out)["sweep"]["breakpoints"] == pytest.approx([16.0, 24.0])
    assert (tmp_path / "plots" / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_infeasible_model_gets_a_diagnosis(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "tight.yaml"
    spec.write_text(SPEC.replace("{h1: 32 GiB, h2: 64 GiB}", "{h1: 8 GiB, h2: 40 GiB}"))
    code, out, _ = run(capsys, "sensitivity", str(spec))
    assert code == 1
    assert "the model is infeasible" in out and "add 24 GiB memory on h" in out


def test_robustness_verdict_sets_the_exit_code(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                               tmp_path: Path) -> None:
    args = ["robustness", str(files["wyndor"]), "--uncertain", "capacity:plant2=relative:10",
            "--uncertain", "capacity:plant3=relative:10", "--scenarios", "200", "--no-progress"]
    code, out, _ = run(capsys, *args, "--threshold", "min_feasible_probability=0.9", "--format", "json")
    data = json.loads(out)
    assert code == 1 and not data["validation"]["passed"]
    low, high = data["nominal_plan"]["interval"]
    assert low <= 0.25 <= high
    code, out, _ = run(capsys, *args, "--threshold", "min_feasible_probability=0.1", "--plot",
                       str(tmp_path / "charts"))
    assert code == 0 and "validation: PASS" in out
    for name in ("objective_distribution.png", "tornado.png"):
        assert (tmp_path / "charts" / name).read_bytes()[:4] == b"\x89PNG"


def test_robustness_reads_an_uncertainty_file_and_a_spec(capsys: pytest.CaptureFixture[str],
                                                         files: dict[str, Path], tmp_path: Path) -> None:
    uncertainty = tmp_path / "uncertainty.yaml"
    uncertainty.write_text("uncertainty:\n  - {target: capacity, of: memory, distribution: relative, percent: 20}\n"
                           "  - {target: cost, of: x, distribution: relative, percent: 10, shape: normal}\n")
    code, out, _ = run(capsys, "robustness", str(files["spec"]), "--uncertainty", str(uncertainty),
                       "--scenarios", "50", "--no-progress", "--format", "json", "--global", "morris",
                       "--samples", "4")
    assert code == 0
    data = json.loads(out)
    assert data["scenarios"] == 50 and data["status_counts"]["optimal"] == 50
    assert data["global"]["method"] == "morris" and data["global"]["valid"]


@pytest.mark.parametrize("argv, message", [
    (["robustness", "missing.yaml", "--uncertain", "capacity:a=relative:10"], "no such file"),
    (["robustness", "{wyndor}", "--uncertain", "capacity:plant2=gamma:1"], "unknown distribution 'gamma'"),
    (["robustness", "{wyndor}", "--uncertain", "capacity:plant2=uniform:1"], "uniform takes 2 numbers"),
    (["robustness", "{wyndor}", "--uncertain", "capacity:plant9=relative:10"], "did you mean"),
    (["sensitivity", "{wyndor}", "--step", "0"], "step=0.0: give a positive number"),
    (["sensitivity", "{wyndor}", "--stage", "2"], "stage"),
    (["robustness", "{wyndor}", "--uncertain", "capacity:plant2=relative:10", "--threshold", "max_cv=1"],
     "unknown threshold"),
    (["sensitivity", "{wyndor}", "--sweep", "capacity:plant2"], "--sweep needs --from and --to"),
])
def test_input_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], files: dict[str, Path],
                                              argv: list[str], message: str) -> None:
    code, _, err = run(capsys, *[a.replace("{wyndor}", str(files["wyndor"])) for a in argv])
    assert code == 2
    assert message in err and err.count("\n") == 1



def test_robustness_without_declared_parameters_perturbs_capacities_costs_and_bounds(
        capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, err = run(capsys, "robustness", str(files["wyndor"]), "--scenarios", "20", "--no-progress")
    assert code == 0
    assert "the spec declares no uncertain parameters" in err and "+-10 %" in err
    assert "Robustness (LP): 20 scenarios" in out
