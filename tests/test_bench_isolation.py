"""Isolation of benchmark runs: hangs, crashes and memory hogs become statuses; real solvers run after them."""

from __future__ import annotations

import signal

import pytest

from opt_model.bench.isolation import IsolatedExecutor, RunLimits, RunOutcome
from opt_model.bench.worker import execute, preload_modules
from tests.standin_backends import registered, tiny_mps

LIMITS = RunLimits(time_limit=1.0, grace=0.5, memory_limit_mb=400)
REAL = RunLimits(time_limit=30.0, grace=5.0, memory_limit_mb=400)
"""For runs that do not test the time limit: a spawned worker imports numpy, scipy and highspy within the limit,
which takes more than LIMITS allows on a busy machine."""


@pytest.fixture
def stand_ins() -> None:
    """The misbehaving ``test:*`` backends, registered through ``solvers.register`` (the worker finds them by path)."""
    with registered():
        yield


@pytest.fixture
def tiny(tmp_path) -> str:
    return str(tiny_mps(tmp_path))


@pytest.fixture(params=["fork", "spawn"])
def executor(request: pytest.FixtureRequest, stand_ins: None) -> IsolatedExecutor:
    runner = IsolatedExecutor(request.param)
    yield runner
    runner.close()


def _afiro(netlib_dir) -> dict:
    return {"problem": str(netlib_dir / "afiro.mps"), "solver": "highs", "options": {"time_limit": 10}}


def test_real_solver_run_records_size_status_and_memory(executor, netlib_dir) -> None:
    outcome = executor.run(_afiro(netlib_dir), REAL)
    assert outcome.classify(REAL) == ("optimal", "")
    record = outcome.record
    assert record is not None
    assert (record["rows"], record["cols"], record["nonzeros"], record["integers"]) == (27, 32, 83, 0)
    assert record["objective"] == pytest.approx(-464.7531428571, rel=1e-9)
    assert record["primal_residual"] < 1e-9 and record["dual_residual"] < 1e-9
    assert record["iterations"]["simplex"] > 0
    assert outcome.peak_memory_kb is not None and outcome.peak_memory_kb > 10_000  # numpy + highspy at least


def test_hang_is_killed_at_the_hard_limit(executor, netlib_dir, tiny) -> None:
    outcome = executor.run({"problem": tiny, "solver": "test:sleep"}, LIMITS)
    status, message = outcome.classify(LIMITS)
    assert status == "time_limit" and outcome.killed
    assert "killed by the harness" in message
    assert outcome.signal == signal.SIGKILL
    # the executor is usable afterwards
    assert executor.run(_afiro(netlib_dir), REAL).classify(REAL)[0] == "optimal"


def test_segfault_is_a_crash_with_its_signal(executor, netlib_dir, tiny) -> None:
    outcome = executor.run({"problem": tiny, "solver": "test:segfault"}, REAL)
    assert outcome.signal == signal.SIGSEGV
    assert outcome.classify(REAL)[0] == "crashed"
    assert "SIGSEGV" in outcome.classify(REAL)[1]
    assert executor.run(_afiro(netlib_dir), REAL).classify(REAL)[0] == "optimal"


def test_unbounded_allocation_hits_the_memory_limit(executor, netlib_dir, tiny) -> None:
    limits = RunLimits(time_limit=30.0, grace=1.0, memory_limit_mb=400)
    outcome = executor.run({"problem": tiny, "solver": "test:alloc"}, limits)
    assert outcome.classify(limits)[0] == "memory_limit"
    assert not outcome.killed
    assert outcome.peak_memory_kb is not None and outcome.peak_memory_kb > 100 * 1024  # it did allocate
    assert outcome.peak_memory_kb < 400 * 1024  # and the cap held
    assert executor.run(_afiro(netlib_dir), REAL).classify(REAL)[0] == "optimal"


def test_exit_without_result_is_a_crash(executor, tiny) -> None:
    outcome = executor.run({"problem": tiny, "solver": "test:exit", "options": {"code": 7}}, REAL)
    assert outcome.exit_code == 7
    assert outcome.classify(REAL) == ("crashed", "exited with code 7 without a result")


def test_unreadable_problem_is_an_error_not_a_crash(executor, tmp_path) -> None:
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not MPS\n")
    outcome = executor.run({"problem": str(bad), "solver": "highs"}, REAL)
    status, message = outcome.classify(REAL)
    assert status == "error" and "bad.mps" in message


def test_stand_ins_exist_only_when_registered(tiny) -> None:
    record = execute({"problem": tiny, "solver": "test:segfault"})
    assert record["status"] == "error" and "unknown solver 'test'" in record["message"]


def test_a_registered_plugin_reaches_the_worker_by_its_path(stand_ins) -> None:
    assert preload_modules("test:sleep")[-1] == "backend:test=tests.standin_backends:StandinBackend"


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


def test_mps_runs_do_not_import_pandas_or_opt_model(executor, tiny) -> None:
    outcome = executor.run({"problem": tiny, "solver": "test:modules"}, REAL)
    assert outcome.record is not None
    assert outcome.record["message"] == "loaded: "  # none of pandas, opt_model, pyomo, cvxpy, matplotlib
