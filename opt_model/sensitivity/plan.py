"""From uncertain parameters to in-place changes of a live model.

A :class:`ScenarioPlan` resolves :class:`~opt_model.sensitivity.uncertainty.Uncertain`
parameters against an :class:`AnalysisModel`: one *factor* per independent
draw, one *entry* per number of the standard form that a factor sets.  A
:class:`Changes` is one scenario's new numbers; :class:`Applier` writes a
sequence of them into a :class:`~solvers.Session`, putting
back the nominal value of anything the previous scenario changed and this one
does not, with one vectorised call per kind of change.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.uncertainty import Distribution, Uncertain
from solvers import Session, StandardForm

COST, RHS, LOWER, UPPER, COEFFICIENT = range(5)
_CODES = {"cost": COST, "rhs": RHS, "lower": LOWER, "upper": UPPER, "coefficient": COEFFICIENT}
_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY = np.zeros(0)


@dataclass
class Changes:
    """New numbers for one scenario (anything not listed keeps its nominal value).

    ``rhs`` values set the moving bound of each row: the upper bound of a
    ``<=`` row, the lower bound of a ``>=`` row, both of an equality.

    Example
    -------
    >>> Changes(cost_cols=np.array([3]), cost_values=np.array([2.5])).is_empty
    False
    """

    cost_cols: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    cost_values: np.ndarray = field(default_factory=lambda: _EMPTY)
    rhs_rows: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    rhs_values: np.ndarray = field(default_factory=lambda: _EMPTY)
    lower_cols: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    lower_values: np.ndarray = field(default_factory=lambda: _EMPTY)
    upper_cols: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    upper_values: np.ndarray = field(default_factory=lambda: _EMPTY)
    coef_rows: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    coef_cols: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    coef_values: np.ndarray = field(default_factory=lambda: _EMPTY)

    @property
    def is_empty(self) -> bool:
        return not (self.cost_cols.size or self.rhs_rows.size or self.lower_cols.size or self.upper_cols.size
                    or self.coef_rows.size)


@dataclass
class Factor:
    """One independent random input."""

    name: str
    distribution: Distribution
    parameter: int
    """Position of the :class:`Uncertain` it comes from."""


class FactorRuns(Sequence[Factor]):
    """Factors as runs of one shared description: ``(factor, count)`` is ``count`` independent draws.

    A block target ("every usage coefficient of ``x`` in ``memory``, each on its
    own") has one factor per coefficient, all described by the same
    :class:`Factor`; a run holds them without a reference per coefficient.

    Example
    -------
    >>> from opt_model.sensitivity.uncertainty import relative
    >>> runs = FactorRuns([(Factor("a", relative(10), 0), 3), (Factor("b", relative(5), 1), 1)])
    >>> len(runs), runs[2].name, runs[3].name, [f.name for f in runs]
    (4, 'a', 'b', ['a', 'a', 'a', 'b'])
    """

    def __init__(self, runs: Sequence[tuple[Factor, int]] = ()) -> None:
        self.runs = [(factor, int(count)) for factor, count in runs if count > 0]
        self.ends = np.cumsum([count for _, count in self.runs], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.ends[-1]) if self.runs else 0

    @overload
    def __getitem__(self, index: int) -> Factor: ...

    @overload
    def __getitem__(self, index: slice) -> list[Factor]: ...

    def __getitem__(self, index: int | slice) -> Factor | list[Factor]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        position = int(index) + len(self) if index < 0 else int(index)
        if not 0 <= position < len(self):
            raise IndexError(f"factor {index} of {len(self)}")
        return self.runs[int(np.searchsorted(self.ends, position, side="right"))][0]

    def __iter__(self) -> Iterator[Factor]:
        return itertools.chain.from_iterable(itertools.repeat(factor, count) for factor, count in self.runs)


@dataclass
class ScenarioPlan:
    """Factors, and the entries of the standard form each one sets."""

    factors: Sequence[Factor]
    entry_factor: np.ndarray
    entry_kind: np.ndarray
    entry_row: np.ndarray
    entry_col: np.ndarray
    entry_nominal: np.ndarray
    entry_relative: np.ndarray
    parameter_labels: list[str]

    @property
    def num_factors(self) -> int:
        return len(self.factors)

    @property
    def has_coefficients(self) -> bool:
        return bool((self.entry_kind == COEFFICIENT).any())

    @property
    def has_bounds(self) -> bool:
        return bool(((self.entry_kind == LOWER) | (self.entry_kind == UPPER)).any())

    def factor_values(self, uniforms: np.ndarray) -> np.ndarray:
        """Map uniform numbers (scenarios x factors) through each factor's inverse CDF."""
        values = np.empty_like(uniforms, dtype=np.float64)
        if isinstance(self.factors, FactorRuns):  # one inverse-CDF call per run of identically described factors
            start = 0
            for factor, count in self.factors.runs:
                block = uniforms[:, start:start + count]
                values[:, start:start + count] = np.asarray(factor.distribution.ppf(block.reshape(-1)),
                                                            dtype=np.float64).reshape(block.shape)
                start += count
            return values
        for k, factor in enumerate(self.factors):
            values[:, k] = factor.distribution.ppf(uniforms[:, k])
        return values

    def entry_values(self, factor_values: np.ndarray) -> np.ndarray:
        """The numbers each entry takes (scenarios x entries), a new array.

        When every entry has its own factor, in order, the factor values are read as
        they are (no gather); all-relative or all-absolute entries skip the select.
        """
        factor_of = self.entry_factor
        in_order = factor_of.size == factor_values.shape[-1] and \
            bool((factor_of == np.arange(factor_of.size)).all())
        drawn = factor_values if in_order else factor_values[:, factor_of]
        relative = self.entry_relative
        if relative.all():
            return drawn * self.entry_nominal
        if not relative.any():
            return drawn.copy() if in_order else drawn
        return np.where(relative, drawn * self.entry_nominal, drawn)

    def changes(self, entry_values: np.ndarray) -> Changes:
        """One scenario's :class:`Changes` from its entry values."""
        kind = self.entry_kind
        pick = {code: kind == code for code in range(5)}
        return Changes(
            cost_cols=self.entry_col[pick[COST]], cost_values=entry_values[pick[COST]],
            rhs_rows=self.entry_row[pick[RHS]], rhs_values=entry_values[pick[RHS]],
            lower_cols=self.entry_col[pick[LOWER]], lower_values=entry_values[pick[LOWER]],
            upper_cols=self.entry_col[pick[UPPER]], upper_values=entry_values[pick[UPPER]],
            coef_rows=self.entry_row[pick[COEFFICIENT]], coef_cols=self.entry_col[pick[COEFFICIENT]],
            coef_values=entry_values[pick[COEFFICIENT]])

    def affected_rows(self) -> np.ndarray:
        return np.unique(self.entry_row[(self.entry_kind == RHS) | (self.entry_kind == COEFFICIENT)])


def build_plan(analysis: AnalysisModel, parameters: Sequence[Uncertain]) -> ScenarioPlan:
    """Resolve parameters to factors and entries; unknown names raise with a suggestion.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"]); x = m.add_variables("x", dims=host)
    >>> _ = m.add_resource("memory", capacity=om.data({"h1": 4, "h2": 8}, dims=host)).add_usage(1.0 * x)
    >>> m.maximize(x.sum())
    >>> plan = build_plan(AnalysisModel.from_model(m), [Uncertain(capacity("memory"), relative(10))])
    >>> plan.num_factors, plan.entry_nominal.tolist()
    (2, [4.0, 8.0])
    """
    factors: list[Factor] = []
    parts: dict[str, list[np.ndarray]] = {key: [] for key in ("factor", "kind", "row", "col", "nominal", "relative")}
    for number, parameter in enumerate(parameters):
        code, rows, cols, nominal = parameter_entries(analysis, parameter)
        count = rows.size
        first = len(factors)
        factors.extend(parameter_factors(analysis, number, parameter, rows, cols))
        factor_of = np.arange(first, first + count) if len(factors) - first > 1 else np.full(count, first)
        parts["factor"].append(factor_of)
        parts["kind"].append(np.full(count, code))
        parts["row"].append(rows.astype(np.int64))
        parts["col"].append(cols.astype(np.int64))
        parts["nominal"].append(nominal)
        parts["relative"].append(np.full(count, parameter.distribution.relative))
    if not factors:
        raise ModelError("no uncertain parameters were given")
    joined = {key: np.concatenate(values) for key, values in parts.items()}
    return ScenarioPlan(factors, joined["factor"], joined["kind"], joined["row"], joined["col"], joined["nominal"],
                        joined["relative"].astype(bool), [p.label for p in parameters])


def parameter_entries(analysis: AnalysisModel, parameter: Uncertain
                      ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The kind code, rows, columns (-1 where not applicable) and nominal values of the numbers one parameter sets.

    Unknown names, right-hand sides of free rows and relative perturbations of a 0 raise a
    :class:`~opt_model.errors.ModelError`.  A coefficient target names exactly one entry here
    (whole blocks are :func:`~opt_model.sensitivity.targets.resolve_plan`'s).
    """
    form = analysis.form
    target = parameter.target
    code = _CODES[target.kind]
    if code in (COST, LOWER, UPPER):
        cols = analysis.col_indices(target.name, target.label_map)
        rows = np.full(cols.size, -1, dtype=np.int64)
        source = {COST: form.c, LOWER: form.col_lower, UPPER: form.col_upper}[code]
        nominal = source[cols].astype(float)
    elif code == RHS:
        rows = analysis.row_indices(target.name, target.label_map)
        cols = np.full(rows.size, -1, dtype=np.int64)
        lower, upper = form.row_lower[rows], form.row_upper[rows]
        finite_upper = np.isfinite(upper)
        free = rows[~finite_upper & ~np.isfinite(lower)]
        if free.size:
            raise ModelError(f"{analysis.row_name(int(free[0]))} has no finite bound, so no right-hand side "
                             "to perturb")
        nominal = np.where(finite_upper, upper, lower)
    else:
        rows = analysis.row_indices(target.name, target.label_map)
        cols = analysis.col_indices(target.variable)
        if rows.size != 1 or cols.size != 1:
            raise ModelError(f"{target.describe()}: name exactly one constraint row and one variable column")
        nominal = np.array([_coefficient(form.A, int(rows[0]), int(cols[0]))])
    if parameter.distribution.relative and np.any(nominal == 0):
        where = analysis.row_name(int(rows[0])) if rows[0] >= 0 else analysis.col_name(int(cols[0]))
        raise ModelError(f"{parameter.label}: a relative perturbation of {where}, whose nominal value is 0, "
                         "changes nothing; use an absolute distribution")
    return code, rows, cols, nominal


def parameter_factors(analysis: AnalysisModel, number: int, parameter: Uncertain, rows: np.ndarray,
                      cols: np.ndarray) -> list[Factor]:
    """The factors of one parameter's entries: one per entry (named by row or column) when it draws each entry on
    its own, else one; ``number`` is the parameter's position."""
    if parameter.per_entry and rows.size > 1:
        kind = parameter.target.kind
        return [Factor(f"{kind}:{name}", parameter.distribution, number)
                for name in _entry_names(analysis, rows, cols)]
    return [Factor(parameter.label, parameter.distribution, number)]


def _entry_names(analysis: AnalysisModel, rows: np.ndarray, cols: np.ndarray) -> list[str]:
    """Names of the rows (or, where the row is -1, the columns): one pass when they lie in one labelled block."""
    use_rows = bool(rows[0] >= 0)
    positions = rows if use_rows else cols
    names = analysis.form.constraint_names() if use_rows else analysis.form.column_names()
    block = names.block_of(int(positions[0]))
    offsets = positions - block.start
    if (not use_rows or (rows >= 0).all()) and (use_rows or (rows < 0).all()) and block.labels and \
            not block.plain and bool((offsets >= 0).all() and (offsets < block.size).all()):
        index = np.unravel_index(offsets, block.shape)
        texts = [np.asarray(labels, dtype=object)[i].astype(str) for labels, i in zip(block.labels, index,
                                                                                       strict=True)]
        return [f"{block.name}[{','.join(parts)}]" for parts in zip(*texts, strict=True)]
    return [analysis.row_name(int(r)) if r >= 0 else analysis.col_name(int(c)) for r, c in zip(rows, cols,
                                                                                               strict=True)]


def _coefficient(A: sp.spmatrix, row: int, col: int) -> float:
    """One entry of a CSR or CSC matrix (0 when absent)."""
    return float(A[row, col])


class Applier:
    """Writes scenario :class:`Changes` into a session, restoring what the previous one changed."""

    def __init__(self, session: Session, nominal: StandardForm) -> None:
        self.session = session
        self.c = nominal.c.copy()
        self.row_lower = nominal.row_lower.copy()
        self.row_upper = nominal.row_upper.copy()
        self.col_lower = nominal.col_lower.copy()
        self.col_upper = nominal.col_upper.copy()
        low, up = np.isfinite(self.row_lower), np.isfinite(self.row_upper)
        self.move_upper = up
        self.move_lower = low & (~up | (self.row_lower == self.row_upper))
        self.nominal_A = nominal.A
        self._dirty_cost = _EMPTY_INT
        self._dirty_rows = _EMPTY_INT
        self._dirty_cols = _EMPTY_INT
        self._dirty_coef: tuple[np.ndarray, np.ndarray] = (_EMPTY_INT, _EMPTY_INT)

    def apply(self, changes: Changes) -> None:
        """Make the session's model the nominal one plus ``changes`` (one call per kind of change)."""
        session = self.session
        if changes.cost_cols.size or self._dirty_cost.size:
            cols = np.union1d(self._dirty_cost, changes.cost_cols)
            values = self.c[cols]
            values[np.searchsorted(cols, changes.cost_cols)] = changes.cost_values
            session.change_costs(cols, values)
            self._dirty_cost = np.unique(changes.cost_cols)
        if changes.rhs_rows.size or self._dirty_rows.size:
            rows = np.union1d(self._dirty_rows, changes.rhs_rows)
            lower = self.row_lower[rows]
            upper = self.row_upper[rows]
            where = np.searchsorted(rows, changes.rhs_rows)
            moving = changes.rhs_rows
            lower[where] = np.where(self.move_lower[moving], changes.rhs_values, lower[where])
            upper[where] = np.where(self.move_upper[moving], changes.rhs_values, upper[where])
            session.change_row_bounds(rows, lower, upper)
            self._dirty_rows = np.unique(changes.rhs_rows)
        if changes.lower_cols.size or changes.upper_cols.size or self._dirty_cols.size:
            cols = np.union1d(np.union1d(self._dirty_cols, changes.lower_cols), changes.upper_cols)
            lower = self.col_lower[cols]
            upper = self.col_upper[cols]
            lower[np.searchsorted(cols, changes.lower_cols)] = changes.lower_values
            upper[np.searchsorted(cols, changes.upper_cols)] = changes.upper_values
            session.change_col_bounds(cols, lower, upper)
            self._dirty_cols = np.union1d(changes.lower_cols, changes.upper_cols)
        dirty_rows, dirty_cols = self._dirty_coef
        if changes.coef_rows.size or dirty_rows.size:
            if dirty_rows.size:
                nominal = np.array([_coefficient(self.nominal_A, int(r), int(c))
                                    for r, c in zip(dirty_rows, dirty_cols, strict=True)])
                session.change_coefficients(dirty_rows, dirty_cols, nominal)
            if changes.coef_rows.size:
                session.change_coefficients(changes.coef_rows, changes.coef_cols, changes.coef_values)
            self._dirty_coef = (changes.coef_rows.copy(), changes.coef_cols.copy())
