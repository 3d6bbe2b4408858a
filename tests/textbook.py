"""Textbook models with published answers, built through the Python API."""

from __future__ import annotations

import opt_model as om


def wyndor(extra_row: bool = False) -> tuple[om.Model, dict[str, om.Variable]]:
    """Wyndor Glass (Hillier & Lieberman): max 3x1 + 5x2; z = 36 at (2, 6), duals (0, 1.5, 1)."""
    m = om.Model("wyndor")
    x1 = m.add_variable("x1")
    x2 = m.add_variable("x2")
    m.add_constraint("plant1", x1 <= 4)
    m.add_constraint("plant2", 2 * x2 <= 12)
    m.add_constraint("plant3", 3 * x1 + 2 * x2 <= 18)
    if extra_row:
        m.add_constraint("extra", x1 + x2 <= 8)
    m.maximize(3 * x1 + 5 * x2)
    return m, {"x1": x1, "x2": x2}


def dakota() -> tuple[om.Model, om.Variable]:
    """Dakota furniture (Winston): z = 280 at (2, 0, 8), duals (0, 10, 10, 0), reduced cost of chairs -5."""
    m = om.Model("dakota")
    product = om.Dim("product", ["desks", "tables", "chairs"])
    x = m.add_variables("x", dims=product)
    def coefficients(values: list[float]) -> om.LabeledArray:
        return om.data(values, dims=product)
    m.add_constraints("lumber", (coefficients([8, 6, 1]) * x).sum() <= 48)
    m.add_constraints("finishing", (coefficients([4, 2, 1.5]) * x).sum() <= 20)
    m.add_constraints("carpentry", (coefficients([2, 1.5, 0.5]) * x).sum() <= 8)
    m.add_constraints("demand", x.sel(product="tables") <= 5)
    m.maximize((coefficients([60, 30, 20]) * x).sum())
    return m, x
