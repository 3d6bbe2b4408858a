"""Writing models as specs: ``to_spec(model)`` and ``opt-model convert --to yaml``.

A model loaded from a spec is written back as its document (CSV paths made
relative to the new location).  Any other model is written in a generic but
readable form: its dims, variables with bounds, and for every constraint block,
resource and the objective, one ``sum(coefficients * variable, over=...)``
term per variable block, with the coefficient tables as data.  Coefficients
are laid out over the union of the block's and the variable's dims, which
needs every shared dim to match label for label (``x[task, host]`` in a
per-host resource); a model where that does not hold, or with quadratic terms,
raises :class:`~opt_model.errors.ModelError`.

Example
-------
>>> import opt_model as om
>>> m = om.Model("tiny"); host = om.Dim("host", ["h1", "h2"])
>>> x = m.add_variables("x", dims=host, ub=1)
>>> _ = m.add_constraints("budget", (x * om.data({"h1": 2, "h2": 3}, dims=host)).sum() <= 4)
>>> m.maximize(x.sum())
>>> spec = model_to_spec(m)
>>> spec["constraints"]["budget"], spec["objective"]
('sum(budget_x * x, over=host) <= 4', {'maximize': 'sum(x, over=host)'})
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

from opt_model.dims import Dim
from opt_model.errors import ModelError
from opt_model.expressions import LinearExpression, QuadraticExpression
from opt_model.labeled import LabeledArray
from opt_model.model import Model
from opt_model.spec.loader import SpecList, SpecMap
from opt_model.spec.schema import NAME_PATTERN
from opt_model.variables import Variable, VarKind

INLINE_LIMIT = 200
"""Tables with more entries than this go to CSV files when a data folder is given."""
DENSE_LIMIT = 5_000_000
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def plain(document: Any) -> Any:
    """A spec document as plain dicts and lists (drops the location information)."""
    if isinstance(document, dict):
        return {key: plain(value) for key, value in document.items()}
    if isinstance(document, list):
        return [plain(item) for item in document]
    return document


def dump_yaml(document: dict[str, Any]) -> str:
    """YAML text of a spec document, keys in the order written."""
    return yaml.safe_dump(plain(document), sort_keys=False, allow_unicode=True, width=110)


def model_to_spec(model: Model, data_dir: str | Path | None = None, stem: str = "") -> dict[str, Any]:
    """A spec document for ``model``; large tables go to CSV files in ``data_dir`` when given."""
    info = model.metadata.get("spec")
    if info is not None and getattr(info, "document", None) is not None:
        return _from_document(info.document, Path(info.path).resolve().parent, data_dir)
    return _Exporter(model, data_dir, stem or model.name).run()


def _from_document(document: Any, source_dir: Path, data_dir: str | Path | None) -> dict[str, Any]:
    target = Path(data_dir).resolve() if data_dir is not None else Path.cwd()

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: (os.path.relpath(source_dir / value, target) if key == "csv" and isinstance(value, str)
                          else rewrite(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(plain(document))


def form_to_spec(form: Any, data_dir: str | Path | None = None, stem: str = "") -> dict[str, Any]:
    """A spec document for a :class:`~solvers.StandardForm` (an MPS or LP file)."""
    return model_to_spec(model_from_form(form), data_dir, stem or form.name)


def model_from_form(form: Any) -> Model:
    """A model with one variable block ``x`` over dim ``col`` and one constraint block ``rows`` over ``row``."""
    n, m = form.num_cols, form.num_rows
    if form.Q is not None and form.Q.nnz:
        raise ModelError("the model has a quadratic objective; specs express linear objectives from files")
    if n * max(m, 1) > DENSE_LIMIT:
        raise ModelError(f"{m} rows x {n} columns is too large for a spec's dense tables; keep it as MPS")
    model = Model(_identifier(form.name or "model"))
    col = Dim("col", _unique([str(name) for name in form.column_names().names()]))
    integer = form.integrality is not None and bool(np.any(form.integrality))
    if integer:
        kinds = np.asarray(form.integrality)
        if not kinds.all():
            raise ModelError("mixed integer and continuous columns need two variable blocks; not supported")
    x = model.add_variables("x", col, lb=LabeledArray(form.col_lower, (col,)),
                            ub=LabeledArray(form.col_upper, (col,)), integer=integer)
    if m:
        row = Dim("row", _unique([str(name) for name in form.constraint_names().names()]))
        dense = form.A.toarray()
        expr = (x.expand(row) * LabeledArray(dense, (row, col))).sum("col")
        model.add_constraints("rows", expr.between(LabeledArray(form.row_lower, (row,)),
                                                  LabeledArray(form.row_upper, (row,))))
    objective = (x * LabeledArray(form.c, (col,))).sum() + float(form.constant)
    if form.sense.value == "maximize":
        model.maximize(objective)
    else:
        model.minimize(objective)
    return model


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if not count else f"{name}#{count}")
    return result


def _identifier(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return cleaned if _IDENTIFIER.match(cleaned) else f"_{cleaned}"


class _Exporter:
    def __init__(self, model: Model, data_dir: str | Path | None, stem: str) -> None:
        self.model = model
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.stem = _identifier(stem)
        self.dims: dict[str, Dim] = {}
        self.data: dict[str, Any] = {}
        self.provisioned = {res.provisioned.name: res.name for res in model.resources.values()
                            if res.provisioned is not None}

    def run(self) -> dict[str, Any]:
        model = self.model
        for name in [*model.variables, *model.constraints, *model.resources]:
            if not _IDENTIFIER.match(name):
                raise ModelError(f"the name {name!r} is not an identifier; specs refer to names in expressions")
        variables = {name: self.variable(var) for name, var in model.variables.items()
                     if name not in self.provisioned}
        resources = {name: self.resource(name) for name in model.resources}
        constraints = {name: self.constraint(name) for name in model.constraints}
        objective = self.objective()
        document: dict[str, Any] = {"version": 1, "name": model.name}
        document["dims"] = {name: [str(label) for label in dim.labels.tolist()] for name, dim in self.dims.items()}
        if self.data:
            document["data"] = self.data
        document["variables"] = variables
        if resources:
            document["resources"] = resources
        if constraints:
            document["constraints"] = constraints
        if objective is not None:
            document["objective"] = objective
        if model.solver != "auto":
            document["solver"] = model.solver
        if model.solver_options:
            document["options"] = dict(model.solver_options)
        return document

    # pieces ---------------------------------------------------------------------------------
    def dim_names(self, dims: tuple[Dim, ...]) -> list[str]:
        for dim in dims:
            known = self.dims.get(dim.name)
            if known is None:
                if not _IDENTIFIER.match(dim.name):
                    raise ModelError(f"dimension name {dim.name!r} is not an identifier")
                self.dims[dim.name] = dim
            elif not known.same_as(dim):
                raise ModelError(f"two different dimensions are both named {dim.name!r}; a spec needs unique names")
        return [d.name for d in dims]

    def table(self, name: str, values: np.ndarray, dims: tuple[Dim, ...], unit: str = "") -> str:
        """Add data ``name`` and return its name (a scalar is returned as a number's text)."""
        if not dims:
            return _number(float(values)) + (f" {unit}" if unit else "")
        names = self.dim_names(dims)
        entry: dict[str, Any] = {"dims": names}
        if unit:
            entry["unit"] = unit
        nonzero = np.count_nonzero(values)
        if values.size > INLINE_LIMIT and self.data_dir is not None:
            grids = np.meshgrid(*[d.labels.astype(str) for d in dims], indexing="ij")
            keep = values.ravel() != 0
            frame = pd.DataFrame({n: g.ravel()[keep] for n, g in zip(names, grids)})
            frame["value"] = values.ravel()[keep]
            file = f"{self.stem}_{name}.csv"
            frame.to_csv(self.data_dir / file, index=False)
            entry.update({"csv": file, "default": 0})
        elif nonzero < values.size / 2:
            entry["default"] = 0
            entry["values"] = _nested(values, dims, skip_zero=True)
        else:
            entry["values"] = _nested(values, dims, skip_zero=False)
        self.data[name] = entry
        return name

    def variable(self, var: Variable) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if var.dims:
            out["dims"] = self.dim_names(var.dims)
        if var.kind is VarKind.BINARY:
            out["binary"] = True
        elif var.kind is VarKind.INTEGER:
            out["integer"] = True
        for key, values, default in (("lower", var.lower, 0.0), ("upper", var.upper, math.inf)):
            values = np.asarray(values, dtype=float)
            if var.kind is VarKind.BINARY and ((key == "lower" and (values == 0).all()) or
                                               (key == "upper" and (values == 1).all())):
                continue
            if values.size and (values == values.ravel()[0]).all():
                value = float(values.ravel()[0])
                if value == default:
                    continue
                out[key] = None if math.isinf(value) and key == "lower" else _number(value)
                if math.isinf(value) and key == "upper":
                    del out[key]
            else:
                if np.isinf(values).any() or np.isnan(values).any():
                    finite = np.where(np.isinf(values), np.sign(values) * 1e300, values)
                    values = finite
                out[key] = self.table(f"{var.name}_{key}", values, var.dims)
        return out

    def terms(self, owner: str, expr: Any, dims: tuple[Dim, ...], unit: str = "") -> str:
        """``sum(coef * var, over=...) + ...`` text of a linear expression (or sparse matrix) over ``dims``."""
        if isinstance(expr, QuadraticExpression) or not isinstance(expr, (LinearExpression, sp.spmatrix,
                                                                          sp.sparray)):
            raise ModelError(f"{owner} is not linear; specs are written for linear models only")
        if isinstance(expr, LinearExpression):
            rows = expr.const.size
            vars2d = expr.vars.reshape(rows, -1)
            coeffs2d = expr.coeffs.reshape(rows, -1)
            present = (vars2d >= 0) & (coeffs2d != 0)
            row_index = np.broadcast_to(np.arange(rows)[:, None], vars2d.shape)[present]
            columns = vars2d[present]
            values = coeffs2d[present]
            const = expr.const
        else:
            coo = sp.coo_matrix(expr)
            row_index, columns, values = coo.row, coo.col, coo.data
            const = np.zeros(tuple(len(d) for d in dims))
        parts: list[str] = []
        for var in self.model.variables.values():
            inside = (columns >= var.start) & (columns < var.start + var.size)
            if not inside.any():
                continue
            parts.append(self.term(owner, var, dims, row_index[inside], columns[inside] - var.start,
                                   values[inside], unit))
        constant = const.reshape(-1)
        if np.any(constant != 0):
            if (constant == constant[0]).all():
                parts.append(_number(float(constant[0])) + (f" {unit}" if unit else ""))
            else:
                parts.append(self.table(f"{owner}_constant", const, dims, unit))
        return " + ".join(parts) if parts else "0"

    def term(self, owner: str, var: Variable, dims: tuple[Dim, ...], rows: np.ndarray, cols: np.ndarray,
             values: np.ndarray, unit: str = "") -> str:
        reference = f"provisioned({self.provisioned[var.name]})" if var.name in self.provisioned else var.name
        row_names = [d.name for d in dims]
        var_names = [d.name for d in var.dims]
        self.dim_names(dims)
        self.dim_names(var.dims)
        row_pos = np.unravel_index(rows, tuple(len(d) for d in dims)) if dims else ()
        col_pos = np.unravel_index(cols, tuple(len(d) for d in var.dims)) if var.dims else ()
        for k, name in enumerate(var_names):
            if name in row_names and not np.array_equal(row_pos[row_names.index(name)], col_pos[k]):
                raise ModelError(f"{owner} links {var.name}[{name}=a] to rows with {name}=b; a spec cannot express "
                                 "a dimension that differs between the rows and a variable")
        over = [d for d in var.dims if d.name not in row_names]
        union = (*dims, *over)
        shape = tuple(len(d) for d in union)
        if int(np.prod(shape, dtype=np.int64)) > DENSE_LIMIT:
            raise ModelError(f"the coefficients of {var.name} in {owner} would need a table of {shape} entries")
        coefficient = np.zeros(shape)
        index = (*row_pos, *(col_pos[var_names.index(d.name)] for d in over))
        np.add.at(coefficient, index, values)
        full = np.count_nonzero(coefficient) == coefficient.size
        if full and (coefficient == 1).all() and not unit:
            body = reference
        elif full and (coefficient == coefficient.ravel()[0]).all():
            quantity = _number(float(coefficient.ravel()[0])) + (f" {unit}" if unit else "")
            body = f"{quantity} * {reference}"
        else:
            body = f"{self.table(f'{owner}_{var.name}', coefficient, union, unit)} * {reference}"
        if over:
            names = [d.name for d in over]
            return f"sum({body}, over={names[0] if len(names) == 1 else '[' + ', '.join(names) + ']'})"
        return body

    def constraint(self, name: str) -> Any:
        definition = self.model.constraints[name].definition
        dims = definition.dims
        body = getattr(definition, "expr", None)
        text = self.terms(name, body if body is not None else getattr(definition, "matrix", None), dims)
        return _comparison(self, name, text, definition.lower, definition.upper, dims)

    def resource(self, name: str) -> dict[str, Any]:
        res = self.model.resources[name]
        out: dict[str, Any] = {"unit": _unit(res.unit)}
        if res.dims:
            out["dims"] = self.dim_names(res.dims)
        out["capacity"] = self.value_or_table(f"{name}_capacity", res.capacity)
        if res.price is not None:
            out["price"] = self.value_or_table(f"{name}_price", res.price)
        if res.provisioned is not None:
            provision: dict[str, Any] = {}
            var = res.provisioned
            for key, values in (("min", var.lower), ("max", var.upper)):
                values = np.asarray(values)
                if np.isfinite(values).all() and (key == "max" or values.any()):
                    provision[key] = self.value_or_table(f"{name}_provision_{key}", LabeledArray(values, res.dims))
            if res.provision_price is not None:
                provision["price"] = self.value_or_table(f"{name}_provision_price", res.provision_price)
            if var.kind is not VarKind.CONTINUOUS:
                provision["integer"] = True
            out["provision"] = provision
        if res._usage is not None:
            unit = out["unit"] if out["unit"] != "1" else ""
            out["usage"] = self.terms(name, res.usage, res.dims, unit)
        return out

    def value_or_table(self, name: str, data: LabeledArray) -> Any:
        values = np.asarray(data.values, dtype=float)
        if values.size and (values == values.ravel()[0]).all():
            return float(values.ravel()[0])
        return self.table(name, values, data.dims)

    def objective(self) -> Any:
        objectives = self.model.objectives
        if objectives.lexicographic:
            entries = []
            for k, objective in enumerate(objectives):
                expr = objective.expr.to_expr() if hasattr(objective.expr, "to_expr") else objective.expr
                entry = {objective.sense: self.terms(f"objective{k + 1}", expr, ()), "priority": k + 1}
                if re.match(NAME_PATTERN, objective.name):
                    entry["name"] = objective.name
                if objective.tolerance:
                    entry["tolerance"] = objective.tolerance
                if objective.abs_tolerance:
                    entry["abs_tolerance"] = objective.abs_tolerance
                entries.append(entry)
            return entries
        if self.model.objective is None:
            return None
        return {self.model.sense: self.terms("objective", self.model.objective, ())}


def _comparison(exporter: _Exporter, name: str, text: str, lower: np.ndarray, upper: np.ndarray,
                dims: tuple[Dim, ...]) -> str:
    def side(values: np.ndarray, suffix: str) -> str:
        if values.size and (values == values.ravel()[0]).all():
            return _number(float(values.ravel()[0]))
        return exporter.table(f"{name}_{suffix}", values, dims)

    low_free = np.isneginf(lower).all()
    high_free = np.isposinf(upper).all()
    if np.array_equal(lower, upper):
        return f"{text} == {side(upper, 'rhs')}"
    if low_free:
        return f"{text} <= {side(upper, 'upper')}"
    if high_free:
        return f"{text} >= {side(lower, 'lower')}"
    big = 1e300
    return f"{side(np.clip(lower, -big, big), 'lower')} <= {text} <= {side(np.clip(upper, -big, big), 'upper')}"


def _nested(values: np.ndarray, dims: tuple[Dim, ...], skip_zero: bool) -> Any:
    if len(dims) == 1:
        return {str(label): _plain_number(v) for label, v in zip(dims[0].labels.tolist(), values.tolist())
                if not (skip_zero and v == 0)}
    result = {}
    for label, part in zip(dims[0].labels.tolist(), values):
        inner = _nested(part, dims[1:], skip_zero)
        if inner or not skip_zero:
            result[str(label)] = inner
    return result


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _number(value: float) -> str:
    if math.isinf(value):
        return "1e300" if value > 0 else "-1e300"
    return repr(_plain_number(value))


def _unit(text: str) -> str:
    from opt_model.spec.units import UnitError, parse_unit
    try:
        parse_unit(text or "1")
    except UnitError:
        return "1"
    return text or "1"


_ = (SpecList, SpecMap)  # the document types model_to_spec reads back
