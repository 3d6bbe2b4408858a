"""Isolation of benchmark runs: hangs, crashes and memory hogs become statuses; real solvers run after them."""

from __future__ import annotations

import signal

import pytest

from opt_model.bench.isolation import IsolatedExecutor, RunLimits, RunOutcome
from opt_model.bench.worker import TEST_SOLVERS_ENV, execute, preload_modules

LIMITS = RunLimits(time_limit=1.0, grace=0.5, memory_limit_mb=400)


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_SOLVERS_ENV, "1")


@pytest.fixture(params=["fork", "spawn"])
def executor(request: pytest.FixtureRequest, stand_ins: None) -> IsolatedExecutor:
    runner = IsolatedExecutor(request.param)
    yield runner
    runner.close()


def _afiro(netlib_dir) -> dict:
    return {"problem": str(netlib_dir / "afiro.mps"), "solver": "highs", "options": {"time_limit": 10}}


def test_real_solver_run_records_size_status_and_memory(executor, netlib_dir) -> None:
    outcome = executor.run(_afiro(netlib_dir), LIMITS)
    assert outcome.classify(LIMITS) == ("optimal", "")
    record = outcome.record
    assert record is not None
    assert (record["rows"], record["cols"], record["nonzeros"], record["integers"]) == (27, 32, 83, 0)
    assert record["objective"] == pytest.approx(-464.7531428571, rel=1e-9)
    assert record["primal_residual"] < 1e-9 and record["dual_residual"] < 1e-9
    assert record["iterations"]["simplex"] > 0
    assert outcome.peak_memory_kb is not None and outcome.peak_memory_kb > 10_000  # numpy + highspy at least


def test_hang_is_killed_at_the_hard_limit(executor, netlib_dir) -> None:
    outcome = executor.run({"problem": "none", "solver": "test:sleep"}, LIMITS)
    status, message = outcome.classify(LIMITS)
    assert status == "time_limit" and outcome.killed
    assert "killed by the harness" in message
    assert outcome.signal == signal.SIGKILL
    # the executor is usable afterwards
    assert executor.run(_afiro(netlib_dir), LIMITS).classify(LIMITS)[0] == "optimal"


def test_segfault_is_a_crash_with_its_signal(executor, netlib_dir) -> None:
    outcome = executor.run({"problem": "none", "solver": "test:segfault"}, LIMITS)
    assert outcome.signal == signal.SIGSEGV
    assert outcome.classify(LIMITS) [0] == "crashed"
    assert "SIGSEGV" in outcome.classify(LIMITS)[1]
    assert executor.run(_afiro(netlib_dir), LIMITS).classify(LIMITS)[0] == "optimal"


def test_unbounded_allocation_hits_the_memory_limit(executor, netlib_dir) -> None:
    limits = RunLimits(time_limit=30.0, grace=1.0, memory_limit_mb=400)
    outcome = executor.run({"problem": "none", "solver": "test:alloc"}, limits)
    assert outcome.classify(limits)[0] == "memory_limit"
    assert not outcome.killed
    assert outcome.peak_memory_kb is not None and outcome.peak_memory_kb > 100 * 1024  # it did allocate
    assert outcome.peak_memory_kb < 400 * 1024  # and the cap held
    assert executor.run(_afiro(netlib_dir), LIMITS).classify(LIMITS)[0] == "optimal"


def test_exit_without_result_is_a_crash(executor) -> None:
    outcome = executor.run({"problem": "none", "solver": "test:exit", "options": {"code": 7}}, LIMITS)
    assert outcome.exit_code == 7
    assert outcome.classify(LIMITS) == ("crashed", "exited with code 7 without a result")


def test_unreadable_problem_is_an_error_not_a_crash(executor, tmp_path) -> None:
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not MPS\n")
    outcome = executor.run({"problem": str(bad), "solver": "highs"}, LIMITS)
    status, message = outcome.classify(LIMITS)
    assert status == "error" and "bad.mps" in message


def test_stand_ins_need_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEST_SOLVERS_ENV, raising=False)
    record = execute({"problem": "none", "solver": "test:segfault"})
    assert record["status"] == "error" and TEST_SOLVERS_ENV in record["message"]


def test_classify_oom_kill_and_backstop() -> None:
    assert RunOutcome(None, 1.0, signal=signal.SIGKILL).classify(LIMITS)[0] == "memory_limit"
    assert RunOutcome(None, 1.0, signal=signal.SIGALRM).classify(LIMITS)[0] == "time_limit"
    assert RunOutcome(None, 1.0, signal=signal.SIGABRT, log_tail="std::bad_alloc").classify(LIMITS)[0] \
        == "memory_limit"
    assert RunOutcome(None, 1.0, signal=signal.SIGABRT).classify(LIMITS) == ("crashed", "crashed with SIGABRT")


def test_mps_jobs_preload_only_the_solver_layer() -> None:
    assert preload_modules("highs") == ["solvers", "solvers.highs", "solvers.files", "scipy.sparse"]
    assert preload_modules("pyomo:glpk")[-1] == "backend:pyomo"
    assert "opt_model.spec" in preload_modules("highs", "spec")


def test_mps_runs_do_not_import_pandas_or_opt_model(executor) -> None:
    outcome = executor.run({"problem": "none", "solver": "test:modules"}, LIMITS)
    assert outcome.record is not None
    assert outcome.record["loaded"] == []
