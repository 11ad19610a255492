"""funcad.scipy.linalg: differentiable ``scipy.linalg``.

Every function works on plain arrays (it calls SciPy) and on traced values, where it is
differentiable in forward and reverse mode to any order and batches under ``vmap``; the
rules are written in funcad ops (they differentiate again). Stacks of matrices (..., n, n)
are accepted on traced values. What each derivative covers, and where it does not exist, is
in docs/scipy-linalg.md.

Example:
    >>> import numpy as np, funcad as fad
    >>> from funcad.scipy import linalg
    >>> a = np.array([[0.0, 1.0], [-1.0, 0.0]])           # expm(t a) is a rotation
    >>> float(fad.grad(lambda t: linalg.expm(t * a)[1, 0])(0.0))     # d sin(-t) / dt
    -1.0
"""

from __future__ import annotations

from ._basic import block_diag, det, inv, polar, solve
from ._eig import eigh, eigvalsh, schur
from ._lu import lu, lu_factor, lu_solve
from ._matfun import expm, expm_frechet, logm, solve_sylvester, sqrtm
from ._triangular import cho_factor, cho_solve, cholesky, solve_triangular

__all__ = ["expm", "expm_frechet", "logm", "sqrtm", "solve_sylvester", "solve_triangular",
           "cholesky", "cho_factor", "cho_solve", "lu_factor", "lu_solve", "lu", "solve", "inv",
           "det", "block_diag", "polar", "eigh", "eigvalsh", "schur"]
