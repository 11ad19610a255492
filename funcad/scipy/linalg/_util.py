"""Helpers of funcad.scipy.linalg: shape checks and running SciPy over stacks of matrices."""

from __future__ import annotations

import numpy as np

from ...extend import shape_of
from ...numpy._base import is_traced
from ...numpy.linalg._helpers import mask

__all__ = ["check_square", "over_batch", "plain", "tri_mask"]


def plain(*xs) -> bool:
    """Whether SciPy itself runs: no traced operand and no stack of matrices (SciPy before
    1.15 does not batch most of scipy.linalg, so stacks take funcad's path, which loops)."""
    return not is_traced(*xs) and all(np.ndim(x) <= 2 for x in xs if x is not None)


def tri_mask(like, kind: str, k: int = 0):
    """The constant 0/1 mask ``kind`` ('tril', 'triu', 'eye') with offset ``k`` for the n x n
    matrices of ``like``, in its real dtype and of its array type (CuPy refuses NumPy
    operands)."""
    return mask(shape_of(like)[-1], kind=kind, k=k, like=like)


def check_square(a, fname: str) -> None:
    """Raise ``LinAlgError`` unless ``a`` is a stack of square matrices."""
    s = tuple(shape_of(a))
    if len(s) < 2 or s[-1] != s[-2]:
        raise np.linalg.LinAlgError(
            f"scipy.linalg.{fname} needs square matrices in the last two axes, got shape {s}")


def over_batch(fn, core=None):
    """``fn`` on single matrices, applied over the broadcast leading axes of its operands.

    ``core[i]`` is the number of trailing core axes of operand i (2 for every operand when
    None). SciPy before 1.15 does not batch most of scipy.linalg; this loop does it for
    every version (the outputs of the examples are stacked, promoted to a common dtype).
    """

    def impl(*arrs, **params):
        arrs = [np.asarray(x) for x in arrs]
        cores = core or (2,) * len(arrs)
        leads = [x.shape[:x.ndim - c] for x, c in zip(arrs, cores)]
        lead = np.broadcast_shapes(*leads)
        if not lead:
            return fn(*arrs, **params)
        arrs = [np.broadcast_to(x, lead + x.shape[x.ndim - c:]) for x, c in zip(arrs, cores)]
        outs = [fn(*(x[i] for x in arrs), **params) for i in np.ndindex(*lead)]
        if isinstance(outs[0], tuple):
            return tuple(np.stack([o[k] for o in outs]).reshape(lead + np.shape(outs[0][k]))
                         for k in range(len(outs[0])))
        return np.stack(outs).reshape(lead + np.shape(outs[0]))

    return impl
