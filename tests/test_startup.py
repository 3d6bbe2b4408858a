"""Start-up stays cheap: ``import opt_model`` and ``opt-model --version`` load nothing heavy.

Each check runs a fresh interpreter (a module imported by an earlier test would hide a
regression) and lists the heavy modules it finds in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Third-party packages and project layers that no command needs before it has parsed its arguments.
HEAVY = ["pandas", "scipy", "matplotlib", "dask", "distributed", "cvxpy", "pyomo", "SALib", "pint",
         "jsonschema", "networkx", "tqdm", "yaml", "highspy",
         "opt_model.cli", "opt_model.lifecycle", "opt_model.bench", "opt_model.sensitivity", "opt_model.spec"]


def _loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_opt_model_loads_nothing_heavy() -> None:
    assert _loaded_after("import opt_model") == []


def test_import_opt_model_loads_no_numpy() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, opt_model; print('numpy' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_version_loads_nothing_heavy_nor_numpy() -> None:
    code = ("import sys\nfrom opt_model.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n")
    loaded = _loaded_after(code + "assert 'numpy' not in sys.modules, 'numpy imported by --version'\n")
    assert loaded == ["opt_model.cli"]  # the CLI itself, and nothing else


def test_building_a_model_loads_no_pandas_scipy_or_analysis() -> None:
    code = ("import opt_model as om\nm = om.Model('m')\nt = om.Dim('t', ['a', 'b'])\n"
            "x = m.add_variables('x', dims=t, lb=0, ub=1)\nm.add_constraints('c', x.sum() <= 1)\n"
            "m.maximize((om.data({'a': 1, 'b': 2}, dims=t) * x).sum())\n")
    assert _loaded_after(code) == []


@pytest.mark.parametrize("name", ["data", "Model", "Dim", "SolveStatus", "load_spec", "LifecycleReport"])
def test_lazy_public_names_resolve(name: str) -> None:
    import opt_model as om

    assert getattr(om, name) is not None
    assert name in dir(om)


def test_data_is_the_function_and_lifecycle_the_subpackage() -> None:
    import opt_model as om
    import opt_model.labeled
    import opt_model.lifecycle  # importing the subpackage must not hide om.data

    assert callable(om.data) and om.data is opt_model.labeled.data
    assert callable(om.lifecycle.lifecycle)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        om.nonsense  # noqa: B018


def test_command_table_names_the_module_that_registers_each_command() -> None:
    import argparse
    import importlib

    from opt_model.cli import COMMAND_MODULES, COMMANDS

    for module_name in COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module_name).register(subparsers)
        for command in subparsers.choices:
            assert COMMANDS.get(command) == module_name, f"add {command!r}: {module_name!r} to cli.COMMANDS"


def test_solve_command_loads_only_its_own_module() -> None:
    code = ("import io, contextlib\nfrom opt_model.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['solve', 'problems/mps/wyndor.mps']) == 0\n")
    loaded = _loaded_after(code)
    assert "scipy" not in loaded and "pandas" not in loaded, loaded  # the MPS path needs neither
    assert "opt_model.sensitivity" not in loaded and "opt_model.spec" not in loaded, loaded
