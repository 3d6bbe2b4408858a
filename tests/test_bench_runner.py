"""Batches: every run becomes a row, failures included; resume, rerun, wrong answers, SIGKILL of the batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opt_model.bench import BenchError, BenchSettings, ResultStore, build_suite, run_batch
from tests.standin_backends import REGISTER_AND_RUN_CLI, registered

AFIRO = -464.75314286


@pytest.fixture(autouse=True)
def stand_ins() -> None:
    """The misbehaving ``test:*`` backends, registered through ``solvers.register`` (the worker finds them by path)."""
    with registered():
        yield


def _statuses(db: Path) -> dict[str, str]:
    with ResultStore(db) as store:
        return store.done_keys()


def test_batch_records_every_failure_and_goes_on(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps"], ["highs", "test:sleep", "test:segfault", "test:alloc", "highs:ipm"],
                        time_limit=1.0, memory_limit="400M")
    db = tmp_path / "b.sqlite"
    summary = run_batch(suite, BenchSettings(db=str(db), grace=0.5, progress=False))
    assert _statuses(db) == {"afiro|highs|0": "optimal", "afiro|test:sleep|0": "time_limit",
                             "afiro|test:segfault|0": "crashed", "afiro|test:alloc|0": "memory_limit",
                             "afiro|highs:ipm|0": "optimal"}
    assert summary.counts == {"optimal": 2, "time_limit": 1, "crashed": 1, "memory_limit": 1}
    with ResultStore(db) as store:
        runs = {run["solver"]: run for run in store.runs()}
    assert runs["test:segfault"]["signal"] == signal.SIGSEGV
    assert "SIGSEGV" in runs["test:segfault"]["message"]
    highs = runs["highs"]
    assert highs["reference_objective"] == pytest.approx(AFIRO)
    assert highs["reference_source"] == "netlib.solu"
    assert highs["relative_error"] < 1e-6
    assert (highs["rows"], highs["cols"], highs["nonzeros"]) == (27, 32, 83)
    assert highs["solver_version"] and highs["peak_memory_mb"] > 10
    assert highs["wall_time_s"] >= highs["solve_time_s"] > 0
    assert highs["options"] == {"time_limit": 1.0}


def test_wrong_reference_is_recorded_as_wrong(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps", netlib_dir / "sc50a.mps"], ["highs"],
                        references={"afiro": -400.0})
    db = tmp_path / "w.sqlite"
    lines: list[str] = []
    summary = run_batch(suite, BenchSettings(db=str(db), progress=False))
    lines = summary.wrong
    assert _statuses(db) == {"afiro|highs|0": "wrong", "sc50a|highs|0": "optimal"}
    assert len(lines) == 1 and "-464.75" in lines[0] and "-400" in lines[0]


def test_solver_reporting_a_wrong_optimum_is_caught(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps"],
                        ["test:constant?objective=-464.7531428", "test:constant?objective=-464"])
    db = tmp_path / "c.sqlite"
    run_batch(suite, BenchSettings(db=str(db), progress=False))
    statuses = _statuses(db)
    assert statuses["afiro|test:constant[objective=-464.7531428]|0"] == "optimal"
    assert statuses["afiro|test:constant[objective=-464]|0"] == "wrong"


def test_resume_rerun_and_rerun_failed(netlib_dir, tmp_path) -> None:
    db = tmp_path / "r.sqlite"
    first = build_suite([netlib_dir / "afiro.mps"], ["highs", "test:segfault"])
    run_batch(first, BenchSettings(db=str(db), progress=False))
    bigger = build_suite([netlib_dir / "afiro.mps", netlib_dir / "sc50b.mps"], ["highs", "test:segfault"])
    with pytest.raises(BenchError, match="--resume"):
        run_batch(bigger, BenchSettings(db=str(db), progress=False))
    summary = run_batch(bigger, BenchSettings(db=str(db), resume=True, progress=False))
    assert summary.skipped == 2 and summary.ran == 2
    summary = run_batch(bigger, BenchSettings(db=str(db), rerun_failed=True, progress=False))
    assert summary.skipped == 2 and summary.counts == {"crashed": 2}
    summary = run_batch(bigger, BenchSettings(db=str(db), rerun=True, progress=False))
    assert summary.ran == 4
    with ResultStore(db) as store:
        assert len(store.runs(latest=False)) == 2 + 2 + 2 + 4
        assert len(store.runs()) == 4  # reports use the latest row of each run


def test_repeats_make_distinct_runs(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps"], ["highs"], repeats=3)
    db = tmp_path / "rep.sqlite"
    run_batch(suite, BenchSettings(db=str(db), progress=False))
    assert sorted(_statuses(db)) == ["afiro|highs|0", "afiro|highs|1", "afiro|highs|2"]


def test_parallel_jobs_run_everything_once(netlib_dir, tmp_path) -> None:
    problems = [netlib_dir / f"{name}.mps" for name in ("afiro", "sc50a", "sc50b", "kb2")]
    suite = build_suite(problems, ["highs", "highs:ipm"])
    db = tmp_path / "par.sqlite"
    summary = run_batch(suite, BenchSettings(db=str(db), jobs=2, progress=False))
    assert summary.counts == {"optimal": 8}
    with ResultStore(db) as store:
        assert len(store.runs(latest=False)) == 8
        assert store.batches()[-1]["jobs"] == 2


def test_spawn_isolation_gives_the_same_answers(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps"], ["highs", "test:segfault"])
    db = tmp_path / "spawn.sqlite"
    run_batch(suite, BenchSettings(db=str(db), isolation="spawn", progress=False))
    assert _statuses(db) == {"afiro|highs|0": "optimal", "afiro|test:segfault|0": "crashed"}


def _rows(db: Path) -> list[tuple[str, int]]:
    if not db.exists():
        return []
    connection = sqlite3.connect(db, timeout=10)
    try:
        return connection.execute("SELECT run_key, id FROM runs ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        connection.close()


def test_batch_killed_with_sigkill_resumes_without_losing_or_repeating(netlib_dir, tmp_path) -> None:
    db = tmp_path / "killed.sqlite"
    command = [sys.executable, "-c", REGISTER_AND_RUN_CLI, "bench", str(netlib_dir / "afiro.mps"),
               str(netlib_dir / "sc50a.mps"), "--solvers", "highs,test:sleep", "--time-limit", "1.5",
               "--grace", "0.5", "--db", str(db), "--quiet"]
    env = dict(os.environ)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 60
    while len(_rows(db)) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # mid-way: sc50a with test:sleep is running
    process.wait()
    before = _rows(db)
    assert [key for key, _ in before] == ["afiro|highs|0", "afiro|test:sleep|0", "sc50a|highs|0"]
    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[1])
    assert resumed.returncode == 0, resumed.stderr
    after = _rows(db)
    assert after[:3] == before  # finished rows kept, untouched
    assert [key for key, _ in after[3:]] == ["sc50a|test:sleep|0"]  # only the unfinished run ran again
    assert "3 skipped" in resumed.stderr


def test_ctrl_c_stops_cleanly_and_keeps_finished_rows(netlib_dir, tmp_path) -> None:
    db = tmp_path / "int.sqlite"
    command = [sys.executable, "-c", REGISTER_AND_RUN_CLI, "bench", str(netlib_dir / "afiro.mps"),
               "--solvers", "highs,test:sleep,highs:ipm", "--time-limit", "60", "--db", str(db)]
    env = dict(os.environ)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[1])
    deadline = time.monotonic() + 60
    while len(_rows(db)) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # test:sleep is running now
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "--resume" in err
    assert [key for key, _ in _rows(db)] == ["afiro|highs|0"]  # the interrupted run is not a result
    with ResultStore(db) as store:
        assert store.batches()[-1]["state"] == "interrupted"


SPEC = """version: 1
name: tiny
dims: {item: [a, b]}
data: {need: {dims: [item], unit: GiB, values: {a: 1, b: 2}}}
variables: {x: {dims: [item], upper: 1}}
resources: {memory: {unit: GiB, capacity: 2 GiB, usage: "sum(need * x, over=item)"}}
objective: {maximize: "sum(x)"}
expected: {objective: EXPECTED}
"""


def test_specs_are_checked_against_their_expected_block(tmp_path) -> None:
    pytest.importorskip("opt_model.spec")
    (tmp_path / "right.yaml").write_text(SPEC.replace("EXPECTED", "1.5"))  # x_a = 1, x_b = 0.5
    (tmp_path / "wrong.yaml").write_text(SPEC.replace("EXPECTED", "2.0"))
    db = tmp_path / "spec.sqlite"
    run_batch(build_suite([tmp_path], ["highs"]), BenchSettings(db=str(db), progress=False))
    assert _statuses(db) == {"right|highs|0": "optimal", "wrong|highs|0": "wrong"}
    with ResultStore(db) as store:
        run = store.runs()[0]
    assert (run["problem_kind"], run["rows"], run["cols"], run["reference_source"]) == (
        "spec", 1, 2, "right.yaml expected")


def test_lexicographic_spec_is_benchmarked_on_its_last_stage(tmp_path: Path) -> None:
    """cost_then_energy's expected objective is the second priority's optimum: bench must not call it wrong."""
    from opt_model.bench import BenchSettings, build_suite, run_batch
    from tests.conftest import REPO

    suite = build_suite([str(REPO / "problems" / "cost_then_energy.yaml")], ["highs"], time_limit=60)
    summary = run_batch(suite, BenchSettings(db=str(tmp_path / "lex.sqlite")))
    assert summary.counts == {"optimal": 1}
