"""``opt-model bench`` end to end with real solvers: run, report, compare (the regression gate), export."""

from __future__ import annotations

import pytest

from opt_model.cli import main


def _bench(netlib_dir, db, *extra: str) -> int:
    return main(["bench", str(netlib_dir / "afiro.mps"), str(netlib_dir / "sc50a.mps"), str(netlib_dir / "kb2.mps"),
                 "--solvers", "highs,highs:ipm", "--time-limit", "30", "--db", str(db), "--quiet", *extra])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, netlib_dir_module):
    folder = tmp_path_factory.mktemp("bench")
    base, new, wrong = folder / "base.sqlite", folder / "new.sqlite", folder / "wrong.sqlite"
    assert _bench(netlib_dir_module, base) == 0
    assert _bench(netlib_dir_module, new) == 0
    assert _bench(netlib_dir_module, wrong, "--reference", "kb2=-1700") == 1  # wrong results: exit 1
    return base, new, wrong


@pytest.fixture(scope="module")
def netlib_dir_module():
    from tests.conftest import NETLIB

    if not NETLIB.is_dir():
        pytest.skip("../shared/data/netlib is not present beside the checkout")
    return NETLIB


def test_run_prints_summary_and_a_wrong_reference_is_loud(two_runs, capsys) -> None:
    base, _, wrong = two_runs
    assert main(["bench", "report", str(wrong)]) == 0
    out = capsys.readouterr().out
    assert "!!! 2 WRONG result(s)" in out  # kb2 with both solvers
    assert "kb2 with highs" in out and "-1700" in out


def test_compare_of_two_clean_runs_passes(two_runs, capsys) -> None:
    base, new, _ = two_runs
    assert main(["bench", "compare", str(base), str(new)]) == 0
    assert capsys.readouterr().out.startswith("no regression: 6 (problem, solver) pairs compared")


def test_compare_with_newly_wrong_results_fails(two_runs, capsys) -> None:
    base, _, wrong = two_runs
    assert main(["bench", "compare", str(base), str(wrong)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("REGRESSION") and "Newly WRONG (2)" in out


def test_report_formats_and_export(two_runs, tmp_path, capsys) -> None:
    base, _, _ = two_runs
    assert main(["bench", "report", str(base), "-o", str(tmp_path / "r.md")]) == 0
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert "![performance profile](r.png)" in (tmp_path / "r.md").read_text()
    assert main(["bench", "report", str(base), "-o", str(tmp_path / "r.html")]) == 0
    assert "data:image/png;base64," in (tmp_path / "r.html").read_text()
    assert main(["bench", "export", str(base), "--csv", str(tmp_path / "runs.csv")]) == 0
    assert len((tmp_path / "runs.csv").read_text().splitlines()) == 7


def test_existing_results_need_resume(two_runs, netlib_dir_module, capsys) -> None:
    base, _, _ = two_runs
    assert _bench(netlib_dir_module, base) == 2
    assert "--resume" in capsys.readouterr().err
    assert _bench(netlib_dir_module, base, "--resume") == 0
    assert "6 skipped as done" in capsys.readouterr().err


def test_input_errors_exit_2(tmp_path, capsys) -> None:
    assert main(["bench", "report", str(tmp_path / "none.sqlite")]) == 2
    assert main(["bench", str(tmp_path / "missing.mps")]) == 2
    assert main(["bench", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--threshold", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "no such benchmark database" in err and "no such file" in err


@pytest.mark.slow
def test_all_netlib_problems_with_highs_are_correct(netlib_dir, tmp_path, capsys) -> None:
    db = tmp_path / "netlib.sqlite"
    assert main(["bench", str(netlib_dir), "--solvers", "highs", "--time-limit", "60", "--db", str(db),
                 "--quiet"]) == 0
    assert "55 run(s) recorded" in capsys.readouterr().err
    from opt_model.bench import ResultStore

    with ResultStore(db) as store:
        runs = store.runs()
    assert len(runs) == 55 and all(run["status"] == "optimal" for run in runs)
    assert all(run["relative_error"] is not None and run["relative_error"] <= 1e-6 for run in runs)
