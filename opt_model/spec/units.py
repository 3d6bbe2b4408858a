"""Units for specs: one pint registry with information, currencies and compute units.

Everything a spec writes as a number may carry a unit (``16 GiB``, ``90 min``,
``0.12 USD/kWh``).  This module is the only one that imports :mod:`pint`.

Differences from pint's default registry:

* ``bit`` (and so ``byte``, ``GiB``, ``Gbit/s`` ...) has its own dimension
  ``[information]``; pint's default treats it as dimensionless, which would let
  ``16 GiB`` be compared with a plain count.
* Currencies (``USD``, ``EUR``, ``GBP``, ``JPY``, ``CHF``, ``CNY``, ``INR``,
  ``CAD``, ``AUD``) are units, each its own dimension: there is no implicit
  exchange rate, so adding USD to EUR is an error.
* ``vCPU`` (alias ``vcpu``) and ``GPU`` (alias ``gpu``) are units of their own
  dimensions.

Numbers may be infinite: ``inf``, ``-inf``, ``.inf`` (YAML's spelling) and ``infinity``,
with or without a unit (``inf GiB``).

Example
-------
>>> parse_quantity("-inf h")[0]
-inf
>>> magnitude, unit = parse_quantity("512 MiB")
>>> magnitude * factor(unit, parse_unit("GiB"))
0.5
>>> unit_text(parse_unit("USD/kWh") * parse_unit("kWh"))
'USD'
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import threading
from typing import Any

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CNY", "INR", "CAD", "AUD")
_EXTRA_DEFINITIONS = [
    *(f"{code} = [currency_{code}]" for code in CURRENCIES),
    "vCPU = [cpu] = _ = vcpu",
    "GPU = [gpu] = _ = gpu",
]
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\.?(?:inf|infinity)\b)\s*(.*?)\s*$",
                       re.IGNORECASE)
_INFINITY = re.compile(r"^\s*([-+]?)\.?(?:inf|infinity)\s*$", re.IGNORECASE)


class UnitError(ValueError):
    """A unit cannot be parsed or two units cannot be converted (message says which)."""


Unit = Any  # pint.Unit; kept as Any so that callers need not import pint for typing


REGISTRY_LOCK = threading.RLock()
"""Held while the registry is built or changed: threads that load specs at once share one registry."""
_REGISTRY: list[Any] = []


def registry() -> Any:
    """The process-wide pint registry (built on first use, about 0.1 s; thread-safe)."""
    if _REGISTRY:
        return _REGISTRY[0]
    with REGISTRY_LOCK:  # two threads must never build two registries: their units cannot be mixed
        if not _REGISTRY:
            _REGISTRY.append(_build_registry())
        return _REGISTRY[0]


def _build_registry() -> Any:
    import pint

    files = importlib.resources.files("pint")
    text = (files / "default_en.txt").read_text(encoding="utf-8")
    constants = (files / "constants_en.txt").read_text(encoding="utf-8")
    text = text.replace("@import constants_en.txt", constants)
    text = re.sub(r"(?m)^bit = \[\]$", "bit = [information]", text)
    ureg: Any = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False)
    ureg.load_definitions(text.splitlines())
    for definition in _EXTRA_DEFINITIONS:
        ureg.define(definition)
    return ureg


_USER_UNITS: dict[str, str] = {}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def define_unit(definition: str, reference: str | None = None) -> Unit:
    """Define a unit of your own for specs and the Python API; returns it.

    ``define_unit("case")`` makes ``case`` a count with a dimension of its own (``[case]``), so
    cases cannot be mixed up with agents or tickets; ``define_unit("agent = [count]")`` names the
    dimension; ``define_unit("crate = 12 bottle")`` (or ``define_unit("crate", "12 bottle")``) is
    a multiple of a known unit and converts to it. Units are process-wide: defining the same name
    again the same way is harmless, differently (or over a built-in unit) is a :class:`UnitError`.

    Example
    -------
    >>> _ = define_unit("bottle"); _ = define_unit("crate = 12 bottle")
    >>> factor(parse_unit("crate"), parse_unit("bottle"))
    12.0
    >>> compatible(parse_unit("bottle"), parse_unit("h"))
    False
    """
    text = definition.strip()
    if reference is None and "=" in text:
        text, reference = (part.strip() for part in text.split("=", 1))
    name = text
    if not _NAME.match(name):
        raise UnitError(f"{name!r} cannot be a unit name: use letters, digits and _, starting with a letter")
    reference = (reference or "").strip() or f"[{name}]"
    if reference.startswith("["):
        if not re.fullmatch(r"\[[A-Za-z_][A-Za-z0-9_]*\]", reference):
            raise UnitError(f"unit {name!r}: {reference!r} is not a dimension; write it like '[count]'")
    else:
        try:
            parse_quantity(reference)  # the units it refers to must exist
        except UnitError as error:
            raise UnitError(f"unit {name!r}: {error}") from None
    normalized = f"{name} = {reference}"
    previous = _USER_UNITS.get(name)
    if previous is not None:
        if previous != normalized:
            raise UnitError(f"unit {name!r} is already defined as {previous!r}; units are shared by the whole "
                            "process, so give this one another name")
        return parse_unit(name)
    ureg = registry()
    if name in ureg:
        raise UnitError(f"{name!r} is already a unit ({ureg.get_name(name)}, {describe_dimension(ureg.Unit(name))}); "
                        "use it as it is or choose another name")
    ureg.define(normalized)
    _USER_UNITS[name] = normalized
    return parse_unit(name)


def user_units() -> dict[str, str]:
    """The units defined with :func:`define_unit` in this process, name -> definition."""
    return dict(_USER_UNITS)


def dimensionless() -> Unit:
    return registry().dimensionless


@functools.lru_cache(maxsize=4096)
def parse_unit(text: str) -> Unit:
    """A pint unit from text such as ``"GiB"``, ``"USD/kWh"``, ``"1"`` (dimensionless).

    Raises :class:`UnitError` for unknown names or malformed text.
    """
    cleaned = text.strip()
    if cleaned in ("", "1", "dimensionless"):
        return dimensionless()
    if not re.fullmatch(r"[A-Za-z_0-9µΩ°%/*^. ()\-]+", cleaned):
        raise UnitError(f"{text!r} is not a unit")
    try:
        unit = registry().parse_units(cleaned)
    except Exception as error:  # pint raises several types (UndefinedUnitError, DefinitionSyntaxError...)
        names = getattr(error, "unit_names", None)
        name = names if isinstance(names, str) else names[0] if isinstance(names, (tuple, list)) and names else None
        unknown = f" (unknown unit {name!r})" if name else ""
        raise UnitError(f"{text!r} is not a unit{unknown}") from None
    return unit


def parse_quantity(text: str) -> tuple[float, Unit]:
    """``(magnitude, unit)`` from ``"16 GiB"``, ``"0.12 USD/kWh"`` or ``"3"``.

    Raises :class:`UnitError` when ``text`` is not a number followed by a unit.
    """
    match = _QUANTITY.match(text)
    if not match:
        raise UnitError(f"{text!r} is not a number with a unit (write it like '16 GiB' or '0.12 USD/kWh')")
    return float(match.group(1).replace(".", "") if "inf" in match.group(1).lower() else match.group(1)), \
        parse_unit(match.group(2))


def infinity_word(text: str) -> float | None:
    """``inf``/``-inf`` for the words ``inf``, ``-inf``, ``+inf``, ``infinity``, ``.inf`` (any case), else None.

    Example
    -------
    >>> infinity_word("-inf"), infinity_word(".Inf"), infinity_word("infinite")
    (-inf, inf, None)
    """
    match = _INFINITY.match(text)
    if not match:
        return None
    return float("-inf") if match.group(1) == "-" else float("inf")


@functools.lru_cache(maxsize=4096)
def factor(source: Unit, target: Unit) -> float:
    """The number that converts a value in ``source`` units to ``target`` units.

    Raises :class:`UnitError` when the units measure different things.
    """
    if source == target:
        return 1.0
    ureg = registry()
    try:
        return float(ureg.Quantity(1.0, source).to(target).magnitude)
    except Exception:
        raise UnitError(f"cannot convert {unit_text(source)} to {unit_text(target)}: "
                        f"{describe_dimension(source)} is not {describe_dimension(target)}") from None


def compatible(left: Unit, right: Unit) -> bool:
    try:
        factor(left, right)
    except UnitError:
        return False
    return True


def is_dimensionless(unit: Unit) -> bool:
    """True for every unit without a dimension, including scaled ones such as ``%`` and ``g/kg``."""
    return bool(unit.dimensionless)


def is_plain(unit: Unit) -> bool:
    """True only for the unit of a plain number (dimensionless and unscaled: not ``%`` or ``g/kg``)."""
    return bool(unit == dimensionless())


def unit_text(unit: Unit) -> str:
    """Short text of a unit: ``"GiB"``, ``"USD / kWh"``, ``"1"`` for dimensionless."""
    if unit is None or unit == dimensionless():
        return "1"
    return format(unit, "~").replace(" ", "").replace("**", "^")


def describe_dimension(unit: Unit) -> str:
    """``"[information]"``, ``"[currency_USD]"``, ``"dimensionless"``."""
    dimensionality = registry().get_dimensionality(unit)
    return "dimensionless" if not dimensionality else str(dimensionality)


def reduce_unit(unit: Unit, preferred: list[Unit]) -> tuple[Unit, float]:
    """A simpler equivalent of ``unit`` and the factor to it (``USD/kWh * Wh`` is ``0.001 USD``).

    A unit whose conversion factor is past float range (``Mbit^64``) is kept as it is.
    """
    try:
        quantity = registry().Quantity(1.0, unit).to_reduced_units()
    except (OverflowError, ZeroDivisionError):
        return unit, 1.0
    reduced, multiplier = quantity.units, float(quantity.magnitude)
    if len(reduced._units) <= 1:
        return reduced, multiplier
    for candidate in preferred:
        if candidate.dimensionality == reduced.dimensionality and len(candidate._units) <= 1:
            return candidate, multiplier * factor(reduced, candidate)
    return reduced, multiplier
