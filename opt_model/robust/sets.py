"""Uncertainty sets of constraint rows, from the declared uncertainty.

Every robust method works on the same arrays: for each uncertain number of a
constraint row (a coefficient ``A[i, j]`` or a right-hand side ``b[i]``), the
interval ``[center - half, center + half]`` it may take.  The interval comes from
the parameter's distribution: its support when that is bounded (uniform,
triangular, empirical), else its central ``coverage`` quantile range (normal,
lognormal).  :class:`RowUncertainty` also keeps the sensitivity module's
:class:`~opt_model.sensitivity.plan.ScenarioPlan`, so scenario methods draw
from exactly the distributions that the Monte Carlo validation draws from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.plan import COEFFICIENT, COST, LOWER, RHS, UPPER, FactorRuns, ScenarioPlan
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.targets import ResolvedEntries, resolve_entries
from opt_model.sensitivity.uncertainty import Uncertain, as_parameters

DEFAULT_COVERAGE = 0.998
"""Share of an unbounded distribution that its interval covers (0.1 % cut off in each tail)."""


@dataclass
class RowUncertainty:
    """Intervals of the uncertain coefficients and right-hand sides of constraint rows.

    ``coef_*`` arrays have one entry per uncertain coefficient, ``rhs_*`` one per
    uncertain right-hand side.  ``sign[i]`` is +1 for a ``<=`` row (worst case:
    more usage, less capacity) and -1 for a ``>=`` row.

    Example
    -------
    >>> import opt_model as om
    >>> from opt_model.sensitivity.uncertainty import Uncertain, capacity, relative
    >>> m = om.Model(); x = m.add_variable("x"); _ = m.add_constraint("cap", 2 * x <= 10); m.maximize(x)
    >>> u = RowUncertainty.build(AnalysisModel.from_model(m), [Uncertain(capacity("cap"), relative(10))])
    >>> u.rhs_center.tolist(), u.rhs_half.round(6).tolist(), u.rows.tolist()
    ([10.0], [1.0], [0])
    """

    analysis: AnalysisModel
    entries: ResolvedEntries
    """The parameters resolved to the numbers they set (:attr:`plan` is made from it when first asked for)."""
    sign: np.ndarray
    coef: _Intervals
    """The uncertain coefficients (``coef_row``, ``coef_half``, ... read from it)."""
    rhs: _Intervals
    """The uncertain right-hand sides."""
    col_lower: np.ndarray
    """Worst-case (largest) lower bound of each column under the declared uncertainty (read-only)."""
    col_upper: np.ndarray
    """Worst-case (smallest) upper bound of each column (read-only)."""
    coverage: float = DEFAULT_COVERAGE
    notes: list[str] = field(default_factory=list)
    matrix: sp.csr_matrix | None = field(default=None, repr=False)
    """The nominal constraint matrix in CSR form."""
    coef_moved: np.ndarray | None = field(default=None, repr=False)
    """Positions (in the ``coef_*`` arrays) of the coefficients whose interval center is not the model's number."""

    @classmethod
    def build(cls, analysis: AnalysisModel, parameters: Uncertain | Sequence[Uncertain] | Sequence[Mapping[str, Any]],
              coverage: float = DEFAULT_COVERAGE) -> RowUncertainty:
        """Resolve ``parameters`` against ``analysis`` and compute every interval."""
        if not 0.5 < coverage < 1:
            raise ModelError(f"coverage={coverage}: give the share of each unbounded distribution to cover, "
                             "between 0.5 and 1 (for example 0.998)")
        params = as_parameters(parameters)
        form = analysis.form
        matrix = form.A.tocsr() if form.A.format != "csr" else form.A
        resolved = resolve_entries(analysis, params, matrix)
        offsets = resolved.offsets
        low_finite, up_finite = np.isfinite(form.row_lower), np.isfinite(form.row_upper)
        two_sided = low_finite & up_finite  # equality and range rows
        sign = np.zeros(form.num_rows)
        sign[up_finite & ~low_finite] = 1.0  # <=
        sign[low_finite & ~up_finite] = -1.0  # >=
        col_lower, col_upper = _read_only(form.col_lower), _read_only(form.col_upper)
        tail = (1.0 - coverage) / 2.0
        parts: dict[int, list[_Part]] = {COEFFICIENT: [], RHS: []}
        bounds = {LOWER: 0, UPPER: 0}
        notes: list[str] = []
        shared = False
        for number, parameter in enumerate(params):  # one pass per parameter: its entries are one slice
            part = slice(int(offsets[number]), int(offsets[number + 1]))
            if part.start == part.stop:
                continue
            code = int(resolved.kinds[number])
            distribution = parameter.distribution
            ends = np.asarray(distribution.ppf(np.array([0.0, 1.0])), dtype=float)
            if not np.isfinite(ends).all():
                inner = np.asarray(distribution.ppf(np.array([tail, 1.0 - tail])), dtype=float)
                ends = np.where(np.isfinite(ends), ends, inner)
            low, high = float(min(ends)), float(max(ends))
            if code in (COEFFICIENT, RHS):
                rows = resolved.rows_of(number)
                low_row, high_row = int(rows[0]), int(rows[-1])
                if low_row <= high_row and not two_sided[low_row:high_row + 1].any():
                    bad = rows[:0]  # rows in order (a block): no two-sided row in their range
                else:
                    bad = rows[two_sided[rows]]
                if bad.size:
                    row = int(bad[0])
                    equality = form.row_lower[row] == form.row_upper[row]
                    raise ModelError(f"{analysis.row_name(row)} is a {'n equality' if equality else ' range'} "
                                     "row with uncertain numbers: robust and chance constraints protect one-sided "
                                     "rows (<= or >=); write it as two inequalities, or drop its uncertainty")
                parts[code].append(_Part(part.start, part.stop, bool(distribution.relative), low, high))
                if int(resolved.factor_offsets[number + 1] - resolved.factor_offsets[number]) < part.stop - part.start:
                    entry_rows = resolved.span(part.start, part.stop)[0]
                    shared = shared or _shared_factors(entry_rows, resolved.local_factors(number))
            elif code in (LOWER, UPPER):
                _, cols, nominal = resolved.span(part.start, part.stop)
                worst = _scaled(nominal, distribution.relative, high if code == LOWER else low)
                if code == LOWER:
                    col_lower = col_lower if col_lower.flags.writeable else col_lower.copy()
                    np.maximum.at(col_lower, cols, worst)
                else:
                    col_upper = col_upper if col_upper.flags.writeable else col_upper.copy()
                    np.minimum.at(col_upper, cols, worst)
                bounds[code] += cols.size
        for code, count in bounds.items():
            if count:
                notes.append(f"{count} uncertain {'lower' if code == LOWER else 'upper'} bounds are held at "
                             "their worst case in every method")
        if any(code == COST and resolved.size(number) for number, code in enumerate(resolved.kinds.tolist())):
            notes.append("uncertain costs do not affect feasibility; the plans are priced at the nominal costs")
        if shared:
            notes.append("some uncertain numbers of one row share one random factor (per_entry: false): the box "
                         "counterpart covers them; the budget and ellipsoid guarantees assume independent entries")
        coef = _Intervals.of(resolved, parts[COEFFICIENT])
        rhs = _Intervals.of(resolved, parts[RHS])
        return cls(analysis, resolved, sign, coef, rhs, _read_only(col_lower), _read_only(col_upper), coverage,
                   notes, matrix, coef.moved)

    @cached_property
    def plan(self) -> ScenarioPlan:
        """The sensitivity module's plan of the parameters (factors, the factor of each entry), made once."""
        return self.entries.plan()

    @property
    def coef_row(self) -> np.ndarray:
        return self.coef.row

    @property
    def coef_col(self) -> np.ndarray:
        return self.coef.col

    @property
    def coef_nominal(self) -> np.ndarray:
        return self.coef.nominal

    @property
    def coef_half(self) -> np.ndarray:
        """Half-width of each uncertain coefficient's interval."""
        return self.coef.half

    @property
    def coef_center(self) -> np.ndarray:
        """Center of each uncertain coefficient's interval (computed when first asked for)."""
        return self.coef.center

    @property
    def coef_entries(self) -> np.ndarray:
        """Positions of the coefficient entries in the plan's entry arrays (for sampled values)."""
        return self.coef.entries

    @property
    def rhs_row(self) -> np.ndarray:
        return self.rhs.row

    @property
    def rhs_nominal(self) -> np.ndarray:
        return self.rhs.nominal

    @property
    def rhs_center(self) -> np.ndarray:
        return self.rhs.center

    @property
    def rhs_half(self) -> np.ndarray:
        return self.rhs.half

    @property
    def rhs_entries(self) -> np.ndarray:
        return self.rhs.entries

    @property
    def rows(self) -> np.ndarray:
        """Rows with at least one uncertain number (sorted)."""
        cached = self.__dict__.get("_rows")
        if cached is None:
            flags = self.coefficients_per_row() > 0
            flags[self.rhs_row] = True
            cached = self.__dict__["_rows"] = np.flatnonzero(flags).astype(np.int64)
        return cached

    @property
    def num_factors(self) -> int:
        return self.plan.num_factors

    def shifted_coefficients(self) -> np.ndarray:
        """Positions (in the ``coef_*`` arrays) of the coefficients whose interval center is off the model."""
        if self.coef_moved is None:
            moved = np.abs(self.coef_center - self.coef_nominal) > 1e-12 * (1.0 + np.abs(self.coef_nominal))
            self.coef_moved = np.flatnonzero(moved)
        return self.coef_moved

    def centered_form_arrays(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """``A`` and row bounds with every uncertain number at the center of its interval."""
        form = self.analysis.form
        A = self.matrix if self.matrix is not None else form.A.tocsr()
        moved = self.shifted_coefficients()
        if moved.size:  # asymmetric intervals: the model's numbers move to their centers
            shift = sp.csr_matrix(((self.coef_center - self.coef_nominal)[moved],
                                   (self.coef_row[moved], self.coef_col[moved])), shape=A.shape)
            A = (A + shift).tocsr()
        lower = form.row_lower.copy()
        upper = form.row_upper.copy()
        if self.rhs_row.size:
            rows = self.rhs_row
            le = self.sign[rows] > 0
            upper[rows[le]] = self.rhs_center[le]
            lower[rows[~le]] = self.rhs_center[~le]
        return A, lower, upper

    def coefficients_per_row(self) -> np.ndarray:
        """Number of uncertain coefficients of each row (computed once, from the blocks' rows; do not modify)."""
        cached = self.__dict__.get("_per_row")
        if cached is None:
            cached = self.__dict__["_per_row"] = self.coef.per_row(self.entries, self.analysis.form.num_rows)
        return cached

    def coefficient_rows_sorted(self) -> bool:
        """Whether the uncertain coefficients come row by row (``coef_row`` never decreases)."""
        return self.coef.rows_sorted(self.entries)

    def entries_per_row(self) -> np.ndarray:
        """Number of uncertain numbers (coefficients and right-hand side) of each row."""
        return self.coefficients_per_row() + np.bincount(self.rhs_row, minlength=self.analysis.form.num_rows)

    def sample(self, count: int, seed: int | None) -> np.ndarray:
        """``count`` draws of every entry of the plan (scenarios x entries), from ``SeedSequence(seed)``.

        Factors that share one distribution are drawn through its inverse CDF in one call.
        """
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7919,)))
        uniforms = rng.random((count, self.plan.num_factors))
        factors = self.plan.factors
        if isinstance(factors, FactorRuns):  # one inverse-CDF call per run
            return self.plan.entry_values(self.plan.factor_values(uniforms))
        values = np.empty_like(uniforms)
        distributions = [factor.distribution for factor in factors]
        keys = np.fromiter(map(id, distributions), dtype=np.int64, count=len(distributions))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        for k, position in enumerate(first.tolist()):
            columns = np.flatnonzero(inverse == k)
            values[:, columns] = np.asarray(distributions[position].ppf(uniforms[:, columns].reshape(-1))
                                            ).reshape(count, -1)
        return self.plan.entry_values(values)


def _scaled(nominal: np.ndarray, relative: bool, value: float) -> np.ndarray:
    return value * nominal if relative else np.full(nominal.size, value)


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view (the model's own bounds are shared, never copied, when no parameter moves them)."""
    view = values.view()
    view.flags.writeable = False
    return view


class _Part(NamedTuple):
    """One parameter's entries ``start:stop`` (in the plan's entry arrays) and its interval ends."""

    start: int
    stop: int
    relative: bool
    low: float
    high: float

    @property
    def symmetric(self) -> bool:
        """A relative interval around the model's number (its center moves nothing)."""
        return self.relative and abs(0.5 * (self.low + self.high) - 1.0) <= 1e-12


class _Intervals:
    """Entries of one kind (coefficients or right-hand sides) with their interval centers and half-widths.

    ``col`` and ``nominal`` are views of the model's matrix when the parameters are
    blocks of whole rows stored one after the other; ``row``, ``half``, ``center``
    and ``entries`` are made when first asked for (the budget counterpart writes the
    half-widths straight into its matrix and reads the rows' counts from the blocks).
    All are read-only.
    """

    def __init__(self, resolved: ResolvedEntries | None, parts: list[_Part], col: np.ndarray, nominal: np.ndarray,
                 moved: np.ndarray, entries: np.ndarray | None = None, row: np.ndarray | None = None) -> None:
        for values in (col, nominal):  # shared with the plan and the model's matrix: never written
            values.flags.writeable = False
        self.resolved = resolved
        self.parts = parts
        self.col, self.nominal = col, nominal
        self.moved = moved
        self._entries = entries
        self._row = row
        self._half: np.ndarray | None = None
        self._center: np.ndarray | None = None

    @classmethod
    def of(cls, resolved: ResolvedEntries, parts: list[_Part]) -> _Intervals:
        """Consecutive parts are read as one view of the resolved arrays; the half-widths are filled per part."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(None, [], empty, np.zeros(0), empty, empty, empty)
        entries: np.ndarray | None = None
        row: np.ndarray | None = None
        views = resolved.views(parts[0].start, parts[-1].stop) if \
            all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False)) else None
        if views is not None:
            col, nominal = views
        elif all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False)):
            row, col, nominal = resolved.span(parts[0].start, parts[-1].stop)
        else:
            entries = np.concatenate([np.arange(part.start, part.stop, dtype=np.int64) for part in parts])
            spans = [resolved.span(part.start, part.stop) for part in parts]
            row, col, nominal = (np.concatenate(arrays) for arrays in zip(*spans, strict=True))
        at = 0
        moved = []
        for part in parts:
            out = slice(at, at + part.stop - part.start)
            if not part.symmetric:
                values = nominal[out]
                shift = np.abs(_center(part, values) - values) > 1e-12 * (1.0 + np.abs(values))
                moved.append(at + np.flatnonzero(shift))
            at = out.stop
        moved_at = np.concatenate(moved) if moved else np.zeros(0, dtype=np.int64)
        intervals = cls(resolved, parts, col, nominal, moved_at, entries, row)
        return intervals

    @property
    def row(self) -> np.ndarray:
        if self._row is None:
            assert self.resolved is not None
            row = self.resolved.span(self.parts[0].start, self.parts[-1].stop)[0]
            row.flags.writeable = False
            self._row = row
        return self._row

    @property
    def half(self) -> np.ndarray:
        if self._half is None:
            half = np.empty(self.col.size)
            self.write_half(half, 1.0)
            half.flags.writeable = False
            self._half = half
        return self._half

    def write_half(self, out: np.ndarray, factor: float) -> None:
        """Write ``factor`` times the half-widths into ``out`` (a strided view is fine), part by part."""
        if self._half is not None:
            np.multiply(self._half, factor, out=out)
            return
        at = 0
        for part in self.parts:
            where = slice(at, at + part.stop - part.start)
            width = 0.5 * (part.high - part.low)
            if not part.relative:
                out[where] = factor * width
            else:
                values = self.nominal[where]
                if values.size and float(values.min()) >= 0:  # |v| = v: one pass
                    np.multiply(values, factor * width, out=out[where])
                else:
                    np.abs(values, out=out[where])
                    np.multiply(out[where], width, out=out[where])
                    if factor != 1.0:
                        np.multiply(out[where], factor, out=out[where])
            at = where.stop

    def matrix_slice(self) -> slice | None:
        """Where these entries are in the model's CSR ``data``, when they are one run of it (else None)."""
        runs = self._runs()
        if self.resolved is None or len(runs) != 1:
            return None
        return self.resolved.matrix_slice(*runs[0])

    def _runs(self) -> list[tuple[int, int]]:
        """The entry ranges of consecutive parts (one range when the parts follow each other)."""
        runs: list[tuple[int, int]] = []
        for part in self.parts:
            if runs and runs[-1][1] == part.start:
                runs[-1] = (runs[-1][0], part.stop)
            else:
                runs.append((part.start, part.stop))
        return runs

    def per_row(self, resolved: ResolvedEntries, num_rows: int) -> np.ndarray:
        counts = np.zeros(num_rows, dtype=np.int64)
        for start, stop in self._runs():
            counts += resolved.row_counts(start, stop, num_rows)
        return counts

    def rows_sorted(self, resolved: ResolvedEntries) -> bool:
        runs = self._runs()
        if len(runs) == 1 and resolved.rows_sorted(*runs[0]):
            return True
        return bool((self.row[1:] >= self.row[:-1]).all())

    @property
    def center(self) -> np.ndarray:
        if self._center is None:
            center = np.empty(self.col.size)
            at = 0
            for part in self.parts:
                out = slice(at, at + part.stop - part.start)
                center[out] = _center(part, self.nominal[out])
                at = out.stop
            center.flags.writeable = False
            self._center = center
        return self._center

    @property
    def entries(self) -> np.ndarray:
        if self._entries is None:
            self._entries = np.arange(self.parts[0].start, self.parts[-1].stop, dtype=np.int64)
        return self._entries


def _center(part: _Part, nominal: np.ndarray) -> np.ndarray | float:
    return nominal * (0.5 * (part.low + part.high)) if part.relative else 0.5 * (part.low + part.high)


def _shared_factors(rows: np.ndarray, factors: np.ndarray) -> bool:
    """Whether two entries of one row draw from the same factor."""
    if factors.size < 2:
        return False
    repeated = np.bincount(factors)[factors] > 1  # factors drawn once for several entries
    if not repeated.any():
        return False
    rows = rows[repeated]
    factors = factors[repeated]
    pairs = np.unique(rows.astype(np.int64) * (int(factors.max()) + 1) + factors)
    return bool(pairs.size < rows.size)
