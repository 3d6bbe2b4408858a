"""The command line: solve, solvers, output formats and exit codes (run as a real subprocess too)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from opt_model.cli import main
from tests.textbook import dakota, wyndor


@pytest.fixture
def wyndor_mps(tmp_path: Path) -> Path:
    model, _ = wyndor()
    path = tmp_path / "wyndor.mps"
    model.to_mps(path)
    return path


def test_solve_json(wyndor_mps: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(wyndor_mps), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "optimal"
    assert payload["objective"] == pytest.approx(36.0)
    assert payload["solver"] == "highs"
    assert payload["solve_time_s"] >= 0
    assert payload["variables"] == pytest.approx({"x1": 2.0, "x2": 6.0})


def test_solve_table_and_csv(wyndor_mps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(wyndor_mps)]) == 0
    out = capsys.readouterr().out
    assert "status     optimal" in out and "objective  36" in out
    target = tmp_path / "out.csv"
    assert main(["solve", str(wyndor_mps), "--format", "csv", "--output", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {row["name"]: float(row["value"]) for row in rows if row["kind"] == "variable"} == pytest.approx(
        {"x1": 2.0, "x2": 6.0})
    assert {row["name"]: row["value"] for row in rows if row["kind"] == "summary"}["status"] == "optimal"


def test_solver_and_time_limit_options(wyndor_mps: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(wyndor_mps), "--solver", "highs:ipm", "--time-limit", "10", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["solver"] == "highs:ipm"


def test_infeasible_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import opt_model as om
    m = om.Model("infeasible")
    x = m.add_variable("x")
    m.add_constraint("low", x >= 3)
    m.add_constraint("high", x <= 1)
    m.minimize(x)
    path = tmp_path / "infeasible.mps"
    m.to_mps(path)
    assert main(["solve", str(path), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] in ("infeasible", "infeasible_or_unbounded")


@pytest.mark.parametrize("argv, message", [
    (["solve", "missing.mps"], "missing.mps: no such file"),
    (["solve", "{wyndor}", "--solver", "nosuch"], "unknown solver 'nosuch'"),
    (["solve", "{wyndor}", "--format", "xml"], "invalid choice: 'xml'"),
    (["solve", "{wyndor}", "--time-limit", "soon"], "invalid float value"),
    (["solve", "{bad}"], "bad.mps:4: unknown row type 'X'"),
    (["solve", "{txt}"], "unknown file type"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_input_errors_exit_2_with_one_line(argv: list[str], message: str, wyndor_mps: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.mps"
    bad.write_text("NAME bad\nROWS\n N obj\n X nonsense\n")
    txt = tmp_path / "model.txt"
    txt.write_text("x")
    argv = [a.format(wyndor=wyndor_mps, bad=bad, txt=txt) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_solvers_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solvers", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["solvers"]
    highs = next(row for row in rows if row["backend"] == "highs")
    assert highs["installed"] and "LP" in highs["problem_classes"] and highs["version"]
    assert main(["solvers"]) == 0
    table = capsys.readouterr().out
    assert "cvxpy:CLARABEL" in table and "pyomo:glpk" in table


def test_console_script_subprocess_has_clean_stdout(tmp_path: Path) -> None:
    """The real entry point: JSON on stdout parses (no solver banner), errors are one line."""
    model, _ = dakota()
    path = tmp_path / "dakota.mps"
    model.to_mps(path)
    done = subprocess.run([sys.executable, "-m", "opt_model.cli", "solve", str(path), "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(280.0)
    done = subprocess.run([sys.executable, "-m", "opt_model.cli", "solve", str(tmp_path / "nope.lp")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no such file" in done.stderr


def test_lexicographic_spec_is_analysed_at_its_last_stage(capsys: pytest.CaptureFixture[str]) -> None:
    """`sensitivity` explains the plan `solve` returns: the last priority, earlier ones held."""
    from tests.conftest import REPO

    spec = str(REPO / "problems" / "bandwidth_maxmin.yaml")
    assert main(["solve", spec, "--format", "json"]) == 0
    solved = json.loads(capsys.readouterr().out)["objective"]
    assert main(["sensitivity", spec, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(solved)


def test_spec_table_shows_objective_unit_and_stages(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import REPO

    assert main(["solve", str(REPO / "problems" / "cost_then_energy.yaml")]) == 0
    out = capsys.readouterr().out
    assert "stage bill: minimize" in out and "stage energy: minimize" in out
    assert main(["solve", str(REPO / "problems" / "cost_then_energy.yaml"), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [stage["name"] for stage in payload["stages"]] == ["bill", "energy"]
    assert payload["objective"] == pytest.approx(payload["expected_objective"], rel=1e-6)
    assert payload["objective_unit"]
