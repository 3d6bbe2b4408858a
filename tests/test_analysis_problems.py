"""`opt-model sensitivity` and `robustness` on every spec in problems/ (MILP, network, priorities, QP, cone).

Exit 0, with the objective's unit in every bottleneck sentence; `robustness` exits 1 only when the
spec's own `validation:` thresholds fail (the verdict is printed).  Every claim a bottleneck sentence
makes (``--format json`` gives them as numbers: ``bottlenecks.claims``) is checked against a fresh
solve of the analysed model with the limit moved: the change for the whole step (a MILP re-solve for
MILPs, both directions), the rate up to where the sentence says it holds, and a local rate by a finite
difference.  A spec without bottleneck sentences says "none"; that is checked too (relaxing any limit
in scope by one step changes nothing).  The lifecycle runs the same analyses
(tests/test_lifecycle_cli.py runs it on the specs).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from opt_model import cli
from opt_model.formatting import format_number, objective_unit_text
from opt_model.sensitivity.stages import analysis_for_stage
from opt_model.spec import load_spec
from solvers import SolveStatus, StandardForm, solve

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.yaml"))


def moved(form: StandardForm, what: str, index: int, delta: float, side: str = "", kind: str = "") -> StandardForm:
    """A copy of ``form`` with one limit moved by ``delta``: a row's ``side`` bound (both for ``==``), or a
    column's upper or lower bound."""
    if what == "rhs":
        lower, upper = form.row_lower.copy(), form.row_upper.copy()
        if kind == "==" or side == "lower":
            lower[index] += delta
        if kind == "==" or side == "upper":
            upper[index] += delta
        return dataclasses.replace(form, row_lower=lower, row_upper=upper)
    lower, upper = form.col_lower.copy(), form.col_upper.copy()
    (upper if what == "upper bound" else lower)[index] += delta
    return dataclasses.replace(form, col_lower=lower, col_upper=upper)


class Truth:
    """Fresh solves (a new solver each, no warm start) of the analysed model with one limit moved."""

    def __init__(self, analysis: Any, objective: float) -> None:
        form = self.form = analysis.form
        self.z = objective
        self.mip = form.is_mip
        self.conic = bool(form.cones) or (form.Q is not None and bool(form.Q.nnz))
        self.rows = {name: k for k, name in enumerate(analysis.row_names())}
        self.cols = {name: k for k, name in enumerate(analysis.col_names())}

    def change(self, claim: dict[str, Any], delta: float) -> float:
        """Optimal objective with the claim's limit moved by ``delta``, minus the nominal one (NaN: no optimum)."""
        index = self.rows[claim["name"]] if claim["what"] == "rhs" else self.cols[claim["name"]]
        result = solve(moved(self.form, claim["what"], index, delta, claim["side"], claim["kind"]))
        return float(result.objective) - self.z if result.status is SolveStatus.OPTIMAL else math.nan

    def tolerance(self, scale: float = 1.0) -> float:
        """Objective agreement of two solves: LP 1e-7, MILP the relative gap (1e-4), interior point 1e-5."""
        rel = 2e-4 if self.mip else 1e-5 if self.conic else 1e-7
        return rel * (1.0 + abs(self.z)) * scale


def check_claim(truth: Truth, claim: dict[str, Any]) -> None:
    sentence = claim["sentence"]
    step, sign = claim["step"], claim["direction"]
    change = truth.change(claim, sign * step)
    stated = claim["change"]
    if stated is None:
        assert math.isnan(change), (sentence, change)
    else:
        assert stated == pytest.approx(change, abs=truth.tolerance()), (sentence, change)
        assert format_number(abs(stated), 4) in sentence or "changes nothing" in sentence, sentence
    if "tighten_change" in claim:  # MILP: one step the other way too
        tighter = truth.change(claim, -sign * step)
        if claim["tighten_change"] is None:
            assert math.isnan(tighter), (sentence, tighter)
        else:
            assert claim["tighten_change"] == pytest.approx(tighter, abs=truth.tolerance()), (sentence, tighter)
    rate = claim.get("rate")
    if rate is None:
        return
    assert format_number(abs(rate) * (step if "up to" in sentence or "no limit" in sentence else 1), 4) in sentence
    if claim.get("rate_is_local"):  # a derivative at the optimum: a one-sided finite difference
        eps = 1e-3
        assert truth.change(claim, sign * eps) / eps == pytest.approx(rate, rel=2e-2, abs=1e-3), sentence
        return
    holds = claim.get("rate_holds_for")
    reach = holds if holds is not None else step
    for distance in (1e-3 * min(reach, 1.0), reach):  # the rate from the start and up to where it is said to hold
        assert truth.change(claim, sign * distance) == pytest.approx(rate * distance, abs=truth.tolerance(2)), \
            (sentence, distance)


def check_none(truth: Truth, bottlenecks: dict[str, Any]) -> int:
    """"none": relaxing any limit in scope by one step does not improve the objective."""
    better = 1.0 if bottlenecks["sense"] == "maximize" else -1.0
    checked = 0
    for row in bottlenecks["constraints"]:
        if not (row["binding"] or truth.mip):
            continue  # an LP limit with slack cannot matter for a step below its slack; binding ones are checked
        claim = {**row, "side": ("lower" if row["direction"] < 0 else "upper") if row["what"] == "rhs" else ""}
        gain = better * truth.change(claim, row["direction"] * row["step"])
        assert not gain > truth.tolerance(), (row["name"], gain)
        checked += 1
    return checked


@pytest.mark.parametrize("spec", PROBLEMS, ids=lambda p: p.stem)
def test_every_sentence_on_every_spec_is_what_a_re_solve_gives(spec: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sensitivity", str(spec), "--bottlenecks"]) == 0
    text = capsys.readouterr().out
    assert "Bottlenecks (" in text and " -0 " not in text
    assert cli.main(["sensitivity", str(spec), "--bottlenecks", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    bottlenecks = payload["bottlenecks"]
    claims = bottlenecks["claims"]
    printed = [line.strip() for line in text.splitlines() if " is binding: " in line]
    assert [claim["sentence"] for claim in claims] == printed[:len(claims)]
    model = load_spec(spec)
    analysis = analysis_for_stage(model, None)[0]
    unit = objective_unit_text(analysis.objective_unit)
    if unit:
        assert all(f" {unit}" in line for line in printed), printed
    truth = Truth(analysis, payload["objective"])
    for claim in claims:
        check_claim(truth, claim)
    if not claims:
        assert "none" in text.split("Bottlenecks (")[1].splitlines()[1]
        if not bottlenecks["unchecked"]:
            check_none(truth, bottlenecks)


@pytest.mark.parametrize("spec", PROBLEMS, ids=lambda p: p.stem)
def test_robustness_runs_on_every_spec(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["robustness", str(spec), "--scenarios", "8", "--no-progress"])
    out = capsys.readouterr().out
    assert out.startswith("Robustness (")
    assert code == 0 or (code == 1 and "validation: FAIL" in out)


def test_a_wrong_claim_is_caught() -> None:
    """The checker can fail: a sentence whose change or rate is off by a little is rejected."""
    spec = next(path for path in PROBLEMS if path.stem == "supply_network")
    analysis = analysis_for_stage(load_spec(spec), None)[0]
    from opt_model.sensitivity import bottleneck_report, sensitivity_report
    report = sensitivity_report(analysis)
    claim = bottleneck_report(report).claims()[0]
    truth = Truth(analysis, report.objective)
    check_claim(truth, claim)
    for key, factor in (("change", 1.01), ("rate", 1.01), ("rate_holds_for", 1.5)):
        wrong = {**claim, key: claim[key] * factor}
        with pytest.raises(AssertionError):
            check_claim(truth, wrong)
    assert np.isfinite(claim["rate_holds_for"])
