"""The :class:`LifecycleReport`: the five phases as attributes, a summary, JSON, and the files written.

Example
-------
>>> report = LifecycleReport(name="m", spec=None, out_dir="/tmp/m")
>>> report.phases_run, report.exit_code
(0, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opt_model.formatting import Readable, format_number, json_ready, objective_unit_text, plural, to_json
from opt_model.lifecycle.analysis import Analysis
from opt_model.lifecycle.baseline import Baseline
from opt_model.lifecycle.implementation import Implementation
from opt_model.lifecycle.strategy import Strategy
from opt_model.lifecycle.validation import Validation

GOALS = {
    "baseline": "Solve the model as written with its default solver; measure size, time and memory",
    "analysis": "Find what limits the objective (or why there is no solution, and the smallest fix)",
    "strategy": "Compare the solver configurations that fit this problem and pick the fastest correct one",
    "implementation": "Solve with the chosen configuration and write it as spec settings",
    "validation": "Check that the plan survives perturbed numbers; set up monitoring",
}


_fmt = format_number


def _with_unit(value: Any, unit: str, digits: int = 6) -> str:
    text, shown = _fmt(value, digits), objective_unit_text(unit)  # a plain number has no unit "1"
    return f"{text} {shown}" if shown and text != "-" else text


@dataclass
class LifecycleReport(Readable):
    """The outcome of :func:`~opt_model.lifecycle.lifecycle`, phase by phase.

    ``baseline``, ``analysis``, ``strategy``, ``implementation`` and
    ``validation`` are the phases' results (``None`` for a phase that could not
    run, with the reason in ``skipped``).  ``files`` maps what was written
    (``html``, ``markdown``, ``json``, ``db``, ``solver``, ``uncertainty`` and the
    figures) to its path.
    """

    name: str
    spec: str | None
    out_dir: str
    baseline: Baseline | None = None
    analysis: Analysis | None = None
    strategy: Strategy | None = None
    implementation: Implementation | None = None
    validation: Validation | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""
    elapsed_s: float = math.nan
    files: dict[str, str] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def phases_run(self) -> int:
        return sum(phase is not None for phase in (self.baseline, self.analysis, self.strategy,
                                                   self.implementation, self.validation))

    @property
    def needed_repair(self) -> bool:
        return bool(self.analysis is not None and self.analysis.repaired)

    @property
    def passed(self) -> bool:
        """Every phase ran, the spec as written has an optimum, and the validation thresholds hold."""
        return (self.phases_run == 5 and not self.needed_repair and self.validation is not None
                and self.validation.passed and self.baseline is not None and self.baseline.optimal)

    @property
    def exit_code(self) -> int:
        """0 when :attr:`passed`, else 1 (the command line's exit code)."""
        return 0 if self.passed else 1

    # the summary table ---------------------------------------------------------------
    def summary(self) -> list[tuple[str, str, str]]:
        """``(phase, goal, what was found)`` for each of the five phases."""
        return [("Baseline", GOALS["baseline"], self._found_baseline()),
                ("Analysis", GOALS["analysis"], self._found_analysis()),
                ("Strategy", GOALS["strategy"], self._found_strategy()),
                ("Implementation", GOALS["implementation"], self._found_implementation()),
                ("Validation and monitoring", GOALS["validation"], self._found_validation())]

    def _not_run(self) -> str:
        return f"not run: {self.skipped}" if self.skipped else "not run"

    def _found_baseline(self) -> str:
        b = self.baseline
        if b is None:
            return self._not_run()
        text = f"{b.status}" + (f", objective {b.objective_text()}" if b.objective is not None else "")
        text += f" with {b.solver} in {_fmt(b.solve_time_s, 3)} s"
        if b.wall_time_s is not None:
            text += f" ({_fmt(b.wall_time_s, 3)} s isolated, peak memory {_fmt(b.peak_memory_mb, 4)} MiB)"
        text += f"; {plural(b.rows, 'row')} x {plural(b.columns, 'column')}, {plural(b.nonzeros, 'nonzero')}"
        if b.integers:
            text += f", {b.integers} integer"
        if b.matches_expected is not None:
            expected = b.expected_objective if b.expected_objective is not None else b.expected_status
            text += "; matches" if b.matches_expected else "; DOES NOT match"
            text += f" the spec's expected {_fmt(expected, 10)}"
        return text

    def _found_analysis(self) -> str:
        a = self.analysis
        if a is None:
            return self._not_run()
        if a.infeasibility is not None and not a.infeasibility.feasible:
            size = len(a.infeasibility.iis)
            text = f"infeasible: {size} constraints and bounds cannot all hold" if size else "infeasible"
            if a.repaired:
                text += f"; smallest repair: {a.repair_text()}; repaired objective " \
                        f"{_with_unit(a.repaired_objective, self.baseline.objective_unit if self.baseline else '')}"
                text += "; the later phases use the repaired model"
            else:
                text += "; no repair found"
            return text
        binding = a.binding
        if not len(a.table):
            return "; ".join(a.notes[:1]) or "no resources or binding constraints"
        if a.scope == "resources":
            text = f"{len(binding)} of {len(a.table)} resource limits binding"
        else:
            text = f"{len(binding)} of {plural(len(a.table), 'constraint')} binding"
        if a.messages:
            text += f"; {a.messages[0]}"
        elif len(binding):
            names = ", ".join(f"{row['name']} ({_fmt(row['utilisation_pct'], 3)} %)"
                              for row in binding.head(3).to_dict(orient="records"))
            text += f": {names}" + (" ..." if len(binding) > 3 else "")
        degenerate = int(a.table["degenerate"].astype(bool).sum())
        if degenerate:
            text += f"; {degenerate} with one-sided shadow prices (degenerate)"
        return f"at {a.stage}: {text}" if a.stage else text

    def _found_strategy(self) -> str:
        s = self.strategy
        if s is None:
            return self._not_run()
        agree = int(s.runs["agrees"].sum())
        row = s.chosen_row
        text = f"{s.chosen} chosen ({_fmt(row.get('wall_time_s'), 3)} s); {agree} of " \
               f"{plural(len(s.runs), 'configuration')} {'agrees' if agree == 1 else 'agree'} with the reference"
        slowest = s.runs[s.runs["agrees"].astype(bool)]["wall_time_s"].max() if agree else math.nan
        fastest = row.get("wall_time_s")
        if agree > 1 and isinstance(fastest, float) and fastest > 0 and math.isfinite(slowest):
            text += f"; the slowest correct one took {slowest / fastest:.1f}x as long"
        if s.pareto is not None:
            text += f"; Pareto front: {s.pareto.trade_off()}"
        return text

    def _found_implementation(self) -> str:
        i = self.implementation
        if i is None:
            return self._not_run()
        text = f"{i.status}, objective {_with_unit(i.objective, i.objective_unit, 10)} with {i.solver}"
        text += "; agrees with the reference" if i.agrees else "; DOES NOT agree with the reference"
        return text + "; settings to paste into the spec: solver.yaml"

    def _found_validation(self) -> str:
        v = self.validation
        if v is None:
            return self._not_run()
        parts = []
        r = v.robustness
        if r is not None:
            parts.append(f"plan stays feasible in {r.feasible_probability:.1%} of {r.scenarios} scenarios")
            if r.objective.get("count"):
                what = "objective of the fixed integer plan" if v.fixed_integers else "re-optimised objective"
                if v.objective_name:
                    what = f"{what}: {v.objective_name}"
                unit = f" {v.objective_unit}" if v.objective_unit else ""
                parts.append(f"{what} {_fmt(r.objective.get('q05'), 5)} to {_fmt(r.objective.get('q95'), 5)}{unit} "
                             f"(5-95 %), cv {_fmt(r.objective.get('cv'), 2)}")
        if v.ranking:
            parts.append(f"most influential: {v.ranking[0]}")
        if not v.declared:
            parts.append("default +-10 % perturbations (none declared)")
        if v.thresholds:
            failed = [check.name for check in v.verdict.checks if not check.passed]
            parts.append("verdict PASS" if v.passed else f"verdict FAIL ({', '.join(failed)})")
        else:
            parts.append("no validation thresholds declared")
        return "; ".join(parts)

    # output ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every number of the report, JSON-ready (the content of ``lifecycle.json``)."""
        def part(phase: Any) -> Any:
            return phase.to_dict() if phase is not None else None
        return json_ready({
            "name": self.name, "spec": self.spec, "out_dir": self.out_dir, "settings": self.settings,
            "passed": self.passed, "exit_code": self.exit_code, "skipped": self.skipped,
            "elapsed_s": self.elapsed_s,
            "summary": [{"phase": phase, "goal": goal, "found": found} for phase, goal, found in self.summary()],
            "baseline": part(self.baseline), "analysis": part(self.analysis), "strategy": part(self.strategy),
            "implementation": part(self.implementation), "validation": part(self.validation),
            "files": self.files})

    def to_json(self) -> str:
        return to_json(self.to_dict())

    def to_text(self) -> str:
        """The summary table as plain text (what the command prints)."""
        lines = [f"Lifecycle of {self.name}" + (f" ({self.spec})" if self.spec else "")]
        for phase, _goal, found in self.summary():
            lines.append(f"  {phase}: {found}")
        if self.validation is not None and self.validation.monitor_command:
            lines.append(f"  monitor later: {self.validation.monitor_command}")
        lines.append(("PASS" if self.passed else "FAIL") + (f" ({self._fail_reason()})" if not self.passed else ""))
        return "\n".join(lines) + "\n"

    def _fail_reason(self) -> str:
        if self.phases_run < 5:
            return self.skipped or "not every phase ran"
        if self.needed_repair and self.analysis is not None:
            return f"the spec as written is infeasible; the smallest repair is {self.analysis.repair_text()}"
        if self.validation is not None and not self.validation.passed:
            return "validation thresholds failed"
        return "the baseline solve is not optimal"

    def to_markdown(self) -> str:
        from opt_model.lifecycle.render import render_markdown
        return render_markdown(self)

    def to_html(self) -> str:
        from opt_model.lifecycle.render import render_html
        return render_html(self)

    def write(self, out_dir: str | Path | None = None) -> dict[str, str]:
        """Write ``report.html``, ``report.md`` (figures beside it) and ``lifecycle.json``; return the paths."""
        folder = Path(out_dir or self.out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        figures = folder / "figures"
        for name, data in self.figures.items():
            figures.mkdir(exist_ok=True)
            (figures / name).write_bytes(data)
            self.files[f"figure:{name}"] = str(figures / name)
        self.files["html"] = str(folder / "report.html")
        self.files["markdown"] = str(folder / "report.md")
        self.files["json"] = str(folder / "lifecycle.json")
        (folder / "report.html").write_text(self.to_html())
        (folder / "report.md").write_text(self.to_markdown())
        (folder / "lifecycle.json").write_text(self.to_json())
        return dict(self.files)
