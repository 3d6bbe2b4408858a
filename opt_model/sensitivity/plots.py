"""PNG charts (matplotlib, Agg backend): tornado, objective distribution, parametric curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opt_model.errors import SolverNotAvailableError


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SolverNotAvailableError("plots need matplotlib; run 'pip install matplotlib'") from error
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save(figure: Any, path: str | Path | None) -> Any:
    if path is not None:
        figure.savefig(Path(path), dpi=120, bbox_inches="tight")
        _pyplot().close(figure)
    return figure


def plot_tornado(table: pd.DataFrame, path: str | Path | None = None, title: str = "Tornado") -> Any:
    """Horizontal bars of the objective at each factor's low and high value (from :func:`tornado`)."""
    plt = _pyplot()
    rows = table.iloc[::-1]
    nominal = float(table["nominal_objective"].iloc[0]) if len(table) else 0.0
    figure, axes = plt.subplots(figsize=(7, 0.45 * max(len(rows), 2) + 1.2))
    positions = np.arange(len(rows))
    low = rows["objective_low"].to_numpy() - nominal
    high = rows["objective_high"].to_numpy() - nominal
    axes.barh(positions, low, left=nominal, color="#4C72B0", label="low value")
    axes.barh(positions, high, left=nominal, color="#DD8452", label="high value")
    axes.axvline(nominal, color="black", linewidth=0.8)
    axes.set_yticks(positions, rows["factor"].tolist())
    axes.set_xlabel("optimal objective")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize="small")
    return _save(figure, path)


def plot_objective_distribution(report: Any, path: str | Path | None = None) -> Any:
    """Histogram of the re-optimised objective of a robustness report, with nominal and CVaR marked."""
    plt = _pyplot()
    values = report.samples["objective"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.hist(values, bins=min(50, max(10, values.size // 20)), color="#4C72B0", alpha=0.85)
    axes.axvline(report.nominal_objective, color="black", linestyle="--", label="nominal")
    if np.isfinite(report.objective_cvar):
        axes.axvline(report.objective_cvar, color="#C44E52", label=f"CVaR {report.cvar_level:.0%}")
    axes.set_xlabel("re-optimised objective")
    axes.set_ylabel("scenarios")
    axes.set_title(f"{report.scenarios} scenarios; nominal plan feasible in {report.feasible_probability:.1%}")
    axes.legend(fontsize="small")
    return _save(figure, path)


def plot_sweep(sweep: Any, path: str | Path | None = None, output: str | None = None) -> Any:
    """The objective (or an output) along a parametric sweep, breakpoints marked."""
    plt = _pyplot()
    table = sweep.table.sort_values("value")
    column = output or "objective"
    solved = table[table["status"] == "optimal"]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(solved["value"], solved[column], marker=".", color="#4C72B0")
    for point in sweep.breakpoints:
        axes.axvline(point, color="#C44E52", linestyle=":", linewidth=1)
    axes.set_xlabel(sweep.parameter)
    axes.set_ylabel(column)
    axes.set_title(f"{column} vs {sweep.parameter} ({len(sweep.breakpoints)} breakpoints)")
    return _save(figure, path)
