"""Rendering a :class:`~opt_model.lifecycle.report.LifecycleReport` as HTML and as Markdown.

Both come from one list of blocks (headings, paragraphs, tables, figures,
code), so the two files say the same thing.  The HTML is self-contained: its
figures are embedded as base64 PNG and its style is inline, so it opens
without a network.  The Markdown refers to the PNG files in ``figures/``.
"""

from __future__ import annotations

import base64
import html
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.formatting import objective_unit_text, plural

if TYPE_CHECKING:
    from opt_model.lifecycle.report import LifecycleReport


@dataclass
class Block:
    """One piece of the report: ``kind`` is heading, text, bullets, table, figure, code, banner or facts."""

    kind: str
    text: str = ""
    level: int = 2
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    figure: str = ""
    ok: bool = True


def fmt(value: Any, digits: int = 6) -> str:
    """Numbers for people: ``6`` significant digits, ``-`` for missing, ``inf`` for unbounded.

    Example
    -------
    >>> fmt(616.3200000001), fmt(None), fmt(float("inf")), fmt(True)
    ('616.32', '-', 'inf', 'yes')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "-"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if abs(number) < 1e-12:
        return "0"
    return f"{number:.{digits}g}"


def pct(value: Any, digits: int = 1) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if not math.isfinite(number) else f"{100 * number:.{digits}f} %"


def unit_of(unit: str) -> str:
    """`` GiB`` to put after a number; nothing for a plain number (unit ``1`` or none)."""
    shown = objective_unit_text(unit)
    return f" {shown}" if shown else ""


# ----------------------------------------------------------------------------------------
# content
# ----------------------------------------------------------------------------------------

def _objective_text(report: LifecycleReport) -> str:
    baseline = report.baseline
    model = baseline.result.model if baseline is not None and baseline.result is not None else None
    document = getattr(model.metadata.get("spec"), "document", None) if model is not None else None
    objective = document.get("objective") if isinstance(document, dict) else None
    entries = objective if isinstance(objective, list) else [objective] if isinstance(objective, dict) else []
    parts = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        sense = "minimize" if "minimize" in entry else "maximize"
        text = f"{sense} {entry.get(sense)}"
        extras = []
        if "priority" in entry:
            extras.append(f"priority {entry['priority']}")
        if entry.get("tolerance"):
            extras.append(f"may worsen by {100 * float(entry['tolerance']):g} % for later priorities")
        if "weight" in entry:
            extras.append(f"weight {entry['weight']}")
        if entry.get("unit"):
            extras.append(f"in {entry['unit']}")
        parts.append(text + (f" ({', '.join(extras)})" if extras else ""))
    if parts:
        return "; then ".join(parts) if any("priority" in str(p) for p in parts) else "; ".join(parts)
    if model is not None:
        return f"{model.sense} the model's objective" + unit_of(baseline.objective_unit if baseline else "")
    return ""


def _about(report: LifecycleReport) -> list[Block]:
    baseline = report.baseline
    if baseline is None or baseline.result is None:
        return []
    model = baseline.result.model
    blocks = [Block("heading", "About this model", level=2)]
    if baseline.description:
        blocks.append(Block("text", baseline.description))
    objective = _objective_text(report)
    if objective:
        blocks.append(Block("text", f"Objective: {objective}."))
    rows = []
    for variable in model.variables.values():
        dims = " x ".join(f"{d.name} ({len(d)})" for d in variable.dims) or "scalar"
        rows.append([variable.name, variable.kind.value, dims, str(variable.size)])
    if rows:
        blocks.append(Block("table", headers=["decision", "type", "over", "count"], rows=rows))
    resources = [[r.name, r.unit or "-", ", ".join(d.name for d in r.dims) or "-",
                  "yes" if r.price is not None else "no", "yes" if r.provisioned is not None else "no"]
                 for r in model.resources.values()]
    if resources:
        blocks.append(Block("table", headers=["resource", "unit", "per", "priced", "can buy more"], rows=resources))
    constraints = [f"{name} ({plural(block.size, 'row')})" for name, block in model.constraints.items()]
    if constraints:
        blocks.append(Block("text", "Other constraints: " + ", ".join(constraints) + "."))
    return blocks


def _baseline(report: LifecycleReport) -> list[Block]:
    b = report.baseline
    blocks = [Block("heading", "1. Baseline", level=2)]
    if b is None:
        return [*blocks, Block("text", report._not_run())]
    facts = [["status", b.status], ["objective", b.objective_text()], ["solver", b.solver],
             ["solve time (in process)", f"{fmt(b.solve_time_s, 3)} s"],
             ["wall time (isolated run, loading included)", f"{fmt(b.wall_time_s, 3)} s" if b.wall_time_s else "-"],
             ["peak memory (isolated run)", f"{fmt(b.peak_memory_mb, 4)} MiB" if b.peak_memory_mb else "-"],
             ["problem class", b.problem_class],
             ["size", f"{plural(b.rows, 'row')}, {plural(b.columns, 'column')} ({b.integers} integer), "
                      f"{plural(b.nonzeros, 'nonzero')}"]]
    if b.expected_objective is not None or b.expected_status:
        expected = fmt(b.expected_objective, 10) if b.expected_objective is not None else b.expected_status
        verdict = "matches" if b.matches_expected else "DOES NOT match"
        facts.append(["spec's expected answer", f"{expected} ({verdict}, tolerance {fmt(b.tolerance)})"])
    if b.monitor_stored:
        stored = f"stored in {b.db} as '{b.monitor_name}'"
    elif report.needed_repair:
        stored = "the repaired model's solve is stored instead (see Analysis)"
    else:
        stored = "not stored (no optimal solve of the model as written)"
    facts.append(["monitoring baseline", stored])
    blocks.append(Block("facts", rows=facts))
    if b.stages:
        blocks.append(Block("table", headers=["priority", "objective", "sense", "status", "optimum", "held at"],
                            rows=[[str(k + 1), s["name"], s["sense"], s["status"], fmt(s["objective"], 10),
                                   fmt(s["held_at"], 10)] for k, s in enumerate(b.stages)]))
    if b.notes:
        blocks.append(Block("bullets", items=[f"Note: {note}" for note in b.notes]))
    return blocks


def _analysis(report: LifecycleReport) -> list[Block]:
    a = report.analysis
    blocks = [Block("heading", "2. Analysis", level=2)]
    if a is None:
        return [*blocks, Block("text", report._not_run())]
    unit = a.objective_unit or (report.baseline.objective_unit if report.baseline else "")
    diagnosis = a.infeasibility
    if a.stage:
        blocks.append(Block("text", f"Objectives by priority: the analysis is of {a.stage} (every number below is "
                            "in that stage's objective and unit; choose another with --stage)."))
    if diagnosis is not None and not diagnosis.feasible:
        blocks.append(Block("banner", "The model as written is infeasible: no allocation satisfies every "
                            "constraint.", ok=False))
        if diagnosis.iis:
            blocks.append(Block("text", "These constraints and bounds cannot all hold together (an irreducible "
                                "infeasible subset: drop any one of them and this conflict disappears):"))
            blocks.append(Block("table", headers=["kind", "constraint or bound"],
                                rows=[[entry.kind, entry.describe()] for entry in diagnosis.iis]))
        if a.repaired:
            blocks.append(Block("text", "Smallest change that makes it feasible (applied; the later phases use the "
                                f"repaired model, whose optimum is {fmt(a.repaired_objective, 10)}{unit_of(unit)}):"))
            blocks.append(Block("table", headers=["change", "before", "after", "by"],
                                rows=[[c.name, fmt(c.old), fmt(c.new), f"+{fmt(c.amount)}{unit_of(c.unit)}"]
                                      for c in a.repair]))
        alternatives = [fix.describe() for fix in diagnosis.alternatives]
        if alternatives:
            blocks.append(Block("text", "Each of these alone would also do: " + "; or ".join(alternatives) + "."))
    if a.messages and (diagnosis is None or diagnosis.feasible):
        blocks.append(Block("text", "What limits the objective, best gain first:"))
        blocks.append(Block("bullets", items=a.messages[:10]))
    elif a.repaired and a.bottlenecks is not None and a.bottlenecks.messages():
        blocks.append(Block("text", "After the repair, what limits the objective, best gain first:"))
        blocks.append(Block("bullets", items=a.bottlenecks.messages()[:10]))
    if len(a.table):
        blocks.append(Block("figure", figure="utilisation.png", text="Utilisation of each resource"))
        bought = "bought" in a.table and bool((a.table["bought"].astype(float).abs() > 1e-9).any())
        if a.scope == "resources":
            headers = ["resource", "usage", "capacity + bought = total" if bought else "capacity", "use",
                       f"shadow price ({unit or 'objective'} per unit)",
                       "allowable range of the capacity (base)" if bought else "allowable capacity range",
                       "gain of +1 unit", "holds for", "binding"]
        else:
            headers = ["constraint", "activity", "right-hand side", "use",
                       f"shadow price ({unit or 'objective'} per unit)", "allowable range of the right-hand side",
                       "gain of relaxing by 1", "holds for", "binding"]
        rows = []
        for row in a.table.head(60).to_dict(orient="records"):
            price = fmt(row["shadow_price"], 4)
            if row["degenerate"]:
                price += f" (left {fmt(row['dual_left'], 4)}, right {fmt(row['dual_right'], 4)})"
            rows.append([str(row["name"]), f"{fmt(row['usage'])}{unit_of(row['unit'])}",
                         capacity_text(row["capacity"], row.get("bought", 0.0), row["unit"]),
                         f"{fmt(row['utilisation_pct'], 3)} %" if math.isfinite(row["utilisation_pct"]) else "-",
                         price, f"{fmt(row['rhs_lower'])} .. {fmt(row['rhs_upper'])}",
                         fmt(row["gain_per_unit"], 4), f"+{fmt(row['headroom'], 4)}{unit_of(row['unit'])}"
                         if math.isfinite(row["headroom"]) else "-", "yes" if row["binding"] else ""])
        if not np.isfinite(a.table["utilisation_pct"].astype(float)).any():  # no "use" of balances, requirements
            headers = headers[:3] + headers[4:]
            rows = [row[:3] + row[4:] for row in rows]
        blocks.append(Block("table", headers=headers, rows=rows))
        if len(a.table) > 60:
            blocks.append(Block("text", f"({plural(len(a.table) - 60, 'more row')} in lifecycle.json)"))
        blocks.append(Block("text", "A shadow price is the change of the optimal objective per unit of extra "
                            "capacity; it holds while the capacity stays in the allowable range. Where the optimum "
                            "is degenerate, adding and removing capacity have different prices (left, right)."))
    if a.notes:
        blocks.append(Block("bullets", items=[f"Note: {note}" for note in a.notes]))
    return blocks


def _strategy(report: LifecycleReport) -> list[Block]:
    s = report.strategy
    blocks = [Block("heading", "3. Strategy", level=2)]
    if s is None:
        return [*blocks, Block("text", report._not_run())]
    blocks.append(Block("text", f"Chosen: {s.reason}."))
    blocks.append(Block("figure", figure="solvers.png", text="Solver configurations compared"))
    rows = []
    for row in s.runs.to_dict(orient="records"):
        rows.append([row["solver"] + (" (chosen)" if row["solver"] == s.chosen else ""), row["role"], row["status"],
                     fmt(row["objective"], 10), fmt(row["relative_error"], 2), "yes" if row["agrees"] else "NO",
                     fmt(row["wall_time_s"], 3), fmt(row["solve_time_s"], 3), fmt(row["peak_memory_mb"], 4)])
    blocks.append(Block("table", headers=["configuration", "role", "status", "objective", "relative error",
                                          "agrees", "wall time (s)", "solve time (s)", "peak memory (MiB)"],
                        rows=rows))
    reference = fmt(s.reference, 10) if s.reference is not None else "none"
    how = "each in its own process, as 'opt-model bench' runs them" if s.isolated else "in this process"
    blocks.append(Block("text", f"Runs {how}; an answer agrees when it is optimal and within {fmt(s.tolerance)} "
                        f"(relative) of the reference {reference} ({s.reference_source}). The runs are stored in "
                        f"{report.files.get('db', 'the lifecycle database')}."))
    if s.notes:
        blocks.append(Block("bullets", items=[f"Note: {note}" for note in s.notes]))
    front = s.pareto
    if front is not None:
        blocks.append(Block("heading", "Pareto front", level=3))
        trade = front.trade_off()
        blocks.append(Block("text", trade[:1].upper() + trade[1:] + "."))
        if len(front.points) > 1:
            blocks.append(Block("figure", figure="pareto.png", text="Pareto front"))
        u1 = f" ({front.units[0]})" if front.units[0] else ""
        u2 = f" ({front.units[1]})" if front.units[1] else ""
        blocks.append(Block("table", headers=[f"{front.names[0]} held at", f"{front.names[0]}{u1}",
                                              f"{front.names[1]}{u2}", "status"],
                            rows=[[fmt(r["epsilon"]), fmt(r["first"]), fmt(r["second"]), r["status"]]
                                  for r in front.points.to_dict(orient="records")]))
        method = "warm-started in one HiGHS session" if front.warm else "each solved from scratch"
        chosen = f" The spec's own solution (star) is at ({fmt(front.chosen[0])}, {fmt(front.chosen[1])})." \
            if front.chosen is not None else ""
        blocks.append(Block("text", f"Epsilon-constraint method: {front.solves} solves, {method}.{chosen}"))
        if front.notes:
            blocks.append(Block("bullets", items=[f"Note: {note}" for note in front.notes]))
    return blocks


def _implementation(report: LifecycleReport) -> list[Block]:
    i = report.implementation
    blocks = [Block("heading", "4. Implementation", level=2)]
    if i is None:
        return [*blocks, Block("text", report._not_run())]
    blocks.append(Block("text", f"Solved with {i.solver}: {i.status}, objective "
                        f"{fmt(i.objective, 10)}{unit_of(i.objective_unit)} in {fmt(i.solve_time_s, 3)} s. "
                        "Paste these lines into the spec (they replace its solver: and options: keys; also in "
                        "solver.yaml):"))
    blocks.append(Block("code", i.snippet))
    alloc = i.allocation
    if len(alloc.by_resource):
        blocks.append(Block("heading", "The allocation, by resource", level=3))
        table = alloc.by_resource
        used = table[table["users"].map(len) > 0]
        idle = table[table["users"].map(len) == 0]
        priced = bool(np.isfinite(used["shadow_price"].astype(float)).any()) if len(used) else False
        rows = []
        for row in used.to_dict(orient="records"):
            unit = unit_of(row["unit"])
            users = "; ".join(f"{name} = {fmt(value, 4)} uses {fmt(amount, 4)}{unit}"
                              for name, value, amount in row["users"])
            if row["more"]:
                users += f"; and {row['more']} more"
            where = f"{row['resource']} on {row['label']}" if row["label"] else row["resource"]
            capacity = capacity_text(row["capacity"], row.get("bought", 0.0), row["unit"])
            line = [where, f"{fmt(row['usage'])}{unit} of {capacity}",
                    f"{fmt(row['utilisation_pct'], 3)} %" if math.isfinite(row["utilisation_pct"]) else "-"]
            if priced:
                line.append(fmt(row["shadow_price"], 4))
            rows.append([*line, users])
        headers = ["resource", "used", "use", *(["shadow price"] if priced else []), "used by (decision = value "
                   "uses amount)"]
        blocks.append(Block("table", headers=headers, rows=rows))
        if len(idle):
            names = [f"{r['resource']} on {r['label']}" if r["label"] else r["resource"]
                     for r in idle.to_dict(orient="records")]
            blocks.append(Block("text", "Not used by any decision: " + ", ".join(names) + "."))
    if len(alloc.others):
        blocks.append(Block("heading", "Decisions that use no resource" if len(alloc.by_resource)
                            else "The allocation, by decision", level=3))
        rows = [[row["variable"], str(row["nonzero"]), fmt(row["total"]),
                 "; ".join(f"{name} = {fmt(value, 4)}" for name, value in row["largest"])
                 + (" ..." if row["nonzero"] > len(row["largest"]) else "")]
                for row in alloc.others.to_dict(orient="records")]
        blocks.append(Block("table", headers=["decision", "nonzero", "total", "largest values"], rows=rows))
    notes = [*i.notes, *alloc.notes]
    if notes:
        blocks.append(Block("bullets", items=[f"Note: {note}" for note in notes]))
    return blocks


def _validation(report: LifecycleReport) -> list[Block]:
    v = report.validation
    blocks = [Block("heading", "5. Validation and monitoring", level=2)]
    if v is None:
        return [*blocks, Block("text", report._not_run())]
    unit = v.objective_unit
    if v.thresholds:
        blocks.append(Block("banner", "Validation PASSED: every threshold holds." if v.passed else
                            "Validation FAILED: " + "; ".join(c.message for c in v.verdict.checks if not c.passed),
                            ok=v.passed))
    source = "as the spec declares them" if v.declared else "the defaults, since the spec declares none"
    blocks.append(Block("text", f"Uncertain parameters, {source}. The scenarios change {v.scope}:"))
    blocks.append(Block("table", headers=["what", "of", "distribution"],
                        rows=[[str(e.get("target")), str(e.get("of")) + (f" {e['labels']}" if e.get("labels") else ""),
                               _distribution(e)] for e in v.parameters[:40]]))
    r = v.robustness
    if r is not None:
        o = r.objective
        low, high = r.feasible_interval
        facts = [["scenarios", f"{r.scenarios} (seed {r.seed})"],
                 ["outcomes", ", ".join(f"{k} {n}" for k, n in r.status_counts.items())],
                 ["the plan stays feasible", f"{pct(r.feasible_probability)} ({r.confidence:.0%} interval "
                                              f"{pct(low)} - {pct(high)})"],
                 ["nominal objective", f"{fmt(r.nominal_objective, 10)}{unit_of(unit)}"]]
        what = "objective of the plan where it stays feasible" if v.fixed_integers else "re-optimised objective"
        if v.objective_name:
            what += f" ({v.objective_name})"
        if o.get("count"):
            facts += [[f"{what}, mean and std", f"{fmt(o['mean'])} +- {fmt(o['std'], 3)}{unit_of(unit)}"
                                                f" (cv {fmt(o['cv'], 3)})"],
                      ["5 % - 95 % of it", f"{fmt(o['q05'])} - {fmt(o['q95'])}{unit_of(unit)}"],
                      [f"CVaR {r.cvar_level:.0%}", f"{fmt(r.objective_cvar)}{unit_of(unit)}"]]
        if r.regret.get("count"):
            facts.append(["regret of keeping the plan (when it stays feasible)",
                          f"mean {fmt(r.regret['mean'], 4)}, 95 % {fmt(r.regret['q95'], 4)}{unit_of(unit)}"])
        facts.append(["optimal basis changes", pct(r.basis_change_rate)])
        facts.append(["binding set changes", pct(r.binding_change_rate)])
        blocks.append(Block("facts", rows=facts))
        caption = "Objective of the plan in the scenarios where it stays feasible" if v.fixed_integers \
            else "Distribution of the re-optimised objective"
        blocks.append(Block("figure", figure="distribution.png", text=caption))
        if not r.violations.empty:
            worst = r.violations.sort_values("probability", ascending=False).head(10)
            worst = worst[worst["probability"] > 0]
            if len(worst):
                blocks.append(Block("text", "Where the plan breaks (constraints it overruns, most often first):"))
                blocks.append(Block("table", headers=["constraint", "how often", "mean overrun", "95 % overrun",
                                                      "worst"],
                                    rows=[[w["name"], pct(w["probability"]),
                                           f"{fmt(w['mean_overrun'], 4)}{unit_of(w['unit'])}",
                                           f"{fmt(w['q95_overrun'], 4)}{unit_of(w['unit'])}",
                                           f"{fmt(w['max_overrun'], 4)}{unit_of(w['unit'])}"]
                                          for w in worst.to_dict(orient="records")]))
    if v.tornado is not None and len(v.tornado):
        blocks.append(Block("figure", figure="tornado.png", text="Tornado: one factor at a time"))
        blocks.append(Block("text", "One factor at a time at its 5 % and 95 % value, everything else nominal "
                            "(a blank bar above means no optimum there):"))
        blocks.append(Block("table", headers=["factor", "low value", "objective at low", "high value",
                                              "objective at high", "swing"],
                            rows=[[t["factor"], f"{fmt(t['low'], 4)}{unit_of(t.get('unit', ''))}",
                                   _objective_or_none(t["objective_low"]),
                                   f"{fmt(t['high'], 4)}{unit_of(t.get('unit', ''))}",
                                   _objective_or_none(t["objective_high"]), fmt(t["swing"], 4)]
                                  for t in v.tornado.to_dict(orient="records")]))
    g = v.global_sensitivity
    if g is not None and g.valid and "objective" in g.indices:
        frame = g.indices["objective"]
        key = "mu_star" if g.method == "morris" else "ST"
        ordered = frame.sort_values(key, ascending=False)
        swing = dict(zip(v.tornado["factor"], v.tornado["swing"], strict=True)) if v.tornado is not None else {}
        if g.method == "morris":
            headers = ["rank", "factor", "mu* (mean |effect|)", "sigma (interaction)", "tornado swing"]
            rows = [[str(k + 1), name, fmt(row["mu_star"], 4), fmt(row["sigma"], 4), fmt(swing.get(name), 4)]
                    for k, (name, row) in enumerate(ordered.iterrows())]
        else:
            headers = ["rank", "factor", "total order ST", "first order S1", "tornado swing"]
            rows = [[str(k + 1), name, fmt(row["ST"], 4), fmt(row["S1"], 4), fmt(swing.get(name), 4)]
                    for k, (name, row) in enumerate(ordered.iterrows())]
        blocks.append(Block("text", f"Global sensitivity ({g.method}, {g.scenarios} re-solves, "
                            f"{v.global_samples} {'trajectories' if g.method == 'morris' else 'base samples'}): "
                            "factors ranked by their influence on the optimal objective."))
        blocks.append(Block("table", headers=headers, rows=rows))
    if v.verdict.checks:
        blocks.append(Block("table", headers=["threshold", "required", "measured", "result"],
                            rows=[[c.name, fmt(c.threshold), fmt(c.value, 4), "pass" if c.passed else "FAIL"]
                                  for c in v.verdict.checks]))
    blocks.append(Block("heading", "Monitoring", level=3))
    blocks.append(Block("text", "The baseline solve is stored; when the data change, compare a new solve with it "
                        "(exit 1 when the objective moves more than 5 %, the allocation more than 10 %, or the set "
                        "of binding resources changes):"))
    blocks.append(Block("code", v.monitor_command))
    if v.reproduce_command:
        blocks.append(Block("text", "The same robustness numbers from the robustness command:"))
        blocks.append(Block("code", v.reproduce_command))
    notes = [*v.notes, *(r.notes if r is not None else []), *(g.notes if g is not None else [])]
    if notes:
        blocks.append(Block("bullets", items=[f"Note: {note}" for note in dict.fromkeys(notes)]))
    return blocks


def _objective_or_none(value: Any) -> str:
    return "no optimum" if value is None or not math.isfinite(float(value)) else fmt(value)


def _distribution(entry: dict[str, Any]) -> str:
    kind = str(entry.get("distribution"))
    if kind == "relative":
        return f"+-{fmt(entry.get('percent'))} % ({entry.get('shape', 'uniform')})"
    keys = [key for key in ("mean", "std", "low", "mode", "high", "mu", "median", "sigma") if key in entry]
    text = f"{kind}(" + ", ".join(f"{key}={fmt(entry[key])}" for key in keys) + ")"
    return text + (" x nominal" if entry.get("relative") else "")


def blocks_of(report: LifecycleReport) -> list[Block]:
    """The report's content, in order."""
    from opt_model import __version__

    title = f"Optimization lifecycle: {report.name}"
    when = time.strftime("%Y-%m-%d %H:%M")
    meta = f"{report.spec or 'model built in Python'}; opt-model {__version__}; {when}; " \
           f"took {fmt(report.elapsed_s, 3)} s"
    blocks = [Block("heading", title, level=1), Block("text", meta)]
    if report.passed and report.validation is not None and report.validation.thresholds:
        blocks.append(Block("banner", "PASS: the model solves, the chosen solver agrees, and the plan meets its "
                            "validation thresholds.", ok=True))
    elif report.passed:
        blocks.append(Block("banner", "PASS: the model solves and the chosen solver agrees. The spec declares no "
                            "validation thresholds, so robustness is reported but not judged.", ok=True))
    else:
        blocks.append(Block("banner", f"FAIL: {report._fail_reason()}.", ok=False))
    blocks.append(Block("heading", "Summary", level=2))
    blocks.append(Block("table", headers=["phase", "goal", "what was found"],
                        rows=[list(row) for row in report.summary()]))
    blocks += _about(report)
    blocks += _baseline(report) + _analysis(report) + _strategy(report) + _implementation(report)
    blocks += _validation(report)
    files = [f"{key}: {path}" for key, path in report.files.items() if not key.startswith("figure:")]
    if files:
        blocks.append(Block("heading", "Files", level=2))
        blocks.append(Block("bullets", items=files))
    return [block for block in blocks if block.kind != "figure" or block.figure in report.figures]


# ----------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------

STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;margin:0;
background:#f6f8fa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0 0.1em}h2{font-size:1.3em;margin-top:1.8em;padding-bottom:0.25em;
border-bottom:2px solid #d0d7de}h3{font-size:1.08em;margin-top:1.4em}
p.meta{color:#57606a;margin-top:0}
table{border-collapse:collapse;margin:0.6em 0 1em;font-size:0.9em;width:auto;max-width:100%}
th,td{border:1px solid #d0d7de;padding:4px 9px;vertical-align:top;text-align:left}
th{background:#eef1f4}tr:nth-child(even) td{background:#f9fafb}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.short{white-space:nowrap}
table.summary td:first-child{font-weight:600;white-space:nowrap}table.summary td:nth-child(2){color:#57606a;
width:28%}
table.facts th{width:34%;font-weight:500;background:#f6f8fa}
.banner{padding:10px 14px;border-radius:6px;margin:0.8em 0;font-weight:600}
.ok{background:#dafbe1;border:1px solid #4ac26b}.bad{background:#ffebe9;border:1px solid #ff8182}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;white-space:pre-wrap;
word-break:break-all;font-size:0.88em}
figure{margin:0.8em 0}figure img{max-width:100%;border:1px solid #eaeef2}figcaption{color:#57606a;
font-size:0.85em}
ul{padding-left:1.3em}li{margin:0.15em 0}
"""

_NUMERIC = ("-", "inf", "-inf")


def _is_number(text: str) -> bool:
    head = text.split(" ")[0].rstrip("%").replace(",", "")
    if head in _NUMERIC:
        return True
    try:
        float(head)
    except ValueError:
        return False
    return len(text.split(" ")) <= 3


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(f"<td class='num'>{html.escape(cell)}</td>" if _is_number(cell) and k > 0
                        else f"<td class='short'>{html.escape(cell)}</td>" if len(cell) <= 24
                        else f"<td>{html.escape(cell)}</td>" for k, cell in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    cls = f" class='{css}'" if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(report: LifecycleReport) -> str:
    """The report as one self-contained HTML page (figures embedded as base64 PNG)."""
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width, initial-scale=1'>",
           f"<title>Optimization lifecycle: {html.escape(report.name)}</title><style>{STYLE}</style></head>",
           "<body><main>"]
    first_text = True
    for block in blocks_of(report):
        if block.kind == "heading":
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif block.kind == "text":
            css = " class='meta'" if first_text else ""
            first_text = False
            out.append(f"<p{css}>{html.escape(block.text)}</p>")
        elif block.kind == "bullets":
            out.append("<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in block.items) + "</ul>")
        elif block.kind == "table":
            css = "summary" if block.headers[:1] == ["phase"] else ""
            out.append(_html_table(block.headers, block.rows, css))
        elif block.kind == "facts":
            rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in block.rows)
            out.append(f"<table class='facts'><tbody>{rows}</tbody></table>")
        elif block.kind == "figure":
            data = base64.b64encode(report.figures[block.figure]).decode()
            out.append(f"<figure><img alt='{html.escape(block.text)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{html.escape(block.text)}</figcaption></figure>")
        elif block.kind == "code":
            out.append(f"<pre><code>{html.escape(block.text.rstrip())}</code></pre>")
        elif block.kind == "banner":
            out.append(f"<div class='banner {'ok' if block.ok else 'bad'}'>{html.escape(block.text)}</div>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------
# Markdown
# ----------------------------------------------------------------------------------------

def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(map(_md_cell, headers)) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: LifecycleReport, figures_dir: str = "figures") -> str:
    """The report as Markdown; figures are linked from ``figures_dir`` (written by :meth:`LifecycleReport.write`)."""
    out: list[str] = []
    for block in blocks_of(report):
        if block.kind == "heading":
            out += ["#" * block.level + " " + block.text, ""]
        elif block.kind == "text":
            out += [block.text, ""]
        elif block.kind == "bullets":
            out += [f"- {item}" for item in block.items] + [""]
        elif block.kind == "table":
            out += [_md_table(block.headers, block.rows), ""]
        elif block.kind == "facts":
            out += [_md_table(["", ""], block.rows), ""]
        elif block.kind == "figure":
            out += [f"![{block.text}]({figures_dir}/{block.figure})", ""]
        elif block.kind == "code":
            language = "yaml" if block.text.lstrip().startswith(("#", "solver:")) else "bash"
            out += [f"```{language}", block.text.rstrip(), "```", ""]
        elif block.kind == "banner":
            out += [f"> **{block.text}**", ""]
    return "\n".join(out).rstrip() + "\n"


def capacity_text(total: float, bought: float, unit: str) -> str:
    """Capacity as everywhere else: ``120 h + 20 h bought = 140 h`` when some was bought, else ``140 h``.

    Example
    -------
    >>> capacity_text(140.0, 20.0, "h"), capacity_text(40.0, 0.0, "m^2")
    ('120 h + 20 h bought = 140 h', '40 m^2')
    """
    extra = float(bought) if bought is not None and math.isfinite(float(bought)) else 0.0
    if abs(extra) <= 1e-9:
        return f"{fmt(total)}{unit_of(unit)}"
    return f"{fmt(total - extra)}{unit_of(unit)} + {fmt(extra)}{unit_of(unit)} bought = {fmt(total)}{unit_of(unit)}"
