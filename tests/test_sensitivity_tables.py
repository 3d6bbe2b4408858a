"""The sensitivity report without pandas: ``opt-model sensitivity`` prints from numpy columns.

- the command does not import pandas for an LP (table, JSON and CSV);
- :func:`text_table` prints exactly what ``DataFrame.to_string`` printed before;
- the report's text and JSON are the same whether built from its columns or from the
  DataFrames a Python user reads (and changes);
- ``opt_model.sensitivity`` re-exports its names lazily, ``tornado`` staying the function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opt_model.sensitivity.report import _cell, sensitivity_report
from opt_model.sensitivity.table import Table, text_table

ROOT = Path(__file__).resolve().parents[1]
WYNDOR = ROOT / "problems" / "mps" / "wyndor.mps"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_sensitivity_command_on_an_lp_file_does_not_import_pandas(fmt: str) -> None:
    code = ("import sys\nfrom opt_model.cli import main\n"
            f"code = main(['sensitivity', '--format', '{fmt}', {str(WYNDOR)!r}])\n"
            "print('\\nLOADED', 'pandas' in sys.modules, code)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "LOADED False 0"
    assert "plant" in done.stdout  # the report was printed


def _pandas_text(columns: list[tuple[str, object]]) -> str:
    frame = pd.DataFrame({name: values for name, values in columns})
    return frame.to_string(index=False, formatters={name: _cell for name in frame.columns}, na_rep="-")


def _objects(values: list[object]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@pytest.mark.parametrize("seed", range(30))
def test_text_table_prints_what_pandas_printed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 12))
    floats = rng.standard_normal(size) * 10.0 ** rng.integers(-12, 12, size)
    floats[rng.random(size) < 0.2] = np.nan
    floats[rng.random(size) < 0.1] = np.inf
    floats[rng.random(size) < 0.1] = -0.0
    words = ["x", "flow[n0_1->n0_2]", "a much longer name of a row", "", "memory[h1]"]
    names = _objects([words[k] for k in rng.integers(0, len(words), size)])
    units = _objects([None if rng.random() < 0.3 else words[k] for k in rng.integers(0, len(words), size)])
    columns = [("Name", names), ("Final value", floats), ("Allowable increase", -floats * 3),
               ("basic", rng.random(size) < 0.5), ("column", rng.integers(-5, 50000, size)),
               ("Unit", units), ("kind", np.array(["<=", ">=", "=="])[rng.integers(0, 3, size)]),
               ("listed", [words[k] for k in rng.integers(0, len(words), size)])]
    assert text_table(columns, _cell) == _pandas_text(columns)


def test_text_table_hands_empty_tables_and_numbers_in_object_columns_to_pandas() -> None:
    empty = [("Name", _objects([])), ("Final value", np.zeros(0))]
    assert text_table(empty, _cell) == _pandas_text(empty)
    mixed = [("Name", _objects(["a", 1.5, np.nan])), ("v", np.array([1.0, 2.0, 3.0]))]
    assert text_table(mixed, _cell) == _pandas_text(mixed)


def test_table_frames_and_rows() -> None:
    table = Table({"name": ["a", "b"], "value": np.array([1.0, -2.5]), "on": np.array([True, False])},
                  ["name", "value", "on"])
    frame = table.to_frame()
    assert list(frame.columns) == ["name", "value", "on"] and frame["name"].tolist() == ["a", "b"]
    assert Table.from_frame(frame).rows() == table.rows() == [("a", 1.0, True), ("b", -2.5, False)]
    assert len(table.take(np.array([False, True]))) == 1 and len(table.head(0)) == 0
    assert list(Table(None, ["a", "b"]).to_frame().columns) == ["a", "b"]


@pytest.mark.parametrize("path", [WYNDOR, ROOT / "problems" / "production_planning.yaml",
                                  ROOT / "problems" / "supply_network.yaml", ROOT / "problems" / "gpu_jobs.yaml"])
def test_report_text_and_json_are_the_same_from_columns_and_from_frames(path: Path) -> None:
    report = sensitivity_report(path)
    text, payload = report.to_text(), json.dumps(report.to_dict())
    assert report.table("constraints").to_frame().equals(report.constraints)  # the frame the report hands out
    for name in ("variables", "constraints", "bounds"):
        assert isinstance(getattr(report, name), pd.DataFrame)
    assert report.to_text() == text and json.dumps(report.to_dict()) == payload  # now printed from the frames


def test_changes_to_a_frame_show_in_the_text() -> None:
    report = sensitivity_report(WYNDOR)
    report.constraints.loc[0, "dual"] = 123456.0
    assert "123456" in report.to_text()
    report.bounds = report.bounds.iloc[0:0]
    assert "Active variable bounds" not in report.to_text()


def test_sensitivity_package_resolves_every_public_name_lazily() -> None:
    code = ("import sys, opt_model.sensitivity as s\nassert 'pandas' not in sys.modules\n"
            "import opt_model.sensitivity.tornado\nfrom opt_model.sensitivity import tornado\n"
            "assert callable(tornado) and s.tornado is tornado, tornado\n"
            "missing = [n for n in s.__all__ if getattr(s, n, None) is None]\nassert not missing, missing\n"
            "assert set(s.__all__) <= set(dir(s))\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
