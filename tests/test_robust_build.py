"""The fast robust builds against the general builder and against brute force, entry by entry.

The budget counterpart (``budget_form``) and the box counterpart (``box_form``) are assembled
straight as arrays; ``RowBuilder`` (``budget_rows`` / ``box_rows``) builds the same forms the
general way (COO rows appended and converted).  Both must give the same matrix, bounds and
costs exactly (the fused build takes the uncertain numbers row by row, the general one in the
order they were declared: the budget columns and rows are compared in one order).  The
uncertainty itself (``resolve_entries``: blocks read as views of the CSR matrix, or copied
when they are not whole consecutive rows) is checked against every nonzero of the block found
by brute force, and the plan made from it lazily against ``resolve_plan``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import opt_model as om
from opt_model.robust.counterpart import RowBuilder, box_form, box_rows, budget_form, budget_rows
from opt_model.robust.protect import row_uncertainty
from opt_model.robust.sets import RowUncertainty
from opt_model.sensitivity.problem import AnalysisModel
from opt_model.sensitivity.targets import resolve_plan
from opt_model.sensitivity.uncertainty import Target, Uncertain, Uniform, capacity, coefficient, relative
from solvers import StandardForm

RESOURCES = ("cpu", "memory", "disk")


def allocation(tasks: int = 30, machines: int = 4, seed: int = 0) -> om.Model:
    rng = np.random.default_rng(seed)
    task, machine = om.Dim("task", tasks), om.Dim("machine", [f"m{k}" for k in range(machines)])
    model = om.Model("allocation")
    x = model.add_variables("x", dims=(task, machine), lb=0, ub=1)
    spare = model.add_variables("spare", dims=machine, lb=0, ub=2)  # in the disk rows beside x
    model.add_constraints("assign", x.sum("machine") == 1)
    usage = rng.uniform(0.5, 2.0, (len(RESOURCES), tasks, machines))
    usage[2, 0, 0] = 0.0  # a disk usage coefficient of 0 (not an uncertain entry)
    usage[0, 1] *= -1.0  # a task that gives cpu back: half-widths of negative coefficients
    for r, name in enumerate(RESOURCES):
        cap = 1.05 * usage[r].mean(axis=1).sum() / machines
        used = (om.data(usage[r], dims=(task, machine)) * x).sum("task")
        model.add_resource(name, capacity=om.data(np.full(machines, cap), dims=machine)).add_usage(
            used + spare if name == "disk" else used)
    model.minimize((om.data(rng.uniform(1, 10, (tasks, machines)), dims=(task, machine)) * x).sum() + spare.sum())
    return model


def blocks(*resources: str) -> list[Uncertain]:
    return [Uncertain(coefficient(name, "x"), relative(20)) for name in resources]


def capacities(*resources: str) -> list[Uncertain]:
    return [Uncertain(capacity(name), relative(5)) for name in resources]


CASES = {
    # whole consecutive blocks first: the entries are views of the CSR matrix
    "views": blocks("cpu", "memory") + capacities(*RESOURCES),
    # the disk rows also hold spare columns: x's entries picked by mask
    "masked": blocks(*RESOURCES) + capacities(*RESOURCES),
    # a capacity between two blocks, blocks out of row order: copied entries
    "interleaved": blocks("memory") + capacities("cpu") + blocks("cpu"),
    # one machine's row of a resource, an absolute interval on another (centers move)
    "labelled": [Uncertain(Target("coefficient", "memory", (("machine", "m1"),), "x"), relative(10)),
                 Uncertain(coefficient("cpu[m2]", "x"), Uniform(0.4, 2.5)), *capacities("disk")],
    # asymmetric relative intervals on blocks read as views: the centers move in place
    "skewed": [Uncertain(coefficient(name, "x"), Uniform(0.9, 1.3, relative=True)) for name in ("cpu", "memory")],
    # one factor for a whole block (per_entry false) and an asymmetric interval (centers move)
    "shared": [Uncertain(coefficient("cpu", "x"), relative(10), per_entry=False),
               Uncertain(coefficient("disk", "x"), Uniform(0.8, 1.5))],
}


def same_form(fused: StandardForm, general: StandardForm, unc: RowUncertainty | None = None,
              tolerance: float = 0.0) -> None:
    """Equal matrices, bounds and costs; with ``unc``, the general builder's budget columns ``p`` and rows
    (in the order the numbers were declared) are first put in the fused build's order (row by row).
    ``tolerance``: relative difference allowed in the matrix (rounding: the sums are taken in another order)."""
    A = sp.csr_matrix(general.A)
    row_order, col_order = np.arange(A.shape[0]), np.arange(A.shape[1])
    if unc is not None:
        form = unc.analysis.form
        m, first_p = form.num_rows, form.num_cols + unc.rows.size
        order = np.concatenate([np.argsort(unc.coef_row, kind="stable"),
                                unc.coef_row.size + np.argsort(unc.rhs_row, kind="stable")])
        row_order[m:] = m + order
        col_order[first_p:] = first_p + order
        A = A[row_order][:, col_order]
    assert fused.A.shape == A.shape
    difference = np.abs(sp.csr_matrix(fused.A - A).data)
    assert difference.max(initial=0.0) <= tolerance * np.abs(A.data).max(initial=1.0)
    for name, order in (("c", col_order), ("row_lower", row_order), ("row_upper", row_order),
                        ("col_lower", col_order), ("col_upper", col_order)):
        assert np.array_equal(getattr(fused, name), getattr(general, name)[order]), name
    assert fused.row_names.size == general.row_names.size and fused.col_names.size == general.col_names.size


def general(unc: RowUncertainty, method: str, gamma: float = 0.0) -> StandardForm:
    A, low, up = unc.centered_form_arrays()
    builder = RowBuilder(unc.analysis.form, A, low.copy(), up.copy(), unc.col_lower, unc.col_upper)
    if method == "box":
        box_rows(builder, unc)
    else:
        budget_rows(builder, unc, gamma)
    return builder.finish(method)


@pytest.mark.parametrize("run_copy", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_budget_and_box_forms_equal_the_general_builder_exactly(case: str, run_copy: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # both ways of writing the model's rows: copied run by run (long rows), scattered through masks (short rows)
    monkeypatch.setattr("opt_model.robust.counterpart.RUN_COPY_MIN_ENTRIES", 0 if run_copy else 10**9)
    unc = row_uncertainty(allocation(), CASES[case])
    for gamma in (0.5, 3.0, 7.25):
        fused = budget_form(unc, gamma, "fused")
        assert fused is not None
        same_form(fused, general(unc, "budget", gamma), unc)
    box = box_form(unc, "box")
    assert box is not None
    # moved centers: fused a + ((c - a) + h), general (a + (c - a)) + h; else the same numbers exactly
    same_form(box, general(unc, "box"), tolerance=1e-15 if unc.shifted_coefficients().size else 0.0)


@pytest.mark.parametrize("run_copy", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_fused_budget_on_mixed_rows_and_columns_equals_the_general_builder_exactly(
        seed: int, run_copy: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_robust import random_protected_model

    monkeypatch.setattr("opt_model.robust.counterpart.RUN_COPY_MIN_ENTRIES", 0 if run_copy else 10**9)
    model, params = random_protected_model(seed)
    unc = row_uncertainty(model, params)
    for gamma in (0.5, 1.0, 2.5):
        fused = budget_form(unc, gamma, "fused")
        assert fused is not None
        same_form(fused, general(unc, "budget", gamma), unc)


@pytest.mark.parametrize("case", sorted(CASES))
def test_uncertain_entries_are_every_stored_coefficient_of_the_blocks(case: str) -> None:
    model = allocation()
    analysis = AnalysisModel.from_model(model)
    params = CASES[case]
    unc = RowUncertainty.build(analysis, params)
    dense = analysis.form.A.toarray()
    rows, cols, values = [], [], []
    for parameter in params:  # brute force: every nonzero of the selected rows and columns, row by row
        target = parameter.target
        if target.kind != "coefficient":
            continue
        selected_cols = set(analysis.col_indices(target.variable).tolist())
        for row in analysis.row_indices(target.name, target.label_map).tolist():
            for col in np.flatnonzero(dense[row]).tolist():
                if col in selected_cols:
                    rows.append(row)
                    cols.append(col)
                    values.append(dense[row, col])
    assert unc.coef_row.tolist() == rows
    assert unc.coef_col.tolist() == cols
    assert unc.coef_nominal.tolist() == values
    relative_20 = np.array([p.distribution.relative for p in params if p.target.kind == "coefficient"]).all()
    if case in ("views", "masked", "interleaved"):  # every block +-20 %: half-widths 0.2 |a|
        assert relative_20 and np.allclose(unc.coef_half, 0.2 * np.abs(values), rtol=1e-12, atol=0)
    num_rows = analysis.form.num_rows  # per-row counts and order, read from the blocks' row pointers
    assert np.array_equal(unc.coefficients_per_row(), np.bincount(unc.coef_row, minlength=num_rows))
    assert np.array_equal(unc.rows, np.union1d(unc.coef_row, unc.rhs_row))
    assert unc.coefficient_rows_sorted() == bool(np.all(np.diff(unc.coef_row) >= 0))
    plan = resolve_plan(analysis, params)  # the plan made later from the same entries equals the eager one
    lazy = unc.plan
    for name in ("entry_factor", "entry_kind", "entry_row", "entry_col", "entry_nominal", "entry_relative"):
        assert np.array_equal(getattr(lazy, name), getattr(plan, name)), name
        assert getattr(lazy, name).dtype == getattr(plan, name).dtype, name
    assert [(f.name, f.parameter) for f in lazy.factors] == [(f.name, f.parameter) for f in plan.factors]
    assert np.array_equal(plan.entry_row[unc.coef_entries], unc.coef_row)
    with pytest.raises(ValueError):  # views of the model's matrix and bounds cannot be written through
        unc.coef_nominal[0] = 1.0
    with pytest.raises(ValueError):
        unc.col_lower[0] = 1.0


@pytest.mark.parametrize("case", sorted(CASES))
def test_entry_values_equal_the_gather_formula(case: str) -> None:
    """Sampled entry values (in-order factors read as they are, the select skipped) equal the plain formula."""
    params = CASES[case] + [Uncertain(capacity("cpu"), Uniform(20.0, 30.0))]  # an absolute entry too
    for chosen in (params, [p for p in params if p.distribution.relative], params[-1:]):
        plan = resolve_plan(AnalysisModel.from_model(allocation()), chosen)
        factors = np.random.default_rng(3).uniform(0.5, 1.5, (4, plan.num_factors))
        drawn = factors[:, plan.entry_factor]
        expected = np.where(plan.entry_relative, drawn * plan.entry_nominal, drawn)
        values = plan.entry_values(factors)
        assert np.array_equal(values, expected)
        assert not np.shares_memory(values, factors)
