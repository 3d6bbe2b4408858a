"""The example problems: each spec's expected optimum is reproduced by opt-model and by an
independent hand-written model (``tests/spec_references.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from opt_model.cli import main
from opt_model.spec import load_spec, validate_spec

from .spec_references import PROBLEMS, REFERENCES, bandwidth_maxmin, cost_then_energy, overcommitted_is_infeasible

SPECS = sorted(PROBLEMS.glob("*.yaml"))


def _expected(spec: Path) -> dict:
    return yaml.safe_load(spec.read_text())["expected"]


def _needs(spec: Path) -> None:
    """Skip the exponential-cone problem when no conic backend (CVXPY) is installed."""
    if spec.stem == "bandwidth_fairness":
        pytest.importorskip("cvxpy")


def _tolerance(expected: dict) -> float:
    return float(expected.get("tolerance", 1e-7))


def test_there_are_enough_problems_each_described_in_the_readme() -> None:
    assert len(SPECS) >= 10
    readme = (PROBLEMS / "README.md").read_text()
    for spec in [*SPECS, *PROBLEMS.glob("infeasible/*.yaml")]:
        assert f"`{spec.relative_to(PROBLEMS)}`" in readme, spec.name
    assert {spec.stem for spec in SPECS} == set(REFERENCES)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_expected_objective_matches_the_independent_reference(spec: Path) -> None:
    _needs(spec)
    expected = _expected(spec)
    assert expected["status"] == "optimal"
    assert REFERENCES[spec.stem]() == pytest.approx(expected["objective"], rel=_tolerance(expected), abs=1e-9)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_spec_solves_to_its_expected_objective(spec: Path) -> None:
    _needs(spec)
    assert validate_spec(spec) == []
    model = load_spec(spec)
    result = model.solve()
    expected = _expected(spec)
    assert result.status.value == expected["status"]
    assert result.objective == pytest.approx(expected["objective"], rel=_tolerance(expected), abs=1e-9)
    if "objectives" in expected:
        assert result.objectives == pytest.approx(expected["objectives"], rel=1e-7)


def test_stage_objectives_match_the_references() -> None:
    assert load_spec(PROBLEMS / "bandwidth_maxmin.yaml").solve().objectives == \
        pytest.approx(list(bandwidth_maxmin()), rel=1e-7)
    assert load_spec(PROBLEMS / "cost_then_energy.yaml").solve().objectives == \
        pytest.approx(list(cost_then_energy()), rel=1e-7)


def test_the_overcommitted_spec_is_valid_but_infeasible() -> None:
    spec = PROBLEMS / "infeasible" / "overcommitted.yaml"
    assert overcommitted_is_infeasible()
    assert validate_spec(spec) == []
    assert _expected(spec)["status"] == "infeasible"
    assert load_spec(spec).solve().status.value == "infeasible"


def _has_solve_command() -> bool:
    from opt_model.cli import build_parser
    return "solve" in build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]


@pytest.mark.skipif(not _has_solve_command(), reason="the solve command is not in this build")
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_cli_solve_reproduces_the_expected_objective(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _needs(spec)
    code = main(["solve", str(spec), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    payload = json.loads(out)
    expected = _expected(spec)
    assert payload["objective"] == pytest.approx(expected["objective"], rel=_tolerance(expected), abs=1e-9)
