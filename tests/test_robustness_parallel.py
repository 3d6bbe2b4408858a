"""Scenarios on worker processes and on Dask give exactly the serial results."""

from __future__ import annotations

import numpy as np
import pytest

from opt_model.sensitivity import robustness
from opt_model.sensitivity.uncertainty import Uncertain, capacity, cost, relative
from tests.test_sensitivity_report import random_model


def params() -> list[Uncertain]:
    return [Uncertain(capacity("memory"), relative(25)), Uncertain(cost("x"), relative(30))]


def same(a: object, b: object) -> None:
    for column in ("status", "objective", "nominal_feasible", "regret", "basis_changed", "binding_changed"):
        left = a.samples[column].to_numpy()  # type: ignore[attr-defined]
        right = b.samples[column].to_numpy()  # type: ignore[attr-defined]
        if left.dtype.kind == "f":
            assert np.array_equal(left, right, equal_nan=True), column
        else:
            assert np.array_equal(left, right), column
    assert np.array_equal(a.results.factor_values, b.results.factor_values)  # type: ignore[attr-defined]


def test_local_processes_match_serial() -> None:
    model = random_model(7)
    serial = robustness(model, params(), scenarios=48, seed=11, progress=False)
    parallel = robustness(model, params(), scenarios=48, seed=11, jobs=2, progress=False)
    same(serial, parallel)
    assert serial.results.chunks == parallel.results.chunks > 1


def test_dask_local_cluster_matches_serial() -> None:
    distributed = pytest.importorskip("dask.distributed")
    model = random_model(8)
    serial = robustness(model, params(), scenarios=40, seed=4, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = robustness(model, params(), scenarios=40, seed=4, scheduler=client, progress=False)
        by_address = robustness(model, params(), scenarios=40, seed=4, scheduler=cluster.scheduler_address,
                                progress=False)
    same(serial, on_dask)
    same(serial, by_address)
