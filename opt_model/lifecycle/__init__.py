"""The optimization lifecycle of a model in one call: baseline, analysis, strategy, implementation, validation.

One concept per module:

- :mod:`~opt_model.lifecycle.source`: the model and the spec's ``uncertainty:`` / ``validation:`` sections;
- :mod:`~opt_model.lifecycle.context`: settings and shared state of a run;
- :mod:`~opt_model.lifecycle.runs`: isolated solver runs through the benchmark runner;
- :mod:`~opt_model.lifecycle.baseline`, :mod:`~opt_model.lifecycle.analysis` (with
  :mod:`~opt_model.lifecycle.repair`), :mod:`~opt_model.lifecycle.strategy` (with
  :mod:`~opt_model.lifecycle.pareto`), :mod:`~opt_model.lifecycle.implementation` (with
  :mod:`~opt_model.lifecycle.allocation`), :mod:`~opt_model.lifecycle.validation`: the five phases;
- :mod:`~opt_model.lifecycle.report`, :mod:`~opt_model.lifecycle.render`, :mod:`~opt_model.lifecycle.plots`:
  the report object, its HTML and Markdown, its charts;
- :mod:`~opt_model.lifecycle.pipeline`: :func:`lifecycle`; :mod:`opt_model.cli.lifecycle`: the CLI.

Example
-------
>>> import opt_model as om
>>> from opt_model.lifecycle import lifecycle
>>> m = om.Model("wyndor"); x1 = m.add_variable("x1"); x2 = m.add_variable("x2")
>>> _ = m.add_resource("plant1", capacity=4).add_usage(1.0 * x1)
>>> _ = m.add_resource("plant2", capacity=12).add_usage(2.0 * x2)
>>> _ = m.add_resource("plant3", capacity=18).add_usage(3.0 * x1 + 2.0 * x2)
>>> m.maximize(3 * x1 + 5 * x2)
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     report = lifecycle(m, out=folder, samples=20, solvers=["highs"], progress=False)
>>> report.baseline.objective, report.strategy.chosen, report.analysis.messages[0]
(36.0, 'highs', 'plant2 is binding: +1 adds 1.5, up to +6')
"""

from opt_model.lifecycle.pipeline import lifecycle
from opt_model.lifecycle.report import LifecycleReport

__all__ = ["LifecycleReport", "lifecycle"]
