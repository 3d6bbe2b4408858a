"""Drift monitoring: baseline, objective / binding / allocation drift, thresholds and exit codes."""

from __future__ import annotations

import json

import pytest

import opt_model as om
from opt_model.bench.monitor import SnapshotStore, monitor, take_snapshot
from opt_model.cli import main
from opt_model.errors import InputFileError


def _placement(h1_memory: float) -> om.Model:
    task = om.Dim("task", ["etl", "train", "serve"])
    host = om.Dim("host", ["h1", "h2"])
    m = om.Model("placement")
    x = m.add_variables("x", dims=(task, host), lb=0, ub=1)
    m.add_constraints("assign", x.sum("host") == 1)
    need = om.data({"etl": 8, "train": 48, "serve": 16}, dims=task).expand(host)
    mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": h1_memory, "h2": 64}, dims=host))
    mem.add_usage((need * x).sum("task"))
    m.minimize((om.data([[1, 2], [3, 4], [2, 1]], dims=(task, host)) * x).sum())
    return m


def test_snapshot_known_answer() -> None:
    snapshot = take_snapshot(_placement(32))
    assert snapshot.status == "optimal" and snapshot.objective == pytest.approx(5.5)
    assert snapshot.binding == ["memory[h1]"]
    assert snapshot.shadow_prices["memory[h1]"] == pytest.approx(-1 / 48)
    assert snapshot.allocation["x[train,h1]"] == pytest.approx(0.5)


def test_first_solve_is_the_baseline_then_drift_is_measured(tmp_path) -> None:
    db = tmp_path / "monitor.sqlite"
    first = monitor(_placement(32), db)
    assert first.baseline_created and not first.exceeded
    same = monitor(_placement(32), db)
    assert not same.exceeded and same.objective_change == 0.0 and same.allocation_change == 0.0
    # more memory on h1: train moves there entirely, memory stops binding on h1
    bigger = monitor(_placement(80), db)
    assert bigger.new.objective == pytest.approx(5.0)  # etl and train on h1, serve on h2
    assert bigger.objective_change == pytest.approx(0.5 / 5.5)
    assert bigger.binding_removed == ["memory[h1]"]
    assert bigger.exceeded and "objective moved" in bigger.text()
    # generous thresholds still flag the change of binding resources
    loose = monitor(_placement(80), db, objective_threshold=1.0, allocation_threshold=10.0)
    assert loose.reasons == ["the set of binding resources changed"]
    assert len(SnapshotStore(db).history("placement")) == 4
    # a new baseline
    reset = monitor(_placement(80), db, set_baseline=True)
    assert reset.baseline_created
    assert not monitor(_placement(80), db).exceeded


def test_infeasible_solve_is_drift(tmp_path) -> None:
    db = tmp_path / "m.sqlite"
    monitor(_placement(32), db)
    report = monitor(_tiny_infeasible(), db, name="placement")
    assert report.exceeded and report.reasons[0].startswith("the solve ended infeasible")


def _tiny_infeasible() -> om.Model:
    m = om.Model("placement")
    x = m.add_variable("x", ub=1)
    m.add_constraints("need", x >= 2)
    m.minimize(x)
    return m


SPEC = """version: 1
name: plan
dims:
  task: {csv: demand.csv, column: task}
  host: [h1, h2]
data:
  need: {dims: [task], unit: GiB, csv: demand.csv, column: value}
  price: {dims: [task, host], values: [[1, 2], [3, 4], [2, 1]]}
variables:
  x: {dims: [task, host], upper: 1}
resources:
  memory:
    unit: GiB
    capacity: {h1: 32 GiB, h2: 64 GiB}
    usage: "sum(need * x, over=task)"
constraints:
  assign: "sum(x, over=host) == 1"
objective:
  minimize: "sum(price * x)"
"""


@pytest.fixture
def spec_dir(tmp_path):
    pytest.importorskip("opt_model.spec")
    (tmp_path / "plan.yaml").write_text(SPEC)
    (tmp_path / "demand.csv").write_text("task,value\netl,8\ntrain,48\nserve,16\n")
    (tmp_path / "march.csv").write_text("task,value\netl,20\ntrain,48\nserve,16\n")
    return tmp_path


def test_monitor_command_on_new_data(spec_dir, capsys) -> None:
    spec, db = str(spec_dir / "plan.yaml"), str(spec_dir / "base.sqlite")
    assert main(["monitor", spec, "--baseline", db]) == 0
    assert "now the baseline" in capsys.readouterr().out
    assert main(["monitor", spec, "--data", str(spec_dir / "demand.csv"), "--baseline", db]) == 0
    assert "within thresholds" in capsys.readouterr().out
    # etl needs 20 GiB: train moves from h1 to h2 (objective 5.5 -> 5.75, allocation moves 1/6)
    assert main(["monitor", spec, "--data", f"need={spec_dir / 'march.csv'}", "--baseline", db,
                 "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["new"]["objective"] == pytest.approx(5.75)
    assert report["objective_change"] == pytest.approx(0.25 / 5.5)
    assert report["allocation_change"] == pytest.approx(0.5 / 3)
    assert report["exceeded"] and report["reasons"] == ["allocation moved 16.7% > 10%"]
    assert main(["monitor", spec, "--data", f"need={spec_dir / 'march.csv'}", "--baseline", db,
                 "--allocation-threshold", "0.2"]) == 0


def test_monitor_data_errors(spec_dir, capsys) -> None:
    spec, db = str(spec_dir / "plan.yaml"), str(spec_dir / "base.sqlite")
    assert main(["monitor", spec, "--data", f"nothing={spec_dir / 'march.csv'}", "--baseline", db]) == 2
    assert "need (demand.csv)" in capsys.readouterr().err
    assert main(["monitor", spec, "--data", str(spec_dir / "missing.csv"), "--baseline", db]) == 2
    with pytest.raises(InputFileError):
        from opt_model.bench.spec_data import load_with_data

        load_with_data(spec_dir / "plan.yaml", {"x": spec_dir / "missing.csv"})
