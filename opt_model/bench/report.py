"""The benchmark report: solved counts, shifted geometric means, a per-problem table, a profile.

Rendered as plain text, Markdown (with the profile PNG written beside it) or
self-contained HTML (the PNG embedded as base64).

Example
-------
>>> from opt_model.bench.storage import ResultStore
>>> store = ResultStore(":memory:")
>>> b = store.start_batch({"jobs": 1})
>>> _ = store.add_run(b, {"run_key": "p|a|0", "problem": "p", "solver": "a", "repeat": 0,
...                       "status": "optimal", "wall_time_s": 1.0, "time_limit": 60})
>>> report = build_report(store)
>>> report.summary[0].solver, report.summary[0].solved
('a', 1)
>>> "| a |" in render_markdown(report, png_name=None)
True
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opt_model.bench.metrics import SOLVED_STATUSES, Cell, SolverSummary, cells, solver_summary
from opt_model.bench.storage import ResultStore
from opt_model.formatting import format_number

FAILURE_COLUMNS = ("wrong", "time_limit", "memory_limit", "crashed", "error")


@dataclass
class Report:
    """Everything a report shows, computed once and rendered in any format."""

    db: str
    time_column: str
    shift: float
    summary: list[SolverSummary]
    common: list[str]
    cells: dict[tuple[str, str], Cell]
    problems: list[dict[str, Any]]
    solvers: list[str]
    settings: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    png: bytes | None = None


def _fmt(value: Any, digits: int = 4) -> str:
    return format_number(value, digits)


def build_report(store: ResultStore, time_column: str = "wall_time_s", shift: float = 10.0,
                 with_png: bool = False) -> Report:
    """Compute the report of the latest run of every run key in ``store``."""
    runs = store.runs()
    grouped = cells(runs, time_column)
    solvers = list(dict.fromkeys(str(run["solver"]) for run in runs))
    summary, common = solver_summary(grouped, shift, solvers)
    problems: dict[str, dict[str, Any]] = {}
    for run in runs:
        entry = problems.setdefault(str(run["problem"]), {"problem": run["problem"]})
        for key in ("rows", "cols", "nonzeros", "integers", "reference_objective"):
            if entry.get(key) is None and run.get(key) is not None:
                entry[key] = run[key]
    batches = store.batches()
    settings: list[tuple[str, str]] = [("database", store.path)]
    notes: list[str] = []
    if batches:
        last = batches[-1]
        machine = last.get("machine") or {}
        if isinstance(machine, dict):
            settings.append(("machine", f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
                                        f"{_fmt(machine.get('memory_mb'), 6)} MiB, {machine.get('os', '')}"))
            settings.append(("python", str(machine.get("python", ""))))
        packages = last.get("packages") or {}
        if isinstance(packages, dict):
            settings.append(("packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items()))))
        suite = last.get("suite") or {}
        if isinstance(suite, dict):
            settings.append(("time limit", f"{_fmt(suite.get('time_limit'))} s per run"))
            settings.append(("memory limit", f"{_fmt(suite.get('memory_limit_mb'), 6)} MiB per run"))
            settings.append(("tolerance", f"{_fmt(suite.get('tolerance'))} relative"))
        if last.get("suite_commit"):
            settings.append(("suite commit", str(last["suite_commit"])))
        if last.get("project_commit"):
            settings.append(("opt-model commit", str(last["project_commit"])))
        settings.append(("batches", f"{len(batches)} ({', '.join(str(b.get('state')) for b in batches[-5:])})"))
        parallel = [b for b in batches if (b.get("jobs") or 1) > 1 and not b.get("scheduler")]
        if parallel:
            notes.append(f"{len(parallel)} batch(es) ran up to {max(b['jobs'] for b in parallel)} runs at a time on "
                         "one machine: runs competed for cores and memory bandwidth, so their times are not "
                         "comparable with sequential runs")
        if any(b.get("scheduler") for b in batches):
            notes.append("some runs ran on a Dask cluster: times depend on each worker machine (column 'worker')")
        if any(b.get("state") != "finished" for b in batches):
            notes.append("some batches did not finish (interrupted or still running): results may be incomplete")
    wrong = [f"{run['problem']} with {run['solver']} (repeat {run['repeat']}): {run.get('message') or ''}"
             for run in runs if run["status"] == "wrong"]
    excluded = sorted(set(problems) - set(common))
    if excluded:
        notes.append(f"{len(excluded)} problem(s) not run by every solver are left out of the means and the "
                     f"profile: {', '.join(excluded[:10])}{' ...' if len(excluded) > 10 else ''}")
    report = Report(store.path, time_column, shift, summary, common, grouped, list(problems.values()), solvers,
                    settings, notes, wrong)
    if with_png and common:
        from opt_model.bench.profiles import profile_png

        report.png = profile_png(grouped, solvers, time_label=time_column.replace("_s", "").replace("_", " "))
    return report


def summary_table(report: Report) -> tuple[list[str], list[list[str]]]:
    headers = ["solver", "problems", "solved", *FAILURE_COLUMNS, "other", f"SGM {report.time_column} (s)",
               "SGM / best"]
    rows = []
    for line in report.summary:
        other = sum(count for status, count in line.counts.items()
                    if status not in SOLVED_STATUSES and status not in FAILURE_COLUMNS)
        rows.append([line.solver, str(line.problems), str(line.solved),
                     *(str(line.counts.get(status, 0)) for status in FAILURE_COLUMNS), str(other),
                     _fmt(line.sgm), _fmt(line.sgm_ratio, 3)])
    return headers, rows


def problem_table(report: Report) -> tuple[list[str], list[list[str]]]:
    headers = ["problem", "rows", "cols", "nonzeros", *report.solvers]
    rows = []
    for entry in report.problems:
        line = [str(entry["problem"]), _fmt(entry.get("rows")), _fmt(entry.get("cols")), _fmt(entry.get("nonzeros"))]
        for solver in report.solvers:
            cell = report.cells.get((str(entry["problem"]), solver))
            if cell is None:
                line.append("")
            elif cell.solved:
                spread = f" ±{cell.spread * 50:.0f}%" if len(cell.times) > 1 else ""
                line.append(f"{_fmt(cell.time, 3)}{spread}")
            else:
                line.append(cell.status.upper() if cell.status == "wrong" else cell.status)
        rows.append(line)
    return headers, rows


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h), *(len(row[k]) for row in rows)]) for k, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="{"bad" if c in ("WRONG", "crashed", "time_limit", "memory_limit", "error") else ""}">'
        f"{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _explain(report: Report) -> str:
    return (f"Shifted geometric mean of {report.time_column} with shift {report.shift:g} s over the "
            f"{len(report.common)} problems every solver ran; an unsolved problem counts at the time limit; "
            "'SGM / best' divides by the best solver's mean. A run is solved when it ends optimal (or infeasible/"
            "unbounded) and agrees with the known answer; 'wrong' means it disagreed.")


def render_text(report: Report) -> str:
    out = []
    if report.wrong:
        out.append(f"!!! {len(report.wrong)} WRONG result(s):")
        out += [f"!!!   {line}" for line in report.wrong]
        out.append("")
    out.append(text_table(*summary_table(report)))
    out.append("")
    out.append(_explain(report))
    out += [f"note: {note}" for note in report.notes]
    out.append("")
    out.append(text_table(*problem_table(report)))
    out.append("")
    out += [f"{key}: {value}" for key, value in report.settings]
    return "\n".join(out) + "\n"


def render_markdown(report: Report, png_name: str | None = "profile.png") -> str:
    out = ["# Benchmark report", ""]
    if report.wrong:
        out += [f"> **{len(report.wrong)} WRONG result(s)**", ">"]
        out += [f"> - {line}" for line in report.wrong]
        out.append("")
    out += ["## Summary", "", _md_table(*summary_table(report)), "", _explain(report), ""]
    out += [f"> **Note:** {note}" for note in report.notes]
    if report.notes:
        out.append("")
    if png_name:
        out += ["## Performance profile", "", f"![performance profile]({png_name})", ""]
    out += ["## Per problem", "", f"Median {report.time_column} in seconds (± half the spread of repeats), "
            "or the status of an unsolved run.", "", _md_table(*problem_table(report)), "",
            "## Settings", ""]
    out += [f"- **{key}**: {value}" for key, value in report.settings]
    return "\n".join(out) + "\n"


_STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
          "text-align:right}td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}"
          ".wrong{background:#fee;border:2px solid #b00;padding:0.5em 1em}.note{background:#ffd;padding:0.5em}")


def render_html(report: Report) -> str:
    """Self-contained HTML (the profile embedded as a base64 PNG)."""
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Benchmark report</title>",
           f"<style>{_STYLE}</style></head><body><h1>Benchmark report</h1>"]
    if report.wrong:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in report.wrong)
        out.append(f"<div class='wrong'><strong>{len(report.wrong)} WRONG result(s)</strong><ul>{items}</ul></div>")
    out += ["<h2>Summary</h2>", _html_table(*summary_table(report)), f"<p>{html.escape(_explain(report))}</p>"]
    out += [f"<p class='note'><strong>Note:</strong> {html.escape(note)}</p>" for note in report.notes]
    if report.png:
        data = base64.b64encode(report.png).decode()
        out += ["<h2>Performance profile</h2>", f"<img alt='performance profile' src='data:image/png;base64,{data}'>"]
    out += ["<h2>Per problem</h2>", _html_table(*problem_table(report)), "<h2>Settings</h2><ul>"]
    out += [f"<li><strong>{html.escape(key)}</strong>: {html.escape(value)}</li>" for key, value in report.settings]
    out.append("</ul></body></html>")
    return "\n".join(out) + "\n"
