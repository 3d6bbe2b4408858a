"""Fuzzing model files in the suite (issue 12): every MPS/LP input is a valid model or an error with file:line.

* mutations of the shipped MPS files (Wyndor, and small Netlib files when ``../shared/data/netlib`` is
  present; see :func:`tests.fuzz.file_cases`) through the strict reader, in guarded workers;
* the bulk check of a COLUMNS section (whole-array operations) against the line-by-line check, on
  mutated Netlib files: the same answer, error for error;
* hypothesis over the MPS grammar: random small models written as free MPS with every bound type
  (UP LO FX FR MI PL BV LI UI, SC refused), RANGES on every row type, 1e30 as infinity, and one
  injected defect (bad numbers, unknown sections, duplicate names, missing references, ...). A file
  without a defect must solve to the optimum of the same model passed to HiGHS as arrays; a file
  with one must be refused at the defect's line.
"""

from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers import Sense, StandardForm, solve, solve_file
from solvers.errors import InputFileError
from solvers.files import _MpsChecker, check_model_file
from tests.fuzz import NETLIB, file_cases, run_cases

FILE_CASES = 1000


def test_mutated_model_files_give_a_result_or_an_error_with_a_line() -> None:
    report = run_cases(file_cases(random.Random(21), FILE_CASES), timeout=60.0)
    assert sum(report.counts.values()) == FILE_CASES
    assert report.bad == 0, report.text()  # a model file error without file:line counts as a traceback
    assert report.counts["valid"] > 100 and report.counts["clean_error"] > 300, report.text()


class _LineByLine(_MpsChecker):
    def bulk_columns(self, data: str) -> bool:
        return False


def _answer(checker: type[_MpsChecker], text: str) -> str:
    try:
        checker("m.mps").check(text)
    except InputFileError as error:
        return str(error)
    return "ok"


@pytest.mark.skipif(not NETLIB.is_dir(), reason="the Netlib files are not beside the checkout")
def test_the_bulk_columns_check_agrees_with_the_line_by_line_check() -> None:
    cases = [case for case in file_cases(random.Random(4), 1500) if isinstance(case.text, str)
             and not case.mutation.startswith("wyndor")][:400]
    assert len(cases) >= 300
    answers = set()
    for case in cases:
        assert isinstance(case.text, str)
        fast, slow = _answer(_MpsChecker, case.text), _answer(_LineByLine, case.text)
        assert fast == slow, case.mutation
        answers.add(fast == "ok")
    assert answers == {True, False}
    for path in sorted(NETLIB.glob("*.mps"))[:12]:
        text = path.read_text(encoding="utf-8")
        assert _answer(_MpsChecker, text) == _answer(_LineByLine, text) == "ok", path.name


# hypothesis over the MPS grammar ------------------------------------------------------------------
INF = math.inf
DEFECTS = [None, None, None, "bad_number", "nan", "unknown_section", "duplicate_row", "duplicate_entry",
           "missing_row", "missing_column", "unknown_bound", "semi_continuous", "range_on_objective",
           "huge_coefficient", "bad_bound_value", "no_objective_row", "no_endata", "columns_apart", "bound_twice"]


@st.composite
def mps_models(draw: st.DrawFn) -> dict[str, Any]:
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    coefficient = st.sampled_from([0, 0, 1, -1, 2, 3, -2, 0.5])
    return {
        "kinds": [draw(st.sampled_from("LGE")) for _ in range(m)],
        "A": [[draw(coefficient) for _ in range(n)] for _ in range(m)],
        "c": [draw(st.sampled_from([0, 1, -1, 2, -3])) for _ in range(n)],
        "rhs": [draw(st.sampled_from([0, 1, 4, -2, 10, "inf"])) for _ in range(m)],
        "ranges": [draw(st.sampled_from([None, None, 2, -3, 0])) for _ in range(m)],
        "bounds": [draw(st.sampled_from([None, ("UP", 5), ("UP", "1e30"), ("LO", -2), ("FX", 1), ("FR",), ("MI",),
                                         ("PL",), ("BV",), ("LI", 1), ("UI", 3), ("LO", 1), ("MI",)]))
                   for _ in range(n)],
        "box": draw(st.booleans()),
        "sense": draw(st.sampled_from(["MIN", "MAX"])),
        "defect": draw(st.sampled_from(DEFECTS)),
        "where": draw(st.integers(0, 10 ** 6)),
    }


def _write(model: dict[str, Any]) -> tuple[str, int | None]:
    """Free MPS text of ``model`` and the line of its defect (None for a well-formed file)."""
    m, n = len(model["kinds"]), len(model["c"])
    kinds = model["kinds"]
    lines = ["NAME fuzz", "OBJSENSE", f"    {model['sense']}", "ROWS", " N obj"]
    lines += [f" {kinds[i]} r{i}" for i in range(m)]
    lines.append("COLUMNS")
    for j in range(n):
        lines.append(f"    x{j} obj {model['c'][j]}")
        lines += [f"    x{j} r{i} {model['A'][i][j]}" for i in range(m) if model["A"][i][j] != 0]
    lines.append("RHS")
    for i in range(m):
        value = model["rhs"][i]
        if value == "inf":  # 1e30 is infinity: only where it leaves the row free on that side
            value = {"L": "1e30", "G": "-1e30", "E": "0"}[kinds[i]]
        lines.append(f"    rhs r{i} {value}")
    if any(r is not None and model["rhs"][i] != "inf" for i, r in enumerate(model["ranges"])):
        lines.append("RANGES")
        lines += [f"    rng r{i} {r}" for i, r in enumerate(model["ranges"])
                  if r is not None and model["rhs"][i] != "inf"]
    lines.append("BOUNDS")
    for j, bound in enumerate(model["bounds"]):
        if bound is not None:
            lines.append(f" {bound[0]} bnd x{j}" + (f" {bound[1]}" if len(bound) > 1 else ""))
        if model["box"] and (bound is None or bound[0] in ("LO", "LI", "MI")):  # each side is given once
            lines.append(f" UP bnd x{j} 7")
    lines.append("ENDATA")
    defect, line = model["defect"], None
    first_column = lines.index("COLUMNS") + 1
    pick = model["where"]
    if defect in ("bad_number", "nan", "huge_coefficient"):
        k = first_column + pick % n
        name, row, _ = lines[k].split()
        bad = {"bad_number": ["abc", "1.2.3", "--1", "1e"][pick % 4], "nan": "nan", "huge_coefficient": "1e30"}
        lines[k] = f"    {name} {row} {bad[defect]}"
        line = k
    elif defect == "unknown_section":
        k = lines.index("RHS")
        lines.insert(k, "FOO")
        line = k
    elif defect == "duplicate_row":
        k = lines.index("COLUMNS")
        lines.insert(k, f" L r{pick % m}")
        line = k
    elif defect == "duplicate_entry":
        k = first_column + pick % n
        lines.insert(k + 1, lines[k])
        line = k + 1
    elif defect == "missing_row":
        k = first_column
        lines.insert(k + 1, "    x0 nosuchrow 1")
        line = k + 1
    elif defect == "missing_column":
        k = lines.index("BOUNDS")
        lines.insert(k + 1, " UP bnd nosuchcol 4")
        line = k + 1
    elif defect == "bound_twice":  # HiGHS ignored an UP after FR (and a LO after MI): a side is given once
        k = lines.index("BOUNDS")
        lines[k + 1:k + 1] = [[" FR bnd x0", " MI bnd x0", " UP bnd x0 4"][pick % 3], " UP bnd x0 3"
                              if pick % 3 != 1 else " LO bnd x0 -3"]
        line = k + 2
    elif defect in ("unknown_bound", "semi_continuous", "bad_bound_value"):
        k = lines.index("BOUNDS")
        lines.insert(k + 1, {"unknown_bound": " XX bnd x0 1", "semi_continuous": " SC bnd x0 3",
                             "bad_bound_value": " UP bnd x0 abc"}[defect])
        line = k + 1
    elif defect == "range_on_objective":
        k = lines.index("BOUNDS")
        lines[k:k] = ["RANGES", "    rng obj 1"] if "RANGES" not in lines else ["    rng obj 1"]
        line = k + 1 if lines[k] == "RANGES" else k
    elif defect == "no_objective_row":
        lines.remove(" N obj")
        lines = [row for row in lines if " obj " not in row]
        line = len(lines) - 1
    elif defect == "no_endata":
        lines.pop()
        line = len(lines) - 1
    elif defect == "columns_apart" and n > 1:  # x0 again after x1: refused as a repeated column
        k = lines.index("RHS")
        lines.insert(k, f"    x0 r{pick % m} 1")
        line = k
    return "\n".join(lines) + "\n", None if line is None else line + 1


def _reference(model: dict[str, Any]) -> Any:
    """The same model passed to HiGHS as arrays (what the file must mean)."""
    m, n = len(model["kinds"]), len(model["c"])
    lower, upper = np.zeros(n), np.full(n, INF)
    integer = np.zeros(n, dtype=np.int8)
    for j, bound in enumerate(model["bounds"]):
        kind = bound[0] if bound else None
        value = float(bound[1]) if bound and len(bound) > 1 else None
        if kind == "UP":
            upper[j] = INF if value is not None and value >= 1e30 else value
        elif kind in ("LO", "LI"):
            lower[j] = value
        elif kind == "FX":
            lower[j] = upper[j] = value
        elif kind == "FR":
            lower[j], upper[j] = -INF, INF
        elif kind == "MI":
            lower[j] = -INF
        elif kind == "PL":
            upper[j] = INF
        elif kind == "BV":
            lower[j], upper[j] = 0, 1
        elif kind == "UI":
            upper[j] = value
        if kind in ("BV", "LI", "UI"):
            integer[j] = 1
        if model["box"] and kind in (None, "LO", "LI", "MI"):
            upper[j] = 7
    row_lower, row_upper = np.zeros(m), np.zeros(m)
    for i, kind in enumerate(model["kinds"]):
        infinite = model["rhs"][i] == "inf"
        b = 0.0 if infinite else float(model["rhs"][i])
        low, high = {"L": (-INF, INF if infinite else b), "G": (-INF if infinite else b, INF), "E": (b, b)}[kind]
        r = model["ranges"][i]
        if r is not None and not infinite:
            if kind == "L":
                low = b - abs(r)
            elif kind == "G":
                high = b + abs(r)
            else:
                low, high = (b, b + r) if r >= 0 else (b + r, b)
        row_lower[i], row_upper[i] = low, high
    form = StandardForm(c=np.array(model["c"], dtype=float), A=sp.csr_matrix(np.array(model["A"], dtype=float)),
                        row_lower=row_lower, row_upper=row_upper, col_lower=lower, col_upper=upper,
                        sense=Sense.MAXIMIZE if model["sense"] == "MAX" else Sense.MINIMIZE,
                        integrality=integer if integer.any() else None)
    return solve(form)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(model=mps_models())
def test_mps_grammar_pieces_solve_to_the_reference_or_are_refused_at_their_line(model: dict[str, Any]) -> None:
    text, line = _write(model)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.mps"
        path.write_text(text, encoding="utf-8")
        if line is not None:
            with pytest.raises(InputFileError) as caught:
                check_model_file(path)
            assert f"m.mps:{line}: " in str(caught.value), (str(caught.value), text)
            return
        check_model_file(path)
        result, _ = solve_file(path, options={"time_limit": 10.0})
    reference = _reference(model)
    assert result.status == reference.status, (result.status, reference.status, text)
    if reference.status.value == "optimal":
        assert result.objective == pytest.approx(reference.objective, rel=1e-7, abs=1e-7), text
        assert np.allclose(result.x, reference.x, atol=1e-6) or result.objective == pytest.approx(reference.objective)
