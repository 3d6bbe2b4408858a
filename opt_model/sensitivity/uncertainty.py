"""Uncertain parameters: which number of the model is uncertain, and how it is distributed.

A :class:`Distribution` maps uniform numbers in (0, 1) to values through its
inverse CDF (:meth:`Distribution.ppf`), so Monte Carlo, Latin hypercube and
SALib's designs share one code path.  A relative distribution gives multipliers
of the nominal value.  An :class:`Uncertain` ties a distribution to a
:class:`Target`: the costs of a variable block, the right-hand sides (capacities)
of a constraint or resource, variable bounds, or one coefficient.

The same declarations can be written as plain dicts (the ``uncertainty:``
section of a YAML spec); :func:`parameters_from_spec` turns them into objects.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import ModelError, SpecError

if TYPE_CHECKING:
    from opt_model.sensitivity.problem import AnalysisModel

TARGET_KINDS = ("cost", "rhs", "lower", "upper", "coefficient")
_KIND_ALIASES = {"capacity": "rhs", "rhs": "rhs", "cost": "cost", "price": "cost", "lower": "lower",
                 "upper": "upper", "lower_bound": "lower", "upper_bound": "upper", "coefficient": "coefficient",
                 "coeff": "coefficient"}


class Distribution:
    """A one-dimensional distribution given by its inverse CDF.

    ``relative=True`` makes its values multipliers of the nominal value.
    """

    relative: bool = False

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        return self.ppf(rng.random(size))


def _positive(value: float, what: str) -> float:
    if not np.isfinite(value) or value <= 0:
        raise ModelError(f"{what} is {value}; it must be a positive number")
    return float(value)


@dataclass
class Normal(Distribution):
    """Normal with ``mean`` and standard deviation ``std``."""

    mean: float
    std: float
    relative: bool = False

    def __post_init__(self) -> None:
        _positive(self.std, "std of a normal distribution")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats  # deferred: scipy.stats costs ~0.4 s at import
        return np.asarray(stats.norm.ppf(u, loc=self.mean, scale=self.std))

    def describe(self) -> str:
        return f"normal(mean={self.mean:g}, std={self.std:g})" + (" x nominal" if self.relative else "")


@dataclass
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    low: float
    high: float
    relative: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ModelError(f"uniform distribution needs finite low < high, got [{self.low}, {self.high}]")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def describe(self) -> str:
        return f"uniform({self.low:g}, {self.high:g})" + (" x nominal" if self.relative else "")


@dataclass
class Triangular(Distribution):
    """Triangular on ``[low, high]`` with peak at ``mode``."""

    low: float
    mode: float
    high: float
    relative: bool = False

    def __post_init__(self) -> None:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ModelError(f"triangular distribution needs low <= mode <= high and low < high, got "
                             f"({self.low}, {self.mode}, {self.high})")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        from scipy import stats  # deferred: scipy.stats costs ~0.4 s at import
        return np.asarray(stats.triang.ppf(u, (self.mode - self.low) / width, loc=self.low, scale=width))

    def describe(self) -> str:
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})" + (" x nominal" if self.relative else "")


@dataclass
class LogNormal(Distribution):
    """Log-normal: ``exp(N(mu, sigma))`` (median ``exp(mu)``)."""

    mu: float
    sigma: float
    relative: bool = False

    def __post_init__(self) -> None:
        _positive(self.sigma, "sigma of a lognormal distribution")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats  # deferred: scipy.stats costs ~0.4 s at import
        return np.asarray(stats.lognorm.ppf(u, self.sigma, scale=np.exp(self.mu)))

    def describe(self) -> str:
        return f"lognormal(mu={self.mu:g}, sigma={self.sigma:g})" + (" x nominal" if self.relative else "")


@dataclass
class Empirical(Distribution):
    """Resampling of observed values (inverse of their empirical CDF)."""

    samples: np.ndarray
    relative: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        values = np.asarray(self.samples, dtype=float).reshape(-1)
        if values.size == 0 or not np.isfinite(values).all():
            raise ModelError(f"empirical distribution {self.source or ''} needs finite samples; got "
                             f"{values.size} values".replace("  ", " "))
        self.samples = np.sort(values)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.quantile(self.samples, np.asarray(u, dtype=float), method="inverted_cdf")

    def describe(self) -> str:
        where = f" from {self.source}" if self.source else ""
        return f"empirical({self.samples.size} samples{where})" + (" x nominal" if self.relative else "")

    @classmethod
    def from_csv(cls, path: str | Path, column: str | int = 0, relative: bool = False) -> Empirical:
        """Samples from one column (name or position) of a CSV file with a header row."""
        file = Path(path)
        if not file.is_file():
            raise ModelError(f"{file}: no such CSV file for an empirical distribution")
        with file.open(newline="") as handle:
            rows = list(csv.reader(handle))
        if len(rows) < 2:
            raise ModelError(f"{file}: needs a header row and at least one value")
        header = [name.strip() for name in rows[0]]
        if isinstance(column, str):
            if column not in header:
                raise ModelError(f"{file}: no column {column!r}; columns: {', '.join(header)}")
            position = header.index(column)
        else:
            position = int(column)
        values = []
        for line_number, row in enumerate(rows[1:], start=2):
            if position >= len(row) or not row[position].strip():
                continue
            try:
                values.append(float(row[position]))
            except ValueError as error:
                raise ModelError(f"{file}:{line_number}: {row[position]!r} in column {header[position]!r} "
                                 "is not a number") from error
        return cls(np.asarray(values), relative, f"{file.name}:{header[position]}")


def relative(percent: float, shape: str = "uniform") -> Distribution:
    """Multipliers around 1 within +-``percent`` %: uniform, triangular, or normal with that std.

    Example
    -------
    >>> relative(10).ppf(np.array([0.0, 0.5, 1.0])).round(6).tolist()
    [0.9, 1.0, 1.1]
    """
    fraction = _positive(percent, "relative perturbation (percent)") / 100.0
    if shape == "uniform":
        return Uniform(1.0 - fraction, 1.0 + fraction, relative=True)
    if shape == "triangular":
        return Triangular(1.0 - fraction, 1.0, 1.0 + fraction, relative=True)
    if shape == "normal":
        return Normal(1.0, fraction, relative=True)
    raise ModelError(f"relative perturbation shape {shape!r} is not known; use uniform, triangular or normal")


@dataclass(frozen=True)
class Target:
    """Which numbers of the model a parameter sets.

    ``kind``: ``"cost"`` (objective coefficients of a variable block),
    ``"rhs"`` (right-hand sides of a constraint, capacities of a resource),
    ``"lower"`` / ``"upper"`` (variable bounds) or ``"coefficient"`` (the
    coefficient of ``variable`` in constraint ``name``).  ``labels`` selects
    entries of a block (dim name -> label or list of labels).
    """

    kind: str
    name: str
    labels: tuple[tuple[str, Any], ...] = ()
    variable: str = ""

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ModelError(f"unknown target kind {self.kind!r}; use one of {', '.join(TARGET_KINDS)}")
        if self.kind == "coefficient" and not self.variable:
            raise ModelError("a coefficient target needs the variable's full name (variable='x[etl,h1]')")

    @property
    def label_map(self) -> dict[str, Any]:
        return dict(self.labels)

    def describe(self) -> str:
        where = ",".join(f"{k}={v}" for k, v in self.labels)
        base = f"{self.name}[{where}]" if where else self.name
        return f"coefficient of {self.variable} in {base}" if self.kind == "coefficient" else f"{self.kind} of {base}"


def _labels(labels: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    if not labels:
        return ()
    return tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in labels.items())


def cost(name: str, **labels: Any) -> Target:
    """Objective coefficients of a variable block (optionally some labels)."""
    return Target("cost", name, _labels(labels))


def rhs(name: str, **labels: Any) -> Target:
    """Right-hand sides of a constraint block (or capacities of a resource)."""
    return Target("rhs", name, _labels(labels))


capacity = rhs


def bound(name: str, side: str = "upper", **labels: Any) -> Target:
    """Lower or upper bounds of a variable block."""
    return Target(side, name, _labels(labels))


def coefficient(constraint: str, variable: str) -> Target:
    """The coefficient of one scalar variable (full name) in one scalar constraint (full name)."""
    return Target("coefficient", constraint, (), variable)


@dataclass
class Uncertain:
    """An uncertain parameter: a target and its distribution.

    ``per_entry=True`` draws each entry of a block independently (each
    capacity +-10 % on its own); ``False`` draws one value for all of them (one
    factor, as global sensitivity analysis needs).

    Example
    -------
    >>> p = Uncertain(capacity("memory", host="h1"), relative(10))
    >>> p.label
    'rhs of memory[host=h1]'
    """

    target: Target
    distribution: Distribution
    per_entry: bool = True
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or self.target.describe()


def _number(entry: Mapping[str, Any], key: str, where: str) -> float:
    if key not in entry:
        raise SpecError(f"{where}: missing {key!r}")
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def distribution_from_spec(entry: Mapping[str, Any], where: str = "uncertainty",
                           base_dir: Path | None = None) -> Distribution:
    """A distribution from a dict such as ``{"distribution": "normal", "mean": 1, "std": 0.1}``."""
    kind = str(entry.get("distribution", "")).lower()
    rel = bool(entry.get("relative", False))
    try:
        if kind == "normal":
            return Normal(_number(entry, "mean", where), _number(entry, "std", where), rel)
        if kind == "uniform":
            return Uniform(_number(entry, "low", where), _number(entry, "high", where), rel)
        if kind == "triangular":
            return Triangular(_number(entry, "low", where), _number(entry, "mode", where),
                              _number(entry, "high", where), rel)
        if kind == "lognormal":
            mu = np.log(_number(entry, "median", where)) if "median" in entry else _number(entry, "mu", where)
            return LogNormal(float(mu), _number(entry, "sigma", where), rel)
        if kind == "relative":
            percent = _number(entry, "percent", where) if "percent" in entry else \
                100.0 * _number(entry, "fraction", where)
            return relative(percent, str(entry.get("shape", "uniform")))
        if kind == "empirical":
            if "samples" in entry:
                return Empirical(np.asarray(entry["samples"], dtype=float), rel, "spec")
            if "csv" in entry:
                path = Path(str(entry["csv"]))
                if base_dir is not None and not path.is_absolute():
                    path = base_dir / path
                return Empirical.from_csv(path, entry.get("column", 0), rel)
            raise SpecError(f"{where}: an empirical distribution needs 'samples' or 'csv' (and 'column')")
    except ModelError as error:
        raise SpecError(f"{where}: {error}") from error
    raise SpecError(f"{where}: unknown distribution {kind!r}; use normal, uniform, triangular, lognormal, "
                    "relative or empirical")


def parameters_from_spec(entries: Iterable[Mapping[str, Any]], base_dir: str | Path | None = None
                         ) -> list[Uncertain]:
    """Uncertain parameters from plain dicts (the ``uncertainty:`` section of a spec).

    Each entry has ``target`` (cost, rhs / capacity, lower, upper,
    coefficient), ``of`` (the block or scalar name), optional ``labels``
    (``{host: h1}``), ``variable`` (for a coefficient), ``distribution`` with
    its numbers (normal: mean, std; uniform: low, high; triangular: low, mode,
    high; lognormal: mu or median, sigma; relative: percent [, shape];
    empirical: samples or csv [, column]), optional ``relative: true`` (values
    multiply the nominal number), ``per_entry`` and ``name``.

    Example
    -------
    >>> params = parameters_from_spec([{"target": "capacity", "of": "memory", "distribution": "relative",
    ...                                 "percent": 10}])
    >>> params[0].label, params[0].distribution.describe()
    ('rhs of memory', 'uniform(0.9, 1.1) x nominal')
    """
    directory = Path(base_dir) if base_dir is not None else None
    result = []
    for position, entry in enumerate(entries):
        where = f"uncertainty[{position}]"
        if not isinstance(entry, Mapping):
            raise SpecError(f"{where}: expected a mapping with target, of and distribution")
        known = {"target", "of", "labels", "variable", "distribution", "relative", "per_entry", "name", "mean",
                 "std", "low", "high", "mode", "mu", "median", "sigma", "percent", "fraction", "shape", "samples",
                 "csv", "column"}
        unknown = sorted(set(map(str, entry)) - known)
        if unknown:
            raise SpecError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
        kind = _KIND_ALIASES.get(str(entry.get("target", "")).lower())
        if kind is None:
            raise SpecError(f"{where}: target must be one of cost, capacity, rhs, lower, upper, coefficient; "
                            f"got {entry.get('target')!r}")
        if "of" not in entry:
            raise SpecError(f"{where}: missing 'of' (the constraint, resource or variable name)")
        labels = entry.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise SpecError(f"{where}: labels must be a mapping such as {{host: h1}}")
        try:
            target = Target(kind, str(entry["of"]), _labels(labels), str(entry.get("variable", "")))
        except ModelError as error:
            raise SpecError(f"{where}: {error}") from error
        result.append(Uncertain(target, distribution_from_spec(entry, where, directory),
                                bool(entry.get("per_entry", True)), str(entry.get("name", ""))))
    return result


def as_parameters(parameters: Uncertain | Sequence[Uncertain] | Iterable[Mapping[str, Any]]) -> list[Uncertain]:
    """Normalise a parameter, a list of them or a list of spec dicts."""
    if isinstance(parameters, Uncertain):
        return [parameters]
    items = list(parameters)
    if items and all(isinstance(item, Mapping) for item in items):
        return parameters_from_spec(items)  # type: ignore[arg-type]
    for item in items:
        if not isinstance(item, Uncertain):
            raise ModelError(f"expected Uncertain parameters or spec dicts, got {type(item).__name__}")
    return items  # type: ignore[return-value]




AUXILIARY_COLUMNS = re.compile(r"_aux\d*$")
"""Epigraph variables of convex atoms: their "costs" are the atoms' weights, not prices."""


def default_uncertainty(analysis: AnalysisModel, percent: float = 10.0) -> tuple[list[dict[str, Any]], str]:
    """+-``percent`` % on every capacity, cost and variable bound, as spec entries, and a sentence saying so.

    What ``opt-model robustness`` and the lifecycle perturb when a spec declares no
    uncertain parameters.  Capacities are the model's resources; a model without
    resources gets its inequality limits (``<=`` and ``>=`` rows) instead; balance
    rows (equalities) are left alone, their right-hand sides must move together.
    Finite upper bounds of continuous and general integer variables (lane
    capacities, per-item limits) are perturbed too; binaries' 0/1 bounds are not.
    Blocks whose numbers are all zero are left out (a relative change of 0 changes
    nothing); a block with some zeros is perturbed entry by entry.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"]); x = m.add_variables("x", dims=host, ub=3)
    >>> _ = m.add_resource("cpu", capacity=om.data({"h1": 4, "h2": 8}, dims=host)).add_usage(1.0 * x)
    >>> m.maximize(x.sum())
    >>> from opt_model.sensitivity.problem import AnalysisModel
    >>> entries, why = default_uncertainty(AnalysisModel.from_model(m))
    >>> [(e["target"], e["of"]) for e in entries]
    [('capacity', 'cpu'), ('cost', 'x'), ('upper', 'x')]
    """
    from opt_model.sensitivity.problem import EQ, FREE
    form = analysis.form
    kinds = analysis.row_kinds()
    nominal_rhs = np.where(np.isfinite(form.row_upper), form.row_upper, form.row_lower)
    resources = [group for group in analysis.row_groups if group.is_resource]
    rows = resources or [group for group in analysis.row_groups
                         if group.size and not np.isin(kinds[group.start:group.stop], [EQ, FREE]).any()]
    entries: list[dict[str, Any]] = []

    def add(kind: str, name: str, values: np.ndarray, names: list[str]) -> None:
        nonzero = np.isfinite(values) & (values != 0)
        if not nonzero.any():
            return
        targets = [name] if nonzero.all() else [names[k] for k in np.flatnonzero(nonzero)]
        entries.extend({"target": kind, "of": target, "distribution": "relative", "percent": float(percent)}
                       for target in targets)

    row_names = analysis.row_names() if any(g.size > 1 for g in rows) else []
    for group in rows:
        names = row_names[group.start:group.stop] if row_names else [group.name]
        add("capacity", group.name, nominal_rhs[group.start:group.stop], names)
    col_names = analysis.col_names()
    integer = np.asarray(form.integrality) != 0 if form.integrality is not None else np.zeros(form.num_cols, bool)
    bounded = []
    for group in analysis.col_groups:
        if AUXILIARY_COLUMNS.search(group.name):
            continue
        part = slice(group.start, group.stop)
        add("cost", group.name, form.c[part], col_names[part])
        if not integer[part].any() and np.isfinite(form.col_upper[part]).any():
            bounded.append(group)
    for group in bounded:
        part = slice(group.start, group.stop)
        add("upper", group.name, form.col_upper[part], col_names[part])
    limits = "every capacity" if resources else "the limit of every inequality constraint"
    what = f"{limits}, cost and variable upper bound" if bounded else f"{limits} and cost"
    why = f"the spec declares no uncertain parameters: {what} varies by +-{percent:g} % (uniform, each entry on " \
        "its own)"
    return entries, why
