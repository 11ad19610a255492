"""funcad.numpy.linalg: differentiable ``numpy.linalg``.

Every function has a JVP, a VJP and a batching rule (or is composed from ones
that do); the rules are written in funcad ops, so they differentiate again.
Called on traced values, ``np.linalg.<name>`` routes here automatically.
Conventions (complex inputs, non-unique decompositions, degenerate inputs) are
in docs/linalg.md.

Example:
    >>> import numpy as np, funcad as fad
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> fad.grad(lambda a: np.linalg.slogdet(a)[1])(a)   # inv(a).T
    array([[ 0.6, -0.2],
           [-0.2,  0.4]])
"""

from __future__ import annotations

from numpy.linalg import LinAlgError

from ._basic import SlogdetResult, det, inv, matrix_rank, pinv, slogdet, solve
from ._composite import (cond, cross, diagonal, lstsq, matmul, matrix_norm,
                         matrix_power, matrix_transpose, multi_dot, norm, outer, tensordot,
                         tensorinv, tensorsolve, trace, vecdot, vector_norm)
from ._decomp import (EighResult, QRResult, SVDResult, cholesky, eigh, eigvalsh, qr, svd,
                      svdvals)
from ._eig import EigResult, eig, eigvals

__all__ = ["inv", "pinv", "solve", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "qr", "lstsq", "norm", "vector_norm", "matrix_norm", "matrix_power",
           "multi_dot", "tensorsolve", "tensorinv", "matrix_rank", "cond", "eig", "eigvals",
           "matmul", "matrix_transpose", "outer", "tensordot", "vecdot", "diagonal", "trace",
           "cross", "LinAlgError", "SlogdetResult", "EigResult", "EighResult", "SVDResult",
           "QRResult"]
