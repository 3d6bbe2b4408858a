"""Scenario chunks keep glibc's heap on workers whose environment pins it low (Dask's nanny sets
``MALLOC_TRIM_THRESHOLD_=65536``): measured by the page faults of repeated 1 MiB allocations."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, numpy as np
from opt_model.sensitivity.parallel import heap_kept

def faults(rounds=200):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        block = np.empty(1 << 17)   # 1 MiB: above a pinned 128 KiB mmap threshold
        block[:] = 1.0              # touch every page
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

plain = faults()
with heap_kept():
    with heap_kept():               # nested users share one setting
        kept = faults()
    inner_exit = faults()
after = faults()
print(plain, kept, inner_exit, after)
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
                           reason="glibc heap settings")


def run_probe(env: dict[str, str]) -> list[int]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    environment.update(env)
    output = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True,
                            check=True).stdout
    return [int(value) for value in output.split()]


@glibc
def test_pinned_trim_threshold_is_lifted_while_chunks_run_and_restored_after() -> None:
    plain, kept, inner_exit, after = run_probe({"MALLOC_TRIM_THRESHOLD_": "65536"})
    pages = 200 * (1 << 20) // os.sysconf("SC_PAGE_SIZE")
    assert plain > pages / 2, "the pinned threshold should map and fault every block afresh"
    assert kept < plain / 10, (plain, kept)
    assert inner_exit < plain / 10, "the inner exit must not restore while an outer user remains"
    assert after > pages / 2, "the environment's setting should be back after the last user leaves"


@glibc
def test_adaptive_defaults_are_left_alone() -> None:
    plain, kept, _, after = run_probe({})
    pages = 200 * (1 << 20) // os.sysconf("SC_PAGE_SIZE")
    assert max(plain, kept, after) < pages / 10, "glibc's adaptive threshold already keeps the heap"
