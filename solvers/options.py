"""Options every backend understands (time limit, gap, threads, ...), in one frozen dataclass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands; backends ignore what does not apply.

    ``extra`` passes solver-specific options through unchanged.
    """

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    presolve: bool | None = None
    method: str | None = None
    seed: int | None = None
    verbose: bool = False
    extra: Mapping[str, Any] | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> SolveOptions:
        if not options:
            return cls()
        known = {name for name in cls.__dataclass_fields__ if name != "extra"}
        aliases = {"time_limit_s": "time_limit", "mip_rel_gap": "mip_gap", "gap": "mip_gap",
                   "random_seed": "seed", "output_flag": "verbose"}
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = dict(options.get("extra", {}) or {})
        for key, value in options.items():
            if key == "extra":
                continue
            key = aliases.get(key, key)
            if key in known:
                fields[key] = value
            else:
                extra[key] = value
        return cls(**fields, extra=extra or None)
