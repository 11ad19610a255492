"""The error function as a funcad composite (no new primitive, no SciPy).

``erf`` is built from funcad.numpy operations only, so it differentiates in
both modes, to any order, and batches under ``vmap`` for free. Two pieces,
each accurate to about 1e-15 absolute, joined at ``|x| = 2.5``:

* ``|x| <= 2.5``: the everywhere-positive series
  ``erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (2n+1)!!``
  (no cancellation), 38 terms by Horner's rule in ``x^2``. It is an odd
  function of ``x`` with no ``abs``, so the derivative at 0 is exact.
* ``|x| > 2.5``: ``erf(x) = sign(x) * (1 - erfc(|x|))`` with Laplace's
  continued fraction ``erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x +
  (3/2)/(x + ...))))``, 28 levels, evaluated bottom-up. ``|x|`` is clipped to
  10 there (``erfc(10) = 2e-45``, far below double precision next to 1), so
  huge inputs neither overflow nor underflow.

Because each piece matches ``erf`` to ~1e-15 uniformly on a neighbourhood of
its interval, its derivative matches ``2/sqrt(pi) exp(-x^2)`` to ~1e-13.
"""

from __future__ import annotations

import math

import funcad.numpy as fnp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SPLIT = 2.5       # series below, continued fraction above
_CLIP = 10.0       # erf(x) == sign(x) to double precision beyond this
_SERIES_TERMS = 38
_CF_LEVELS = 28

# a_n = 2^n / (2n+1)!!, highest power first for Horner's rule
_SERIES = [1.0]
for _n in range(1, _SERIES_TERMS):
    _SERIES.append(_SERIES[-1] * 2.0 / (2 * _n + 1))
_SERIES = tuple(reversed(_SERIES))


def _erf_series(x):
    y = x * x
    acc = _SERIES[0]
    for c in _SERIES[1:]:
        acc = acc * y + c
    return _TWO_OVER_SQRT_PI * x * fnp.exp(-y) * acc


def _erfc_cf(a):
    # a >= _SPLIT: the continued fraction converges fast and t stays >= a
    t = a
    for k in range(_CF_LEVELS, 0, -1):
        t = a + (0.5 * k) / t
    return _ONE_OVER_SQRT_PI * fnp.exp(-a * a) / t


def erf(x):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, differentiable.

    Accurate to about 1e-15 in value and 1e-13 in derivative for every finite
    ``x`` (see the module docstring for the method).

    Args:
      x: array_like or traced value, real.

    Returns:
      ``erf(x)`` with ``x``'s shape, floating dtype.

    Example:
        >>> import funcad as fad
        >>> from funcad.nn._special import erf
        >>> round(float(erf(0.5)), 12)
        0.520499877813
        >>> round(float(fad.grad(erf)(0.0)), 12)     # 2 / sqrt(pi)
        1.128379167096
    """
    x = fnp.asarray(x)
    if not fnp.issubdtype(x.dtype, fnp.floating):
        x = fnp.astype(x, fnp.float64)
    small = fnp.less_equal(fnp.abs(x), _SPLIT)
    # each branch only sees inputs in its own range, so neither produces inf/nan
    xs = fnp.where(small, x, 0.0)
    a = fnp.where(small, _SPLIT + 1.0, fnp.abs(x))
    a = fnp.where(fnp.greater(a, _CLIP), _CLIP, a)
    big = fnp.sign(x) * (1.0 - _erfc_cf(a))
    return fnp.where(small, _erf_series(xs), big)
