"""HiGHS through highspy: the backend, the live session, MPS/LP files.

The only package that imports ``highspy`` (in :mod:`solvers.highs.core`).  ``import
solvers`` does not load it; the registry imports it when HiGHS is first asked for.
"""

from solvers.highs.backend import HighsBackend
from solvers.highs.core import STATUS_MAP, map_status, new_highs, pass_model
from solvers.highs.files import read_model, write_model
from solvers.highs.session import HighsSession

__all__ = ["STATUS_MAP", "HighsBackend", "HighsSession", "map_status", "new_highs", "pass_model", "read_model",
           "write_model"]
