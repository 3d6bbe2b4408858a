"""A spec's uncertainty: and validation: sections drive `opt-model robustness` (verdict and exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opt_model.cli import main

SPEC = """\
version: 1
name: wyndor
variables:
  x1: {{}}
  x2: {{}}
constraints:
  plant1: "x1 <= 4"
  plant2: "2 * x2 <= 12"
  plant3: "3 * x1 + 2 * x2 <= 18"
objective:
  maximize: "3 * x1 + 5 * x2"
uncertainty:
  - {{target: rhs, of: plant1, distribution: relative, percent: 10}}
  - {{target: rhs, of: plant2, distribution: relative, percent: 10}}
  - {{target: rhs, of: plant3, distribution: relative, percent: 10}}
validation:
  min_feasible_probability: {threshold}
"""


@pytest.mark.parametrize("threshold, code", [(0.2, 0), (0.9, 1)])
def test_spec_sections_give_verdict_and_exit_code(threshold: float, code: int, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "wyndor.yaml"
    spec.write_text(SPEC.format(threshold=threshold))
    assert main(["validate", str(spec)]) == 0
    capsys.readouterr()
    assert main(["robustness", str(spec), "--scenarios", "400", "--format", "json", "--no-progress"]) == code
    payload = json.loads(capsys.readouterr().out)
    assert payload["validation"]["passed"] is (code == 0)
    check = payload["validation"]["checks"][0]
    assert check["name"] == "min_feasible_probability" and check["threshold"] == threshold
    assert check["value"] == pytest.approx(0.25, abs=0.07)  # P(nominal Wyndor plan feasible) = 1/4


def test_bad_uncertainty_entry_is_a_spec_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.format(threshold=0.5).replace("distribution: relative", "distribution: gaussian", 1))
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "gaussian" in err
