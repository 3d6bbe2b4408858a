"""Units: the registry, conversions, currencies, and units through spec expressions."""

from __future__ import annotations

import pytest

from opt_model.errors import SpecError
from opt_model.spec import loads_spec
from opt_model.spec.units import (
    UnitError,
    compatible,
    factor,
    is_dimensionless,
    is_plain,
    parse_quantity,
    parse_unit,
    unit_text,
)


@pytest.mark.parametrize(("text", "target", "value"), [
    ("16 GiB", "GiB", 16.0), ("512 MiB", "GiB", 0.5), ("2 h", "min", 120.0), ("90 min", "h", 1.5),
    ("150 W", "kW", 0.15), ("3 kWh", "MJ", 10.8), ("0.12 USD/kWh", "USD/MWh", 120.0), ("1 Gbit/s", "Mbit/s", 1000),
    ("1e3 MiB", "GiB", 1000 / 1024), ("8 bit", "byte", 1.0), ("50 %", "1", 0.5),
])
def test_quantities_convert(text: str, target: str, value: float) -> None:
    magnitude, unit = parse_quantity(text)
    assert magnitude * factor(unit, parse_unit(target)) == pytest.approx(value)


def test_information_is_a_dimension_and_currencies_do_not_mix() -> None:
    assert not compatible(parse_unit("GiB"), parse_unit("1"))       # pint's default would allow this
    assert not compatible(parse_unit("GiB"), parse_unit("h"))
    assert not compatible(parse_unit("USD"), parse_unit("EUR"))
    assert compatible(parse_unit("vCPU"), parse_unit("vcpu"))
    with pytest.raises(UnitError, match="cannot convert USD to EUR"):
        factor(parse_unit("USD"), parse_unit("EUR"))


def test_plain_versus_scaled_dimensionless() -> None:
    assert is_plain(parse_unit("1")) and is_dimensionless(parse_unit("%"))
    assert not is_plain(parse_unit("%")) and not is_plain(parse_unit("g/kg"))
    assert unit_text(parse_unit("USD/kWh") * parse_unit("kWh")) == "USD"
    assert unit_text(parse_unit("m^2")) == "m^2"


@pytest.mark.parametrize("text", ["gigglebyte", "GiB + 3", "__import__('os')", "kWh/", ""])
def test_bad_unit_text_is_an_error_not_code(text: str) -> None:
    if text == "":
        assert is_plain(parse_unit(text))
        return
    with pytest.raises(UnitError):
        parse_unit(text)


SPEC = """
version: 1
dims:
  job: [a, b]
data:
  need: {{dims: [job], unit: {need_unit}, values: {{a: 30, b: 90}}}}
variables:
  x: {{dims: [job], upper: 1}}
resources:
  time: {{unit: h, capacity: {capacity}, usage: "sum(need * x)"}}
objective:
  maximize: "sum(x)"
"""


def test_usage_and_capacity_in_other_units_are_converted() -> None:
    model = loads_spec(SPEC.format(need_unit="min", capacity="90 min"))
    resource = model.resources["time"]
    assert float(resource.capacity.values) == 1.5
    result = model.solve()
    assert result.objective == pytest.approx(1 + (1.5 - 0.5) / 1.5)
    assert result.usage("time") == pytest.approx(1.5)          # reported in hours


def test_incompatible_usage_names_both_quantities() -> None:
    with pytest.raises(SpecError) as caught:
        loads_spec(SPEC.format(need_unit="GiB", capacity="2 h"), file="s.yaml")
    message = str(caught.value)
    assert message.startswith("s.yaml:")
    assert "usage of resource 'time' is in GiB but the resource is in h" in message


def test_percent_and_per_kg_data_scale_their_values() -> None:
    model = loads_spec("""
version: 1
dims: {food: [a, b]}
data:
  share: {dims: [food], unit: g/kg, values: {a: 100, b: 300}}    # 10 % and 30 %
variables:
  amount: {dims: [food], unit: kg, upper: 1 kg}
constraints:
  limit: "sum(share * amount) <= 200 g"
objective: {maximize: "sum(amount)", unit: g}
""")
    result = model.solve()
    # a: 1 kg gives 100 g; then b adds 300 g/kg: 100 g more allows 1/3 kg
    assert result.objective == pytest.approx(1000 + 1000 / 3)
