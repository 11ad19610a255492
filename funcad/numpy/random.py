"""funcad.numpy.random: NumPy's ``numpy.random``, importable under every spelling.

``import funcad.numpy.random as npr`` (the line autograd programs start with),
``from funcad.numpy import random`` and ``funcad.numpy.random`` all give this
module, and every name in it is NumPy's own (``npr.randn is numpy.random.randn``).

Random draws are constants: no derivative flows through a sampler, in either
mode. To differentiate through a draw, reparameterise it: draw the noise from a
fixed distribution and transform it with funcad.numpy ops, e.g.
``mean + std * npr.randn(n)`` (the gradient in ``mean`` and ``std`` is exact).
The parameters of a sampler must be plain numbers or arrays, never traced values.

Example:
    >>> import funcad as fad
    >>> import funcad.numpy.random as npr
    >>> eps = npr.RandomState(0).randn(3)
    >>> g = fad.grad(lambda s: (s * eps).sum())(2.0)   # d/ds sum(s * eps) = sum(eps)
    >>> bool(abs(g - eps.sum()) < 1e-12)
    True
"""

from __future__ import annotations

import numpy.random as _npr
from numpy.random import *  # noqa: F401,F403  (the samplers, Generator, RandomState, seed ...)

__all__ = list(_npr.__all__)


def __getattr__(name):
    """Anything else ``numpy.random`` has (a name outside its ``__all__``) is NumPy's own."""
    try:
        return getattr(_npr, name)
    except AttributeError:
        raise AttributeError(f"module 'funcad.numpy.random' has no attribute '{name}' "
                             f"(numpy.random has none either)") from None


def __dir__():
    return sorted(set(globals()) | set(dir(_npr)))
