"""Regression tests for issue 12: every input gets a clear answer, nothing silently wrong.

One test (or a parametrised group) per defect class the fuzzing campaign found: each of these
inputs ended in a Python traceback, a hang, a MemoryError or a silently wrong answer before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import opt_model as om
from opt_model.cli import main
from opt_model.errors import InputFileError, SolverError, SpecError
from opt_model.spec import load_spec, loads_spec
from opt_model.spec.loader import MAX_NESTING, MAX_NODES, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
HEAD = "version: 1\ndims:\n  host: [h1, h2]\nvariables:\n  x: {dims: [host], upper: 1}\n"


def spec_error(text: str, base_dir: Path | str = ".") -> SpecError:
    """The SpecError a spec text raises; it must carry a file and a line."""
    with pytest.raises(SpecError) as caught:
        loads_spec(text, base_dir=base_dir, file="t.yaml")
    error = caught.value
    assert error.file == "t.yaml" and error.line is not None, str(error)
    return error


# numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression, fragment", [
    ("2^2^2^2^2^2", "too large"),           # OverflowError in evaluate._power
    ("10 ^ 400", "too large"),
    ("0 ^ -1", "0 cannot be raised to a negative power"),  # ZeroDivisionError
    ("(-8) ^ 0.5", "no fractional power"),
    ("2 ^ (1/0)", "division by zero"),
])
def test_powers_that_overflow_or_divide_by_zero_are_located_errors(expression: str, fragment: str) -> None:
    error = spec_error(HEAD + f"data:\n  p: \"{expression}\"\nobjective:\n  maximize: \"p * sum(x)\"\n")
    assert fragment in str(error)


@pytest.mark.parametrize("value", ["1" + "0" * 400, "-" + "9" * 330, "1e999", "!!float abc", "!!bool maybe",
                                   "!!int 1.5", "!!int abc", "!!float ''", "!!null x", "!!set {a}",
                                   "!!timestamp 2001-99-99", "!!binary abc"])
def test_bad_numbers_and_tagged_values_are_located_errors(value: str) -> None:
    # OverflowError in fields.entry_value / build.numeric; ValueError/KeyError in the YAML 1.2 constructors
    error = spec_error(HEAD + f"data:\n  p: {value}\nobjective:\n  maximize: \"sum(x)\"\n")
    assert error.line == 7


def test_a_huge_number_in_an_expression_is_refused() -> None:
    error = spec_error(HEAD + "objective:\n  maximize: \"" + "9" * 400 + " * sum(x)\"\n")
    assert "too large" in str(error)


def test_unhashable_and_duplicate_odd_keys_are_located() -> None:  # KeyError in construct_spec_map
    with pytest.raises(SpecError, match="plain value"):
        parse_yaml("? [a]\n: 1\n", "t.yaml")
    with pytest.raises(SpecError, match="duplicate key"):
        parse_yaml(".nan: 1\n.nan: 2\n", "t.yaml")


# depth and size ---------------------------------------------------------------------------------
def test_a_flat_sum_of_ten_thousand_terms_solves() -> None:
    terms = " + ".join(["x[host='h1']"] * 10_000)
    model = loads_spec(HEAD + f"objective:\n  maximize: \"{terms}\"\n")
    assert model.solve().objective == pytest.approx(10_000.0)


def test_a_thousand_nested_parentheses_solve_and_one_more_is_a_located_error() -> None:
    deep = "(" * 1000 + "sum(x)" + ")" * 1000
    assert loads_spec(HEAD + f"objective:\n  maximize: \"{deep}\"\n").solve().objective == pytest.approx(2.0)
    nested = "(1 + " * 999 + "sum(x)" + ")" * 999  # right-deep: evaluated recursively
    assert loads_spec(HEAD + f"objective:\n  maximize: \"{nested}\"\n").solve().objective == pytest.approx(1001.0)
    too_deep = "(" * 1001 + "sum(x)" + ")" * 1001
    error = spec_error(HEAD + f"objective:\n  maximize: \"{too_deep}\"\n")
    assert "more than 1000 levels deep" in str(error) and error.column == 14 + 1000  # the 1001st "("


@pytest.mark.parametrize("expression", ["-" * 5000 + "sum(x)", "^".join(["2"] * 3000) + " * sum(x)",
                                        "not " * 2500 + "sum(x)"])
def test_deep_unary_power_and_not_chains_are_located_errors(expression: str) -> None:  # RecursionError before
    error = spec_error(HEAD + f"objective:\n  maximize: \"{expression}\"\n")
    assert "levels deep" in str(error)


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 10)]
    started = time.process_time()
    with pytest.raises(SpecError, match=f"more than {MAX_NODES:,} values"):
        parse_yaml("\n".join(lines), "t.yaml")
    assert time.process_time() - started < 5  # a guard against a hang, not a benchmark


@pytest.mark.parametrize("text, fragment", [
    ("a: " + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5), "levels deep"),
    ("a: " + "[" * 5000 + "]" * 5000, "nesting depth"),
    ("a: &x [*x]", "recursive"),
])
def test_deep_and_recursive_yaml_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment) as caught:
        parse_yaml(text, "t.yaml")
    assert caught.value.line == 1


def test_a_spec_larger_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (11 * 2 ** 20))
    with pytest.raises(SpecError, match="larger than 10 MiB"):
        load_spec(path)


@pytest.mark.parametrize("dims, fragment", [
    ("{range: 1000000000}", "more than the limit"),     # hang / MemoryError before
    ("{range: 1e9}", "whole number"),                    # a float passed the schema as an integer
    ("{range: 2.5}", "whole number"),
])
def test_huge_ranges_are_refused_before_work_starts(dims: str, fragment: str) -> None:
    started = time.process_time()
    error = spec_error(f"version: 1\ndims:\n  host: {dims}\nvariables:\n  x: {{dims: [host], upper: 1}}\n"
                       "objective:\n  maximize: sum(x)\n")
    assert fragment in str(error) and error.line == 3
    assert time.process_time() - started < 5


def test_a_block_over_too_many_entries_is_refused() -> None:
    error = spec_error("version: 1\ndims:\n  a: {range: 100000}\n  b: {range: 100000}\n"
                       "variables:\n  x: {dims: [a, b]}\nobjective:\n  maximize: sum(x)\n")
    assert "10,000,000,000 entries" in str(error)


# options and settings --------------------------------------------------------------------------
@pytest.mark.parametrize("options, fragment", [
    ("{mip_gap: .nan}", "mip_gap"), ("{mip_gap: -1}", "mip_gap"), ("{threads: 1000000}", "threads"),
    ("{threads: 0}", "threads"), ("{extra: [1, 2]}", "extra"), ("{extra: {presolve: {a: 1}}}", "extra.presolve"),
    ("{extra: {x: [1]}}", "extra.x"), ("{time_limit: .nan}", "time_limit"), ("{seed: -3}", "seed"),
])
def test_solver_options_out_of_range_are_refused(options: str, fragment: str) -> None:
    error = spec_error(HEAD + f"options: {options}\nobjective:\n  maximize: sum(x)\n")
    assert fragment in str(error)


@pytest.mark.parametrize("entry, fragment", [
    ("tolerance: .nan", "tolerance"), ("weight: .nan", "weight"), ("priority: .nan", "priority"),
    ("tolerance: -1", "tolerance"), ("abs_tolerance: .nan", "abs_tolerance"),
])
def test_nan_objective_settings_are_refused(entry: str, fragment: str) -> None:
    text = HEAD + ("objective:\n  - {maximize: sum(x), name: a, priority: 1, " + entry + "}\n"
                   "  - {minimize: \"x[host='h1']\", name: b, priority: 2}\n")
    if "priority" in entry:
        text = text.replace("priority: 1, ", "")
    assert fragment in str(spec_error(text))


def test_a_negative_provision_minimum_is_refused() -> None:  # the model "sold" capacity at a profit
    text = HEAD + ("resources:\n  slots:\n    unit: '1'\n    capacity: 1\n    usage: sum(x)\n"
                   "    provision: {min: -10, max: 5, price: 1}\nobjective:\n  maximize: sum(x)\n")
    assert "cannot be negative" in str(spec_error(text))


@pytest.mark.parametrize("section, key", [("variables", "'x\\n'"), ("variables", "1"), ("data", "true"),
                                          ("dims", "1.5"), ("expressions", "'a b'"), ("constraints", "null")])
def test_odd_item_names_are_refused(section: str, key: str) -> None:
    items = {"variables": "{dims: [host]}", "data": "1", "dims": "[a]", "expressions": "sum(x)",
             "constraints": "sum(x) <= 1"}
    text = HEAD + f"{section}:\n  {key}: {items[section]}\nobjective:\n  maximize: sum(x)\n"
    text = text.replace("variables:\n  x:", "variables:\n  x:", 1)
    if section == "dims":
        text = HEAD.replace("  host: [h1, h2]\n", f"  host: [h1, h2]\n  {key}: [a]\n") + \
            "objective:\n  maximize: sum(x)\n"
    if section == "variables":
        text = text.replace("variables:\n  x: {dims: [host], upper: 1}\n", "")
        text = text.replace(f"variables:\n  {key}", f"variables:\n  x: {{dims: [host], upper: 1}}\n  {key}")
    assert "not a valid name" in str(spec_error(text))


# data files --------------------------------------------------------------------------------------
def test_data_files_stay_beside_the_spec_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "spec").mkdir()
    (tmp_path / "data" / "cap.csv").write_text("host,value\nh1,1\nh2,2\n")
    secret = tmp_path / "secret.csv"
    secret.write_text("password,token\nhunter2,abc\n")
    spec = tmp_path / "spec" / "s.yaml"
    body = ("version: 1\ndims:\n  host: [h1, h2]\ndata:\n  cap: {{dims: [host], csv: {path}}}\n"
            "variables:\n  x: {{dims: [host], upper: cap}}\nobjective:\n  maximize: sum(x)\n")
    spec.write_text(body.format(path="../data/cap.csv"))
    with pytest.raises(SpecError, match="outside the spec's folder") as caught:
        load_spec(spec)
    assert caught.value.line == 5
    assert load_spec(spec, data_roots=[tmp_path / "data"]).solve().objective == pytest.approx(3.0)
    assert main(["--allow-data-outside", str(tmp_path / "data"), "solve", str(spec), "--format", "json"]) == 0
    for path in ("../secret.csv", str(secret), "/etc/passwd", "/proc/self/environ", "x" * 5000, "a\x00b.csv"):
        spec.write_text(body.format(path=json.dumps(path)))
        with pytest.raises(SpecError) as caught:
            load_spec(spec)
        assert "hunter2" not in str(caught.value) and "password" not in str(caught.value)
        assert "root:" not in str(caught.value)


# honest outcomes and exit codes --------------------------------------------------------------
UNBOUNDED = "version: 1\ndims:\n  h: [a, b]\nvariables:\n  x: {dims: [h]}\nobjective:\n  maximize: sum(x)\n"


def test_an_unbounded_result_has_no_objective_and_values_raise() -> None:
    result = loads_spec(UNBOUNDED).solve()
    assert result.status.value == "unbounded"
    assert result.objective is None and result.to_dict()["objective"] is None
    assert result.incumbent_objective is None and not result.has_solution
    with pytest.raises(SolverError, match="unbounded"):
        result.value("x")


def test_cli_unbounded_is_null_in_json_dash_in_tables_and_exit_1(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "u.yaml"
    spec.write_text(UNBOUNDED)
    assert main(["solve", str(spec), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["objective"] is None
    assert main(["solve", str(spec)]) == 1
    assert "objective  -" in capsys.readouterr().out
    assert main(["sensitivity", str(spec)]) == 1  # a solver outcome, not an input error
    assert "unbounded" in capsys.readouterr().err


def test_a_time_limited_mip_names_its_incumbent() -> None:
    model = om.Model("knap")
    item = om.Dim("item", [str(k) for k in range(60)])
    x = model.add_variables("x", dims=item, binary=True)
    weights = om.data({str(k): 37 + (k * 7919) % 101 for k in range(60)}, dims=item)
    values = om.data({str(k): 40 + (k * 104729) % 97 for k in range(60)}, dims=item)
    model.add_constraints("cap", (weights * x).sum() <= 1500.5)
    model.maximize((values * x).sum())
    result = model.solve(time_limit=0.001, presolve=False)
    if result.status.is_optimal:
        pytest.skip("HiGHS solved it at the root")
    assert result.objective is None
    if result.incumbent_objective is not None:
        assert result.incumbent_objective == pytest.approx(float((values.values * result.value(x, incumbent=True)
                                                                  .values).sum()))
    with pytest.raises(SolverError, match="no solution is available"):
        result.value(x)


def test_an_internal_error_exits_3_with_one_line_and_debug_shows_the_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import opt_model.cli.solve as solve_command

    def boom(args: object) -> int:
        raise TypeError("kaboom")

    monkeypatch.setattr(solve_command, "run_solve", boom)
    wyndor = str(PROBLEMS / "mps" / "wyndor.mps")
    assert main(["solve", wyndor]) == 3
    err = capsys.readouterr().err
    assert "this is a bug, please report it" in err and "Traceback" not in err and len(err.splitlines()) == 2
    assert main(["--debug", "solve", wyndor]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "kaboom" in err


# side inputs -----------------------------------------------------------------------------------
def test_malformed_side_inputs_are_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "unc.yaml"
    bad.write_text("foo: [1, 2\n")
    assert main(["robustness", str(PROBLEMS / "diet.yaml"), "--uncertainty", str(bad)]) == 2
    assert "unc.yaml:2" in capsys.readouterr().err
    bad_json = tmp_path / "unc.json"
    bad_json.write_text("{nope")
    assert main(["robustness", str(PROBLEMS / "diet.yaml"), "--uncertainty", str(bad_json)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    from opt_model.bench.suite import parse_solver
    for text in ("highs?time_limit=[", "highs?x={a: 1}", "highs?threads"):
        with pytest.raises(InputFileError):
            parse_solver(text)


# conversion -------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, fragment", [("bandwidth_fairness.yaml", "cone constraints"),
                                            ("cost_then_energy.yaml", "objectives by priority")])
@pytest.mark.parametrize("target", ["mps", "lp"])
def test_convert_refuses_what_the_format_cannot_hold(spec: str, fragment: str, target: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"out.{target}"
    assert main(["convert", str(PROBLEMS / spec), "--to", target, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "YAML spec" in err and not out.exists()


def _problem_specs() -> list[Path]:
    return sorted(PROBLEMS.glob("*.yaml"))


@pytest.mark.parametrize("target", ["mps", "lp"])
def test_every_problem_that_converts_round_trips_to_the_same_optimum(target: str, tmp_path: Path) -> None:
    converted = 0
    for spec in _problem_specs():
        out = tmp_path / f"{spec.stem}.{target}"
        code = main(["convert", str(spec), "--to", target, "-o", str(out)])
        if code == 2:
            continue
        assert code == 0, spec
        expected = load_spec(spec).solve().objective
        again = om.Model.read(out).solve()
        assert again.status.value == "optimal", spec
        assert again.objective == pytest.approx(expected, rel=1e-7, abs=1e-7), spec
        converted += 1
    assert converted >= 8


# threads ------------------------------------------------------------------------------------------
def test_loading_and_solving_from_eight_threads_in_a_fresh_process() -> None:
    script = textwrap.dedent("""
        import glob, threading
        from opt_model.spec import load_spec
        specs = sorted(glob.glob("problems/*.yaml"))
        barrier = threading.Barrier(8)
        errors, objectives = [], {}
        def work(k):
            try:
                barrier.wait()
                spec = specs[k % len(specs)]
                objectives[k] = (spec, load_spec(spec).solve().objective)
            except Exception as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("errors", errors)
        for k, (spec, objective) in sorted(objectives.items()):
            print("answer", spec, objective)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.startswith(("errors", "answer"))]
    assert run.returncode == 0 and lines[0] == "errors []", run.stdout + run.stderr
    assert len(lines) == 9
    for line in lines[1:]:  # each thread's answer is the spec's own optimum
        spec, objective = line.removeprefix("answer ").rsplit(" ", 1)
        assert float(objective) == pytest.approx(load_spec(ROOT / spec).solve().objective, rel=1e-9)


# huge coefficients (issue 12, long fuzz run: "optimal" with an infinite objective) -------------------
GPU_JOBS = (PROBLEMS / "gpu_jobs.yaml").read_text()


@pytest.mark.parametrize("old, new, line, fragment", [
    ("llm-ft-a: 900", "llm-ft-a: 1e25", 51, "objective"),      # a cost HiGHS reads as infinite: "optimal", no objective
    ("tiny-gpt: 60", "tiny-gpt: 1e308", 51, "objective"),      # HiGHS status 'error', no reason given
    ("llm-ft-a: 8,", "llm-ft-a: 1e16,", 45, "resource 'gpus'"),  # HiGHS refused to load it, with no location
])
def test_a_huge_coefficient_is_a_located_error(old: str, new: str, line: int, fragment: str) -> None:
    assert old in GPU_JOBS
    error = spec_error(GPU_JOBS.replace(old, new, 1), base_dir=PROBLEMS)
    assert error.line == line and fragment in str(error) and "coefficient" in str(error), str(error)
    assert "job=" in str(error)  # names the entry


def test_huge_numbers_that_are_not_coefficients_still_solve() -> None:
    # a capacity of 1e308 is no limit (HiGHS reads bounds from 1e20 as infinite): the optimum of the spec without it
    text = GPU_JOBS.replace("a100-80g: 8,", "a100-80g: 1e308,", 1)
    result = loads_spec(text, base_dir=PROBLEMS).solve()
    assert result.status.value == "optimal" and result.objective == pytest.approx(2820.0)
    assert loads_spec(GPU_JOBS.replace("llm-ft-a: 900", "llm-ft-a: 9e14", 1),
                      base_dir=PROBLEMS).solve().objective == pytest.approx(9e14 + 1650, rel=1e-9)


# solver options through the Python API (threads=10**6 ended in a C++ bad_alloc) -------------------------
@pytest.mark.parametrize("options, fragment", [
    ({"threads": 10 ** 6}, "threads=1000000 is out of range: give a whole number from 1 to 256"),
    ({"threads": 0}, "threads=0"), ({"threads": 2.5}, "threads=2.5"), ({"threads": True}, "threads=True"),
    ({"time_limit": -1}, "time_limit=-1"), ({"time_limit": float("nan")}, "time_limit=nan"),
    ({"time_limit": 0}, "time_limit=0"), ({"mip_gap": -0.1}, "mip_gap=-0.1"),
    ({"mip_gap": float("inf")}, "mip_gap=inf"), ({"mip_rel_gap": float("nan")}, "mip_gap=nan"),
    ({"seed": -1}, "seed=-1"), ({"random_seed": 2 ** 40}, "seed=1099511627776"),
    ({"presolve": "off"}, "presolve='off'"), ({"verbose": "yes"}, "verbose='yes'"),
    ({"extra": {"threads": 10 ** 6}}, "threads=1000000"), ({"extra": {"mip_rel_gap": -1}}, "mip_rel_gap=-1"),
    ({"extra": [1, 2]}, "extra=[1, 2]"), ({"extra": {"presolve": [1]}}, "extra.presolve=[1]"),
    ({"extra": {"x": float("nan")}}, "extra.x=nan"), ({"extra": {"x": 10 ** 12}}, "extra.x"),
])
def test_solver_options_out_of_range_through_the_api_are_refused(options: dict, fragment: str) -> None:
    model = loads_spec(HEAD + "objective:\n  maximize: sum(x)\n")
    with pytest.raises(om.ModelError, match=r"out of range|must be a mapping") as caught:
        model.solve(**options)
    assert fragment in str(caught.value)


def test_solver_options_in_range_through_the_api_solve() -> None:
    model = loads_spec(HEAD + "objective:\n  maximize: sum(x)\n")
    result = model.solve(threads=1, time_limit=float("inf"), mip_gap=0, seed=0, presolve=False,
                         extra={"simplex_iteration_limit": 1000, "primal_feasibility_tolerance": 1e-7})
    assert result.objective == pytest.approx(2.0)


# model files the strict reader let through (found by tests/test_fuzz_files.py and the long fuzz run) -------
MODEL_HEAD = "NAME t\nROWS\n N obj\n L c1\nCOLUMNS\n    x obj 1 c1 1\n    y obj 1 c1 1\nRHS\n    rhs c1 4\n"


@pytest.mark.parametrize("tail, line, fragment", [
    ("BOUNDS\n FR bnd x\n UP bnd x 7\nENDATA\n", 12, "upper bound of column 'x' is given again"),  # HiGHS: UP ignored
    ("BOUNDS\n MI bnd x\n LO bnd x -7\nENDATA\n", 12, "lower bound of column 'x' is given again"),  # HiGHS: LO ignored
    ("BOUNDS\n UP bnd x -1e30\nENDATA\n", 11, "an infinity"),        # HiGHS refused it without a line
    ("RANGES\n    rng c1 1\nBOUNDS\n LO bnd x 1e30\nENDATA\n", 13, "an infinity"),
])
def test_model_file_bounds_that_readers_disagree_on_are_refused_at_their_line(tail: str, line: int, fragment: str,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "m.mps"
    path.write_text(MODEL_HEAD + tail)
    with pytest.raises(InputFileError) as caught:
        om.Model.read(path)
    assert f"m.mps:{line}: " in str(caught.value) and fragment in str(caught.value), str(caught.value)


@pytest.mark.parametrize("value", ["1e30", "-1e16", "1e15"])
def test_a_huge_model_file_coefficient_is_refused_at_its_line(value: str, tmp_path: Path) -> None:
    path = tmp_path / "m.mps"  # HiGHS refused 1e30 in COLUMNS ("could not read it") without a line
    path.write_text(MODEL_HEAD.replace("    y obj 1 c1 1", f"    y obj 1 c1 {value}") + "ENDATA\n")
    with pytest.raises(InputFileError, match=r"m\.mps:7: .*coefficient must be smaller than 1e\+15"):
        om.Model.read(path)


def test_a_free_column_bounded_on_separate_lines_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "m.mps"
    path.write_text(MODEL_HEAD + "BOUNDS\n MI bnd x\n UP bnd x 3\n LO bnd y -2\n UP bnd y 1e30\nENDATA\n")
    result = om.Model.read(path).solve()
    assert result.status.value == "unbounded"  # x goes to -infinity (minimising): MI then UP is one reading
