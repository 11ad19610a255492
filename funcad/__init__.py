"""funcad: composable function transforms for NumPy code.

``grad``, ``jvp``, ``vjp``, ``jacfwd``, ``jacrev``, ``jacobian``, ``hessian``,
``hvp`` and ``vmap`` on plain NumPy functions: forward mode with dual numbers,
reverse mode with a Wengert tape, nesting to any order.

Example:
    >>> import numpy as np
    >>> import funcad as fad
    >>> fad.grad(lambda x: np.sum(np.sin(x) ** 2))(np.array([0.0, 0.5]))
    array([0.        , 0.84147098])
"""

import numpy as _np

if tuple(int(v) for v in _np.__version__.split(".")[:2]) < (2, 2):   # pyproject.toml's minimum
    raise ImportError(f"funcad needs NumPy >= 2.2 and this is NumPy {_np.__version__}: "
                      f"pip install 'numpy>=2.2'")

from . import numpy  # noqa: F401  (fills the dispatch tables)
from . import tree
from ._checkpoint import checkpoint, checkpoint_name, checkpoint_policies, remat
from ._custom import CustomRuleError, custom_jvp
from ._custom_vjp import custom_vjp
from ._jet import derivatives, jet, laplacian, taylor, taylor_sum
from ._jit import jit
from ._linearize import linear_transpose, linearize
from ._sparse_api import (SparsityPattern, hessian_sparsity, jacobian_sparsity, sparse_hessian,
                          sparse_jacobian)
from ._tape import TapeView, make_tape, print_saved_residuals, saved_residuals
from .api import (grad, hessian, hessp, hvp, jacfwd, jacobian, jacrev, jvp, value_and_grad,
                  vjp, vmap)
from .errors import (BatchingError, ConcretizationError, EscapedTracerError, FuncadError,
                     NoRuleError, TracerArrayConversionError, UnsupportedFunctionError)
from .numpy._elementwise import stop_gradient
from .test_util import check_grads

__version__ = "0.1.0"

# the subpackages with their own dependencies or weight, imported on first use:
# ``import funcad`` then ``funcad.optim.adam(1e-3)`` works as ``import funcad.optim`` does
_ON_FIRST_USE = ("compat", "extend", "nn", "optim", "scipy")


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'funcad' has no attribute {name!r}")

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev", "jacobian",
    "hessian", "hvp", "hessp", "vmap", "stop_gradient", "check_grads", "make_tape", "TapeView", "tree",
    "numpy", "FuncadError", "EscapedTracerError", "ConcretizationError", "NoRuleError",
    "UnsupportedFunctionError", "TracerArrayConversionError", "BatchingError",
    "custom_jvp", "custom_vjp", "CustomRuleError", "checkpoint", "remat", "checkpoint_name",
    "checkpoint_policies", "linear_transpose", "saved_residuals", "print_saved_residuals",
    "jet", "derivatives", "taylor", "laplacian", "taylor_sum",
    "jacobian_sparsity", "hessian_sparsity", "sparse_jacobian", "sparse_hessian",
    "SparsityPattern", "jit",
]
