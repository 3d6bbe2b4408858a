"""The lifecycle's parts: spec sections, the solver choice, default perturbations, repair, Pareto,
and the Python API (``opt_model.lifecycle.lifecycle``) on models built in Python and on specs with sections."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import opt_model as om
from opt_model.errors import SpecError
from opt_model.lifecycle import LifecycleReport, lifecycle
from opt_model.lifecycle.implementation import solver_section
from opt_model.lifecycle.pareto import pareto_front
from opt_model.lifecycle.repair import apply_relaxation
from opt_model.lifecycle.source import load_source
from opt_model.lifecycle.strategy import choose
from opt_model.lifecycle.validation import default_parameters
from opt_model.multiobjective import Objective
from opt_model.sensitivity import AnalysisModel, diagnose_infeasibility
from tests.conftest import REPO

SPEC_WITH_SECTIONS = """\
version: 1
name: two_hosts
description: Place work on two hosts with limited memory.
dims:
  host: [h1, h2]
data:
  value: {dims: [host], values: {h1: 3, h2: 1}}
variables:
  x: {dims: [host], upper: 10}
uncertainty:
  - {target: capacity, of: memory, labels: {host: h1}, distribution: relative, percent: 20}
  - {target: cost, of: x, distribution: uniform, low: 0.9, high: 1.1, relative: true}
resources:
  memory: {unit: GiB, capacity: {h1: 4 GiB, h2: 8 GiB}, usage: "2 GiB * x"}
validation:
  min_feasible_probability: 0.99
  max_objective_cv: 0.5
objective:
  maximize: "sum(value * x)"
"""


def wyndor() -> om.Model:
    """Wyndor Glass with its plants as resources: optimum 36, plant2 and plant3 binding."""
    m = om.Model("wyndor")
    x1 = m.add_variable("x1")
    x2 = m.add_variable("x2")
    m.add_resource("plant1", unit="h", capacity=4).add_usage(1.0 * x1)
    m.add_resource("plant2", unit="h", capacity=12).add_usage(2.0 * x2)
    m.add_resource("plant3", unit="h", capacity=18).add_usage(3.0 * x1 + 2.0 * x2)
    m.maximize(3 * x1 + 5 * x2)
    return m


# ----------------------------------------------------------------------------------------------
# spec sections
# ----------------------------------------------------------------------------------------------

def test_mistakes_in_the_sections_are_input_errors_with_their_lines(tmp_path: Path) -> None:
    cases = [("max_objective_cv", "max_objective_cvv", r"typo.yaml:17:3: unknown key 'max_objective_cvv'"),
             ("percent: 20", "percent: -20", r"typo.yaml:11:5: uncertainty\[0\]: relative perturbation"),
             ("of: memory", "of: memroy", r"typo.yaml:11:5: uncertainty\[0\]: unknown constraint or resource "
                                          r"'memroy'; did you mean 'memory'\?")]
    for old, new, message in cases:
        typo = tmp_path / "typo.yaml"
        typo.write_text(SPEC_WITH_SECTIONS.replace(old, new))
        with pytest.raises(SpecError, match=message):
            load_source(typo)


def test_sections_reach_the_model_where_the_sensitivity_commands_look(tmp_path: Path) -> None:
    from opt_model.sensitivity.problem import spec_section

    path = tmp_path / "two_hosts.yaml"
    path.write_text(SPEC_WITH_SECTIONS)
    source = load_source(path)
    assert source.thresholds == {"min_feasible_probability": 0.99, "max_objective_cv": 0.5}
    assert [entry["of"] for entry in source.uncertainty or []] == ["memory", "x"]
    assert spec_section(source.model, "validation") == {"min_feasible_probability": 0.99, "max_objective_cv": 0.5}
    assert source.model.solve().objective == pytest.approx(10.0)  # 2 on h1 (memory), 4 on h2


# ----------------------------------------------------------------------------------------------
# the parts
# ----------------------------------------------------------------------------------------------

def test_the_fastest_agreeing_configuration_wins_and_ties_keep_the_default() -> None:
    runs = pd.DataFrame({"solver": ["highs", "highs:ipm", "highs:pdlp", "pyomo:cbc"],
                         "agrees": [True, True, False, True], "wall_time_s": [1.00, 0.50, 0.01, 0.52]})
    assert choose(runs, "highs")[0] == "highs:ipm"  # pdlp is faster but wrong
    assert choose(runs, "pyomo:cbc")[0] == "pyomo:cbc"  # within 10 % of the fastest: a tie, the default stays
    assert choose(runs.assign(agrees=False), "highs")[0] == "highs"
    assert "no configuration" in choose(runs.assign(agrees=False), "highs")[1]


def test_default_perturbations_cover_capacities_costs_and_bounds() -> None:
    entries, why = default_parameters(AnalysisModel.from_model(wyndor()))
    assert [(e["target"], e["of"], e["percent"]) for e in entries] == [
        ("capacity", "plant1", 10.0), ("capacity", "plant2", 10.0), ("capacity", "plant3", 10.0),
        ("cost", "x1", 10.0), ("cost", "x2", 10.0)]
    assert "+-10 %" in why
    # no resources: the limits of inequality constraints; a block with some zero costs: entry by entry
    m = om.Model()
    item = om.Dim("item", ["a", "b", "c"])
    x = m.add_variables("x", dims=item, ub=5)
    m.add_constraints("total", x.sum() <= 8)
    m.add_constraints("each", x.sum() == 4)
    m.maximize((om.data({"a": 2.0, "b": 0.0, "c": 1.0}, dims=item) * x).sum())
    entries, why = default_parameters(AnalysisModel.from_model(m), percent=5)
    assert [(e["target"], e["of"]) for e in entries] == [("capacity", "total"), ("cost", "x[a]"), ("cost", "x[c]"),
                                                         ("upper", "x")]
    assert "the limit of every inequality constraint, cost and variable upper bound" in why
    # the epigraph variables of convex atoms are not prices
    fairness = om.load_spec(REPO / "problems" / "bandwidth_fairness.yaml")
    entries, _ = default_parameters(AnalysisModel.from_model(fairness))
    assert [(e["target"], e["of"]) for e in entries] == [("capacity", "link")]


def test_repair_applies_the_smallest_relaxation_to_a_copy() -> None:
    model = om.load_spec(REPO / "problems" / "infeasible" / "overcommitted.yaml")
    fix = diagnose_infeasibility(model).relaxation
    repaired, applied = apply_relaxation(model, fix.changes)
    assert [(c.group, c.amount, c.new - c.old) for c in applied] == [("memory", 32.0, 32.0)]
    assert repaired.solve().status.value == "optimal"
    assert model.solve().status.value == "infeasible"  # the original is untouched
    # a requirement (>= row) is lowered
    m = om.Model()
    x = m.add_variable("x", ub=3)
    m.add_constraint("need", x >= 5)
    m.minimize(x)
    fixed, (change,) = apply_relaxation(m, diagnose_infeasibility(m).relaxation.changes)
    assert (change.bound, change.old, change.new) == ("lower", 5.0, 3.0)
    assert fixed.solve().objective == pytest.approx(3.0)


def test_pareto_front_matches_the_lexicographic_ends() -> None:
    model = om.load_spec(REPO / "problems" / "cost_then_energy.yaml")
    levels = model.objectives[:]
    front = pareto_front(model, points=5, chosen=model.solve())
    strict = om.solve_lexicographic(model, [Objective(o.expr, o.sense, name=o.name) for o in levels])
    reverse = om.solve_lexicographic(model, [Objective(o.expr, o.sense, name=o.name) for o in levels[::-1]])
    points = front.points
    assert front.warm and front.solves == 4 + 3
    assert points["first"].iloc[0] == pytest.approx(strict.objectives[0], rel=1e-8)
    assert points["second"].iloc[0] == pytest.approx(strict.objectives[1], rel=1e-7)
    assert points["second"].iloc[-1] == pytest.approx(reverse.objectives[0], rel=1e-8)
    assert points["first"].iloc[-1] == pytest.approx(reverse.objectives[1], rel=1e-7)
    assert (np.diff(points["second"]) < 0).all()  # more bill buys less energy
    # the spec's own choice (3 % more bill) is on the front: below the chord of its neighbours, above the next point
    chosen_first, chosen_second = front.chosen
    assert chosen_first == pytest.approx(135.488 * 1.03, rel=1e-6)
    after = int(np.searchsorted(points["first"], chosen_first))
    assert chosen_second <= np.interp(chosen_first, points["first"], points["second"]) + 1e-9
    assert points["second"].iloc[after] < chosen_second < points["second"].iloc[after - 1]


def test_solver_section_pastes_into_the_spec() -> None:
    text = (REPO / "problems" / "vm_placement.yaml").read_text()
    snippet = solver_section("highs:ipm", {"time_limit": 60.0, "mip_gap": 1e-6}, "chosen by a test")
    assert snippet.startswith("# chosen by a test\nsolver: highs:ipm\n")
    kept = "\n".join(line for line in text.splitlines() if not re.match(r"^(solver|options):", line))
    model = om.loads_spec(kept + "\n" + snippet, base_dir=REPO / "problems")
    assert model.solver == "highs:ipm" and model.solver_options == {"time_limit": 60.0, "mip_gap": 1e-6}


# ----------------------------------------------------------------------------------------------
# the Python API
# ----------------------------------------------------------------------------------------------

def test_python_api_on_a_model_built_in_python(tmp_path: Path) -> None:
    report = lifecycle(wyndor(), out=tmp_path, samples=40, solvers=["highs", "highs:ipm"], repeats=1,
                       thresholds={"min_feasible_probability": 0.9}, progress=False)
    assert isinstance(report, LifecycleReport)
    assert report.baseline is not None and report.baseline.objective == 36.0
    assert report.baseline.problem is not None and report.baseline.problem.kind == "file"
    table = report.analysis.table.set_index("name") if report.analysis is not None else None
    assert table is not None
    assert table.loc["plant2", "shadow_price"] == pytest.approx(1.5) and table.loc["plant3", "shadow_price"] == 1.0
    assert table.loc["plant1", "binding"] == False  # noqa: E712  (a numpy bool)
    assert report.strategy is not None and set(report.strategy.runs["solver"]) == {"highs", "highs:ipm"}
    assert report.implementation is not None and report.implementation.objective == pytest.approx(36.0)
    users = report.implementation.allocation.by_resource.set_index("resource").loc["plant3", "users"]
    assert [(name, round(amount, 9)) for name, _, amount in users] == [("x2", 12.0), ("x1", 6.0)]
    validation = report.validation
    assert validation is not None and not validation.declared
    # two of the three capacities bind: a plan kept fixed survives only when neither shrinks
    assert validation.robustness.feasible_probability < 0.9
    assert not validation.passed and report.exit_code == 1
    assert validation.monitor_command.startswith("opt_model.bench.monitor(model")
    html = (tmp_path / "report.html").read_text()
    assert "FAIL" in html and "min_feasible_probability" in html
    assert yaml.safe_load((tmp_path / "uncertainty.yaml").read_text())["uncertainty"] == validation.parameters


def test_python_api_uses_the_specs_sections(tmp_path: Path) -> None:
    spec = tmp_path / "two_hosts.yaml"
    spec.write_text(SPEC_WITH_SECTIONS)
    report = lifecycle(spec, out=tmp_path / "out", samples=40, solvers=["highs"], repeats=1, progress=False,
                       global_method="none")
    validation = report.validation
    assert validation is not None and validation.declared
    assert [entry["of"] for entry in validation.parameters] == ["memory", "x"]
    assert validation.robustness.parameters == ["rhs of memory[host=h1]", "cost of x"]
    assert [check.name for check in validation.verdict.checks] == ["min_feasible_probability", "max_objective_cv"]
    # the h1 memory limit binds, so the plan breaks whenever it shrinks: about half the scenarios
    assert 0.3 < validation.robustness.feasible_probability < 0.7
    assert not validation.passed and report.exit_code == 1
    assert report.baseline is not None and report.baseline.isolated_status == "optimal"
    # the robustness command reads the same sections from the spec and gives the same numbers
    from opt_model.cli import main

    command = validation.reproduce_command.split()
    assert "--uncertainty" not in command and "--threshold" not in " ".join(command)
    out = tmp_path / "robustness.json"
    assert main([*command[1:], "--no-progress", "--output", str(out)]) == 1  # the verdict fails there too
    theirs = json.loads(out.read_text())
    assert theirs["nominal_plan"] == validation.robustness.to_dict()["nominal_plan"]
    assert theirs["validation"] == validation.verdict.to_dict()
