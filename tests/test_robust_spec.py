"""robustify on problems/robust_placement.yaml: the loop, the reports, the CLI and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from opt_model.cli import main
from opt_model.robust.loop import robustify
from opt_model.spec import load_spec, loads_spec
from tests.conftest import REPO

SPEC = REPO / "problems" / "robust_placement.yaml"


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return robustify(load_spec(SPEC), target=0.95, scenarios=400, seed=0, levels=[2, 3, 4, 6], refine=1)


def test_robust_plan_reaches_the_target_out_of_sample_and_costs_less_than_the_box(report) -> None:  # type: ignore[no-untyped-def]
    chosen = report.chosen
    assert report.passed and chosen is not None and chosen.method == "budget"
    assert chosen.feasible_probability >= 0.95
    low, high = chosen.feasible_interval
    assert 0.9 < low < chosen.feasible_probability < high  # the Wilson interval is reported
    assert report.to_dict()["out_of_sample"]["wilson_lower_bound"] == pytest.approx(low)
    box = report.box
    assert box is not None and box.feasible_probability >= chosen.feasible_probability
    assert chosen.objective > box.objective  # a maximisation: the budget plan gives up less value
    assert report.nominal.feasible_probability < 0.5 < chosen.feasible_probability
    assert report.nominal.objective == pytest.approx(320.0)


def test_the_chosen_level_is_the_cheapest_passing_one(report) -> None:  # type: ignore[no-untyped-def]
    rows = [row for row in report.price_of_robustness() if row["plan"] == "robust"]
    passing = [row for row in rows if row["passed"]]
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["objective"] == max(row["objective"] for row in passing)
    assert all(not row["passed"] for row in rows if row["level"] < chosen[0]["level"])
    # cost grows with protection
    objectives = [row["objective"] for row in sorted(rows, key=lambda row: row["level"])]
    assert all(a >= b - 1e-9 for a, b in zip(objectives, objectives[1:], strict=False))


def test_report_tables_agree_with_the_plan(report) -> None:  # type: ignore[no-untyped-def]
    chosen = report.chosen
    form = chosen.uncertainty.analysis.form
    resources = {r["resource"]: r for r in report.resources()}
    assert set(resources) == {"memory", "cpu"} and resources["memory"]["unit"] == "GiB"
    rows = chosen.uncertainty.analysis.row_indices("memory")
    used = float((form.A @ chosen.x)[rows].sum())
    assert resources["memory"]["robust_usage"] == pytest.approx(used)
    assert resources["memory"]["reserved"] == pytest.approx(120.0 - used)
    protected = report.protected_rows()
    assert [row["row"] for row in protected][:3] == ["memory[h1]", "memory[h2]", "memory[h3]"]
    for row in protected:  # a budget plan keeps at least its protection as headroom
        assert row["headroom"] >= row["protection"] - 1e-6
    payload = report.to_dict()
    assert payload["variables"]["share[train,h1]"] == pytest.approx(chosen.variable_values()["share[train,h1]"])
    assert payload["comparison"]["cost_difference"] == pytest.approx(320.0 - chosen.objective)
    assert payload["comparison"]["saving_vs_box"] == pytest.approx(chosen.objective - report.box.objective)


def test_spec_robust_section_supplies_the_defaults() -> None:
    text = SPEC.read_text().replace("  method: budget\n", "  method: scenario\n  levels: [20, 200]\n")
    model = loads_spec(text, base_dir=SPEC.parent)
    result = robustify(model, scenarios=200, compare_box=False)
    assert result.method == "scenario"
    assert {plan.level for plan in result.tried} <= {20.0, 200.0, 110.0, 65.0}
    assert result.box is None


def test_cli_robustify_json_table_csv_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["robustify", str(SPEC), "--target", "0.9", "--scenarios", "150", "--levels", "2,4", "--refine", "0",
            "--no-box"]
    assert main([*args, "--format", "json", "--plot", str(tmp_path / "price.png")]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "optimal" and payload["passed"] is True and payload["target"] == 0.9
    assert payload["protection_level"] in (2.0, 4.0) and payload["objective_unit"] == "USD/h"
    assert payload["out_of_sample"]["p_feasible"] >= 0.9 and len(payload["out_of_sample"]["interval"]) == 2
    assert {"share[train,h1]", "share[etl,h3]"} <= set(payload["variables"])
    assert payload["price_of_robustness"][0]["plan"] == "nominal"
    assert (tmp_path / "price.png").stat().st_size > 1000
    args = ["robustify", str(SPEC), "--target", "0.9", "--scenarios", "50", "--levels", "4", "--no-box"]
    assert main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("kind,name,plan,level") and any(line.startswith("level,") for line in lines)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Price of robustness" in text and "Capacity held in reserve" in text and "memory[h1]" in text


def test_cli_exit_codes_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an impossible target: no level passes -> exit 1
    assert main(["robustify", str(SPEC), "--target", "0.999", "--scenarios", "100", "--levels", "0.5",
                 "--no-box", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] is False
    assert main(["robustify", str(SPEC), "--target", "1.5"]) == 2
    assert "--target" in capsys.readouterr().err
    plain = REPO / "problems" / "power_capping.yaml"
    assert main(["robustify", str(plain)]) == 2
    assert "no uncertainty: section" in capsys.readouterr().err
    assert main(["robustify", str(SPEC), "--levels", "a,b"]) == 2
    assert "--levels" in capsys.readouterr().err
    assert main(["robustify", str(SPEC), "--method", "saa", "--saa-eps", "1.5"]) == 2
    assert "--saa-eps" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text().replace("  method: budget\n", "  method: octahedron\n"))
    assert main(["robustify", str(bad)]) == 2
    assert "octahedron" in capsys.readouterr().err


def test_wilson_interval_of_the_chosen_plan_matches_the_samples(report) -> None:  # type: ignore[no-untyped-def]
    evaluation = report.chosen.evaluation
    feasible = evaluation.samples["nominal_feasible"].to_numpy()
    assert feasible.size == 400 and np.mean(feasible) == pytest.approx(report.chosen.feasible_probability)
