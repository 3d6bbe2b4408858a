"""A constraint's row is in the unit its bound is written in: values, prices and sentences read in the user's
unit, and each price is the change of the optimum per unit of that bound (re-solved with the bound moved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opt_model.sensitivity import sensitivity_report
from opt_model.spec import loads_spec

ROOT = Path(__file__).resolve().parents[1]
DIET = (ROOT / "problems" / "diet.yaml").read_text()


def _diet(**bounds: str) -> str:
    text = DIET
    for old, new in bounds.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _objective(text: str) -> float:
    return loads_spec(text, base_dir=ROOT / "problems").solve().objective


def test_diet_rows_are_in_the_units_of_their_bounds() -> None:
    constraints = sensitivity_report(loads_spec(DIET, base_dir=ROOT / "problems").solve()).constraints
    units = dict(zip(constraints["name"], constraints["unit"], strict=True))
    assert units == {"energy_range": "kcal", "protein_min": "g", "fat_max": "g", "calcium_min": "g",
                     "iron_min": "mg"}
    rhs = dict(zip(constraints["name"], constraints["rhs"].astype(float), strict=True))
    assert rhs["calcium_min"] == pytest.approx(1.0) and rhs["iron_min"] == pytest.approx(14.0)
    assert rhs["energy_range"] == pytest.approx(2000.0)


@pytest.mark.parametrize(("name", "old", "new", "step"), [
    ("calcium_min", ">= 1 g", ">= 1.01 g", 0.01),
    ("protein_min", ">= 70 g", ">= 70.5 g", 0.5),
    ("energy_range", "2000 kcal <=", "2010 kcal <=", 10.0),
])
def test_a_price_is_per_unit_of_the_written_bound(name: str, old: str, new: str, step: float) -> None:
    report = sensitivity_report(loads_spec(DIET, base_dir=ROOT / "problems").solve())
    constraints = report.constraints.set_index("name")
    moved = _objective(_diet(**{old: new}))
    assert constraints.loc[name, "dual"] == pytest.approx((moved - report.objective) / step, rel=1e-6)


SMALL = """
version: 1
name: units
variables:
  x: {unit: MiB, upper: 4096 MiB}
constraints:
  in_bound_unit: "x >= 1 GiB"
  same_unit: "x <= 3000 MiB"
objective:
  minimize: "x"
"""


def test_a_bound_in_another_unit_converts_the_row_and_one_in_the_same_unit_keeps_it() -> None:
    constraints = sensitivity_report(loads_spec(SMALL).solve()).constraints.set_index("name")
    assert constraints.loc["in_bound_unit", "unit"] == "GiB"
    assert constraints.loc["in_bound_unit", "activity"] == pytest.approx(1.0)
    assert constraints.loc["in_bound_unit", "dual"] == pytest.approx(1024.0)  # MiB of objective per GiB
    assert constraints.loc["same_unit", "unit"] == "MiB"
    assert constraints.loc["same_unit", "rhs"] == pytest.approx(3000.0)
