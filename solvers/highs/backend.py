"""The HiGHS backend: one solve of a standard form, or a live session for many.

The standard form's arrays go to ``Highs.passModel`` in one call (the overload
that takes numpy buffers), column-wise from a CSC matrix or row-wise from a CSR
one (HiGHS then transposes it itself).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from solvers.backend import Backend, SolveOptions
from solvers.highs.core import apply_options, highspy, map_status, new_highs, pass_model
from solvers.highs.session import HighsSession
from solvers.result import BackendResult
from solvers.session import status_codes
from solvers.standard_form import ProblemClass, StandardForm
from solvers.status import SolveStatus


class _HighsResult(BackendResult):
    """A result whose basis status arrays are converted from HiGHS's basis when first read.

    Converting the basis of a million columns costs about 0.5 s (a Python object per status),
    as much as the rest of the result; most solves never read it.
    """

    _basis: Any = None  # the HighsBasis (C++ vectors) not yet converted

    @property
    def col_basis(self) -> np.ndarray | None:
        self._convert_basis()
        return self.__dict__.get("_col_basis")

    @col_basis.setter
    def col_basis(self, value: np.ndarray | None) -> None:
        self._convert_basis()  # a pending basis must not overwrite what is set now
        self.__dict__["_col_basis"] = value

    @property
    def row_basis(self) -> np.ndarray | None:
        self._convert_basis()
        return self.__dict__.get("_row_basis")

    @row_basis.setter
    def row_basis(self, value: np.ndarray | None) -> None:
        self._convert_basis()
        self.__dict__["_row_basis"] = value

    def _convert_basis(self) -> None:
        basis = self.__dict__.pop("_basis", None)
        if basis is not None:
            self.__dict__["_col_basis"] = status_codes(basis.col_status)
            self.__dict__["_row_basis"] = status_codes(basis.row_status)

    def __getstate__(self) -> dict[str, Any]:  # pickles (worker processes, Dask) carry plain arrays
        self._convert_basis()
        return dict(self.__dict__)


def collect_result(h: Any, solver: str, handoff: float, solve_time: float, *, constant: float,
                   is_mip: bool) -> BackendResult:
    """Read status, solution, duals and basis out of a solved ``Highs`` instance.

    ``constant`` is the objective's constant (the objective of an empty model); ``is_mip``
    says whether duals are meaningful.
    """
    raw = h.getModelStatus()
    status = map_status(raw)
    info = h.getInfo()
    result = _HighsResult(status=status, solver=solver, solver_version=HighsBackend.version(),
                           raw_status=raw.name, handoff_time_s=handoff, solve_time_s=solve_time)
    result.iterations = {
        "simplex": int(info.simplex_iteration_count), "ipm": int(info.ipm_iteration_count),
        "pdlp": int(info.pdlp_iteration_count), "crossover": int(info.crossover_iteration_count),
        "qp": int(info.qp_iteration_count), "mip_nodes": int(info.mip_node_count),
    }
    feasible = int(info.primal_solution_status) == 2 or raw.name == "kModelEmpty"
    if feasible:
        solution = h.getSolution()
        result.x = np.asarray(solution.col_value, dtype=np.float64)
        result.row_activity = np.asarray(solution.row_value, dtype=np.float64)
        result.objective = float(info.objective_function_value) if raw.name != "kModelEmpty" else constant
        if int(info.dual_solution_status) == 2 and not is_mip:
            result.row_dual = np.asarray(solution.row_dual, dtype=np.float64)
            result.reduced_cost = np.asarray(solution.col_dual, dtype=np.float64)
        basis = h.getBasis()
        if basis.valid:
            result.__dict__["_basis"] = basis  # converted on first use of col_basis / row_basis
    if is_mip:
        result.mip_bound = float(info.mip_dual_bound)
        result.mip_gap = float(info.mip_gap)
    result.extra["max_primal_infeasibility"] = float(info.max_primal_infeasibility)
    result.extra["max_dual_infeasibility"] = float(info.max_dual_infeasibility)
    return result


class HighsBackend(Backend):
    """LP, MILP and convex QP through HiGHS (simplex, interior point or PDLP)."""

    name: ClassVar[str] = "highs"
    problem_classes: ClassVar[frozenset[ProblemClass]] = frozenset(
        {ProblemClass.LP, ProblemClass.MILP, ProblemClass.QP})
    gives_duals: ClassVar[bool] = True
    gives_ranging: ClassVar[bool] = True
    warm_start: ClassVar[bool] = True
    variants: ClassVar[tuple[str, ...]] = ("simplex", "ipm", "pdlp", "choose")
    description: ClassVar[str] = "HiGHS via highspy: dual/primal simplex, interior point, PDLP, branch-and-cut"

    @classmethod
    def is_available(cls) -> bool:
        return highspy is not None

    @classmethod
    def version(cls) -> str:
        if highspy is None:
            return ""
        h = new_highs()
        return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"

    def solve(self, form: StandardForm, options: SolveOptions) -> BackendResult:
        h = new_highs(options.verbose)
        apply_options(h, options, self.variant)
        start = time.perf_counter()
        pass_model(h, form)
        handoff = time.perf_counter() - start
        start = time.perf_counter()
        run_status = h.run()
        solve_time = time.perf_counter() - start
        result = collect_result(h, self.full_name, handoff, solve_time, constant=form.constant, is_mip=form.is_mip)
        if run_status == highspy.HighsStatus.kError and result.status is SolveStatus.OPTIMAL:
            result.status = SolveStatus.ERROR
        return result

    def open_session(self, form: StandardForm, options: SolveOptions | Mapping[str, Any] | None = None,
                     **kwargs: Any) -> HighsSession:
        """A live :class:`~solvers.highs.HighsSession` (warm re-solves, ranging, IIS)."""
        return HighsSession(form, options, variant=self.variant, **kwargs)
