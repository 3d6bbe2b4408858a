"""``opt-model lifecycle`` on every example spec, and its numbers against the individual commands.

The lifecycle runs once per spec (two at a time, as real command-line
processes); the tests then read the JSON it prints and the files it writes.
Known answers come from each spec's ``expected:`` block, read here with plain
PyYAML; the individual commands (``solve``, ``sensitivity``, ``robustness``,
``bench``, ``monitor``) are run as the user would run them.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shlex
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

SPECS = sorted((REPO / "problems").glob("*.yaml"))
INFEASIBLE = REPO / "problems" / "infeasible" / "overcommitted.yaml"
SAMPLES = 20
CLI = [sys.executable, "-m", "opt_model.cli"]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, as a user runs it."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


def lifecycle_main(spec: str, out: str) -> tuple[int, str, str]:
    """``opt-model lifecycle SPEC --format json`` through ``opt_model.cli.main``: exit code, stdout, stderr.

    Run in a worker process that has imported opt-model once (the command line
    minus the interpreter start-up), so that the thirteen lifecycles fit the
    test budget.
    """
    import contextlib
    import io

    from opt_model.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["lifecycle", spec, "--out", out, "--samples", str(SAMPLES), "--repeats", "1",
                     "--format", "json"])
    return code, stdout.getvalue(), stderr.getvalue()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    payload: dict[str, Any] | None
    out: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every spec's lifecycle, by spec name (two at a time on this 2-core machine)."""
    base = tmp_path_factory.mktemp("lifecycle")
    specs = [*SPECS, INFEASIBLE]
    outs = [base / spec.stem for spec in specs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = list(pool.map(lifecycle_main, map(str, specs), map(str, outs)))
    found = {}
    for spec, out, (code, stdout, stderr) in zip(specs, outs, results, strict=True):
        try:
            payload = json.loads(stdout)
        except ValueError:
            payload = None
        found[spec.stem] = Run(code, stdout, stderr, payload, out)
    return found


def expected_of(spec: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(spec.read_text()).get("expected") or {})


def close(value: float, reference: float, tolerance: float = 1e-6) -> bool:
    return abs(value - reference) <= tolerance * max(1.0, abs(reference))


@pytest.mark.parametrize("spec", SPECS, ids=lambda path: path.stem)
def test_lifecycle_runs_on_every_spec(runs: dict[str, Run], spec: Path) -> None:
    run = runs[spec.stem]
    payload, out = run.payload, run.out
    assert payload is not None, run.stderr[-2000:]
    # exit 1 only when the spec's own validation thresholds fail (robust_placement's nominal plan is not robust)
    validation = payload.get("validation") or {}
    failed_by_spec = bool(validation.get("thresholds")) and validation.get("passed") is False
    assert run.code == (1 if failed_by_spec else 0), run.stdout[-2000:] + run.stderr[-2000:]
    assert "opt-model lifecycle [5/5] validation" in run.stderr  # a progress line per phase
    assert [row["phase"] for row in payload["summary"]] == ["Baseline", "Analysis", "Strategy", "Implementation",
                                                            "Validation and monitoring"]
    expected = expected_of(spec)
    tolerance = float(expected.get("tolerance") or 1e-6)
    for phase in ("baseline", "implementation"):
        assert payload[phase]["status"] == "optimal"
        assert close(payload[phase]["objective"], float(expected["objective"]), tolerance), phase
    strategy = payload["strategy"]
    chosen = [run for run in strategy["runs"] if run["solver"] == strategy["chosen"]]
    assert chosen and chosen[0]["agrees"] and close(chosen[0]["objective"], float(expected["objective"]), tolerance)
    robustness = payload["validation"]["robustness"]
    assert robustness["scenarios"] == SAMPLES and sum(robustness["status_counts"].values()) == SAMPLES
    # the report: self-contained HTML, a Markdown twin whose figures exist, solver settings, the database
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and not re.search(r"(src|href)=['\"]?https?:", html)
    markdown = (out / "report.md").read_text()
    for figure in re.findall(r"\]\((figures/[^)]+)\)", markdown):
        assert (out / figure).is_file(), figure
    assert "## 5. Validation and monitoring" in markdown and "tornado.png" in markdown
    assert yaml.safe_load((out / "solver.yaml").read_text())["solver"] == strategy["chosen"]
    assert (out / "lifecycle.sqlite").is_file()


@pytest.mark.parametrize("name", ["cost_then_energy", "bandwidth_maxmin"])
def test_lexicographic_specs_get_a_pareto_front(runs: dict[str, Run], name: str) -> None:
    payload, out = runs[name].payload, runs[name].out
    assert payload is not None
    front = payload["strategy"]["pareto"]
    expected = expected_of(REPO / "problems" / f"{name}.yaml")["objectives"]
    first = [point["first"] for point in front["points"]]
    second = [point["second"] for point in front["points"]]
    # the front starts at the best first objective, and the spec's solution lies between its ends
    assert close(first[0], expected[0])
    assert min(first) - 1e-6 <= front["chosen"][0] <= max(first) + 1e-6
    assert close(front["chosen"][1], expected[1])
    if len(first) > 1:  # cost_then_energy trades bill against energy
        assert first == sorted(first) and second == sorted(second, reverse=True)
        assert (out / "figures" / "pareto.png").is_file()
    else:  # max-min fairness: the best floor already has the best throughput
        assert "no trade-off" in payload["summary"][2]["found"]


def test_infeasible_spec_is_diagnosed_repaired_and_goes_on(runs: dict[str, Run]) -> None:
    payload, out = runs["overcommitted"].payload, runs["overcommitted"].out
    assert payload is not None
    assert runs["overcommitted"].code == 1  # the spec as written has no solution
    analysis = payload["analysis"]
    assert payload["baseline"]["status"] == "infeasible"
    names = {entry["name"] for entry in analysis["infeasibility"]["iis"]}
    assert {"memory[h1]", "memory[h2]", "memory[h3]"} <= names
    (change,) = analysis["repair"]
    assert change["group"] == "memory" and change["resource"] and close(change["amount"], 32.0)
    # the repair really is what makes it feasible: apply it by hand and solve
    import opt_model as om
    from opt_model.labeled import LabeledArray

    model = om.load_spec(INFEASIBLE)
    memory = model.resources["memory"]
    values = memory.capacity.values.copy()
    values[list(memory.dims[0].labels).index(change["label"])] += 32.0
    memory.capacity = LabeledArray(values, memory.dims, "capacity")
    repaired = model.solve()
    assert repaired.status.value == "optimal"
    for phase, objective in (("analysis", analysis["repaired_objective"]),
                             ("implementation", payload["implementation"]["objective"])):
        assert close(objective, repaired.objective), phase
    assert payload["validation"]["robustness"]["scenarios"] == SAMPLES
    assert "repair" in (out / "report.html").read_text()


# ----------------------------------------------------------------------------------------------
# the same numbers as the individual commands
# ----------------------------------------------------------------------------------------------

def _parallel(*commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda args: run_cli(*args), commands))


def test_numbers_match_the_individual_commands(runs: dict[str, Run], tmp_path: Path) -> None:
    name = "production_planning"
    spec = REPO / "problems" / f"{name}.yaml"
    payload, out = runs[name].payload, runs[name].out
    assert payload is not None
    validation = payload["validation"]
    reproduce = shlex.split(validation["reproduce_command"])
    assert reproduce[:2] == ["opt-model", "robustness"]
    db = tmp_path / "bench.sqlite"
    solved, sensitivity, robust, bench = _parallel(
        ["solve", str(spec), "--format", "json"], ["sensitivity", str(spec), "--bottlenecks", "--format", "json"],
        reproduce[1:], ["bench", str(spec), "--solvers", "highs,highs:ipm", "--db", str(db), "--quiet"])
    for done in (solved, sensitivity, robust, bench):
        assert done.returncode == 0, done.stderr[-2000:]
    # solve: the baseline's objective and the implementation's allocation
    solve_json = json.loads(solved.stdout)
    assert payload["baseline"]["objective"] == solve_json["objective"]
    assert payload["baseline"]["status"] == solve_json["status"]
    # sensitivity: shadow prices, allowable ranges, degeneracy flags, bottleneck messages
    local = json.loads(sensitivity.stdout)
    assert payload["analysis"]["sensitivity"]["constraints"] == local["constraints"]
    assert payload["analysis"]["bottlenecks"]["messages"] == local["bottlenecks"]["messages"]
    table = {row["name"]: row for row in payload["analysis"]["table"]}
    for row in local["constraints"]:
        if row["name"] in table:
            assert table[row["name"]]["shadow_price"] == row["dual"]
            assert table[row["name"]]["rhs_upper"] == row["rhs_upper"]
    # robustness and global sensitivity, same seed: identical numbers
    mine, theirs = dict(validation["robustness"]), json.loads(robust.stdout)
    for item in (mine, theirs):
        item.pop("elapsed_s", None)
    assert mine == {key: value for key, value in theirs.items() if key not in ("global", "validation")}
    assert validation["global"]["indices"] == theirs["global"]["indices"]
    # bench: the same objective for the same solver configuration
    from opt_model.bench.storage import ResultStore

    with ResultStore(db) as store:
        bench_objective = {row["solver"]: row["objective"] for row in store.runs()}
    lifecycle_objective = {row["solver"]: row["objective"] for row in payload["strategy"]["runs"]}
    for solver in ("highs", "highs:ipm"):
        assert close(lifecycle_objective[solver], bench_objective[solver], 1e-9), solver
    with ResultStore(out / "lifecycle.sqlite") as store:
        rows = {row["run_key"]: row for row in store.runs()}
    assert rows[f"{name}.compiled|highs:ipm|0"]["objective"] == lifecycle_objective["highs:ipm"]
    assert rows[f"{name}|highs|0"]["problem_kind"] == "spec"  # the baseline run, as `opt-model bench SPEC` runs it


def test_monitor_works_against_the_lifecycle_baseline(runs: dict[str, Run], tmp_path: Path) -> None:
    placement = runs["vm_placement"].payload
    planning = runs["production_planning"].payload
    assert placement is not None and planning is not None
    command = shlex.split(placement["validation"]["monitor_command"])
    assert command[:2] == ["opt-model", "monitor"] and str(runs["vm_placement"].out / "lifecycle.sqlite") in command
    # the spec as it is: compared with the lifecycle's baseline, nothing moved
    data = command.index("--data")
    unchanged_args = command[1:data] + command[data + 2:] + ["--format", "json"]
    # 15 % less demand: the objective drifts beyond the 5 % threshold
    command = shlex.split(planning["validation"]["monitor_command"])
    demand = REPO / "problems" / "production_demand.csv"
    lines = demand.read_text().splitlines()
    smaller = [lines[0]] + [",".join([*row.split(",")[:2], str(int(row.split(",")[2]) * 85 // 100)])
                           for row in lines[1:]]
    new_data = tmp_path / "production_demand.csv"
    new_data.write_text("\n".join(smaller) + "\n")
    data = command.index("--data")
    target = command[data + 1].split("=")[0]
    drifted_args = [*command[1:data + 1], f"{target}={new_data}", *command[data + 2:], "--format", "json"]
    unchanged, drifted = _parallel(unchanged_args, drifted_args)
    stable = json.loads(unchanged.stdout)
    assert unchanged.returncode == 0 and not stable["baseline_created"], unchanged.stderr[-2000:]
    assert stable["baseline"]["objective"] == placement["baseline"]["objective"]
    assert stable["objective_change"] == 0.0 and not stable["reasons"]
    moved = json.loads(drifted.stdout)
    assert drifted.returncode == 1 and not moved["baseline_created"], drifted.stderr[-2000:]
    assert moved["baseline"]["objective"] == planning["baseline"]["objective"]
    assert moved["objective_change"] > 0.05


def test_input_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nvariables:\n  x: {uper: 1}\nvalidation:\n  min_feasible_prob: 0.9\n")
    missing = run_cli("lifecycle", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o1"))
    broken = run_cli("lifecycle", str(bad), "--out", str(tmp_path / "o2"))
    assert missing.returncode == 2 and "no such spec file" in missing.stderr
    assert broken.returncode == 2 and "bad.yaml:3:7: unknown key 'uper'" in broken.stderr
