"""Every Netlib LP beside the checkout, solved by HiGHS through the reader and the CLI (1e-6 relative)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import solvers
from opt_model.cli import main
from tests.conftest import NETLIB, netlib_optima

OPTIMA = netlib_optima()
NAMES = sorted(OPTIMA)

pytestmark = pytest.mark.skipif(not NAMES, reason="../shared/data/netlib is not present beside the checkout")


def _path(name: str) -> Path:
    return NETLIB / f"{name}.mps"


def test_every_mps_file_has_a_known_optimum() -> None:
    files = sorted(p.stem for p in NETLIB.glob("*.mps"))
    assert files == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_netlib_python_reader(name: str) -> None:
    result = solvers.solve(solvers.read_file(_path(name)), "highs")
    assert result.status is solvers.SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(OPTIMA[name], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_netlib_cli(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(_path(name)), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["objective"] == pytest.approx(OPTIMA[name], rel=1e-6, abs=1e-9)
