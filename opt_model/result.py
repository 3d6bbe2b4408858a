"""Results mapped back to the model's names and labels.

Sign convention (all backends, min and max alike): ``dual(name)`` is the
derivative of the optimal objective with respect to the constraint's
right-hand side; ``reduced_cost(var)`` its derivative with respect to the
variable's active bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import ModelError, SolverError, did_you_mean
from opt_model.expressions import ExpressionOps, LinearExpression, QuadraticExpression
from opt_model.labeled import LabeledArray
from opt_model.variables import Variable
from solvers import BackendResult, SolveStatus
from solvers.numbers import finite_or_none

if TYPE_CHECKING:
    import pandas as pd

    from opt_model.compiler import CompiledModel, RowBlock
    from opt_model.model import Model


class Result:
    """The outcome of :meth:`Model.solve`: status, objective, and values by name.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
    >>> x = m.add_variables("x", dims=host, ub=om.data({"h1": 2, "h2": 3}, dims=host))
    >>> m.maximize(x.sum())
    >>> r = m.solve()
    >>> r.status.value, r.objective, r.value(x).to_dict()
    ('optimal', 5.0, {'h1': 2.0, 'h2': 3.0})
    """

    def __init__(self, model: Model, compiled: CompiledModel, backend: BackendResult) -> None:
        self.model = model
        self.compiled = compiled
        self.backend = backend

    # headline figures ------------------------------------------------------------------
    @property
    def status(self) -> SolveStatus:
        return self.backend.status

    @property
    def objective(self) -> float | None:
        """The optimal objective; ``None`` unless the status is optimal.

        An infeasible or unbounded model has no optimal objective (a solver's
        last iterate is not one), and a limit outcome has at best an
        incumbent: see :attr:`incumbent_objective` and :attr:`best_bound`.
        """
        if not self.status.is_optimal:
            return None
        return finite_or_none(self.backend.objective)

    @property
    def incumbent_objective(self) -> float | None:
        """The objective of the best feasible point found when a limit stopped the solve (else ``None``)."""
        if not self.status.is_limit or self.backend.x is None:
            return None
        return finite_or_none(self.backend.objective)

    @property
    def best_bound(self) -> float | None:
        """The best proven bound on the optimum of a MIP stopped by a limit (else ``None``)."""
        if not self.status.is_limit:
            return None
        return finite_or_none(self.backend.mip_bound)

    @property
    def objective_unit(self) -> str:
        """The objective's unit (``"USD"``), from ``Model.minimize(..., unit=)`` or the spec; ``""`` if none."""
        text = str(getattr(self.model, "objective_unit", "") or "").strip()
        return "" if text in ("1", "dimensionless") else text

    @property
    def solver(self) -> str:
        return self.backend.solver

    @property
    def solve_time_s(self) -> float:
        return self.backend.solve_time_s

    @property
    def has_solution(self) -> bool:
        """True when values can be asked for: the solve ended optimal with a point."""
        return self.status.is_optimal and self.backend.x is not None

    def __repr__(self) -> str:
        objective = "-" if self.objective is None else f"{self.objective:.10g}"
        return f"<Result {self.status.value} objective={objective} solver={self.solver}>"

    def to_text(self, max_variables: int = 20) -> str:
        """Readable summary (what ``print(result)`` shows): status, objective, resources, nonzero variables."""
        from opt_model.formatting import format_number, text_table

        unit = f" {self.objective_unit}" if self.objective_unit else ""
        lines = [f"{self.model.name or 'model'}: {self.status.value}, objective {format_number(self.objective, 10)}"
                 f"{unit} ({self.solver})"]
        if not self.has_solution:
            return lines[0] + "\n"
        resources = self._resource_rows()
        if resources:
            lines += ["", "Resources", self._resource_text(resources).rstrip()]
        nonzero = [(name, value) for name, value in self.variable_values().items()
                   if abs(value) > 1e-9 and name in self.user_variable_names()]
        if nonzero:
            more = f", first {max_variables} shown" if len(nonzero) > max_variables else ""
            lines += ["", f"Variables (nonzero: {len(nonzero)}{more})",
                      text_table([list(item) for item in nonzero[:max_variables]], ["variable", "value"]).rstrip()]
        return "\n".join(lines) + "\n"

    __str__ = to_text

    def _repr_html_(self) -> str:
        from opt_model.formatting import format_number, html_table

        unit = f" {self.objective_unit}" if self.objective_unit else ""
        parts = [f"<div><b>{self.model.name or 'model'}</b>: {self.status.value}, objective "
                 f"{format_number(self.objective, 10)}{unit} ({self.solver})"]
        if self.has_solution:
            resources = self._resource_rows()
            if resources:
                provisioned = any(r["bought"] for r in resources)
                head = ["resource", "unit", "usage", "capacity", *(["bought", "total"] if provisioned else []),
                        "util %", "shadow price"]
                parts.append(html_table([[r["name"], r["unit"], r["value"], r["capacity"],
                                          *([r["bought"], r["total_capacity"]] if provisioned else []),
                                          r["utilisation_pct"], r["shadow_price"]] for r in resources], head))
            nonzero = [[name, value] for name, value in self.variable_values().items()
                       if abs(value) > 1e-9 and name in self.user_variable_names()]
            parts.append(html_table(nonzero[:50], ["variable", "value"]))
        return "".join(parts) + "</div>"

    def _resource_rows(self) -> list[dict[str, Any]]:
        rows = []
        for record in self.resource_table().to_dict(orient="records"):
            name = f"{record['resource']}[{record['label']}]" if record["label"] else record["resource"]
            rows.append({"name": name, "unit": record["unit"], "value": record["usage"],
                         "capacity": record["base_capacity"], "bought": record["bought"],
                         "total_capacity": record["capacity"], "utilisation_pct": record["utilisation_pct"],
                         "shadow_price": record["shadow_price"]})
        return rows

    @staticmethod
    def _resource_text(rows: list[dict[str, Any]]) -> str:
        from opt_model.formatting import resource_text_table
        return resource_text_table(rows)

    def user_variable_names(self) -> set[str]:
        """Names of the columns of the user's variables (not auxiliary ones added for cones)."""
        names = self.compiled.form.column_names().names()
        hidden = set(self.model.metadata.get("auxiliary", ()))
        user = {var.name for var in self.model.variables.values() if var.name not in hidden}
        return {name for name in names if name.split("[", 1)[0] in user}

    # values ------------------------------------------------------------------------------
    def _x(self, incumbent: bool = False) -> np.ndarray:
        x = self.backend.x
        usable = self.status.is_optimal or (incumbent and self.status.is_limit)
        if x is None or not usable:
            hint = ""
            if x is not None and self.status.is_limit:
                hint = "; the best point found so far is value(..., incumbent=True)"
            raise SolverError(f"no solution is available: the solve ended with status {self.status.value!r}"
                              + (f" ({self.backend.message})" if self.backend.message else "") + hint)
        return x

    def value(self, item: Any, *, incumbent: bool = False) -> Any:
        """Values of a variable or expression: a :class:`LabeledArray`, or a float for a scalar.

        Raises :class:`~opt_model.errors.SolverError` unless the solve ended optimal;
        ``incumbent=True`` also accepts the best feasible point of a solve stopped by a
        limit (time, iterations, ...).
        """
        x = self._x(incumbent)
        if isinstance(item, str):
            item = self.model.variable(item)
        if isinstance(item, Variable):
            return _shaped(x[item.start:item.start + item.size].reshape(item.indices.shape), item.dims, item.name)
        if isinstance(item, (LinearExpression, QuadraticExpression)):
            return _shaped(np.asarray(item.evaluate(x)), item.dims, "")
        if isinstance(item, ExpressionOps):
            expr = item.to_expr()
            return _shaped(np.asarray(expr.evaluate(x)), expr.dims, "")
        raise ModelError(f"value() takes a variable, its name or an expression, got {type(item).__name__}")

    def reduced_cost(self, variable: Variable | str) -> Any:
        """d(optimal objective)/d(active bound) for each entry of a variable block."""
        var = self.model.variable(variable) if isinstance(variable, str) else variable
        costs = self._duals_available(self.backend.reduced_cost, "reduced costs")
        return _shaped(costs[var.start:var.start + var.size].reshape(var.indices.shape), var.dims, var.name)

    def _row_block(self, name: str) -> RowBlock:
        rows = self.compiled.rows
        if name not in rows:
            hint = did_you_mean(name, list(rows), f"; known: {', '.join(rows) or 'none'}")
            raise ModelError(f"unknown constraint or resource {name!r}{hint}")
        return rows[name]

    def _rows(self, array: np.ndarray, name: str) -> Any:
        block = self._row_block(name)
        values = array[block.start:block.stop].reshape(tuple(len(d) for d in block.dims))
        return _shaped(values, block.dims, name)

    def _duals_available(self, array: np.ndarray | None, what: str) -> np.ndarray:
        if array is None:
            why = "the model has integer variables" if self.compiled.form.is_mip else \
                f"the solve ended with status {self.status.value!r}" if not self.status.is_optimal else \
                f"solver {self.solver} does not report them"
            raise SolverError(f"{what} are not available: {why}")
        return array

    def dual(self, name: str) -> Any:
        """Shadow prices of a constraint block or resource: d(objective)/d(right-hand side)."""
        return self._rows(self._duals_available(self.backend.row_dual, "duals"), name)

    def activity(self, name: str) -> Any:
        """Value of the constraint's expression (for a resource: usage minus provisioned amount)."""
        return self._rows(self._activity_array(), name)

    def _activity_array(self) -> np.ndarray:
        activity = self.backend.row_activity
        return activity if activity is not None else self.compiled.form.A @ self._x()

    def slack(self, name: str) -> Any:
        """Distance of the activity to its nearest finite bound (0 when binding)."""
        block = self._row_block(name)
        form = self.compiled.form
        part = slice(block.start, block.stop)
        activity = self._activity_array()[part]
        upper_gap = form.row_upper[part] - activity
        lower_gap = activity - form.row_lower[part]
        both = np.isfinite(upper_gap) & np.isfinite(lower_gap)
        slack = np.where(both, np.minimum(upper_gap, lower_gap), np.where(np.isfinite(upper_gap), upper_gap, lower_gap))
        return _shaped(slack.reshape(tuple(len(d) for d in block.dims)), block.dims, name)

    # resources ----------------------------------------------------------------------
    def usage(self, resource: str) -> Any:
        """How much of a resource is used, per label."""
        res = self.model.resources.get(resource)
        if res is None:
            raise ModelError(f"unknown resource {resource!r}; known: {', '.join(self.model.resources) or 'none'}")
        return self.value(res.usage)

    def capacity(self, resource: str) -> Any:
        """Capacity per label, including any provisioned amount."""
        res = self.model.resources[resource]
        if res.provisioned is None:
            return res.capacity if res.dims else float(res.capacity.values)
        return self.value(res.provisioned + res.capacity)

    def resource_table(self) -> pd.DataFrame:
        """One row per resource and label: usage, capacity, utilisation %, shadow price.

        ``capacity`` is the total available (base plus bought); ``base_capacity`` and ``bought`` split
        it for resources whose capacity can be provisioned (``bought`` is 0 otherwise).
        """
        import pandas as pd

        records = []
        for name, res in self.model.resources.items():
            used = np.asarray(_values(self.usage(name)), dtype=float).reshape(-1)
            cap = np.asarray(_values(self.capacity(name)), dtype=float).reshape(-1)
            base = np.broadcast_to(np.asarray(_values(res.capacity), dtype=float).reshape(-1), used.shape)
            bought = (np.asarray(_values(self.value(res.provisioned)), dtype=float).reshape(-1)
                      if res.provisioned is not None else np.zeros(used.shape))
            duals = (np.asarray(_values(self.dual(name)), dtype=float).reshape(-1)
                     if self.backend.row_dual is not None else np.full(used.shape, np.nan))
            labels = _label_strings(res.dims, used.size)
            for k in range(used.size):
                util = 100.0 * used[k] / cap[k] if cap[k] not in (0.0, np.inf) else np.nan
                records.append({"resource": name, "label": labels[k], "unit": res.unit, "usage": used[k],
                                "capacity": cap[k], "utilisation_pct": util, "shadow_price": duals[k],
                                "base_capacity": float(base[k]), "bought": float(bought[k])})
        return pd.DataFrame.from_records(records, columns=["resource", "label", "unit", "usage", "capacity",
                                                           "utilisation_pct", "shadow_price", "base_capacity",
                                                           "bought"])

    def sensitivity(self, **options: Any) -> Any:
        """Local sensitivity report (see :func:`opt_model.sensitivity.sensitivity_report`)."""
        from opt_model.sensitivity import sensitivity_report
        return sensitivity_report(self, **options)

    # export -----------------------------------------------------------------------
    def variable_values(self) -> dict[str, float]:
        """Every scalar variable's value by its full name (``x[etl,h1]``)."""
        x = self._x()
        names = self.compiled.form.column_names().names()
        return dict(zip(names, x.tolist()))

    def to_pandas(self) -> pd.DataFrame:
        """All variables as a DataFrame: variable, index, value, reduced cost."""
        import pandas as pd

        x = self._x()
        frames = []
        for var in self.model.variables.values():
            part = slice(var.start, var.start + var.size)
            labels = _label_strings(var.dims, var.size)
            frame = pd.DataFrame({"variable": var.name, "index": labels, "value": x[part]})
            if self.backend.reduced_cost is not None:
                frame["reduced_cost"] = self.backend.reduced_cost[part]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def to_dict(self, include_values: bool = True) -> dict[str, Any]:
        """JSON-ready summary: status, objective, solver, timings and values by name."""
        out: dict[str, Any] = {
            "model": self.model.name,
            "status": self.status.value,
            "objective": self.objective,
            "solver": self.solver,
            "solver_version": self.backend.solver_version,
            "solve_time_s": self.solve_time_s,
        }
        if self.incumbent_objective is not None:
            out["incumbent_objective"] = self.incumbent_objective
        if self.best_bound is not None:
            out["best_bound"] = self.best_bound
        if self.backend.mip_gap is not None:
            out["mip_gap"] = finite_or_none(self.backend.mip_gap)
            out["mip_bound"] = finite_or_none(self.backend.mip_bound)
        if include_values and self.has_solution:
            out["variables"] = self.variable_values()
        return out


def _shaped(values: np.ndarray, dims: tuple[Any, ...], name: str) -> Any:
    if not dims:
        return float(np.asarray(values).reshape(-1)[0]) if np.asarray(values).size else 0.0
    return LabeledArray(values, dims, name)


def _values(item: Any) -> Any:
    return item.values if isinstance(item, LabeledArray) else item


def _label_strings(dims: tuple[Any, ...], size: int) -> list[str]:
    if not dims:
        return [""] * size
    grids = np.meshgrid(*[d.labels.astype(str) for d in dims], indexing="ij")
    flat = [g.ravel() for g in grids]
    return [",".join(parts) for parts in zip(*flat)]

