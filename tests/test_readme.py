"""The README's commands and examples stay true."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_quick_start_has_two_commands_and_ci_runs_the_test_command() -> None:
    quick = README.split("## Quick start", 1)[1].split("## ", 1)[0]
    commands = [line for block in re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
                for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    test_command = next(c for c in commands if "pytest" in c)
    ci = (REPO / ".ci" / "run").read_text()
    assert test_command.strip() in ci
    example = next(c for c in commands if "pytest" not in c)
    spec = re.search(r"solve (\S+)", example)
    assert spec is not None and (REPO / spec.group(1)).is_file(), "the quick-start example file must exist"


def test_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = _blocks("python")[0]
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "optimal 5.5" in out
