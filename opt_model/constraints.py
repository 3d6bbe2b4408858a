"""Named constraint blocks, and constraints given as a sparse matrix.

A constraint definition (``expr <= rhs``, :class:`ConstraintDef`) is what comparing
expressions makes, so it lives beside the operators in :mod:`opt_model.expressions`
(no import cycle between the two modules); it is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from opt_model.dims import Dim, dims_text
from opt_model.expressions import ConstraintDef, make_constraint, make_range

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["ConstraintBlock", "ConstraintDef", "MatrixConstraintDef", "make_constraint", "make_range"]


@dataclass
class ConstraintBlock:
    """A named block of constraints indexed like its expression."""

    name: str
    definition: ConstraintDef | MatrixConstraintDef

    @property
    def dims(self) -> tuple[Dim, ...]:
        return self.definition.dims

    @property
    def size(self) -> int:
        return int(self.definition.lower.size)

    def __repr__(self) -> str:
        return f"<Constraint {self.name}{dims_text(self.dims) if self.dims else ''} {self.definition.sense}>"


@dataclass
class MatrixConstraintDef:
    """``lower <= matrix @ x <= upper``: rows given as a sparse matrix over all columns.

    Used for models imported from a standard form (MPS files, Pyomo models),
    where rows have no common structure to express as array blocks.
    """

    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    dims: tuple[Dim, ...]
    sense: str = "range"
    plain_names: bool = False
