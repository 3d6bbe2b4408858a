"""The lifecycle's charts as PNG bytes (matplotlib, Agg backend).

Solver comparison, Pareto front and resource utilisation are drawn here; the
tornado and the objective distribution are :mod:`opt_model.sensitivity.plots`'
charts, rendered to bytes.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GOOD, BAD, CHOSEN, NEUTRAL = "#4C72B0", "#C44E52", "#55A868", "#8C8C8C"


def _pyplot() -> Any:
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def to_png(figure: Any) -> bytes:
    """The figure as PNG bytes (the figure is closed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(figure)
    return buffer.getvalue()


def _finish(figure: Any, path: str | Path | None) -> Any:
    if path is None:
        return figure
    Path(path).write_bytes(to_png(figure))
    return Path(path)


def plot_solver_comparison(runs: pd.DataFrame, chosen: str, path: str | Path | None = None) -> Any:
    """Wall time of each configuration's isolated run; agreeing runs blue, the chosen one green, others red.

    Example
    -------
    >>> runs = pd.DataFrame({"solver": ["highs", "highs:ipm"], "wall_time_s": [0.1, 0.2], "agrees": [True, True],
    ...                      "status": ["optimal", "optimal"], "peak_memory_mb": [90.0, 95.0]})
    >>> to_png(plot_solver_comparison(runs, "highs"))[:4]
    b'\\x89PNG'
    """
    plt = _pyplot()
    rows = runs.iloc[::-1]
    times = rows["wall_time_s"].astype(float).to_numpy()
    shown = np.where(np.isfinite(times), times, 0.0)
    colors = [CHOSEN if name == chosen else GOOD if agree else BAD
              for name, agree in zip(rows["solver"], rows["agrees"].astype(bool), strict=True)]
    figure, axes = plt.subplots(figsize=(7.5, 0.5 * max(len(rows), 2) + 1.3))
    positions = np.arange(len(rows))
    axes.barh(positions, shown, color=colors)
    axes.set_yticks(positions, rows["solver"].tolist())
    right = float(shown.max(initial=0.0)) or 1.0
    for y, (time, status, agree, memory) in enumerate(zip(times, rows["status"], rows["agrees"].astype(bool),
                                                          rows["peak_memory_mb"].astype(float), strict=True)):
        label = f"{time:.3g} s" if math.isfinite(time) else "no time"
        if math.isfinite(memory):
            label += f", {memory:.0f} MiB"
        if not agree:
            label += f" ({status}, does not agree)" if status == "optimal" else f" ({status})"
        axes.text(min(shown[y], right) + right * 0.01, y, label, va="center", fontsize=8)
    axes.set_xlim(0, right * 1.6)
    axes.set_xlabel("wall time of the isolated run (s)")
    axes.set_title(f"Solver configurations (green: chosen, {chosen})")
    return _finish(figure, path)


def plot_pareto(front: Any, path: str | Path | None = None) -> Any:
    """The Pareto front: first objective across, second up; the model's own solution marked."""
    plt = _pyplot()
    points = front.points[front.points["status"] == "optimal"].sort_values("first")
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.plot(points["first"], points["second"], marker="o", color=GOOD, label="Pareto front")
    if front.chosen is not None:
        axes.scatter([front.chosen[0]], [front.chosen[1]], s=120, marker="*", color=BAD, zorder=5,
                     label="the spec's lexicographic solution")
    u1 = f" ({front.units[0]})" if front.units[0] else ""
    u2 = f" ({front.units[1]})" if front.units[1] else ""
    axes.set_xlabel(f"{front.names[0]}{u1}, {front.senses[0]}d")
    axes.set_ylabel(f"{front.names[1]}{u2}, {front.senses[1]}d")
    axes.set_title(f"Pareto front: {front.names[0]} vs {front.names[1]}")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return _finish(figure, path)


def plot_utilisation(table: pd.DataFrame, path: str | Path | None = None, top: int = 30) -> Any:
    """Utilisation (%) of each resource label; binding ones in red, with their shadow price."""
    plt = _pyplot()
    rows = table[np.isfinite(table["utilisation_pct"].astype(float))].head(top).iloc[::-1]
    figure, axes = plt.subplots(figsize=(7.5, 0.32 * max(len(rows), 3) + 1.3))
    positions = np.arange(len(rows))
    values = rows["utilisation_pct"].astype(float).to_numpy()
    colors = [BAD if bool(binding) else GOOD for binding in rows["binding"]]
    axes.barh(positions, values, color=colors)
    axes.set_yticks(positions, rows["name"].tolist(), fontsize=8)
    axes.axvline(100, color="black", linewidth=0.8)
    for y, (value, price) in enumerate(zip(values, rows["shadow_price"].astype(float), strict=True)):
        if math.isfinite(price) and abs(price) > 1e-12:
            axes.text(value + 1, y, f"price {price:.3g}", va="center", fontsize=7)
    axes.set_xlim(0, max(120.0, float(values.max(initial=0.0)) * 1.25))
    axes.set_xlabel("utilisation (%)")
    axes.set_title("Resource utilisation (red: binding)")
    return _finish(figure, path)


def tornado_png(table: pd.DataFrame, unit: str = "") -> bytes:
    """The tornado chart of :func:`opt_model.sensitivity.tornado` as PNG bytes."""
    from opt_model.sensitivity.plots import plot_tornado

    figure = plot_tornado(table, None, title="Tornado: objective at each factor's 5 % and 95 % value")
    if unit:
        figure.axes[0].set_xlabel(f"optimal objective ({unit})")
    return to_png(figure)


def distribution_png(report: Any, unit: str = "") -> bytes:
    """The objective histogram of a robustness report as PNG bytes."""
    from opt_model.sensitivity.plots import plot_objective_distribution

    figure = plot_objective_distribution(report, None)
    if unit:
        figure.axes[0].set_xlabel(f"re-optimised objective ({unit})")
    return to_png(figure)
