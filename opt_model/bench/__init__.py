"""Batch solver benchmarking, regression gates and drift monitoring.

One concept per module:

- :mod:`~opt_model.bench.suite`: what to run (problems, solver configurations, limits);
- :mod:`~opt_model.bench.references`: known answers (``.solu``, a spec's ``expected``) and the check;
- :mod:`~opt_model.bench.worker`: the child side of a run (imports only ``solvers`` for MPS/LP);
- :mod:`~opt_model.bench.isolation`: the parent side (fork server, process groups, hard kill, peak memory);
- :mod:`~opt_model.bench.runner`: a batch (resume, parallel slots, progress, Ctrl-C);
- :mod:`~opt_model.bench.distributed`: the same on a Dask cluster;
- :mod:`~opt_model.bench.storage`: the SQLite file (WAL, a commit per run, CSV and pandas export);
- :mod:`~opt_model.bench.metrics`, :mod:`~opt_model.bench.profiles`, :mod:`~opt_model.bench.report`:
  shifted geometric means, Dolan-More profiles, text/Markdown/HTML reports;
- :mod:`~opt_model.bench.compare`: the regression gate;
- :mod:`~opt_model.bench.monitor` and :mod:`~opt_model.bench.spec_data`: drift of a model on new data.

Example
-------
::

    from opt_model.bench import BenchSettings, build_suite, run_batch
    suite = build_suite(["../shared/data/netlib"], ["highs", "highs:ipm"], time_limit=60)
    run_batch(suite, BenchSettings(db="netlib.sqlite")).counts
    # -> {'optimal': 110}
"""

from opt_model.bench.compare import Comparison, compare_cells, compare_stores
from opt_model.bench.isolation import IsolatedExecutor, RunLimits, RunOutcome
from opt_model.bench.monitor import DriftReport, Snapshot, compare_snapshots, monitor, take_snapshot
from opt_model.bench.references import Reference, check, read_solu
from opt_model.bench.report import Report, build_report, render_html, render_markdown, render_text
from opt_model.bench.runner import BatchSummary, BenchError, BenchSettings, run_batch
from opt_model.bench.storage import ResultStore
from opt_model.bench.suite import Job, Problem, SolverConfig, Suite, build_suite

__all__ = [
    "BatchSummary", "BenchError", "BenchSettings", "Comparison", "DriftReport", "IsolatedExecutor", "Job",
    "Problem", "Reference", "Report", "ResultStore", "RunLimits", "RunOutcome", "Snapshot", "SolverConfig",
    "Suite", "build_report", "build_suite", "check", "compare_cells", "compare_snapshots", "compare_stores",
    "monitor", "read_solu", "render_html", "render_markdown", "render_text", "run_batch", "take_snapshot",
]
