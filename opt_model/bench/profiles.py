"""Dolan-More performance profiles as a PNG (matplotlib, Agg backend).

For each solver the curve shows the fraction of problems it solved within a
factor tau of the fastest solver on that problem (log2 axis); the curve's height
at tau = 1 is how often it was fastest, its height at the right edge how often it
solved at all.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from opt_model.bench.metrics import Cell, performance_ratios, profile_curve
from opt_model.errors import SolverNotAvailableError


def profile_png(grouped: Mapping[tuple[str, str], Cell], solvers: Sequence[str] | None = None,
                title: str = "Performance profile", time_label: str = "wall time") -> bytes:
    """The performance profile of ``grouped`` cells as PNG bytes.

    Example
    -------
    >>> from opt_model.bench.metrics import cells
    >>> runs = [{"problem": "p", "solver": "a", "status": "optimal", "wall_time_s": 1.0},
    ...         {"problem": "p", "solver": "b", "status": "optimal", "wall_time_s": 2.0}]
    >>> profile_png(cells(runs))[:4]
    b'\\x89PNG'
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise SolverNotAvailableError("performance profiles need matplotlib: pip install matplotlib") from None
    problems, ratios = performance_ratios(grouped, solvers)
    finite = [ratio for values in ratios.values() for ratio in values if math.isfinite(ratio)]
    right = max(2.0, max(finite, default=2.0) * 1.25)
    figure, axes = plt.subplots(figsize=(7.0, 4.5), dpi=110)
    for name, values in ratios.items():
        taus, fractions = profile_curve(values)
        xs = [1.0, *taus, right]
        ys = [0.0, *fractions, fractions[-1] if fractions else 0.0]
        axes.step(xs, ys, where="post", label=name, linewidth=1.8)
    axes.set_xscale("log", base=2)
    axes.set_xlim(1.0, right)
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel(f"tau: within this factor of the best {time_label}")
    axes.set_ylabel("fraction of problems")
    axes.set_title(f"{title} ({len(problems)} problems)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def write_profile(grouped: Mapping[tuple[str, str], Cell], path: str | Path,
                  solvers: Sequence[str] | None = None, time_label: str = "wall time") -> Path:
    """Write the performance profile PNG to ``path``."""
    target = Path(path)
    target.write_bytes(profile_png(grouped, solvers, time_label=time_label))
    return target
