"""Suites: paths, folders, suite files, .solu references, solver options, limits."""

from __future__ import annotations

import pytest

from opt_model.bench.references import Reference, check, read_solu, relative_error
from opt_model.bench.suite import build_suite, parse_memory, parse_solver
from opt_model.errors import InputFileError


def test_folder_expands_to_every_netlib_problem_with_its_optimum(netlib_dir) -> None:
    suite = build_suite([netlib_dir], ["highs", "highs:ipm"])
    assert len(suite.problems) == 55
    names = {problem.name: problem for problem in suite.problems}
    assert names["afiro"].reference == Reference("optimal", -464.75314286, source="netlib.solu")
    assert names["vtp.base"].reference is not None  # name with a dot keeps it
    assert all(problem.reference is not None for problem in suite.problems)
    assert len(list(suite.jobs())) == 110


def test_suite_file_with_options_labels_and_settings(netlib_dir, tmp_path) -> None:
    (tmp_path / "extra.solu").write_text("=opt= afiro -1.0\n")
    suite_file = tmp_path / "suite.yaml"
    suite_file.write_text(f"""
name: small
problems:
  - {netlib_dir / 'afiro.mps'}
  - path: {netlib_dir}
    pattern: "sc50*.mps"
  - path: {netlib_dir / 'kb2.mps'}
    objective: 12.5
solu: extra.solu
solvers:
  - highs
  - {{solver: highs, label: highs-nopresolve, options: {{presolve: false}}}}
repeats: 2
time_limit: 30
memory_limit: 2G
""")
    suite = build_suite([suite_file])
    assert [p.name for p in suite.problems] == ["afiro", "sc50a", "sc50b", "kb2"]
    assert [s.name for s in suite.solvers] == ["highs", "highs-nopresolve"]
    assert suite.solvers[1].options_dict == {"presolve": False}
    assert (suite.repeats, suite.time_limit, suite.memory_limit_mb, suite.name) == (2, 30.0, 2048.0, "small")
    refs = {p.name: p.reference for p in suite.problems}
    assert refs["afiro"].objective == -1.0  # the suite's solu wins over the folder's
    assert refs["kb2"].objective == 12.5
    # command-line settings win over the file's
    assert build_suite([suite_file], ["highs:ipm"], time_limit=5).time_limit == 5.0
    job = next(build_suite([suite_file], ["highs:ipm"], time_limit=5).jobs())
    assert job.payload(5.0) == {"problem": str(netlib_dir / "afiro.mps"), "kind": "file", "solver": "highs:ipm",
                                "options": {"time_limit": 5.0}, "data_overrides": {}}


def test_suite_file_errors_are_input_errors(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("problems: [a.mps]\nproblems: [b.mps]\n")
    with pytest.raises(InputFileError, match="duplicate key"):
        build_suite([bad])
    bad.write_text("problems: [a.mps]\nsolverz: [highs]\n")
    with pytest.raises(InputFileError, match="unknown suite key"):
        build_suite([bad])
    with pytest.raises(InputFileError, match="no such file"):
        build_suite([tmp_path / "missing.mps"])
    (tmp_path / "p.mps").write_text("")
    with pytest.raises(InputFileError, match="given twice"):
        build_suite([tmp_path / "p.mps"], ["highs", "highs"])


def test_solver_strings_and_memory_sizes() -> None:
    config = parse_solver("highs:ipm?presolve=false&threads=1")
    assert (config.solver, config.options_dict, config.name) == (
        "highs:ipm", {"presolve": False, "threads": 1}, "highs:ipm[presolve=False,threads=1]")
    assert parse_memory("1.5G") == 1536.0 and parse_memory("none") is None
    with pytest.raises(InputFileError):
        parse_memory("lots")


def test_solu_parsing_and_the_check(tmp_path) -> None:
    solu = tmp_path / "x.solu"
    solu.write_text("=opt= a 100\n=best= b 5\n=inf= c\n=unbd= d\n# comment\n")
    refs = read_solu(solu)
    assert refs["a"].objective == 100.0 and refs["b"].status == "best"
    assert check("optimal", 100.00005, refs["a"])[0] == "optimal"  # 5e-7 relative
    assert check("optimal", 100.001, refs["a"])[0] == "wrong"
    assert check("optimal", 100.001, refs["a"], rtol=1e-4)[0] == "optimal"
    assert check("optimal", 1.0, refs["b"])[0] == "optimal"  # best known: not checked
    assert check("optimal", 1.0, refs["c"])[0] == "wrong"
    assert check("infeasible", None, refs["c"])[0] == "infeasible"
    assert check("infeasible_or_unbounded", None, refs["d"])[0] == "infeasible_or_unbounded"
    assert check("time_limit", None, refs["a"])[0] == "time_limit"  # inconclusive: not wrong
    assert relative_error(1e-9, 0.0) == 1e-9  # absolute near zero
    solu.write_text("=opt= a\n")
    with pytest.raises(InputFileError, match="has no value"):
        read_solu(solu)
