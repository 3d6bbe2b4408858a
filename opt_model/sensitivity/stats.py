"""Small statistics for scenario results: Wilson intervals, quantiles, CVaR."""

from __future__ import annotations

import math

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Example
    -------
    >>> low, high = wilson_interval(25, 100)
    >>> round(low, 4), round(high, 4)
    (0.1755, 0.343)
    """
    if trials <= 0:
        return (0.0, 1.0)
    from scipy import stats  # deferred: scipy.stats costs ~0.4 s at import
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def cvar(values: np.ndarray, level: float = 0.95, worst: str = "upper") -> float:
    """Conditional value at risk: the mean of the worst ``1 - level`` share of ``values``.

    ``worst="upper"`` for costs (large is bad), ``"lower"`` for profits.

    Example
    -------
    >>> cvar(np.arange(100.0), 0.9)
    94.5
    """
    data = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if data.size == 0:
        return float("nan")
    tail = max(1, math.ceil((1.0 - level) * data.size))
    return float(data[-tail:].mean() if worst == "upper" else data[:tail].mean())


def describe(values: np.ndarray) -> dict[str, float]:
    """Mean, std, coefficient of variation, min, max and quantiles of the finite values."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return {"count": 0}
    mean = float(data.mean())
    std = float(data.std(ddof=1)) if data.size > 1 else 0.0
    out = {"count": int(data.size), "mean": mean, "std": std,
           "cv": std / abs(mean) if mean != 0 else (0.0 if std == 0 else float("inf")),
           "min": float(data.min()), "max": float(data.max())}
    for q, value in zip(QUANTILES, np.quantile(data, QUANTILES), strict=True):
        out[f"q{round(q * 100):02d}"] = float(value)
    return out
