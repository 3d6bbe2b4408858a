"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NETLIB = REPO.parent / "shared" / "data" / "netlib"


def netlib_optima() -> dict[str, float]:
    """Optimal objectives from ``netlib.solu`` (empty when the folder is absent)."""
    solu = NETLIB / "netlib.solu"
    if not solu.is_file():
        return {}
    optima = {}
    for line in solu.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "=opt=":
            optima[parts[1]] = float(parts[2])
    return optima


@pytest.fixture
def netlib_dir() -> Path:
    if not NETLIB.is_dir():
        pytest.skip("../shared/data/netlib is not present beside the checkout")
    return NETLIB
