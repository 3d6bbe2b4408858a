"""Options every backend understands (time limit, gap, threads, ...), in one frozen dataclass.

Every value is checked when the options are made (:class:`SolveOptions` and
:meth:`SolveOptions.from_mapping`, so ``Model.solve(threads=10**6)`` too): a value
out of its range raises :class:`~solvers.errors.ModelError` naming the option and
the allowed range, before any solver sees it.  HiGHS accepted ``threads=10**6`` and
then ended in a C++ ``bad_alloc``.  The ranges (also for the same options given by
their HiGHS names in ``extra``):

============  ===========================================  ==========================
option        allowed                                      HiGHS name
============  ===========================================  ==========================
time_limit    a number > 0 (``inf``: no limit)             ``time_limit``
mip_gap       a finite number >= 0 (0.01 is a 1% gap)      ``mip_rel_gap``
threads       a whole number from 1 to :data:`MAX_THREADS`  ``threads``
seed          a whole number from 0 to 2**31 - 1           ``random_seed``
presolve      true, false or None                          ``presolve``
verbose       true or false                                ``output_flag``
method        a name (the backend checks it) or None       ``solver``
extra         option names to one number, string or bool   (passed through)
============  ===========================================  ==========================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from solvers.errors import ModelError

MAX_THREADS = 256
"""Most solver threads one solve may ask for."""
MAX_SEED = 2 ** 31 - 1
"""Largest random seed (a 32-bit signed integer, as HiGHS and most solvers take it)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_time_limit(value: Any) -> str | None:
    if _is_number(value) and float(value) > 0:
        return None
    return "a number of seconds > 0 (inf for no limit)"


def _check_mip_gap(value: Any) -> str | None:
    if _is_number(value) and math.isfinite(float(value)) and float(value) >= 0:
        return None
    return "a finite number >= 0 (0.01 is a 1% gap)"


def _check_threads(value: Any) -> str | None:
    if _is_whole(value) and 1 <= int(value) <= MAX_THREADS:
        return None
    return f"a whole number from 1 to {MAX_THREADS}"


def _check_seed(value: Any) -> str | None:
    if _is_whole(value) and 0 <= int(value) <= MAX_SEED:
        return None
    return f"a whole number from 0 to {MAX_SEED}"


def _check_flag(value: Any) -> str | None:
    return None if value is None or isinstance(value, bool) else "true, false or None"


RANGES: dict[str, Callable[[Any], str | None]] = {
    "time_limit": _check_time_limit, "mip_gap": _check_mip_gap, "mip_rel_gap": _check_mip_gap,
    "threads": _check_threads, "seed": _check_seed, "random_seed": _check_seed,
}
"""Checks of the options with a range, by our name and by HiGHS's (in ``extra``); each returns what is allowed
when the value is out of range, else None."""


def _check_extra(options: Mapping[Any, Any], where: str) -> None:
    """Solver-specific options: names to numbers, strings or flags; a nested mapping (CVXPY's
    ``scip_params={"limits/nodes": 10}``) is checked the same way."""
    for key, value in options.items():
        if not isinstance(key, str) or not key:
            raise ModelError(f"solver option name {key!r} in {where} is not a name")
        if isinstance(value, Mapping) and where == "extra":
            _check_extra(value, f"extra.{key}")
            continue
        if _is_whole(value) and abs(int(value)) > MAX_SEED:
            raise _out_of_range(f"{where}.{key}", value, f"a whole number within +-{MAX_SEED} (a 32-bit integer), "
                                "or a float like 1e12")
        if not (isinstance(value, (str, bool)) or (_is_number(value) and not math.isnan(float(value)))):
            raise _out_of_range(f"{where}.{key}", value, "one number, string or true/false "
                                "(or, for a solver that takes them, a mapping of such options)")
        check = RANGES.get(key)
        allowed = check(value) if check is not None and not isinstance(value, str) else None
        if allowed is not None:
            raise _out_of_range(key, value, allowed)


def _out_of_range(name: str, value: Any, allowed: str) -> ModelError:
    return ModelError(f"solver option {name}={value!r} is out of range: give {allowed}")


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands; backends ignore what does not apply.

    ``extra`` passes solver-specific options through unchanged (each value one number,
    string or true/false; ``threads``, ``time_limit``, ``mip_rel_gap`` and ``random_seed``
    are range-checked there too).

    Example
    -------
    >>> SolveOptions(threads=4).threads
    4
    >>> try:
    ...     SolveOptions(threads=10**6)
    ... except ValueError as error:
    ...     print(error)
    solver option threads=1000000 is out of range: give a whole number from 1 to 256
    """

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    presolve: bool | None = None
    method: str | None = None
    seed: int | None = None
    verbose: bool = False
    extra: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("time_limit", "mip_gap", "threads", "seed"):
            value = getattr(self, name)
            if value is not None:
                allowed = RANGES[name](value)
                if allowed is not None:
                    raise _out_of_range(name, value, allowed)
        if _check_flag(self.presolve) is not None:
            raise _out_of_range("presolve", self.presolve, "true, false or None")
        if not isinstance(self.verbose, bool):
            raise _out_of_range("verbose", self.verbose, "true or false")
        if self.method is not None and (not isinstance(self.method, str) or not self.method):
            raise _out_of_range("method", self.method, "a method name (like 'simplex') or None")
        if self.extra is None:
            return
        if not isinstance(self.extra, Mapping):
            raise ModelError(f"solver option extra={self.extra!r} must be a mapping of option names to values")
        _check_extra(self.extra, "extra")

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> SolveOptions:
        if not options:
            return cls()
        known = {name for name in cls.__dataclass_fields__ if name != "extra"}
        aliases = {"time_limit_s": "time_limit", "mip_rel_gap": "mip_gap", "gap": "mip_gap",
                   "random_seed": "seed", "output_flag": "verbose"}
        fields: dict[str, Any] = {}
        given_extra = options.get("extra", {}) or {}
        if not isinstance(given_extra, Mapping):
            raise ModelError(f"solver option extra={given_extra!r} must be a mapping of option names to values")
        extra: dict[str, Any] = dict(given_extra)
        for key, value in options.items():
            if key == "extra":
                continue
            key = aliases.get(key, key)
            if key in known:
                fields[key] = value
            else:
                extra[key] = value
        return cls(**fields, extra=extra or None)
