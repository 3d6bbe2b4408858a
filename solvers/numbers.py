"""Small number helpers shared by every layer."""

from __future__ import annotations

import math
from typing import Any


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else ``None`` (NaN, infinities, None, non-numbers).

    The one "NaN becomes None" rule for JSON output, tables and results.

    Example
    -------
    >>> finite_or_none(2), finite_or_none(float("nan")), finite_or_none(float("inf")), finite_or_none(None)
    (2.0, None, None, None)
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
