"""docs/limits.md states every input limit; each number written there is the constant in the code."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
MODULES = ["opt_model.spec.loader", "opt_model.spec.grammar", "opt_model.spec.evaluate", "opt_model.spec.build",
           "opt_model.spec.tables", "solvers.files", "solvers.options"]
NOT_INPUT_LIMITS = {"opt_model.spec.tables:MAX_REPORTED"}  # how many problems one error lists


def _rows() -> list[tuple[str, str]]:
    """(limit cell, constant) of each row of the limits table."""
    rows = []
    for line in DOC.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("`") and ":" in cells[2]:
            rows.append((cells[1], cells[2].strip("`")))
    return rows


def _number(cell: str) -> float:
    """The number a limit cell states: the exact figure in parentheses if any, else the last number."""
    inside = re.search(r"\(([\d,]+) bytes", cell)
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?(?:e\d+)?", inside.group(1) if inside else cell)
    return float(numbers[-1].replace(",", ""))


ROWS = _rows()


def test_the_table_has_every_limit() -> None:
    assert len(ROWS) >= 15
    documented = {constant for _, constant in ROWS}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in dir(module):
            if name.startswith("MAX_") and f"{module_name}:{name}" not in NOT_INPUT_LIMITS:
                assert f"{module_name}:{name}" in documented, f"{module_name}.{name} is not in docs/limits.md"


@pytest.mark.parametrize("cell, constant", ROWS, ids=[constant for _, constant in ROWS])
def test_each_documented_number_is_the_constant(cell: str, constant: str) -> None:
    module_name, name = constant.split(":")
    value = getattr(importlib.import_module(module_name), name)
    assert _number(cell) == value, f"docs/limits.md says {cell!r} for {constant}, the code has {value}"


def test_the_docs_link_the_limits_page_and_the_long_fuzz_command() -> None:
    assert "python -m tests.fuzz --cases 100000" in DOC
    assert "limits.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "limits.md" in (ROOT / "docs" / "specs.md").read_text(encoding="utf-8")
