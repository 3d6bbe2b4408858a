"""What every analysis works on: a standard form plus the names of its rows and columns.

:class:`AnalysisModel` is built from a solved :class:`~opt_model.result.Result`,
a :class:`~opt_model.model.Model`, a :class:`~solvers.StandardForm` or a file
(MPS, LP, YAML spec), so models and model files share every analysis.  Rows and
columns come in named groups (the model's constraint, resource and variable
blocks; one group per name in an MPS file) and are addressed by group name,
full scalar name (``memory[h1]``) or group name plus labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import InputFileError, ModelError, did_you_mean
from solvers import NameBlock, NameMap, Session, StandardForm, is_model_file, open_session, read_file

if TYPE_CHECKING:
    from opt_model.compiler import CompiledModel
    from opt_model.model import Model
    from opt_model.result import Result

SPEC_SUFFIXES = (".yaml", ".yml")

# Row kinds, from the bounds.
LE, GE, EQ, RANGE, FREE = "<=", ">=", "==", "range", "free"


@dataclass(frozen=True)
class Group:
    """A named run of rows or columns (a constraint, resource or variable block)."""

    name: str
    start: int
    stop: int
    labels: tuple[Any, ...] = ()
    dim_names: tuple[str, ...] = ()
    plain: bool = False
    is_resource: bool = False
    unit: str = ""

    @property
    def size(self) -> int:
        return self.stop - self.start

    def label_text(self, offset: int) -> str:
        """``"h1"`` or ``"etl,h1"``: the labels of one entry (empty for a scalar)."""
        if self.plain or not self.labels:
            return ""
        index = np.unravel_index(offset, tuple(len(labels) for labels in self.labels))
        return ",".join(str(labels[int(i)]) for labels, i in zip(self.labels, index, strict=True))

    def select(self, labels: Mapping[str, Any]) -> np.ndarray:
        """Positions of the entries whose labels match ``labels`` (dim name -> label or list)."""
        if not labels:
            return np.arange(self.start, self.stop)
        if self.plain or not self.labels:
            raise ModelError(f"{self.name!r} has no labelled dims; drop the labels {dict(labels)}")
        mask = np.ones(tuple(len(values) for values in self.labels), dtype=bool)
        for dim, wanted in labels.items():
            if dim not in self.dim_names:
                raise ModelError(f"{self.name!r} has no dim {dim!r}; its dims are {', '.join(self.dim_names)}")
            axis = self.dim_names.index(dim)
            values = [str(v) for v in self.labels[axis]]
            wanted_list = [str(w) for w in (wanted if isinstance(wanted, (list, tuple)) else [wanted])]
            missing = [w for w in wanted_list if w not in values]
            if missing:
                raise ModelError(f"{self.name!r} has no {dim} label {missing[0]!r}; labels: {', '.join(values[:8])}"
                                 + (" ..." if len(values) > 8 else ""))
            keep = np.isin(np.array(values), wanted_list)
            shape = [1] * mask.ndim
            shape[axis] = -1
            mask &= keep.reshape(shape)
        return self.start + np.flatnonzero(mask.ravel())


def _groups(names: NameMap | None, size: int, prefix: str) -> list[Group]:
    if names is None:
        return [Group(prefix, 0, size, (range(size),), (prefix,))] if size else []
    groups: list[Group] = []
    for block in names.blocks:
        if block.plain:
            groups.extend(_plain_groups(block))
        else:
            groups.append(Group(block.name, block.start, block.stop, block.labels, block.dim_names))
    return groups


def _plain_groups(block: NameBlock) -> list[Group]:
    """One group per name of an MPS file's flat name list."""
    return [Group(str(name), block.start + k, block.start + k + 1, plain=True)
            for k, name in enumerate(block.labels[0])]


@dataclass
class AnalysisModel:
    """A standard form with named row and column groups; the input of every analysis.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
    >>> x = m.add_variables("x", dims=host)
    >>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 4, "h2": 8}, dims=host))
    >>> _ = mem.add_usage(2 * x)
    >>> m.maximize(x.sum())
    >>> am = AnalysisModel.from_model(m)
    >>> am.row_indices("memory", {"host": "h2"}).tolist(), am.row_name(0), am.row_group(1).unit
    ([1], 'memory[h1]', 'GiB')
    """

    form: StandardForm
    row_groups: list[Group]
    col_groups: list[Group]
    objective_unit: str = ""
    row_price: np.ndarray | None = None
    """Price per unit of each row's right-hand side (resource prices), NaN where none."""
    notes: list[str] = field(default_factory=list)
    model: Any = None
    solver: str = "auto"
    """Backend of the sessions the analyses open (``"auto"``: chosen by declared capabilities)."""

    # construction -------------------------------------------------------------------
    @classmethod
    def from_form(cls, form: StandardForm, objective_unit: str = "") -> AnalysisModel:
        return cls(form, _groups(form.row_names, form.num_rows, "r"), _groups(form.col_names, form.num_cols, "x"),
                   objective_unit)

    @classmethod
    def from_compiled(cls, compiled: CompiledModel, objective_unit: str = "") -> AnalysisModel:
        form = compiled.form
        model = compiled.model
        rows: list[Group] = []
        price = np.full(form.num_rows, np.nan)
        for group in _groups(form.row_names, form.num_rows, "r"):
            block = compiled.rows.get(group.name)
            resource = model.resources.get(group.name) if block is not None and block.is_resource else None
            if resource is not None:
                group = replace(group, is_resource=True, unit=resource.unit)
                if resource.price is not None:
                    price[group.start:group.stop] = np.asarray(resource.price.values, dtype=float).reshape(-1)
            rows.append(group)
        spec = model.metadata.get("spec")
        unit = objective_unit or str(model.metadata.get("objective_unit", "") or getattr(spec, "objective_unit", "")
                                     or "")
        return cls(form, rows, _groups(form.col_names, form.num_cols, "x"), unit,
                   price if np.isfinite(price).any() else None, model=model)

    @classmethod
    def from_model(cls, model: Model, objective_unit: str = "") -> AnalysisModel:
        """The model's standard form; for objectives by priority, its last stage (earlier ones held)."""
        if model.metadata.get("lexicographic"):
            staged = model.solve()
            if staged.has_solution:
                return cls.from_compiled(staged.compiled, objective_unit)
        return cls.from_compiled(model.compile(), objective_unit)

    @classmethod
    def from_result(cls, result: Result, objective_unit: str = "") -> AnalysisModel:
        return cls.from_compiled(result.compiled, objective_unit)

    @classmethod
    def load(cls, path: str | Path) -> AnalysisModel:
        """Read an MPS / LP file or a YAML spec."""
        file = Path(path)
        if is_model_file(file):
            return cls.from_form(read_file(file))
        if file.suffix.lower() in SPEC_SUFFIXES:
            return cls.from_model(load_spec_model(file))
        raise InputFileError(f"{file}: unknown file type {file.suffix!r}; give an .mps, .lp or .yaml file")

    # names -----------------------------------------------------------------------------
    def row_group(self, row: int) -> Group:
        return self.row_groups[_group_position(self.row_groups, row)]

    def col_group(self, col: int) -> Group:
        return self.col_groups[_group_position(self.col_groups, col)]

    def row_name(self, row: int) -> str:
        return self.form.constraint_names().name(row)

    def col_name(self, col: int) -> str:
        return self.form.column_names().name(col)

    def row_names(self) -> list[str]:
        return self.form.constraint_names().names()

    def col_names(self) -> list[str]:
        return self.form.column_names().names()

    def row_indices(self, name: str, labels: Mapping[str, Any] | None = None) -> np.ndarray:
        """Rows of a constraint or resource by group name (and labels) or full scalar name."""
        return _indices(self.row_groups, name, labels, self.row_names, "constraint or resource")

    def col_indices(self, name: str, labels: Mapping[str, Any] | None = None) -> np.ndarray:
        """Columns of a variable block by name (and labels) or full scalar name."""
        return _indices(self.col_groups, name, labels, self.col_names, "variable")

    def row_kinds(self) -> np.ndarray:
        """``"<="``, ``">="``, ``"=="``, ``"range"`` or ``"free"`` for each row, from its bounds."""
        lower, upper = self.form.row_lower, self.form.row_upper
        low, up = np.isfinite(lower), np.isfinite(upper)
        kinds = np.full(self.form.num_rows, FREE, dtype=object)
        kinds[up & ~low] = LE
        kinds[low & ~up] = GE
        kinds[low & up] = RANGE
        kinds[low & up & (lower == upper)] = EQ
        return kinds

    def is_resource_row(self) -> np.ndarray:
        flags = np.zeros(self.form.num_rows, dtype=bool)
        for group in self.row_groups:
            if group.is_resource:
                flags[group.start:group.stop] = True
        return flags

    def resource_unit(self, row: int) -> str:
        return self.row_group(row).unit

    # solving ----------------------------------------------------------------------------
    def session(self, options: Mapping[str, Any] | None = None, *, solver: str | None = None,
                ranging: bool = False, **kwargs: Any) -> Session:
        """A :class:`~solvers.Session` on this model, opened by :func:`solvers.open_session`.

        ``solver`` defaults to :attr:`solver`; ``"auto"`` picks by declared capabilities:
        HiGHS (warm, simplex for LPs) for LP, MILP and QP, a conic backend re-solving from
        scratch for cone models.  ``ranging=True`` requires a backend that gives ranging
        (chosen automatically unless ``solver`` names one).
        """
        chosen = solver or ("auto" if ranging else self.solver)
        return open_session(self.form, chosen, _with_simplex(self.form, dict(options or {})), ranging=ranging,
                            **kwargs)

    # variants -----------------------------------------------------------------------
    def with_integers_fixed(self, x: np.ndarray) -> AnalysisModel:
        """The LP with every integer variable fixed at its value in ``x`` (rounded)."""
        form = self.form
        if form.integrality is None:
            return self
        integer = np.asarray(form.integrality) != 0
        lower = form.col_lower.copy()
        upper = form.col_upper.copy()
        lower[integer] = upper[integer] = np.round(x[integer])
        fixed = replace(form, integrality=None, col_lower=lower, col_upper=upper)
        note = (f"the model has {int(integer.sum())} integer variables: this is the sensitivity of the LP "
                "with the integer variables fixed at their optimal values")
        return replace(self, form=fixed, notes=[*self.notes, note])


def _with_simplex(form: StandardForm, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the simplex method unless integers need branch-and-bound (a basis for ranging, warm
    starts); backends without a ``method`` option ignore it."""
    if not form.is_mip:
        options.setdefault("method", "simplex")
    return options


def _group_position(groups: list[Group], position: int) -> int:
    starts = np.fromiter((group.start for group in groups), dtype=np.int64, count=len(groups))
    return int(np.searchsorted(starts, position, side="right")) - 1


def _indices(groups: list[Group], name: str, labels: Mapping[str, Any] | None, all_names: Any,
             what: str) -> np.ndarray:
    matches = [group for group in groups if group.name == name]
    if matches:
        return np.concatenate([group.select(labels or {}) for group in matches])
    if "[" in name and name.endswith("]"):
        base, _, inner = name[:-1].partition("[")
        for group in groups:
            if group.name == base and not group.plain and group.labels:
                parts = inner.split(",")
                if len(parts) == len(group.dim_names):
                    return group.select(dict(zip(group.dim_names, parts, strict=True)))
    names = all_names()
    if name in names:
        return np.array([names.index(name)])
    hint = did_you_mean(name, sorted({group.name for group in groups}))
    raise ModelError(f"unknown {what} {name!r}{hint}")


def load_spec_model(path: Path) -> Model:
    """The model of a YAML spec (through ``opt_model.spec.load_spec``)."""
    try:
        from opt_model.spec import load_spec
    except ImportError as error:  # pragma: no cover - the spec package is part of the project
        raise InputFileError(f"{path}: YAML specs need opt_model.spec, which this build lacks") from error
    return load_spec(path)


def spec_section(model: Any, key: str) -> Any:
    """A top-level section of the spec a model was loaded from (``uncertainty``, ``validation``), or None."""
    info = getattr(model, "metadata", {}).get("spec") if model is not None else None
    document = getattr(info, "document", None)
    if isinstance(document, Mapping):
        return document.get(key)
    return None


def as_analysis_model(source: Any, objective_unit: str = "") -> AnalysisModel:
    """An :class:`AnalysisModel` from a Result, Model, CompiledModel, StandardForm or file path."""
    if isinstance(source, AnalysisModel):
        return source
    if isinstance(source, StandardForm):
        return AnalysisModel.from_form(source, objective_unit)
    if isinstance(source, (str, Path)):
        return AnalysisModel.load(source)
    from opt_model.compiler import CompiledModel
    from opt_model.model import Model
    from opt_model.result import Result
    if isinstance(source, Result):
        return AnalysisModel.from_result(source, objective_unit)
    if isinstance(source, Model):
        return AnalysisModel.from_model(source, objective_unit)
    if isinstance(source, CompiledModel):
        return AnalysisModel.from_compiled(source, objective_unit)
    raise ModelError(f"cannot analyse a {type(source).__name__}; give a Result, Model, StandardForm or file path")
