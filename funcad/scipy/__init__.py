"""funcad.scipy: differentiable parts of SciPy (``funcad.scipy.special``, ``funcad.scipy.signal``,
``funcad.scipy.stats``, ``funcad.scipy.linalg``).

SciPy is an optional extra (``pip install funcad[scipy]``); ``import funcad``
never needs it, and importing this package without it raises an ImportError
that says so.
"""

from __future__ import annotations

try:
    import scipy  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("funcad.scipy needs SciPy, an optional extra: install it with "
                      "`pip install funcad[scipy]` (or `pip install scipy`)") from e

from . import linalg, signal, special, stats  # noqa: E402,F401

__all__ = ["linalg", "signal", "special", "stats"]
