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


def _console_sessions(page: Path) -> list[list[tuple[str, int, list[str]]]]:
    """Blocks of ```console: ``$ command  # exit N`` lines, each followed by lines its output must contain."""
    sessions = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S):
        steps: list[tuple[str, int, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                command, _, comment = line[2:].partition("  # exit ")
                steps.append((command.strip(), int(comment) if comment else 0, []))
            elif line.strip() and steps:
                steps[-1][2].append(line.strip())
        sessions.append(steps)
    return sessions


CONSOLE_PAGES = [p for p in PAGES if _console_sessions(p)]


@pytest.mark.parametrize("page", CONSOLE_PAGES, ids=lambda p: p.name)
def test_console_sessions_run(page: Path) -> None:
    import os
    import subprocess
    import sys

    Path("/tmp/opt-model-docs").mkdir(exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "MPLBACKEND": "Agg"}
    for steps in _console_sessions(page):
        for command, expected_code, expected_lines in steps:
            done = subprocess.run(command, shell=True, cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=300, check=False)
            output = " ".join((done.stdout + done.stderr).split())
            assert done.returncode == expected_code, f"{page.name}: {command!r} exited {done.returncode}\n" \
                                                     f"{done.stderr[-2000:]}"
            for line in expected_lines:
                assert " ".join(line.split()) in output, f"{page.name}: {command!r} did not print {line!r}"
