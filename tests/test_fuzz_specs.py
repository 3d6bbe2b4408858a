"""Fuzzing specs in the suite (issue 12): every input ends in a valid result or a located SpecError.

Three sources of input, each within seconds:

* hypothesis strategies over the expression grammar (random trees of names, numbers with units,
  operators, calls, selections, comparisons, deep nesting) used as objectives and constraints;
* hypothesis strategies over the spec structure (dims, data with extreme numbers, variables,
  options with out-of-range values, objective lists with weights and priorities);
* mutations of every shipped ``problems/*.yaml`` (see :mod:`tests.fuzz`), run in a worker
  process with a per-case time guard, so a hang is counted instead of stalling the suite.

The long campaign is ``python -m tests.fuzz --cases 100000`` (docs/limits.md).
"""

from __future__ import annotations

import math
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opt_model.errors import OptModelError, SpecError
from opt_model.spec import loads_spec
from tests.fuzz import BAD_OUTCOMES, run_cases, spec_cases

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


class HangError(Exception):
    pass


@contextmanager
def time_guard(seconds: int = 20) -> Iterator[None]:
    """Fail an example that runs past ``seconds`` (SIGALRM; pytest runs tests in the main thread)."""
    def alarm(signum: int, frame: Any) -> None:
        raise HangError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(text: str) -> str:
    """``valid`` or ``error``; anything else (a traceback, an unlocated error, a NaN optimum) fails."""
    with time_guard():
        try:
            model = loads_spec(text, file="fuzz.yaml")
        except SpecError as error:
            assert error.file == "fuzz.yaml" and error.line is not None, f"unlocated: {error}"
            return "error"
        try:
            result = model.solve(time_limit=5.0)
        except OptModelError:
            return "error"
    if result.status.value == "optimal":
        assert result.objective is not None and math.isfinite(result.objective), result
    else:
        assert result.objective is None, result
    return "valid"


# the expression grammar ----------------------------------------------------------------------------
HEAD = """version: 1
dims:
  host: [h1, h2, h3]
  task: [a, b]
data:
  cap: {dims: [host], unit: GiB, values: {h1: 4, h2: 8, h3: 0}}
  need: {dims: [task], unit: GiB, values: {a: 1, b: 2}}
  n: 3
variables:
  x: {dims: [task, host], upper: 1}
  y: {upper: 10}
"""

LEAVES = st.sampled_from(["x", "y", "cap", "need", "n", "host", "task", "0", "1", "2.5", "1e308", "-3",
                          "4 GiB", "30 min", "0.5 USD/kWh", "'h1'", "nope", "inf", "1e999", "x[host='h1']",
                          "cap[host='h9']", "sum(x)", "sum(x, over=host)", "sum(x, over=[host, task])",
                          "log(cap)", "exp(n)", "shift(x, host)", "capacity(nope)"])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from([" + ", " - ", " * ", " / ", " ^ ", " ** ", " <= ", " == ",
                                                  " >= ", " and ", " or ", ", "]), children)
    return st.one_of(
        binary.map(lambda t: "".join(t)),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"not {c}"),
        st.tuples(st.sampled_from(["sum", "log", "exp", "norm2", "shift", "max", "entropy"]), children)
        .map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from(["host", "task", "[host, task]", "nope", "1"]))
        .map(lambda t: f"sum({t[0]}, over={t[1]})"),
        st.tuples(children, children).map(lambda t: f"sum({t[0]}, where={t[1]})"),
    )


EXPRESSIONS = st.recursive(LEAVES, _combine, max_leaves=12)


@HYPOTHESIS
@given(objective=EXPRESSIONS, constraint=EXPRESSIONS, sense=st.sampled_from(["minimize", "maximize"]))
def test_random_expressions_give_a_result_or_a_located_error(objective: str, constraint: str, sense: str) -> None:
    text = HEAD + "constraints:\n  c: " + yaml.safe_dump(constraint).strip().removesuffix("...").strip() + \
        f"\nobjective:\n  {sense}: " + yaml.safe_dump(objective).strip().removesuffix("...").strip() + "\n"
    outcome(text)


@HYPOTHESIS
@given(depth=st.integers(0, 2200), kind=st.sampled_from(["(", "-", "sum(", "not ", "2^"]))
def test_deep_nesting_is_fine_up_to_the_limit_and_a_located_error_beyond(depth: int, kind: str) -> None:
    closing = ")" * depth if kind in ("(", "sum(") else ""
    text = HEAD + f"objective:\n  maximize: \"{kind * depth}y{closing}\"\n"
    result = outcome(text)
    limit = 1000 if kind == "(" else 2000
    if depth > limit:
        assert result == "error"


# the spec structure --------------------------------------------------------------------------------
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 400, 10 ** 400),
                    st.sampled_from([0, -1, 1e308, 5e-324, "16 GiB", "-2 GiB", "nan", ".inf", "abc", None, True]))
NAMES = st.one_of(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
                  st.sampled_from(["x", "sum", "and", "a b", "é", "n\n", "", "1x"]), st.integers(), st.booleans(),
                  st.none(), st.floats(allow_nan=False))
LABELS = st.lists(st.one_of(st.text(max_size=5), st.integers(-5, 5), st.floats(allow_nan=False, width=16)),
                  min_size=0, max_size=4)
OPTIONS = st.dictionaries(st.sampled_from(["time_limit", "mip_gap", "threads", "seed", "presolve", "extra",
                                           "method", "verbose", "bogus"]),
                          st.one_of(NUMBERS, st.lists(st.integers(), max_size=2),
                                    st.dictionaries(st.sampled_from(["presolve", "x"]), NUMBERS, max_size=2)),
                          max_size=3)


@st.composite
def specs(draw: st.DrawFn) -> dict[Any, Any]:
    labels = draw(LABELS)
    doc: dict[Any, Any] = {"version": draw(st.sampled_from([1, 1, 1, 2, "1"]))}
    doc["dims"] = {"host": labels or ["h1"], draw(NAMES): draw(st.one_of(
        LABELS, st.fixed_dictionaries({"range": st.one_of(st.integers(-3, 10 ** 12), st.floats())})))}
    doc["data"] = {"cap": draw(NUMBERS), draw(NAMES): {"dims": ["host"], "default": draw(NUMBERS)}}
    doc["variables"] = {"x": {"dims": draw(st.sampled_from([["host"], [], ["nope"], "host"])),
                              "upper": draw(st.one_of(NUMBERS, st.just("cap"))),
                              "lower": draw(NUMBERS), "type": draw(st.sampled_from(["continuous", "integer",
                                                                                   "binary", "bogus"]))}}
    if draw(st.booleans()):
        doc["options"] = draw(OPTIONS)
    entry: dict[str, Any] = {draw(st.sampled_from(["minimize", "maximize"])): "sum(x)"}
    for key in draw(st.lists(st.sampled_from(["weight", "priority", "tolerance", "abs_tolerance", "name"]),
                             max_size=3, unique=True)):
        entry[key] = draw(NUMBERS) if key != "name" else draw(NAMES)
    doc["objective"] = draw(st.sampled_from([entry, [entry], [entry, {"maximize": "x[host='h1']"}]]))
    return doc


def _invalid_value(doc: dict[Any, Any]) -> bool:
    """A value that no valid spec has: NaN anywhere, or an out-of-range option."""
    def walk(node: Any) -> Iterator[Any]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
        else:
            yield node
    if any(isinstance(v, float) and math.isnan(v) for v in walk(doc)):
        return True
    options = doc.get("options") or {}
    threads = options.get("threads")
    return isinstance(threads, int) and not isinstance(threads, bool) and threads > 256


@HYPOTHESIS
@given(doc=specs())
def test_random_spec_structures_give_a_result_or_a_located_error(doc: dict[Any, Any]) -> None:
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return
    text = text.replace(".nan", ".nan")  # PyYAML writes NaN as .nan, YAML 1.2's spelling
    result = outcome(text)
    if _invalid_value(doc):
        assert result == "error", "an invalid value was accepted:\n" + text


# mutations of the shipped specs, in guarded workers ---------------------------------------------------
# A few thousand cases: each worker process (two where there are two cores) takes one case at a time,
# stays warm between cases and tests, and is replaced only when a case hangs or kills it. About 20 ms of
# worker CPU a case; see docs/limits.md for the long run.
SPEC_CASES = 2000


def test_mutated_problem_specs_give_a_result_or_a_located_error() -> None:
    report = run_cases(spec_cases(random.Random(12), SPEC_CASES), timeout=60.0)
    assert sum(report.counts.values()) >= 0.95 * SPEC_CASES
    assert report.bad == 0, report.text()
    assert report.counts["valid"] > 100 and report.counts["clean_error"] > 1000, report.text()
    assert all(report.counts[outcome] == 0 for outcome in BAD_OUTCOMES)


@pytest.mark.parametrize("seed", [3])
def test_known_invalid_injections_are_all_refused(seed: int) -> None:
    cases = [case for case in spec_cases(random.Random(seed), 3000) if case.invalid][:300]
    assert len(cases) >= 250
    report = run_cases(iter(cases), timeout=60.0)
    assert report.counts["silently_accepted"] == 0 and report.bad == 0, report.text()
    assert report.counts["clean_error"] >= 250, report.text()
