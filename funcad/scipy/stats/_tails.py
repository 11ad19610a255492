"""Helpers for the tails: ``log(1 - exp(-y))`` without cancellation."""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp

_LOG2 = float(np.log(2.0))


def log1mexp(y):
    """``log(1 - exp(-y))`` for ``y > 0``, accurate at both ends (Maechler's switch at log 2).

    Small ``y``: ``log(-expm1(-y))`` (``1 - exp(-y)`` is tiny and expm1 keeps its digits);
    large ``y``: ``log1p(-exp(-y))`` (the answer is tiny and log1p keeps its digits).
    """
    small = y < _LOG2
    y_small = fnp.where(small, y, _LOG2)    # each branch sees only its own range (no NaN
    y_large = fnp.where(small, _LOG2, y)    # in the derivative of the unused one)
    return fnp.where(small, fnp.log(-fnp.expm1(-y_small)), fnp.log1p(-fnp.exp(-y_large)))

