"""Weight initializers, each drawing from an explicit ``numpy.random.Generator``.

Every initializer is a plain function ``init(rng, shape, dtype=float64, ...)``
returning a NumPy array, so runs are reproducible from one seed and there is
no hidden global state. Fans follow the usual convention: for a weight of
shape ``(..., fan_in_axis, fan_out_axis)`` (a dense ``(in, out)`` matrix, or a
convolution kernel ``(kh, kw, in, out)``) the receptive field is the product
of the other axes, ``fan_in = shape[in_axis] * receptive`` and
``fan_out = shape[out_axis] * receptive``.

====================  ==========  ===============  ===============
name                  variance    uniform limit    normal std
====================  ==========  ===============  ===============
glorot (xavier)       2/(fi+fo)   sqrt(6/(fi+fo))  sqrt(2/(fi+fo))
he (kaiming)          2/fi        sqrt(6/fi)       sqrt(2/fi)
lecun                 1/fi        sqrt(3/fi)       sqrt(1/fi)
====================  ==========  ===============  ===============
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform",
           "xavier_normal", "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal",
           "lecun_uniform", "lecun_normal", "orthogonal", "zeros", "ones"]


def _check_rng(rng, who):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who}: rng must be a numpy.random.Generator, got {rng!r}; "
                        "create one with numpy.random.default_rng(seed)")


def _check_shape(shape, who):
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{who}: shape must be a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{who}: shape must not have negative sizes, got {shape}")
    return shape


def _fans(shape, in_axis, out_axis, who):
    if len(shape) < 2:
        raise ValueError(f"{who}: needs a weight of at least 2 dimensions to compute fans, "
                         f"got shape {shape}; use zeros/ones or a (1, n) shape for vectors")
    n = len(shape)
    ia, oa = in_axis % n, out_axis % n
    if ia == oa:
        raise ValueError(f"{who}: in_axis and out_axis are the same axis ({ia})")
    receptive = math.prod(s for i, s in enumerate(shape) if i not in (ia, oa))
    return shape[ia] * receptive, shape[oa] * receptive


def variance_scaling(rng: np.random.Generator, shape, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "normal", *, in_axis: int = -2, out_axis: int = -1,
                     dtype=np.float64) -> np.ndarray:
    """Draw weights with variance ``scale / n``, ``n`` chosen by ``mode``.

    Args:
      rng: a ``numpy.random.Generator``.
      shape: the weight shape, at least 2-D.
      scale: positive variance multiplier.
      mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (``(fan_in + fan_out) / 2``).
      distribution: ``"normal"`` (untruncated Gaussian) or ``"uniform"``.
      in_axis, out_axis: the input and output feature axes.
      dtype: floating dtype of the result.

    Returns:
      A NumPy array of ``shape`` and ``dtype``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> w = nn.variance_scaling(np.random.default_rng(0), (400, 300), 2.0, "fan_in")
        >>> round(float(w.var() * 400), 1)
        2.0
    """
    who = "variance_scaling"
    _check_rng(rng, who)
    shape = _check_shape(shape, who)
    if not scale > 0:
        raise ValueError(f"{who}: scale must be positive, got {scale!r}")
    fan_in, fan_out = _fans(shape, in_axis, out_axis, who)
    denominators = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
    if mode not in denominators:
        raise ValueError(f"{who}: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    variance = scale / max(1.0, denominators[mode])
    if distribution == "normal":
        w = rng.standard_normal(shape) * math.sqrt(variance)
    elif distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        w = rng.uniform(-limit, limit, shape)
    else:
        raise ValueError(f"{who}: distribution must be 'normal' or 'uniform', "
                         f"got {distribution!r}")
    return w.astype(dtype)


def _named(name, scale, mode, distribution, formula):
    def init(rng: np.random.Generator, shape, dtype=np.float64, *, in_axis: int = -2,
             out_axis: int = -1) -> np.ndarray:
        _check_rng(rng, name)
        return variance_scaling(rng, shape, scale, mode, distribution, in_axis=in_axis,
                                out_axis=out_axis, dtype=dtype)

    init.__name__ = init.__qualname__ = name
    init.__doc__ = f"""{formula}

    Args:
      rng: a ``numpy.random.Generator``.
      shape: the weight shape, at least 2-D (``(fan_in, fan_out)`` for a dense layer).
      dtype: floating dtype of the result.
      in_axis, out_axis: the input and output feature axes.

    Returns:
      A NumPy array of ``shape`` and ``dtype``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> nn.{name}(np.random.default_rng(0), (3, 2)).shape
        (3, 2)
    """
    return init


glorot_uniform = _named(
    "glorot_uniform", 1.0, "fan_avg", "uniform",
    "Glorot/Xavier uniform: ``U(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``.")
glorot_normal = _named("glorot_normal", 1.0, "fan_avg", "normal",
                       "Glorot/Xavier normal: ``N(0, 2 / (fan_in + fan_out))``.")
he_uniform = _named("he_uniform", 2.0, "fan_in", "uniform",
                    "He/Kaiming uniform (for ReLU): ``U(-l, l)``, ``l = sqrt(6 / fan_in)``.")
he_normal = _named("he_normal", 2.0, "fan_in", "normal",
                   "He/Kaiming normal (for ReLU): ``N(0, 2 / fan_in)``.")
lecun_uniform = _named("lecun_uniform", 1.0, "fan_in", "uniform",
                       "LeCun uniform (for SELU/tanh): ``U(-l, l)``, ``l = sqrt(3 / fan_in)``.")
lecun_normal = _named("lecun_normal", 1.0, "fan_in", "normal",
                      "LeCun normal (for SELU/tanh): ``N(0, 1 / fan_in)``.")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal


def orthogonal(rng: np.random.Generator, shape, dtype=np.float64, *, scale: float = 1.0,
               column_axis: int = -1) -> np.ndarray:
    """A (scaled) random orthogonal matrix, uniform over the orthogonal group.

    The weight is reshaped to ``(rows, cols)`` with ``cols = shape[column_axis]``;
    the result has orthonormal columns if ``rows >= cols`` and orthonormal rows
    otherwise (QR of a Gaussian matrix with the signs of ``diag(R)`` fixed).

    Args:
      rng: a ``numpy.random.Generator``.
      shape: the weight shape, at least 2-D.
      dtype: floating dtype of the result.
      scale: multiplier (the gain).
      column_axis: the axis whose vectors are orthonormal.

    Returns:
      A NumPy array of ``shape`` and ``dtype``.

    Example:
        >>> import numpy as np
        >>> from funcad import nn
        >>> q = nn.orthogonal(np.random.default_rng(0), (4, 3))
        >>> bool(np.allclose(q.T @ q, np.eye(3)))
        True
    """
    _check_rng(rng, "orthogonal")
    shape = _check_shape(shape, "orthogonal")
    if len(shape) < 2:
        raise ValueError(f"orthogonal: needs at least 2 dimensions, got shape {shape}")
    cols = shape[column_axis]
    rows = math.prod(shape) // max(cols, 1)
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    d = np.sign(np.diag(r))
    q = q * np.where(d == 0, 1.0, d)          # make the distribution uniform (Haar)
    if rows < cols:
        q = q.T                                 # (rows, cols) with orthonormal rows
    moved = [s for i, s in enumerate(shape) if i != column_axis % len(shape)] + [cols]
    q = np.moveaxis(q.reshape(moved), -1, column_axis)
    return (scale * q).astype(dtype)


def zeros(rng: np.random.Generator | None, shape, dtype=np.float64) -> np.ndarray:
    """All zeros (``rng`` is accepted, and ignored, for a uniform signature).

    Args:
      rng: a ``numpy.random.Generator`` or ``None``.
      shape: the shape.
      dtype: the dtype.

    Returns:
      ``numpy.zeros(shape, dtype)``.

    Example:
        >>> from funcad import nn
        >>> nn.zeros(None, (2,))
        array([0., 0.])
    """
    if rng is not None:
        _check_rng(rng, "zeros")
    return np.zeros(_check_shape(shape, "zeros"), dtype)


def ones(rng: np.random.Generator | None, shape, dtype=np.float64) -> np.ndarray:
    """All ones (``rng`` is accepted, and ignored, for a uniform signature).

    Args:
      rng: a ``numpy.random.Generator`` or ``None``.
      shape: the shape.
      dtype: the dtype.

    Returns:
      ``numpy.ones(shape, dtype)``.

    Example:
        >>> from funcad import nn
        >>> nn.ones(None, (2,))
        array([1., 1.])
    """
    if rng is not None:
        _check_rng(rng, "ones")
    return np.ones(_check_shape(shape, "ones"), dtype)
