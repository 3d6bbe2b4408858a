"""Objectives by priority (issues 10 and 11): typed ``Model.objectives``, the lexicographic transform,
and the stage every analysis looks at, checked against brute-force re-solves of that stage."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import opt_model as om
from opt_model.errors import ModelError
from opt_model.formatting import format_number
from opt_model.multiobjective import Lexicographic, LexicographicResult, solve_lexicographic
from opt_model.objectives import Objective
from solvers import SolveStatus, open_session
from solvers import solve as solve_form

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "problems" / "cost_then_energy.yaml"


def _two_objectives() -> tuple[om.Model, Any, Any]:
    m = om.Model("tradeoff")
    x = m.add_variable("x", ub=4)
    y = m.add_variable("y", ub=4)
    m.add_constraint("budget", x + y <= 5)
    return m, x, y


# Model.objectives ---------------------------------------------------------------------------------------

def test_objectives_are_typed_ordered_by_priority_and_drive_solve() -> None:
    m, x, y = _two_objectives()
    m.objectives.add(y, "maximize", name="second", priority=2, unit="kWh")
    m.objectives.add(x, "maximize", name="first", priority=1, tolerance=0.25, unit="USD")
    assert m.objectives.names == ["first", "second"]
    assert [o.priority for o in m.objectives] == [1, 2]
    assert m.objectives["first"].tolerance == 0.25 and m.objectives[1].unit == "kWh"
    assert m.objective is m.objectives[0].expr and m.sense == "maximize"   # the first priority (MPS export)
    assert m.objective_unit == "kWh"                                        # the objective solve returns
    result = m.solve()
    assert isinstance(result, LexicographicResult)
    # x at its best (4), held >= 3 (25 %); then y = 5 - x at most 2
    assert [round(v, 6) for v in result.objectives] == [4.0, 2.0]
    assert [s.unit for s in result.stages] == ["USD", "kWh"] and result.objective_unit == "kWh"
    m.maximize(x + y, unit="EUR")                                           # one objective again
    assert len(m.objectives) == 1 and not m.objectives.lexicographic and m.objective_unit == "EUR"
    assert m.solve().objective == pytest.approx(5.0)


def test_bad_objectives_are_refused_with_the_fix() -> None:
    m, x, y = _two_objectives()
    m.objectives.add(x, name="a", priority=1)
    with pytest.raises(ModelError, match="share priority 1; combine them"):
        m.objectives.add(y, name="b", priority=1)
    with pytest.raises(ModelError, match="two objectives are named 'a'"):
        m.objectives.add(y, name="a")
    with pytest.raises(ModelError, match="sense"):
        m.objectives.add(y, "largest")
    with pytest.raises(ModelError, match="tolerance"):
        m.objectives.add(y, tolerance=-0.1)
    other = om.Model()
    z = other.add_variable("z")
    with pytest.raises(ModelError, match="another model"):
        m.objectives.add(z, name="z")
    assert m.objectives.names == ["a"]                          # nothing half-added
    m.objectives.add(y, name="b")
    with pytest.raises(ModelError, match=r"stage 'c': no objective of that name; the stages are 1 \(a\), 2 \(b\)"):
        m.objectives.stage_number("c")
    with pytest.raises(ModelError, match="stages 1 to 2"):
        m.objectives.stage_number(3)


def test_metadata_keys_still_work_with_a_deprecation_warning() -> None:
    m, x, y = _two_objectives()
    with pytest.warns(DeprecationWarning, match=r"metadata\['lexicographic'\] is deprecated: use model.objectives"):
        m.metadata["lexicographic"] = [Objective(x, "maximize", 0.25, name="x"), Objective(y, "maximize", name="y")]
    assert m.objectives.names == ["x", "y"]
    with pytest.warns(DeprecationWarning):
        levels = m.metadata["lexicographic"]
    assert [o.name for o in levels] == ["x", "y"]
    with pytest.warns(DeprecationWarning, match="model.objective_unit"):
        m.metadata["objective_unit"] = "USD"
    assert m.objective_unit == "USD"
    with pytest.warns(DeprecationWarning):
        assert m.metadata.get("objective_unit") == "USD"
    assert [round(v, 6) for v in m.solve().objectives] == [4.0, 2.0]
    m.metadata["note"] = "other keys are plain"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.metadata["note"] == "other keys are plain"
    single = om.Model()
    s = single.add_variable("s", ub=1)
    with pytest.warns(DeprecationWarning):
        single.metadata["objective_unit"] = "GiB"          # before the objective, as docs do
    single.maximize(s)
    assert single.solve().objective_unit == "GiB"


# the transform ------------------------------------------------------------------------------------------

def test_stage_forms_are_the_stages_solved() -> None:
    """Each stage form, solved on its own, gives the stage's optimum; the last is the result's form."""
    model = om.load_spec(SPEC)
    transform = Lexicographic(model)
    result = transform.solve()
    optima = [stage.objective for stage in result.stages]
    for k in (1, 2):
        form = transform.stage_form(k, optima)
        held = [block.name for block in form.row_names.blocks if block.name.startswith("hold_")]
        assert held == [f"hold_{name}" for name in transform.names[:k - 1]]
        assert solve_form(form).objective == pytest.approx(optima[k - 1], rel=1e-9)
    assert result.compiled.form.num_rows == transform.base.num_rows + 1
    # the bill is held within its 3 % tolerance while energy is minimised
    assert result.value(model.objectives["bill"].expr) <= optima[0] * 1.03 * (1 + 1e-8)
    # solve_lexicographic and Model.solve go through the same transform
    assert solve_lexicographic(model).objectives == pytest.approx(optima, rel=1e-12)
    assert model.solve().objectives == pytest.approx(optima, rel=1e-12)


def test_stage_sequence_re_runs_the_stages_of_a_changed_model() -> None:
    """A session on the stage form re-runs the earlier stages after a change: same as solving it all afresh."""
    model = om.load_spec(SPEC)
    transform = Lexicographic(model)
    base = transform.base
    rows = [k for k, name in enumerate(base.constraint_names().names()) if name.startswith("vcpus[")]
    nominal = transform.solve()
    session = open_session(nominal.compiled.form, "highs", {})
    sequence = transform.sequence()
    for factor in (0.8, 0.9, 1.1):
        upper = base.row_upper.copy()
        upper[rows] *= factor
        session.change_row_bounds(np.array(rows), base.row_lower[rows], upper[rows])
        assert sequence.run(session) is None
        warm = session.solve()
        changed = dataclasses.replace(transform.compiled, form=dataclasses.replace(base, row_upper=upper))
        fresh = Lexicographic(model, compiled=changed).solve()
        assert fresh.status is SolveStatus.OPTIMAL
        assert warm.objective == pytest.approx(fresh.objective, rel=1e-7)
    # a capacity that leaves no room: the first stage is infeasible and says so
    upper = base.row_upper.copy()
    upper[rows] *= 0.1
    session.change_row_bounds(np.array(rows), base.row_lower[rows], upper[rows])
    assert sequence.run(session) is SolveStatus.INFEASIBLE


# specs produce and consume typed objectives ------------------------------------------------------------

def test_spec_objectives_are_typed_and_survive_export() -> None:
    model = om.load_spec(SPEC)
    objectives = model.objectives
    assert objectives.names == ["bill", "energy"]
    assert [o.unit for o in objectives] == ["USD", "kWh"]
    assert [o.priority for o in objectives] == [1, 2]
    assert objectives["bill"].tolerance == 0.03 and objectives["energy"].tolerance == 0.0
    again = om.loads_spec(model.to_spec())
    assert again.objectives.names == ["bill", "energy"]
    assert [o.tolerance for o in again.objectives] == [0.03, 0.0]
    assert again.solve().objectives == pytest.approx(model.solve().objectives, rel=1e-9)


# which stage each analysis looks at, labelled with that stage's objective ------------------------------

def _stage_truth(model: om.Model, number: int) -> tuple[Any, Any]:
    transform = Lexicographic(model)
    result = transform.solve(upto=number)
    return transform, result


@pytest.mark.parametrize("stage", [1, "energy"])
def test_robustness_numbers_are_those_of_the_stage_form_perturbed(stage: int | str) -> None:
    """Every scenario's objective is the brute-force re-solve of that stage's form with the scenario's capacity."""
    from opt_model.sensitivity import Uncertain, capacity, relative, robustness
    model = om.load_spec(SPEC)
    number = 1 if stage == 1 else 2
    name, unit = ("bill", "USD") if number == 1 else ("energy", "kWh")
    _, truth = _stage_truth(model, number)
    report = robustness(model, [Uncertain(capacity("vcpus"), relative(8), per_entry=False)], scenarios=12, seed=3,
                        progress=False, stage=stage)
    assert report.stage.startswith(f"stage {number} of 2: {name} in {unit}") and report.objective_unit == unit
    assert report.nominal_objective == pytest.approx(truth.objective, rel=1e-7)
    text = report.to_text()
    assert f"nominal objective {format_number(report.nominal_objective)} {unit}" in text
    form = truth.compiled.form
    rows = [k for k, row in enumerate(form.constraint_names().names()) if row.startswith("vcpus[")]
    assert report.results is not None and report.results.factor_values is not None
    for k, factor in enumerate(report.results.factor_values[:, 0].tolist()):
        upper = form.row_upper.copy()
        upper[rows] *= factor
        fresh = solve_form(dataclasses.replace(form, row_upper=upper))
        if fresh.status is SolveStatus.OPTIMAL:
            assert report.samples["objective"][k] == pytest.approx(fresh.objective, rel=1e-6)
        else:
            assert report.samples["status"][k] != "optimal"


@pytest.mark.parametrize("stage", ["1", "bill", "2"])
def test_cli_labels_are_those_of_the_stage_solved(stage: str, capsys: pytest.CaptureFixture[str]) -> None:
    from opt_model.cli import main
    model = om.load_spec(SPEC)
    number = 1 if stage in ("1", "bill") else 2
    name, unit = ("bill", "USD") if number == 1 else ("energy", "kWh")
    _, truth = _stage_truth(model, number)
    assert main(["sensitivity", str(SPEC), "--stage", stage, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["stage"].startswith(f"stage {number} of 2: {name} in {unit}")
    assert payload["objective"] == pytest.approx(truth.objective, rel=1e-9)
    assert main(["sensitivity", str(SPEC), "--stage", stage]) == 0
    out = capsys.readouterr().out
    assert f"objective = {format_number(truth.objective, 10)} {unit}" in out
    assert main(["robustness", str(SPEC), "--stage", stage, "--scenarios", "8", "--format", "json"]) in (0, 1)
    robust = json.loads(capsys.readouterr().out)
    assert robust["stage"].startswith(f"stage {number} of 2: {name}") and robust["objective_unit"] == unit
    assert robust["nominal_objective"] == pytest.approx(truth.objective, rel=1e-7)


def test_an_unknown_stage_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    from opt_model.cli import main
    for command in (["sensitivity"], ["robustness", "--scenarios", "4"]):
        assert main([command[0], str(SPEC), *command[1:], "--stage", "carbon"]) == 2
        assert "no objective of that name; the stages are 1 (bill), 2 (energy)" in capsys.readouterr().err


@pytest.mark.parametrize("stage", [1, None])
def test_lifecycle_analyses_and_labels_the_chosen_stage(stage: int | None, tmp_path: Path) -> None:
    """The lifecycle's analysis and validation are of the chosen stage: sentences re-solved, labels and units."""
    from opt_model.lifecycle import lifecycle
    from tests.test_analysis_truth import check_sentences
    model = om.load_spec(SPEC)
    number = 1 if stage == 1 else 2
    name, unit = ("bill", "USD") if number == 1 else ("energy", "kWh")
    _, truth = _stage_truth(model, number)
    report = lifecycle(SPEC, out=tmp_path, samples=12, solvers=["highs"], progress=False, global_method="none",
                       stage=stage)
    analysis, validation = report.analysis, report.validation
    assert analysis is not None and validation is not None and validation.robustness is not None
    assert analysis.stage.startswith(f"stage {number} of 2: {name} in {unit}") and analysis.objective_unit == unit
    assert analysis.sensitivity.objective == pytest.approx(truth.objective, rel=1e-9)
    assert analysis.messages and all(f" {unit}" in message for message in analysis.messages)
    assert check_sentences(analysis.bottlenecks, analysis.sensitivity) >= 1       # brute force, that stage's form
    assert validation.objective_name == f"{name} (stage {number} of 2)" and validation.objective_unit == unit
    assert validation.robustness.nominal_objective == pytest.approx(truth.objective, rel=1e-7)
    assert ("--stage 1" in validation.reproduce_command) == (stage == 1)
    text = report.to_text()
    assert f"Analysis: at stage {number} of 2: {name} in {unit}" in text
    assert f"re-optimised objective: {name} (stage {number} of 2)" in text
    markdown = Path(report.files["markdown"]).read_text()
    assert f"the analysis is of stage {number} of 2: {name} in {unit}" in markdown
    # the plan reported by the baseline is always the whole sequence's (the last stage)
    assert report.baseline is not None and report.baseline.objective_unit == "kWh"


def test_robustness_can_re_solve_every_stage_per_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """stages='all': each scenario is the whole lexicographic solve of the perturbed model (brute force)."""
    from opt_model.cli import main
    from opt_model.sensitivity import Uncertain, capacity, relative, robustness
    model = om.load_spec(SPEC)
    params = [Uncertain(capacity("vcpus"), relative(30), per_entry=False)]
    held = robustness(model, params, scenarios=16, seed=5, progress=False)
    every = robustness(model, params, scenarios=16, seed=5, progress=False, stages="all")
    assert every.stage == "stage 2 of 2: energy in kWh, earlier stages held, every stage re-solved per scenario"
    assert every.nominal_objective == pytest.approx(held.nominal_objective, rel=1e-9)
    transform = Lexicographic(model)
    base = transform.base
    rows = [k for k, name in enumerate(base.constraint_names().names()) if name.startswith("vcpus[")]
    assert every.results is not None and every.results.factor_values is not None
    differ = 0
    for k, factor in enumerate(every.results.factor_values[:, 0].tolist()):
        upper = base.row_upper.copy()
        upper[rows] *= factor
        changed = dataclasses.replace(transform.compiled, form=dataclasses.replace(base, row_upper=upper))
        fresh = Lexicographic(model, compiled=changed).solve()
        assert every.samples["status"][k] == fresh.status.value, (factor, fresh.stages)
        if fresh.status is SolveStatus.OPTIMAL:
            assert every.samples["objective"][k] == pytest.approx(fresh.objective, rel=1e-6)
        differ += held.samples["status"][k] != every.samples["status"][k]
    # holding the nominal bill makes some scenarios infeasible that re-optimising the bill first solves
    assert differ >= 1 and every.status_counts.get("optimal", 0) > held.status_counts.get("optimal", 0)
    assert main(["robustness", str(SPEC), "--all-stages", "--scenarios", "8", "--format", "json"]) in (0, 1)
    payload = json.loads(capsys.readouterr().out)
    assert payload["stage"].endswith("every stage re-solved per scenario") and payload["objective_unit"] == "kWh"
    with pytest.raises(ModelError, match="stages='x'"):
        robustness(model, params, scenarios=2, progress=False, stages="x")


@pytest.mark.parametrize("spec", ["cost_then_energy", "bandwidth_maxmin"])
@pytest.mark.parametrize("stage", ["1", "2"])
def test_every_lexicographic_spec_is_analysed_at_either_stage(spec: str, stage: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Default perturbations are those of the analysed stage (a stage whose costs are 0 elsewhere still runs)."""
    from opt_model.cli import main
    path = REPO / "problems" / f"{spec}.yaml"
    model = om.load_spec(path)
    number = int(stage)
    objective = model.objectives[number - 1]
    _, truth = _stage_truth(model, number)
    assert main(["sensitivity", str(path), "--stage", stage, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stage"].startswith(f"stage {number} of 2: {objective.name}")
    assert report["objective"] == pytest.approx(truth.objective, rel=1e-9)
    for extra in ([], ["--all-stages"]):
        assert main(["robustness", str(path), "--stage", stage, "--scenarios", "6", "--format", "json", *extra]) \
            in (0, 1)
        robust = json.loads(capsys.readouterr().out)
        assert robust["stage"].startswith(f"stage {number} of 2: {objective.name}")
        assert robust["objective_unit"] == objective.unit
        assert robust["nominal_objective"] == pytest.approx(truth.objective, rel=1e-7)


@pytest.mark.parametrize("stage", [1, None])
def test_tornado_and_morris_take_the_stage(stage: int | None) -> None:
    from opt_model.sensitivity import Uncertain, capacity, relative
    from opt_model.sensitivity.global_sa import morris
    from opt_model.sensitivity.tornado import tornado
    model = om.load_spec(SPEC)
    number = 1 if stage == 1 else 2
    _, truth = _stage_truth(model, number)
    params = [Uncertain(capacity("vcpus"), relative(10), per_entry=False)]
    table = tornado(model, params, stage=stage)
    row = table.iloc[0]
    assert row["objective_unit"] == ("USD" if number == 1 else "kWh")
    assert row["nominal_objective"] == pytest.approx(truth.objective, rel=1e-7)
    form = truth.compiled.form
    rows = [k for k, name in enumerate(form.constraint_names().names()) if name.startswith("vcpus[")]
    for end in ("low", "high"):
        upper = form.row_upper.copy()
        upper[rows] *= row[f"factor_{end}"]
        assert row[f"objective_{end}"] == pytest.approx(solve_form(dataclasses.replace(form, row_upper=upper))
                                                       .objective, rel=1e-7)
    screening = morris(model, params, trajectories=3, progress=False, stage=stage)
    assert screening.ranking() == ["rhs of vcpus"]


def test_a_sweep_of_stage_one_is_that_stage_re_solved() -> None:
    from opt_model.sensitivity import capacity
    from opt_model.sensitivity.sweep import parametric_sweep
    model = om.load_spec(SPEC)
    _, truth = _stage_truth(model, 1)
    sweep = parametric_sweep(model, capacity("vcpus", site="dublin"), 250, 330, progress=False, stage="bill")
    form = truth.compiled.form
    row = form.constraint_names().names().index("vcpus[dublin]")
    for value in (260.0, 300.0, 330.0):
        upper = form.row_upper.copy()
        upper[row] = value
        assert sweep.objective_at(value) == pytest.approx(
            solve_form(dataclasses.replace(form, row_upper=upper)).objective, rel=1e-7)
