"""Every ```python block in docs/*.md runs (blocks of one page share a namespace, in order)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PAGES = sorted((REPO / "docs").glob("*.md"))


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)


@pytest.mark.parametrize("page", [p for p in PAGES if _python_blocks(p)], ids=lambda p: p.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}", "TMP": tmp_path}
    for number, block in enumerate(_python_blocks(page), start=1):
        try:
            exec(compile(block, f"{page.name}[block {number}]", "exec"), namespace)
        except Exception as error:  # pragma: no cover - reported with the page and block number
            raise AssertionError(f"{page.name} block {number} failed: {error!r}") from error
