"""The von Mises distribution (``scipy.stats.vonmises``), differentiable in ``kappa`` too.

Example:
    >>> import numpy as np
    >>> from funcad.scipy.stats import vonmises
    >>> round(float(vonmises.pdf(0.0, 0.0) * 2 * np.pi), 6)   # kappa = 0: uniform
    1.0
"""

from __future__ import annotations

import numpy as np

from ... import numpy as fnp
from ..special import i0e

__all__ = ["logpdf", "pdf"]

_LOG_2PI = float(np.log(2 * np.pi))


def logpdf(x, kappa, loc=0, scale=1):
    """``kappa cos(z) - log(2 pi I0(kappa)) - log scale``, ``z = (x - loc)/scale``.

    ``log I0(kappa)`` is computed as ``log(i0e(kappa)) + kappa``: finite for large kappa.

    Args:
        x: angles. kappa: the concentration (>= 0). loc, scale: location and scale.

    Returns:
        ``log pdf(x)``, broadcast over the arguments.

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.logpdf(0.0, 1.0)), 6)
        -1.073791
    """
    z = (x - loc) / scale
    return kappa * (fnp.cos(z) - 1.0) - _LOG_2PI - fnp.log(i0e(kappa)) - fnp.log(scale)


def pdf(x, kappa, loc=0, scale=1):
    """Density (Args/Returns as :func:`logpdf`).

    Example:
        >>> from funcad.scipy.stats import vonmises
        >>> round(float(vonmises.pdf(0.0, 1.0)), 6)
        0.34171
    """
    return fnp.exp(logpdf(x, kappa, loc, scale))
