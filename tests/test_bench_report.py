"""Reports and the regression gate, on hand-made databases with known answers."""

from __future__ import annotations

import base64
import math

import pytest

from opt_model.bench.compare import compare_cells, compare_stores
from opt_model.bench.metrics import cells, performance_ratios, profile_curve, shifted_geometric_mean, solver_summary
from opt_model.bench.report import build_report, render_html, render_markdown, render_text
from opt_model.bench.storage import ResultStore


def _store(rows: list[tuple[str, str, str, float]], repeats: int = 1, jobs: int = 1) -> ResultStore:
    store = ResultStore(":memory:")
    batch = store.start_batch({"jobs": jobs, "suite": {"time_limit": 100}})
    seen: dict[tuple[str, str], int] = {}
    for problem, solver, status, seconds in rows:
        counts = seen[(problem, solver)] = seen.get((problem, solver), -1) + 1
        store.add_run(batch, {"run_key": f"{problem}|{solver}|{counts}", "problem": problem, "solver": solver,
                              "repeat": counts, "status": status, "wall_time_s": seconds, "solve_time_s": seconds,
                              "time_limit": 100.0, "rows": 3, "cols": 4, "nonzeros": 5,
                              "message": "objective 1 differs" if status == "wrong" else None})
    return store


def test_shifted_geometric_mean_known_values() -> None:
    assert shifted_geometric_mean([5.0], 10.0) == pytest.approx(5.0)
    assert shifted_geometric_mean([0.0, 30.0], 10.0) == pytest.approx(math.sqrt(10 * 40) - 10)
    assert shifted_geometric_mean([1.0, 100.0], 0.0) == pytest.approx(10.0)


def test_summary_counts_unsolved_at_the_time_limit_and_normalises() -> None:
    store = _store([("p1", "a", "optimal", 1.0), ("p1", "b", "optimal", 2.0),
                    ("p2", "a", "time_limit", 101.0), ("p2", "b", "optimal", 10.0),
                    ("p3", "a", "wrong", 1.0), ("p3", "b", "optimal", 1.0)])
    table, common = solver_summary(cells(store.runs()))
    assert common == ["p1", "p2", "p3"]
    a, b = table
    assert (a.solved, a.counts) == (1, {"optimal": 1, "time_limit": 1, "wrong": 1})
    assert a.sgm == pytest.approx(shifted_geometric_mean([1.0, 100.0, 100.0]))  # wrong counts at the limit too
    assert b.sgm == pytest.approx(shifted_geometric_mean([2.0, 10.0, 1.0]))
    assert b.sgm_ratio == 1.0 and a.sgm_ratio == pytest.approx(a.sgm / b.sgm)


def test_performance_ratios_and_profile_curve() -> None:
    store = _store([("p1", "a", "optimal", 1.0), ("p1", "b", "optimal", 4.0),
                    ("p2", "a", "crashed", 0.1), ("p2", "b", "optimal", 2.0)])
    problems, ratios = performance_ratios(cells(store.runs()))
    assert problems == ["p1", "p2"]
    assert ratios == {"a": [1.0, math.inf], "b": [4.0, 1.0]}
    assert profile_curve(ratios["b"]) == ([1.0, 4.0], [0.5, 1.0])
    assert profile_curve(ratios["a"]) == ([1.0], [0.5])


def test_reports_in_three_formats() -> None:
    store = _store([("p1", "a", "optimal", 1.0), ("p1", "b", "wrong", 4.0)], jobs=2)
    report = build_report(store, with_png=True)
    text = render_text(report)
    assert "!!! 1 WRONG result(s)" in text and "not comparable" in text
    markdown = render_markdown(report, png_name="profile.png")
    assert "![performance profile](profile.png)" in markdown and "| p1 | 3 | 4 | 5 | 1 | WRONG |" in markdown
    page = render_html(report)
    encoded = page.split("data:image/png;base64,")[1].split("'")[0]
    assert base64.b64decode(encoded)[:4] == b"\x89PNG"
    assert "WRONG result(s)" in page


def test_compare_flags_slowdowns_beyond_threshold_and_noise() -> None:
    base = cells(_store([("p", "s", "optimal", 1.0), ("q", "s", "optimal", 1.0), ("q", "s", "optimal", 2.0)]).runs())
    slower = cells(_store([("p", "s", "optimal", 1.2), ("q", "s", "optimal", 1.8), ("q", "s", "optimal", 1.8)]).runs())
    result = compare_cells(base, slower, threshold=1.10)
    kinds = {(c.problem, c.kind) for c in result.changes}
    # p: 1.2x > 1.1x with no repeats -> slower; q: 1.2x but its repeats spread by 67% -> noise
    assert ("p", "slower") in kinds and not any(problem == "q" for problem, _ in kinds)
    assert result.regressed
    same = compare_cells(base, base)
    assert not same.regressed and same.compared == 2


def test_compare_min_time_ignores_clock_noise() -> None:
    base = cells(_store([("p", "s", "optimal", 0.010)]).runs())
    new = cells(_store([("p", "s", "optimal", 0.020)]).runs())
    assert not compare_cells(base, new).regressed  # 10 ms is below the default 0.1 s
    assert compare_cells(base, new, min_time=0.0).regressed


def test_compare_new_failures_and_wrong_results_gate() -> None:
    base = _store([("p", "s", "optimal", 1.0), ("q", "s", "optimal", 1.0), ("r", "s", "time_limit", 100.0)])
    new = _store([("p", "s", "time_limit", 100.0), ("q", "s", "wrong", 1.0), ("r", "s", "optimal", 5.0)])
    result = compare_stores(base, new)
    kinds = {c.problem: c.kind for c in result.changes if c.problem in ("p", "q", "r")}
    assert kinds == {"p": "newly_failed", "q": "newly_wrong", "r": "fixed"}
    assert result.regressed
    assert "Newly WRONG (1)" in result.text() and "Newly failed (1)" in result.text()


def test_store_exports(tmp_path) -> None:
    store = _store([("p", "s", "optimal", 1.0)])
    frame = store.to_pandas()
    assert list(frame["problem"]) == ["p"] and frame["wall_time_s"].iloc[0] == 1.0
    store.to_csv(tmp_path / "runs.csv")
    lines = (tmp_path / "runs.csv").read_text().splitlines()
    assert lines[0].startswith("id,batch_id,run_key,problem") and len(lines) == 2
