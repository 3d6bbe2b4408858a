"""Build time of robust counterparts and of the scenario approach, beside the nominal build.

The reference is the nominal build of the same allocation LP, measured in the
same run, interleaved with the robust builds: the model built through
opt-model's API and compiled to its standard form (what ``Model.solve`` does
before handing arrays to a solver).  The budget counterpart (Bertsimas & Sim)
is then built on top of it from the declared uncertainty (every usage
coefficient +-20 %, independent; capacities +-5 %):

* from scratch: resolving the uncertainty to intervals (``RowUncertainty``)
  plus assembling the extra columns and rows (the issue's bar: at most 3x the
  nominal build);
* per level: the counterpart alone from the resolved uncertainty, which is
  what ``robustify`` repeats for each Gamma it tries;
* also with only the memory usage uncertain (a third of the coefficients),
  and the box counterpart.

Medians of ``--repeats`` runs, wall clock and process CPU time (the machine may
be shared; CPU time is less disturbed by other processes), and the median of
the per-repeat ratios.  ``--warmup`` untimed rounds of every build come first
(imports and first calls, the allocator's heap), the nominal build's too.  The
last lines print the scenario approach with ``--scenarios`` scenarios: its build
and solve time on an allocation whose every usage coefficient is uncertain (each
scenario copies the uncertain rows).

    python benchmarks/robust_build.py                      # 2000x50, 1000 scenarios on 200x10
    python benchmarks/robust_build.py --size 500x20 --repeats 5 --scenarios 0
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation import RESOURCES, build_opt_model, make_data


def _parameters(resources: tuple[str, ...] = RESOURCES) -> list:  # type: ignore[type-arg]
    """Usage coefficients of ``resources`` +-20 % (each on its own), every capacity +-5 %."""
    from opt_model.sensitivity.uncertainty import Uncertain, capacity, coefficient, relative

    params = [Uncertain(coefficient(name, "x"), relative(20)) for name in resources]
    params += [Uncertain(capacity(name), relative(5)) for name in RESOURCES]
    return params


def _median(values: list[float]) -> float:
    return statistics.median(values)


class _Clock:
    """Wall and process CPU time of one block."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.times = (time.perf_counter() - self.wall, time.process_time() - self.cpu)


def measure_builds(n_tasks: int, n_machines: int, repeats: int, gamma: float, warmup: int = 1
                   ) -> dict[str, dict[str, float]]:
    from opt_model.robust.counterpart import counterpart
    from opt_model.robust.sets import RowUncertainty
    from opt_model.sensitivity.problem import AnalysisModel

    data = make_data(n_tasks, n_machines, seed=0)
    runs: dict[str, list[tuple[float, float]]] = {key: [] for key in ("nominal", "budget", "level", "box", "memory")}
    sizes: dict[str, float] = {}
    params = _parameters()
    memory_params = _parameters(("memory",))
    for repeat in range(warmup + repeats):
        if repeat == warmup:  # the rounds so far were the warm-up: not counted
            runs = {key: [] for key in runs}
        with _Clock() as clock:
            compiled = build_opt_model(data).compile()
        runs["nominal"].append(clock.times)
        analysis = AnalysisModel.from_compiled(compiled)
        with _Clock() as clock:
            uncertainty = RowUncertainty.build(analysis, params)
            robust = counterpart(uncertainty, "budget", gamma)
        runs["budget"].append(clock.times)
        with _Clock() as clock:
            counterpart(uncertainty, "budget", gamma)
        runs["level"].append(clock.times)
        with _Clock() as clock:
            counterpart(RowUncertainty.build(analysis, params), "box")
        runs["box"].append(clock.times)
        with _Clock() as clock:
            memory_only = counterpart(RowUncertainty.build(analysis, memory_params), "budget", gamma)
        runs["memory"].append(clock.times)
        form = compiled.form
        sizes = {"rows": form.num_rows, "cols": form.num_cols, "nnz": form.num_nonzeros,
                 "robust_rows": robust.form.num_rows, "robust_cols": robust.form.num_cols,
                 "robust_nnz": robust.form.num_nonzeros, "uncertain": uncertainty.coef_col.size,
                 "memory_rows": memory_only.form.num_rows, "memory_cols": memory_only.form.num_cols,
                 "memory_nnz": memory_only.form.num_nonzeros}
    out: dict[str, dict[str, float]] = {"sizes": sizes}
    base = runs["nominal"]
    for key, values in runs.items():
        out[key] = {"wall": _median([w for w, _ in values]), "cpu": _median([c for _, c in values]),
                    "ratio_wall": _median([w / b[0] for (w, _), b in zip(values, base, strict=True)]),
                    "ratio_cpu": _median([c / b[1] for (_, c), b in zip(values, base, strict=True)])}
    return out


def measure_scenarios(n_tasks: int, n_machines: int, scenarios: int) -> dict[str, float]:
    from opt_model.robust.chance import scenario_epsilon, scenario_form, support_rank_bound
    from opt_model.robust.sets import RowUncertainty
    from opt_model.sensitivity.problem import AnalysisModel
    from solvers import solve

    data = make_data(n_tasks, n_machines, seed=0)
    model = build_opt_model(data)
    analysis = AnalysisModel.from_model(model)
    start = time.perf_counter()
    nominal = solve(analysis.form)
    nominal_solve = time.perf_counter() - start
    builds = []
    for _ in range(3):  # the first build includes first calls; the median of three is reported beside it
        start = time.perf_counter()
        uncertainty = RowUncertainty.build(analysis, _parameters())
        form = scenario_form(uncertainty, scenarios, seed=0)
        builds.append(time.perf_counter() - start)
    build = statistics.median(builds)
    start = time.perf_counter()
    result = solve(form)
    solve_s = time.perf_counter() - start
    decisions = support_rank_bound(uncertainty)
    return {"build": build, "first_build": builds[0], "solve": solve_s, "nominal_solve": nominal_solve,
            "rows": form.num_rows,
            "nnz": form.num_nonzeros, "status": result.status.value, "objective": result.objective,
            "nominal_objective": nominal.objective, "decisions": decisions,
            "eps": scenario_epsilon(scenarios, 1e-3, decisions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2000x50", help="tasks x machines of the build comparison")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds of every build first")
    parser.add_argument("--gamma", type=float, default=10.0, help="budget of uncertainty per row")
    parser.add_argument("--scenario-size", default="200x10", help="tasks x machines of the scenario approach")
    parser.add_argument("--scenarios", type=int, default=1000, help="0 skips the scenario approach")
    args = parser.parse_args()
    n_tasks, n_machines = (int(part) for part in args.size.split("x"))
    builds = measure_builds(n_tasks, n_machines, args.repeats, args.gamma, args.warmup)
    size = builds["sizes"]
    print(f"allocation LP {n_tasks}x{n_machines}: {size['rows']:.0f} rows, {size['cols']:.0f} columns, "
          f"{size['nnz']:.0f} nonzeros; {size['uncertain']:.0f} uncertain coefficients")
    print(f"{'build (median of ' + str(args.repeats) + ')':<46} {'wall s':>8} {'ratio':>6}  {'cpu s':>8} "
          f"{'ratio':>6}  size")
    labels = {"nominal": "nominal: model + compile (reference)",
              "budget": f"budget Gamma={args.gamma:g}, from scratch",
              "level": f"budget Gamma={args.gamma:g}, per level (resolved)",
              "memory": "budget, memory usage only, from scratch",
              "box": "box, from scratch"}
    shapes = {"budget": f"{size['robust_rows']:.0f} x {size['robust_cols']:.0f}, {size['robust_nnz']:.0f} nonzeros",
              "memory": f"{size['memory_rows']:.0f} x {size['memory_cols']:.0f}, {size['memory_nnz']:.0f} nonzeros",
              "nominal": f"{size['rows']:.0f} x {size['cols']:.0f}"}
    for key, label in labels.items():
        row = builds[key]
        print(f"{label:<46} {row['wall']:8.4f} {row['ratio_wall']:6.2f}  {row['cpu']:8.4f} {row['ratio_cpu']:6.2f}  "
              f"{shapes.get(key, '')}")
    budget = builds["budget"]
    print(f"budget build / nominal build (median of per-repeat ratios) = {budget['ratio_wall']:.2f} wall, "
          f"{budget['ratio_cpu']:.2f} CPU (target <= 3); nominal + budget = "
          f"{1 + budget['ratio_wall']:.2f}x the nominal build alone")
    if args.scenarios:
        s_tasks, s_machines = (int(part) for part in args.scenario_size.split("x"))
        scen = measure_scenarios(s_tasks, s_machines, args.scenarios)
        print(f"scenario approach, {args.scenarios} scenarios on {s_tasks}x{s_machines} (every usage coefficient and "
              f"capacity uncertain): build {scen['build']:.3f} s (median of 3; first {scen['first_build']:.3f} s), "
              f"solve {scen['solve']:.3f} s "
              f"(nominal solve {scen['nominal_solve']:.3f} s), {scen['rows']:.0f} rows, {scen['nnz']:.0f} nonzeros, "
              f"{scen['status']}, objective {scen['objective']:.6g} (nominal {scen['nominal_objective']:.6g}); "
              f"d={scen['decisions']:.0f}, guaranteed eps={scen['eps']:.4g} at beta=1e-3")


if __name__ == "__main__":
    main()
