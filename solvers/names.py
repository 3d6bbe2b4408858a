"""Compact names for the columns and rows of a standard form, and what each named run of them is.

A model with a million variables must not carry a million Python strings.  A
:class:`NameMap` stores one :class:`NameBlock` per variable or constraint block:
its name, where it starts, and the labels of each of its dimensions.  The string
``"x[etl,h1]"`` of one position is made only when somebody asks for it.

A block also carries the metadata every layer above reads about its rows or
columns: its ``kind`` (``"variable"``, ``"constraint"``, ``"resource"``, or ``""``
when unknown, as for the names of an MPS file), ``unit``, ``sense`` as written,
and for a resource the ``price`` of one more unit of each entry's right-hand
side.  It is the one name-block type of the project: the compiled model
(:class:`opt_model.compiler.CompiledModel`) and the analyses address rows and
columns through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvers.errors import ModelError

# What a block holds (``NameBlock.kind``).
VARIABLE, CONSTRAINT, RESOURCE = "variable", "constraint", "resource"


@dataclass(frozen=True)
class NameBlock:
    """A contiguous run of positions named ``name[label_1,...,label_k]``, with its metadata.

    ``labels`` holds one sequence of labels per dimension; the block covers the
    cartesian product in C order, starting at position ``start``.  A block with
    ``plain=True`` has one dimension whose labels are the full names (as read
    from an MPS file); a plain block without labels is one position named ``name``.

    ``dims`` keeps the modeling layer's own dimension objects when the block was
    compiled from a model (this layer never looks inside them).

    Example
    -------
    >>> block = NameBlock("memory", 4, (["h1", "h2"],), ("host",), kind=RESOURCE, unit="GiB")
    >>> block.stop, block.name_at(1), block.label_text(1), block.select({"host": "h2"}).tolist(), block.is_resource
    (6, 'memory[h2]', 'h2', [5], True)
    """

    name: str
    start: int
    labels: tuple[Sequence[object] | np.ndarray, ...] = ()
    dim_names: tuple[str, ...] = ()
    plain: bool = False
    kind: str = ""
    unit: str = ""
    sense: str = ""
    price: np.ndarray | None = field(default=None, compare=False, repr=False)
    dims: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(labels) for labels in self.labels)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.labels else 1

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def is_resource(self) -> bool:
        return self.kind == RESOURCE

    def name_at(self, offset: int) -> str:
        """Name of position ``start + offset``."""
        if self.plain:
            return str(self.labels[0][offset]) if self.labels else self.name
        if not self.labels:
            return self.name
        index = np.unravel_index(offset, self.shape)
        parts = ",".join(str(labels[int(i)]) for labels, i in zip(self.labels, index))
        return f"{self.name}[{parts}]"

    def all_names(self) -> list[str]:
        if self.plain:
            return [str(label) for label in self.labels[0]] if self.labels else [self.name]
        return [self.name_at(k) for k in range(self.size)]

    def label_text(self, offset: int) -> str:
        """``"h1"`` or ``"etl,h1"``: the labels of one entry (empty for a scalar or a plain name)."""
        if self.plain or not self.labels:
            return ""
        index = np.unravel_index(offset, self.shape)
        return ",".join(str(labels[int(i)]) for labels, i in zip(self.labels, index, strict=True))

    def select(self, labels: Mapping[str, Any]) -> np.ndarray:
        """Positions of the entries whose labels match ``labels`` (dim name -> label or list)."""
        if not labels:
            return np.arange(self.start, self.stop)
        if self.plain or not self.labels:
            raise ModelError(f"{self.name!r} has no labelled dims; drop the labels {dict(labels)}")
        mask = np.ones(self.shape, dtype=bool)
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

    def split(self) -> list[NameBlock]:
        """One block per name for a plain block (an MPS file's flat name list); ``[self]`` otherwise."""
        if not self.plain or not self.labels:
            return [self]
        return [NameBlock(str(name), self.start + k, plain=True, kind=self.kind)
                for k, name in enumerate(self.labels[0])]


@dataclass
class NameMap:
    """Names of all positions (columns or rows), as a list of blocks in order."""

    blocks: list[NameBlock] = field(default_factory=list)
    size: int = 0

    @classmethod
    def plain(cls, names: Sequence[str], prefix: str = "") -> NameMap:
        """A map from one flat list of names (an MPS file's names, for example)."""
        names = list(names)
        return cls([NameBlock(prefix, 0, (names,), plain=True)], len(names))

    @classmethod
    def numbered(cls, count: int, prefix: str) -> NameMap:
        """Names ``prefix[0]``, ``prefix[1]``, ... for unnamed positions."""
        return cls([NameBlock(prefix, 0, (range(count),), (prefix,))], count)

    def add(self, block: NameBlock) -> None:
        if block.start != self.size:
            raise ValueError(f"name block {block.name!r} starts at {block.start}, expected {self.size}")
        self.blocks.append(block)
        self.size = block.stop

    def block_of(self, position: int) -> NameBlock:
        if not 0 <= position < self.size:
            raise IndexError(f"position {position} outside 0..{self.size - 1}")
        starts = [block.start for block in self.blocks]
        return self.blocks[int(np.searchsorted(starts, position, side="right")) - 1]

    def name(self, position: int) -> str:
        block = self.block_of(position)
        return block.name_at(position - block.start)

    def names(self) -> list[str]:
        """All names as strings (makes one string per position: only on request)."""
        result: list[str] = []
        for block in self.blocks:
            result.extend(block.all_names())
        return result

    def find(self, name: str) -> NameBlock | None:
        for block in self.blocks:
            if block.name == name and not block.plain:
                return block
        return None
