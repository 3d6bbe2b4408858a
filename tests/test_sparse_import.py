"""scipy.sparse imported for a model file without numpy's f2py and testing (start-up time), numpy untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WYNDOR = ROOT / "problems" / "mps" / "wyndor.mps"


def _run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_the_sensitivity_command_does_not_import_f2py_or_testing() -> None:
    lines = _run("import sys\nfrom opt_model.cli import main\n"
                 f"code = main(['sensitivity', {str(WYNDOR)!r}])\n"
                 "print('LOADED', 'scipy.sparse' in sys.modules, 'numpy.f2py' in sys.modules, "
                 "'numpy.testing' in sys.modules, code)\n")
    assert lines[-1] == "LOADED True False False 0"


def test_numpy_is_the_same_afterwards_and_its_submodules_still_import() -> None:
    lines = _run("import numpy\nbefore = (list(numpy.__all__), sorted(dir(numpy)))\n"
                 "from solvers.sparse_import import scipy_sparse\nsp = scipy_sparse()\n"
                 "print(before == (list(numpy.__all__), sorted(dir(numpy))), 'f2py' in numpy.__all__)\n"
                 "import numpy.testing\nnumpy.testing.assert_allclose(sp.eye(2).toarray(), numpy.eye(2))\n"
                 "print(scipy_sparse() is sp, numpy.f2py.__name__)\n")
    assert lines == ["True True", "True numpy.f2py"]


def test_an_already_imported_numpy_testing_stays_in_scipys_namespace() -> None:
    lines = _run("import numpy.testing\nfrom solvers.sparse_import import scipy_sparse\nscipy_sparse()\n"
                 "from scipy._lib.array_api_compat import numpy as compat\nprint(hasattr(compat, 'testing'))\n")
    assert lines == ["True"]
