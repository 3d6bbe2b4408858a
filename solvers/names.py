"""Compact names for the columns and rows of a standard form.

A model with a million variables must not carry a million Python strings.  A
:class:`NameMap` stores one :class:`NameBlock` per variable or constraint block:
its name, where it starts, and the labels of each of its dimensions.  The string
``"x[etl,h1]"`` of one position is made only when somebody asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class NameBlock:
    """A contiguous run of positions named ``name[label_1,...,label_k]``.

    ``labels`` holds one sequence of labels per dimension; the block covers the
    cartesian product in C order, starting at position ``start``.  A block with
    ``plain=True`` has one dimension whose labels are the full names (as read
    from an MPS file).
    """

    name: str
    start: int
    labels: tuple[Sequence[object] | np.ndarray, ...] = ()
    dim_names: tuple[str, ...] = ()
    plain: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(labels) for labels in self.labels)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.labels else 1

    @property
    def stop(self) -> int:
        return self.start + self.size

    def name_at(self, offset: int) -> str:
        """Name of position ``start + offset``."""
        if self.plain:
            return str(self.labels[0][offset])
        if not self.labels:
            return self.name
        index = np.unravel_index(offset, self.shape)
        parts = ",".join(str(labels[int(i)]) for labels, i in zip(self.labels, index))
        return f"{self.name}[{parts}]"

    def all_names(self) -> list[str]:
        if self.plain:
            return [str(label) for label in self.labels[0]]
        return [self.name_at(k) for k in range(self.size)]


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
