"""``scipy.sparse``, imported without the numpy submodules that scipy's array-API layer drags in.

scipy (1.15 and later) builds an array-API copy of the ``numpy`` namespace when
``scipy.sparse`` is first imported: ``from numpy import *`` plus every name of
``dir(numpy)``.  Both lists name numpy's lazily loaded ``f2py`` and ``testing``, so
the copy imports them, compiling ~130 regular expressions of the Fortran wrapper
generator: about 0.1 s of every command's start-up, for two modules nothing here uses.
:func:`scipy_sparse` hides those two names from numpy's ``__all__`` and ``__dir__``
while ``scipy.sparse`` is first imported and restores them at once; ``numpy.f2py``
and ``numpy.testing`` import as always afterwards (scipy's copy of the numpy
namespace merely lacks them).

Example
-------
>>> sp = scipy_sparse()
>>> sp.csr_matrix((2, 3)).shape
(2, 3)
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType
from typing import Any

UNUSED_NUMPY_SUBMODULES = ("f2py", "testing")
_LOCK = threading.Lock()


def scipy_sparse() -> ModuleType:
    """The ``scipy.sparse`` module (imported on first call, see the module docstring)."""
    module = sys.modules.get("scipy.sparse")
    if module is not None:
        return module
    import numpy

    with _LOCK:
        hidden = {name for name in UNUSED_NUMPY_SUBMODULES if f"numpy.{name}" not in sys.modules}
        namespace = numpy.__dict__
        names: Any = namespace.get("__all__")
        listing: Any = namespace.get("__dir__")  # numpy's own (PEP 562), not ModuleType's
        patched = bool(hidden) and isinstance(names, list) and callable(listing)
        if patched:
            namespace["__all__"] = [name for name in names if name not in hidden]
            namespace["__dir__"] = lambda: [name for name in listing() if name not in hidden]
        try:
            import scipy.sparse
        finally:
            if patched:
                namespace["__all__"], namespace["__dir__"] = names, listing
    return scipy.sparse
