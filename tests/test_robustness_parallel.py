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


def knapsack_model():
    """A two-resource 0/1 knapsack (a MILP whose integer decisions move with the capacities)."""
    import opt_model as om
    rng = np.random.default_rng(5)
    items = om.Dim("item", [f"i{k:02d}" for k in range(24)])
    m = om.Model("knapsack2")
    take = m.add_variables("take", dims=items, binary=True)
    weight = om.data(dict(zip(items.labels, rng.integers(10, 60, 24).astype(float), strict=True)), dims=items)
    volume = om.data(dict(zip(items.labels, rng.integers(1, 30, 24).astype(float), strict=True)), dims=items)
    m.add_resource("weight", capacity=300.0).add_usage((weight * take).sum())
    m.add_resource("volume", capacity=150.0).add_usage((volume * take).sum())
    m.maximize(((weight + volume) * take).sum())
    return m


def milp_params() -> list[Uncertain]:
    return [Uncertain(capacity("weight"), relative(20)), Uncertain(capacity("volume"), relative(20))]


def same_milp(a: object, b: object) -> None:
    """MILP re-solves: the same draws, statuses and optimal objectives.  HiGHS's branch-and-bound may take
    another path when the machine is loaded (an alternative optimum, round-off in the last digit), so the
    objectives are compared to 1e-9 and the chosen integers are not compared."""
    assert np.array_equal(a.results.factor_values, b.results.factor_values)  # type: ignore[attr-defined]
    for column in ("status", "nominal_feasible"):
        assert np.array_equal(a.samples[column].to_numpy(), b.samples[column].to_numpy()), column  # type: ignore
    for column in ("objective", "regret"):
        np.testing.assert_allclose(a.samples[column].to_numpy(dtype=float),  # type: ignore[attr-defined]
                                   b.samples[column].to_numpy(dtype=float), rtol=1e-9, atol=1e-9)  # type: ignore


def test_milp_reoptimise_mode_runs_in_parallel_with_the_serial_results() -> None:
    model = knapsack_model()
    serial = robustness(model, milp_params(), scenarios=40, seed=2, mode="reoptimise", progress=False)
    parallel = robustness(model, milp_params(), scenarios=40, seed=2, mode="reoptimise", jobs=2, progress=False)
    same_milp(serial, parallel)
    assert serial.results.chunks == parallel.results.chunks > 1
    assert serial.integer_change_rate > 0 and parallel.integer_change_rate > 0  # capacities move the items
    assert serial.warm_solves == 40 and "nominal incumbent (MIP start) in 40 of 40" in serial.to_text()
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_dask = robustness(model, milp_params(), scenarios=40, seed=2, mode="reoptimise", scheduler=client,
                             progress=False)
    same_milp(serial, on_dask)
