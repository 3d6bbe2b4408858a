"""The standard form: a model as plain arrays, the one thing backends see.

::

    minimise / maximise   c @ x + 0.5 * x @ Q @ x + c0
    subject to            row_lower <= A @ x <= row_upper
                          col_lower <= x <= col_upper
                          x[j] integer where integrality[j] == 1

``A`` is an int32-indexed CSR or CSC matrix (scipy), ``Q`` an optional symmetric CSC
matrix, infinities are ``numpy.inf``.  Optional cone blocks (added by the convex
modeling layer) are kept as data and only understood by backends that declare
cone support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.errors import ModelError
from solvers.names import NameMap

if TYPE_CHECKING:  # scipy is loaded by whoever builds a matrix, not by this module (start-up time)
    import scipy.sparse as sp


class Sense(str, Enum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


class ProblemClass(str, Enum):
    """What kind of problem a standard form is; backends declare which they solve."""

    LP = "LP"
    MILP = "MILP"
    QP = "QP"
    MIQP = "MIQP"
    SOCP = "SOCP"
    MISOCP = "MISOCP"
    EXP = "EXP"
    MIEXP = "MIEXP"


class Integrality:
    """Codes used in ``StandardForm.integrality`` (HiGHS's codes)."""

    CONTINUOUS = 0
    INTEGER = 1


@dataclass
class ConeBlock:
    """A block of cone constraints on affine expressions of x.

    ``kind`` is ``"soc"`` (``||rows[1:]|| <= rows[0]``) or ``"exp"``
    (``(r0, r1, r2)`` in the exponential cone ``r1 * exp(r0 / r1) <= r2``).
    The affine expressions are ``matrix @ x + offset``; ``sizes`` gives the
    number of rows of each cone in order.
    """

    kind: str
    matrix: sp.csr_matrix
    offset: np.ndarray
    sizes: np.ndarray
    name: str = ""


@dataclass
class StandardForm:
    """A model as arrays.  See the module docstring for the meaning of each field.

    Example
    -------
    >>> import numpy as np, scipy.sparse as sp
    >>> form = StandardForm(
    ...     c=np.array([3.0, 5.0]), sense=Sense.MAXIMIZE,
    ...     A=sp.csr_matrix(np.array([[1.0, 0], [0, 2], [3, 2]])),
    ...     row_lower=np.full(3, -np.inf), row_upper=np.array([4.0, 12, 18]),
    ...     col_lower=np.zeros(2), col_upper=np.full(2, np.inf))
    >>> form.num_cols, form.num_rows, form.problem_class.value
    (2, 3, 'LP')
    """

    c: np.ndarray
    A: sp.csr_matrix | sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    sense: Sense = Sense.MINIMIZE
    constant: float = 0.0
    integrality: np.ndarray | None = None
    Q: sp.csc_matrix | None = None
    cones: list[ConeBlock] = field(default_factory=list)
    col_names: NameMap | None = None
    row_names: NameMap | None = None
    name: str = "model"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    @property
    def num_nonzeros(self) -> int:
        return int(self.A.nnz)

    @property
    def num_integers(self) -> int:
        if self.integrality is None:
            return 0
        return int(np.count_nonzero(self.integrality))

    @property
    def is_mip(self) -> bool:
        return self.num_integers > 0

    @property
    def problem_class(self) -> ProblemClass:
        kinds = {cone.kind for cone in self.cones}
        mip = self.is_mip
        if "exp" in kinds:
            return ProblemClass.MIEXP if mip else ProblemClass.EXP
        if "soc" in kinds:
            return ProblemClass.MISOCP if mip else ProblemClass.SOCP
        if self.Q is not None and self.Q.nnz > 0:
            return ProblemClass.MIQP if mip else ProblemClass.QP
        return ProblemClass.MILP if mip else ProblemClass.LP

    def column_names(self) -> NameMap:
        return self.col_names if self.col_names is not None else NameMap.numbered(self.num_cols, "x")

    def constraint_names(self) -> NameMap:
        return self.row_names if self.row_names is not None else NameMap.numbered(self.num_rows, "r")

    def objective_value(self, x: np.ndarray) -> float:
        """Objective at ``x`` (used to check answers and by backends that drop the constant)."""
        value = float(self.c @ x) + self.constant
        if self.Q is not None:
            value += 0.5 * float(x @ (self.Q @ x))
        return value

    def validate(self) -> None:
        """Check shapes and numbers; raise :class:`ModelError` naming the offending entry."""
        n, m = self.num_cols, self.num_rows
        if self.A.shape[1] != n:
            raise ModelError(f"constraint matrix has {self.A.shape[1]} columns but there are {n} variables")
        for label, array, size in (("col_lower", self.col_lower, n), ("col_upper", self.col_upper, n),
                                   ("row_lower", self.row_lower, m), ("row_upper", self.row_upper, m)):
            if array.shape != (size,):
                raise ModelError(f"{label} has shape {array.shape}, expected ({size},)")
            bad = np.flatnonzero(np.isnan(array))
            if bad.size:
                names = self.column_names() if label.startswith("col") else self.constraint_names()
                raise ModelError(f"{label} of {names.name(int(bad[0]))} is NaN; give a number or +-inf")
        self._check_finite(self.c, "objective coefficient", self.column_names())
        self._check_finite(self.A.data, "constraint coefficient", None)
        crossed = np.flatnonzero(self.col_lower > self.col_upper)
        if crossed.size:
            j = int(crossed[0])
            raise ModelError(f"variable {self.column_names().name(j)} has lower bound {self.col_lower[j]} "
                             f"above its upper bound {self.col_upper[j]}")
        if self.integrality is not None and self.integrality.shape != (n,):
            raise ModelError(f"integrality has shape {self.integrality.shape}, expected ({n},)")
        if not np.isfinite(self.constant):
            raise ModelError(f"objective constant is {self.constant}; it must be finite")

    def _check_finite(self, values: np.ndarray, what: str, names: NameMap | None) -> None:
        if values.size and not np.isfinite(values).all():
            k = int(np.flatnonzero(~np.isfinite(values))[0])
            where = f" of {names.name(k)}" if names is not None else self._entry_name(k)
            raise ModelError(f"{what}{where} is {values[k]}; coefficients must be finite numbers")

    def _entry_name(self, k: int) -> str:
        major = int(np.searchsorted(self.A.indptr, k, side="right")) - 1
        minor = int(self.A.indices[k])
        row, col = (minor, major) if self.A.format == "csc" else (major, minor)
        return f" in {self.constraint_names().name(row)} for {self.column_names().name(col)}"
