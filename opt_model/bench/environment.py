"""Where a batch ran: machine, Python, package versions and the project's git commit."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path
from typing import Any

PACKAGES = ("opt-model", "highspy", "numpy", "scipy", "cvxpy", "clarabel", "pyomo", "pandas")


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_total_mb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
        return pages * size / 2**20
    except (ValueError, OSError, AttributeError):
        return None


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that affect results (read from metadata, no import)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def machine_info() -> dict[str, Any]:
    """Host, CPU, core count, memory, OS and Python of this machine.

    Example
    -------
    >>> info = machine_info()
    >>> sorted(info)[:3]
    ['cores', 'cpu', 'host']
    """
    return {
        "host": platform.node(), "cpu": cpu_model(), "cores": os.cpu_count(),
        "memory_mb": memory_total_mb(), "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(), "implementation": platform.python_implementation(),
    }


def project_commit() -> str:
    """The git commit of the opt-model checkout this code runs from (``""`` outside git)."""
    from opt_model.bench.suite import git_commit

    return git_commit(Path(__file__).resolve().parents[2])
