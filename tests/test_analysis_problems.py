"""`opt-model sensitivity` and `robustness` accept every spec in problems/ (MILP, network, priorities, cone).

Exit 0, with the objective's unit in every bottleneck sentence; `robustness` exits 1 only when the
spec's own `validation:` thresholds fail (the verdict is printed).  The lifecycle runs the same
analyses (tests/test_lifecycle_cli.py runs it on the specs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opt_model import cli
from opt_model.formatting import objective_unit_text
from opt_model.spec import load_spec

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.yaml"))


@pytest.mark.parametrize("spec", PROBLEMS, ids=lambda p: p.stem)
def test_sensitivity_and_robustness_run_on_every_spec(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sensitivity", str(spec), "--bottlenecks"]) == 0
    out = capsys.readouterr().out
    assert "Bottlenecks (" in out and " -0 " not in out
    unit = objective_unit_text(load_spec(spec).metadata.get("objective_unit"))
    levels = load_spec(spec).metadata.get("lexicographic")
    if levels:
        unit = objective_unit_text(levels[-1].unit)
    sentences = [line for line in out.splitlines() if " is binding: " in line]
    if unit:
        assert all(f" {unit}" in line for line in sentences), sentences
    code = cli.main(["robustness", str(spec), "--scenarios", "8", "--no-progress"])
    out = capsys.readouterr().out
    assert out.startswith("Robustness (")
    assert code == 0 or (code == 1 and "validation: FAIL" in out)
