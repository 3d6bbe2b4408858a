"""A batch on a Dask cluster: runs still isolated, results written by the client."""

from __future__ import annotations

import pytest

from opt_model.bench import BenchSettings, ResultStore, build_suite, run_batch
from tests.standin_backends import registered

distributed = pytest.importorskip("distributed")


def test_batch_on_a_local_dask_cluster(netlib_dir, tmp_path) -> None:
    with registered():
        _batch_on_a_local_dask_cluster(netlib_dir, tmp_path)


def _batch_on_a_local_dask_cluster(netlib_dir, tmp_path) -> None:
    suite = build_suite([netlib_dir / "afiro.mps", netlib_dir / "sc50a.mps"], ["highs", "test:segfault"],
                        time_limit=30)
    db = tmp_path / "dask.sqlite"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        summary = run_batch(suite, BenchSettings(db=str(db), scheduler=address, progress=False))
    assert summary.counts == {"optimal": 2, "crashed": 2}
    with ResultStore(db) as store:
        runs = {run["run_key"]: run for run in store.runs()}
        assert store.batches()[-1]["scheduler"] == address
    assert runs["afiro|highs|0"]["objective"] == pytest.approx(-464.7531428571)
    assert runs["sc50a|test:segfault|0"]["signal"] == 11
    assert all(run["worker"] for run in runs.values())
