"""Rendering numbers and tables for people and for files: one number formatter, JSON and CSV text."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "value"):
        return value.value
    return str(value)


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as None, numpy scalars as Python numbers, keys as strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return json_ready(value.item())
        except (TypeError, ValueError):
            return value
    return value


def to_json(payload: Mapping[str, Any]) -> str:
    """JSON with NaN and infinities written as null."""
    return json.dumps(json_ready(dict(payload)), indent=2, default=_json_default) + "\n"


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


ZERO_TOLERANCE = 1e-9
"""Numbers smaller than this in magnitude are solver round-off and are shown as ``0``."""


def format_number(value: Any, digits: int = 6, zero_tolerance: float = ZERO_TOLERANCE) -> str:
    """A number for people: ``digits`` significant digits, ``-`` for missing or NaN, ``inf``.

    Round-off noise (magnitude below ``zero_tolerance``) and negative zero are shown as ``0``.

    Example
    -------
    >>> [format_number(v) for v in (-0.0, 3e-13, -55.0, 2 / 3, float("nan"), float("-inf"), None)]
    ['0', '0', '-55', '0.666667', '-', '-inf', '-']
    """
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if abs(value) < zero_tolerance:
            return "0"
        text = f"{value:.{digits}g}"
        return "0" if text.lstrip("-") in ("0", "0.0") else text
    return str(value)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun in the right number: ``1 resource``, ``2 resources``, ``0 rows``.

    Example
    -------
    >>> plural(1, "resource"), plural(3, "row"), plural(2, "analysis", "analyses")
    ('1 resource', '3 rows', '2 analyses')
    """
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"


def objective_unit_text(unit: Any) -> str:
    """The unit to print beside an objective: empty for a plain (dimensionless) number.

    Example
    -------
    >>> objective_unit_text("USD"), objective_unit_text("1"), objective_unit_text(None)
    ('USD', '', '')
    """
    text = "" if unit is None else str(unit).strip()
    return "" if text in ("1", "dimensionless", "") else text


def resource_text_table(resources: list[dict[str, Any]]) -> str:
    """Resources as text: the one display of capacity, ``capacity`` (base), ``bought`` and ``total``.

    ``resources`` are dicts with ``name``, ``unit``, ``value`` (usage), ``capacity`` (base),
    ``bought``, ``total_capacity``, ``utilisation_pct`` and ``shadow_price``; the ``bought`` and
    ``total`` columns appear when some capacity was bought.

    Example
    -------
    >>> row = {"name": "machine[jan]", "unit": "h", "value": 140.0, "capacity": 120.0, "bought": 20.0,
    ...        "total_capacity": 140.0, "utilisation_pct": 100.0, "shadow_price": -55.0}
    >>> print(resource_text_table([row]).splitlines()[2])
    machine[jan]  h       140       120      20    140     100           -55
    """
    provisioned = any(r.get("bought") for r in resources)
    head = ["resource", "unit", "usage", "capacity"] + (["bought", "total"] if provisioned else [])
    head += ["util %", "shadow price"]
    body = []
    for r in resources:
        cells = [r["name"], r["unit"], r["value"], r["capacity"]]
        cells += [r["bought"], r["total_capacity"]] if provisioned else []
        body.append([*cells, r["utilisation_pct"], r["shadow_price"]])
    return text_table(body, head)


def text_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table (numbers right-aligned)."""
    cells = [[format_number(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [all(isinstance(row[k], (int, float)) or row[k] is None for row in rows) if rows else False
               for k in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[k] else v.ljust(w) for k, (v, w) in enumerate(zip(values, widths)))

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def html_pre(text: str, title: str = "") -> str:
    """Text as an HTML block for notebooks (escaped, monospace), with an optional bold title."""
    import html

    head = f"<b>{html.escape(title)}</b>" if title else ""
    return f"<div>{head}<pre>{html.escape(text)}</pre></div>"


def html_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """Rows as an HTML table with the same number formatting as :func:`text_table`."""
    import html

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f"<td style='text-align:{'right' if isinstance(v, (int, float)) else 'left'}'>"
        f"{html.escape(format_number(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Readable:
    """Mixin for report objects: ``print(report)`` shows ``report.to_text()``; notebooks show it too.

    Example
    -------
    >>> class Report(Readable):
    ...     def to_text(self) -> str:
    ...         return "2 bottlenecks"
    >>> str(Report()), Report()._repr_html_()
    ('2 bottlenecks', '<div><pre>2 bottlenecks</pre></div>')
    """

    def to_text(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return html_pre(self.to_text())
