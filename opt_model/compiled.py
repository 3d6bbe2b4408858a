"""A compiled model: a standard form plus the names and metadata of its rows and columns.

:class:`CompiledModel` is what :meth:`Model.compile` returns, what a
:class:`~opt_model.result.Result` holds, and the input of every analysis.  It is
built from a :class:`~opt_model.model.Model`, a solved Result, a
:class:`~solvers.StandardForm` or a file (MPS, LP, YAML spec), so models and
model files share every analysis.  Rows and columns come in named blocks
(:class:`~solvers.NameBlock`: the model's constraint, resource and variable
blocks, each with its kind, unit, sense and prices; one block per name in an MPS
file) and are addressed by block name, full scalar name (``memory[h1]``) or
block name plus labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from opt_model.errors import InputFileError, ModelError, did_you_mean
from solvers import NameBlock, NameMap, Session, StandardForm, is_model_file, open_session, read_file
from solvers.names import CONSTRAINT, RESOURCE

if TYPE_CHECKING:
    from opt_model.model import Model
    from opt_model.result import Result

SPEC_SUFFIXES = (".yaml", ".yml")

# Row kinds, from the bounds.
LE, GE, EQ, RANGE, FREE = "<=", ">=", "==", "range", "free"


@dataclass
class CompiledModel:
    """A standard form with named row and column blocks; the output of compiling and the input of every analysis.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); host = om.Dim("host", ["h1", "h2"])
    >>> x = m.add_variables("x", dims=host)
    >>> mem = m.add_resource("memory", unit="GiB", capacity=om.data({"h1": 4, "h2": 8}, dims=host))
    >>> _ = mem.add_usage(2 * x)
    >>> m.maximize(x.sum())
    >>> compiled = m.compile()
    >>> compiled.row_indices("memory", {"host": "h2"}).tolist(), compiled.row_name(0), compiled.row_block(1).unit
    ([1], 'memory[h1]', 'GiB')
    """

    form: StandardForm
    model: Model | None = None
    objective_unit: str = ""
    notes: list[str] = field(default_factory=list)
    solver: str = "auto"
    """Backend of the sessions the analyses open (``"auto"``: chosen by declared capabilities)."""

    # construction -------------------------------------------------------------------
    @classmethod
    def from_form(cls, form: StandardForm, objective_unit: str = "") -> CompiledModel:
        return cls(form, objective_unit=objective_unit)

    @classmethod
    def from_model(cls, model: Model, objective_unit: str = "") -> CompiledModel:
        """The model's compiled form; for objectives by priority, its last stage (earlier ones held)."""
        if model.objectives.lexicographic:
            staged = model.solve()
            if staged.has_solution:
                return staged.compiled.with_objective_unit(objective_unit)
        return model.compile().with_objective_unit(objective_unit)

    @classmethod
    def from_result(cls, result: Result, objective_unit: str = "") -> CompiledModel:
        return result.compiled.with_objective_unit(objective_unit)

    @classmethod
    def from_compiled(cls, compiled: CompiledModel, objective_unit: str = "") -> CompiledModel:
        """``compiled`` itself (with ``objective_unit`` when given); kept for callers of the analysis model."""
        return compiled.with_objective_unit(objective_unit)

    @classmethod
    def load(cls, path: str | Path) -> CompiledModel:
        """Read an MPS / LP file or a YAML spec."""
        file = Path(path)
        if is_model_file(file):
            return cls.from_form(read_file(file))
        if file.suffix.lower() in SPEC_SUFFIXES:
            return cls.from_model(load_spec_model(file))
        raise InputFileError(f"{file}: unknown file type {file.suffix!r}; give an .mps, .lp or .yaml file")

    def with_objective_unit(self, unit: str) -> CompiledModel:
        """This model with objective unit ``unit`` (itself when ``unit`` is empty or already set)."""
        return self if not unit or unit == self.objective_unit else replace(self, objective_unit=unit)

    # blocks ------------------------------------------------------------------------------
    @cached_property
    def row_blocks(self) -> list[NameBlock]:
        """The named blocks of rows, in order (one per name for an MPS file's plain names)."""
        return _blocks(self.form.row_names, self.form.num_rows, "r")

    @cached_property
    def col_blocks(self) -> list[NameBlock]:
        """The named blocks of columns, in order (one per name for an MPS file's plain names)."""
        return _blocks(self.form.col_names, self.form.num_cols, "x")

    @property
    def row_groups(self) -> list[NameBlock]:
        """Old name of :attr:`row_blocks`."""
        return self.row_blocks

    @property
    def col_groups(self) -> list[NameBlock]:
        """Old name of :attr:`col_blocks`."""
        return self.col_blocks

    @cached_property
    def rows(self) -> dict[str, NameBlock]:
        """The model's constraint and resource blocks by name (rows added by transforms are not in it)."""
        names = self.form.row_names
        blocks = names.blocks if names is not None else []
        return {block.name: block for block in blocks if block.kind in (CONSTRAINT, RESOURCE)}

    @cached_property
    def row_price(self) -> np.ndarray | None:
        """Price per unit of each row's right-hand side (resource prices), NaN where none; None without prices."""
        priced = [block for block in self.row_blocks if block.price is not None]
        if not priced:
            return None
        price = np.full(self.form.num_rows, np.nan)
        for block in priced:
            assert block.price is not None
            price[block.start:block.stop] = block.price
        return price if np.isfinite(price).any() else None

    # names -----------------------------------------------------------------------------
    def row_block(self, row: int) -> NameBlock:
        return self.row_blocks[_block_position(self.row_blocks, row)]

    def col_block(self, col: int) -> NameBlock:
        return self.col_blocks[_block_position(self.col_blocks, col)]

    row_group = row_block
    col_group = col_block

    def row_name(self, row: int) -> str:
        return self.form.constraint_names().name(row)

    def col_name(self, col: int) -> str:
        return self.form.column_names().name(col)

    def row_names(self) -> list[str]:
        return self.form.constraint_names().names()

    def col_names(self) -> list[str]:
        return self.form.column_names().names()

    def row_indices(self, name: str, labels: Mapping[str, Any] | None = None) -> np.ndarray:
        """Rows of a constraint or resource by block name (and labels) or full scalar name."""
        return _indices(self.row_blocks, name, labels, self.row_names, "constraint or resource")

    def col_indices(self, name: str, labels: Mapping[str, Any] | None = None) -> np.ndarray:
        """Columns of a variable block by name (and labels) or full scalar name."""
        return _indices(self.col_blocks, name, labels, self.col_names, "variable")

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
        for block in self.row_blocks:
            if block.is_resource:
                flags[block.start:block.stop] = True
        return flags

    def resource_unit(self, row: int) -> str:
        return self.row_block(row).unit

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
    def with_integers_fixed(self, x: np.ndarray) -> CompiledModel:
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


def objective_unit_of(model: Model) -> str:
    """The unit of a model's objective (of the plan ``solve`` returns), or else the spec's; "" if none."""
    spec = model.metadata.get("spec")
    return str(model.objective_unit or getattr(spec, "objective_unit", "") or "")


def _blocks(names: NameMap | None, size: int, prefix: str) -> list[NameBlock]:
    if names is None:
        return [NameBlock(prefix, 0, (range(size),), (prefix,))] if size else []
    blocks: list[NameBlock] = []
    for block in names.blocks:
        blocks.extend(block.split())
    return blocks


def _with_simplex(form: StandardForm, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the simplex method unless integers need branch-and-bound (a basis for ranging, warm
    starts); backends without a ``method`` option ignore it."""
    if not form.is_mip:
        options.setdefault("method", "simplex")
    return options


def _block_position(blocks: list[NameBlock], position: int) -> int:
    starts = np.fromiter((block.start for block in blocks), dtype=np.int64, count=len(blocks))
    return int(np.searchsorted(starts, position, side="right")) - 1


def _indices(blocks: list[NameBlock], name: str, labels: Mapping[str, Any] | None,
             all_names: Callable[[], list[str]], what: str) -> np.ndarray:
    matches = [block for block in blocks if block.name == name]
    if matches:
        return np.concatenate([block.select(labels or {}) for block in matches])
    if "[" in name and name.endswith("]"):
        base, _, inner = name[:-1].partition("[")
        for block in blocks:
            if block.name == base and not block.plain and block.labels:
                parts = inner.split(",")
                if len(parts) == len(block.dim_names):
                    return block.select(dict(zip(block.dim_names, parts, strict=True)))
    names = all_names()
    if name in names:
        return np.array([names.index(name)])
    hint = did_you_mean(name, sorted({block.name for block in blocks}))
    raise ModelError(f"unknown {what} {name!r}{hint}")


def load_spec_model(path: Path) -> Model:
    """The model of a YAML spec (through ``opt_model.spec.load_spec``)."""
    try:
        from opt_model.spec import load_spec
    except ImportError as error:  # pragma: no cover - the spec package is part of the project
        raise InputFileError(f"{path}: YAML specs need opt_model.spec, which this build lacks") from error
    return load_spec(path)
