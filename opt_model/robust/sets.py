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
from opt_model.sensitivity.plan import COEFFICIENT, COST, LOWER, RHS, UPPER, ScenarioPlan
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
        plan, factor_parameter = resolve(analysis, params, matrix)
        low, high = _entry_intervals(plan, factor_parameter, params, coverage)
        kind = plan.entry_kind
        kinds = analysis.row_kinds()
        notes: list[str] = []
        row_entries = (kind == RHS) | (kind == COEFFICIENT)
        two_sided = (kinds == EQ) | (kinds == RANGE)
        bad = plan.entry_row[row_entries & two_sided[np.maximum(plan.entry_row, 0)]]
        if bad.size:
            row = int(bad[0])
            raise ModelError(f"{analysis.row_name(row)} is a {'n equality' if kinds[row] == EQ else ' range'} "
                             "row with uncertain numbers: robust and chance constraints protect one-sided rows "
                             "(<= or >=); write it as two inequalities, or drop its uncertainty")
        sign = np.where(kinds == GE, -1.0, 1.0)
        sign[(kinds != LE) & (kinds != GE)] = 0.0
        coef = kind == COEFFICIENT
        rhs = kind == RHS
        col_lower = form.col_lower.copy()
        col_upper = form.col_upper.copy()
        for code, target in ((LOWER, col_lower), (UPPER, col_upper)):
            pick = kind == code
            if pick.any():
                cols = plan.entry_col[pick]
                worst = high[pick] if code == LOWER else low[pick]
                reducer = np.maximum if code == LOWER else np.minimum
                reducer.at(target, cols, worst)
                notes.append(f"{int(pick.sum())} uncertain {'lower' if code == LOWER else 'upper'} bounds are held at "
                             "their worst case in every method")
        if (kind == COST).any():
            notes.append("uncertain costs do not affect feasibility; the plans are priced at the nominal costs")
        if _shared_factors(plan, coef | rhs):
            notes.append("some uncertain numbers of one row share one random factor (per_entry: false): the box "
                         "counterpart covers them; the budget and ellipsoid guarantees assume independent entries")
        coef_center = 0.5 * (low[coef] + high[coef])
        rhs_center = 0.5 * (low[rhs] + high[rhs])
        return cls(analysis, plan, sign, plan.entry_row[coef], plan.entry_col[coef], plan.entry_nominal[coef],
                   coef_center, 0.5 * (high[coef] - low[coef]), plan.entry_row[rhs], plan.entry_nominal[rhs],
                   rhs_center, 0.5 * (high[rhs] - low[rhs]), col_lower, col_upper, coverage, notes,
                   np.flatnonzero(coef), np.flatnonzero(rhs), matrix)

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

    def centered_form_arrays(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """``A`` and row bounds with every uncertain number at the center of its interval."""
        form = self.analysis.form
        A = self.matrix if self.matrix is not None else form.A.tocsr()
        moved = np.abs(self.coef_center - self.coef_nominal) > 1e-12 * (1.0 + np.abs(self.coef_nominal))
        if moved.any():  # asymmetric intervals: the model's numbers move to their centers
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

    def entries_per_row(self) -> np.ndarray:
        """Number of uncertain numbers (coefficients and right-hand side) of each row."""
        counts = np.bincount(self.coef_row, minlength=self.analysis.form.num_rows)
        counts += np.bincount(self.rhs_row, minlength=self.analysis.form.num_rows)
        return counts

    def sample(self, count: int, seed: int | None) -> np.ndarray:
        """``count`` draws of every entry of the plan (scenarios x entries), from ``SeedSequence(seed)``.

        Factors that share one distribution are drawn through its inverse CDF in one call.
        """
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7919,)))
        uniforms = rng.random((count, self.plan.num_factors))
        values = np.empty_like(uniforms)
        distributions = [factor.distribution for factor in self.plan.factors]
        keys = np.fromiter(map(id, distributions), dtype=np.int64, count=len(distributions))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        for k, position in enumerate(first.tolist()):
            columns = np.flatnonzero(inverse == k)
            values[:, columns] = np.asarray(distributions[position].ppf(uniforms[:, columns].reshape(-1))
                                            ).reshape(count, -1)
        return self.plan.entry_values(values)


def _entry_intervals(plan: ScenarioPlan, factor_parameter: np.ndarray, parameters: Sequence[Uncertain],
                     coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """``[low, high]`` of each entry: its distribution's support, or its central ``coverage`` range."""
    tail = (1.0 - coverage) / 2.0
    ends = np.empty((len(parameters), 2))
    for k, parameter in enumerate(parameters):
        distribution = parameter.distribution
        both = np.asarray(distribution.ppf(np.array([0.0, 1.0])), dtype=float)
        if not np.isfinite(both).all():
            inner = np.asarray(distribution.ppf(np.array([tail, 1.0 - tail])), dtype=float)
            both = np.where(np.isfinite(both), both, inner)
        ends[k] = both
    parameter_of_entry = factor_parameter[plan.entry_factor]
    low = ends[parameter_of_entry, 0]
    high = ends[parameter_of_entry, 1]
    scaled_low = np.where(plan.entry_relative, low * plan.entry_nominal, low)
    scaled_high = np.where(plan.entry_relative, high * plan.entry_nominal, high)
    return np.minimum(scaled_low, scaled_high), np.maximum(scaled_low, scaled_high)


def _shared_factors(plan: ScenarioPlan, pick: np.ndarray) -> bool:
    """Whether two entries of one row draw from the same factor."""
    factors = plan.entry_factor[pick]
    if factors.size < 2:
        return False
    repeated = np.bincount(factors)[factors] > 1  # factors drawn once for several entries
    if not repeated.any():
        return False
    rows = plan.entry_row[pick][repeated]
    factors = factors[repeated]
    pairs = np.unique(rows.astype(np.int64) * (int(factors.max()) + 1) + factors)
    return bool(pairs.size < rows.size)
