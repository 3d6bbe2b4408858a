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
from typing import Any

import numpy as np
import scipy.sparse as sp

from opt_model.errors import ModelError
from opt_model.sensitivity.plan import COEFFICIENT, COST, LOWER, RHS, UPPER, FactorRuns, ScenarioPlan
from opt_model.sensitivity.problem import EQ, GE, LE, RANGE, AnalysisModel
from opt_model.sensitivity.targets import resolve
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
    plan: ScenarioPlan
    sign: np.ndarray
    coef_row: np.ndarray
    coef_col: np.ndarray
    coef_nominal: np.ndarray
    coef_center: np.ndarray
    coef_half: np.ndarray
    rhs_row: np.ndarray
    rhs_nominal: np.ndarray
    rhs_center: np.ndarray
    rhs_half: np.ndarray
    col_lower: np.ndarray
    """Worst-case (largest) lower bound of each column under the declared uncertainty."""
    col_upper: np.ndarray
    """Worst-case (smallest) upper bound of each column."""
    coverage: float = DEFAULT_COVERAGE
    notes: list[str] = field(default_factory=list)
    coef_entries: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Positions of the coefficient entries in the plan's entry arrays (for sampled values)."""
    rhs_entries: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
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
        plan, factor_offsets, offsets = resolve(analysis, params, matrix)
        kinds = analysis.row_kinds()
        two_sided = (kinds == EQ) | (kinds == RANGE)
        sign = np.where(kinds == GE, -1.0, 1.0)
        sign[(kinds != LE) & (kinds != GE)] = 0.0
        col_lower = form.col_lower.copy()
        col_upper = form.col_upper.copy()
        factors_of = np.diff(factor_offsets)
        tail = (1.0 - coverage) / 2.0
        parts: dict[int, list[tuple[slice, float, float]]] = {COEFFICIENT: [], RHS: []}
        bounds = {LOWER: 0, UPPER: 0}
        notes: list[str] = []
        shared = False
        for number, parameter in enumerate(params):  # one pass per parameter: its entries are one slice
            part = slice(int(offsets[number]), int(offsets[number + 1]))
            if part.start == part.stop:
                continue
            code = int(plan.entry_kind[part.start])
            distribution = parameter.distribution
            ends = np.asarray(distribution.ppf(np.array([0.0, 1.0])), dtype=float)
            if not np.isfinite(ends).all():
                inner = np.asarray(distribution.ppf(np.array([tail, 1.0 - tail])), dtype=float)
                ends = np.where(np.isfinite(ends), ends, inner)
            low, high = float(min(ends)), float(max(ends))
            if code in (COEFFICIENT, RHS):
                rows = plan.entry_row[part]
                low_row, high_row = int(rows[0]), int(rows[-1])
                if low_row <= high_row and not two_sided[low_row:high_row + 1].any():
                    bad = rows[:0]  # rows in order (a block): no two-sided row in their range
                else:
                    bad = rows[two_sided[rows]]
                if bad.size:
                    row = int(bad[0])
                    raise ModelError(f"{analysis.row_name(row)} is a {'n equality' if kinds[row] == EQ else ' range'} "
                                     "row with uncertain numbers: robust and chance constraints protect one-sided "
                                     "rows (<= or >=); write it as two inequalities, or drop its uncertainty")
                parts[code].append((part, low, high))
                if factors_of[number] < part.stop - part.start:  # some entries of the parameter share a factor
                    shared = shared or _shared_factors(plan.entry_row[part], plan.entry_factor[part])
            elif code in (LOWER, UPPER):
                cols = plan.entry_col[part]
                worst = _scaled(plan.entry_nominal[part], distribution.relative, high if code == LOWER else low)
                (np.maximum if code == LOWER else np.minimum).at(col_lower if code == LOWER else col_upper, cols,
                                                                  worst)
                bounds[code] += cols.size
        for code, count in bounds.items():
            if count:
                notes.append(f"{count} uncertain {'lower' if code == LOWER else 'upper'} bounds are held at "
                             "their worst case in every method")
        if (plan.entry_kind == COST).any():
            notes.append("uncertain costs do not affect feasibility; the plans are priced at the nominal costs")
        if shared:
            notes.append("some uncertain numbers of one row share one random factor (per_entry: false): the box "
                         "counterpart covers them; the budget and ellipsoid guarantees assume independent entries")
        coef = _Intervals.of(plan, parts[COEFFICIENT], params, offsets)
        rhs = _Intervals.of(plan, parts[RHS], params, offsets)
        return cls(analysis, plan, sign, coef.row, coef.col, coef.nominal, coef.center, coef.half, rhs.row,
                   rhs.nominal, rhs.center, rhs.half, col_lower, col_upper, coverage, notes, coef.entries,
                   rhs.entries, matrix, coef.moved)

    @property
    def rows(self) -> np.ndarray:
        """Rows with at least one uncertain number (sorted)."""
        cached = self.__dict__.get("_rows")
        if cached is None:
            flags = np.zeros(self.analysis.form.num_rows, dtype=bool)
            flags[self.coef_row] = True
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
        """Number of uncertain coefficients of each row (computed once; do not modify)."""
        cached = self.__dict__.get("_per_row")
        if cached is None:
            cached = self.__dict__["_per_row"] = np.bincount(self.coef_row, minlength=self.analysis.form.num_rows)
        return cached

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


def _parameter_at(offsets: np.ndarray, entry: int) -> int:
    return int(np.searchsorted(offsets, entry, side="right")) - 1


def _scaled(nominal: np.ndarray, relative: bool, value: float) -> np.ndarray:
    return value * nominal if relative else np.full(nominal.size, value)


@dataclass
class _Intervals:
    """Entries of one kind (coefficients or right-hand sides) with their interval centers and half-widths."""

    row: np.ndarray
    col: np.ndarray
    nominal: np.ndarray
    center: np.ndarray
    half: np.ndarray
    entries: np.ndarray
    moved: np.ndarray

    @classmethod
    def of(cls, plan: ScenarioPlan, parts: list[tuple[slice, float, float]], parameters: Sequence[Uncertain],
           offsets: np.ndarray) -> _Intervals:
        """Consecutive slices are read as one view of the plan's arrays; the intervals are filled per slice."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0), empty, empty)
        contiguous = all(a.stop == b.start for (a, _, _), (b, _, _) in zip(parts, parts[1:], strict=False))
        if contiguous:
            whole = slice(parts[0][0].start, parts[-1][0].stop)
            row, col, nominal = plan.entry_row[whole], plan.entry_col[whole], plan.entry_nominal[whole]
            entries = np.arange(whole.start, whole.stop, dtype=np.int64)
        else:
            entries = np.concatenate([np.arange(part.start, part.stop, dtype=np.int64) for part, _, _ in parts])
            row, col, nominal = plan.entry_row[entries], plan.entry_col[entries], plan.entry_nominal[entries]
        center = np.empty(entries.size)
        half = np.empty(entries.size)
        at = 0
        moved = []
        for part, low, high in parts:
            size = part.stop - part.start
            out = slice(at, at + size)
            values = nominal[out]
            if parameters[_parameter_at(offsets, part.start)].distribution.relative:
                np.multiply(values, 0.5 * (low + high), out=center[out])
                np.multiply(np.abs(values), 0.5 * (high - low), out=half[out])
                symmetric = abs(0.5 * (low + high) - 1.0) <= 1e-12
            else:
                center[out] = 0.5 * (low + high)
                half[out] = 0.5 * (high - low)
                symmetric = False
            if not symmetric:  # a relative interval around the model's number moves nothing
                shift = np.abs(center[out] - values) > 1e-12 * (1.0 + np.abs(values))
                moved.append(at + np.flatnonzero(shift))
            at += size
        moved_at = np.concatenate(moved) if moved else np.zeros(0, dtype=np.int64)
        return cls(row, col, nominal, center, half, entries, moved_at)


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
