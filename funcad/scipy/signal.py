"""funcad.scipy.signal: differentiable convolutions (``scipy.signal``'s convolve family).

One primitive, ``convolve_p``, computes the full n-d convolution over some axes (the other
axes broadcast, as in ``fftconvolve(..., axes=)``); every public function is a composite of it:
a mode is a slice of the full result, a correlation is a convolution with the flipped
conjugated kernel, a 2-D boundary is a pad of the first operand. The primitive is bilinear:
its transpose in one operand is a (sliced) convolution of the cotangent with the other
operand flipped, written with ``convolve_p`` again, so derivatives differentiate again
(second order, ``vmap`` of ``grad``).

Example:
    >>> import numpy as np, funcad as fad, funcad.numpy as fnp
    >>> from funcad.scipy import signal
    >>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> fad.grad(lambda k: fnp.sum(signal.convolve(np.array([1.0, 2.0, 3.0]), k, "valid")))(
    ...     np.array([0.0, 1.0]))
    array([5., 3.])
"""

from __future__ import annotations

import numpy as np
import scipy.signal as ss

from .. import numpy as fnp
from ..extend import Primitive, defbatch, def_linear, defjvp, defvjp, dtype_of, shape_of
from ..numpy._base import is_traced, unbroadcast

__all__ = ["convolve", "correlate", "fftconvolve", "convolve2d", "correlate2d"]

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")
_BOUNDARIES = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


# ---------------------------------------------------------------------------
# the primitive: full convolution over `axes`, the other axes broadcast
# ---------------------------------------------------------------------------

def _convolve_impl(a, v, *, axes, method):
    a, v = np.asarray(a), np.asarray(v)
    # an axis not convolved where one side has size 1 is a size-1 convolution: the broadcast
    # comes out of SciPy's full mode as is; only axes where both sides are longer need a loop
    paired = [d for d in range(a.ndim) if d not in axes and a.shape[d] > 1 and v.shape[d] > 1]
    if not paired:
        return ss.convolve(a, v, mode="full", method=method)
    out = None
    for idx in np.ndindex(*(a.shape[d] for d in paired)):
        sl = [slice(None)] * a.ndim
        for d, i in zip(paired, idx):
            sl[d] = slice(i, i + 1)
        r = ss.convolve(a[tuple(sl)], v[tuple(sl)], mode="full", method=method)
        if out is None:
            shp = list(r.shape)
            for d in paired:
                shp[d] = a.shape[d]
            out = np.empty(shp, r.dtype)
        out[tuple(sl)] = r
    return out


convolve_p = Primitive("signal_convolve", _convolve_impl)


def _window(x, axes, starts, sizes):
    sl = [slice(None)] * len(shape_of(x))
    for ax, s, n in zip(axes, starts, sizes):
        sl[ax] = slice(s, s + n)
    return x[tuple(sl)]


def _transpose_rule(g, other, shape, axes, method):
    # out[i] = sum_j x[j] y[i - j]  =>  x_bar[j] = sum_k g[j + k] y[k]: the full convolution
    # of g with y flipped, from offset len(y) - 1, then summed over broadcast axes
    full = convolve_p(g, fnp.flip(other, axis=axes), axes=axes, method=method)
    oshp = shape_of(other)
    part = _window(full, axes, [oshp[ax] - 1 for ax in axes], [shape[ax] for ax in axes])
    return unbroadcast(part, shape)


defjvp(convolve_p,
       lambda t, ans, a, v, **p: convolve_p(t, v, **p),
       lambda t, ans, a, v, **p: convolve_p(a, t, **p))
defvjp(convolve_p,
       lambda g, _ans, a, v, axes, method: _transpose_rule(g, v, shape_of(a), axes, method),
       lambda g, _ans, a, v, axes, method: _transpose_rule(g, a, shape_of(v), axes, method),
       needs=((1,), (0,)))
def_linear(convolve_p, joint=False)   # in either operand alone


def _convolve_batch(vals, dims, axes, method):
    # the batch axis (0) broadcasts: an unbatched operand gets a size-1 axis in front
    a, v = (x if d is not None else fnp.expand_dims(x, 0) for x, d in zip(vals, dims))
    return convolve_p(a, v, axes=tuple(ax + 1 for ax in axes), method=method)


defbatch(convolve_p, _convolve_batch)


# ---------------------------------------------------------------------------
# modes
# ---------------------------------------------------------------------------

def _check(name, mode, method=None):
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be 'full', 'valid' or 'same', got {mode!r}")
    if method is not None and method not in _METHODS:
        raise ValueError(f"{name}: method must be 'auto', 'direct' or 'fft', got {method!r}")


def _apply_mode(full, s1, s2, axes, mode, name, late=False):
    """Slice the full convolution down to `mode` along `axes` (SciPy's conventions)."""
    if mode == "full":
        return full
    fs = shape_of(full)
    if mode == "same":     # centred on the first operand; an odd surplus is cut from the
        # start, except by correlate2d (`late`), which cuts it from the end
        cut = [fs[ax] - s1[ax] for ax in axes]
        return _window(full, axes, [c - c // 2 if late else c // 2 for c in cut],
                       [s1[ax] for ax in axes])
    big = all(s1[ax] >= s2[ax] for ax in axes)
    if not big and not all(s2[ax] >= s1[ax] for ax in axes):
        raise ValueError(f"{name}: for 'valid' mode one input must be at least as large as "
                         f"the other in every convolved axis, got shapes {tuple(s1)} and "
                         f"{tuple(s2)}; pad the smaller one or use mode='full'")
    return _window(full, axes, [min(s1[ax], s2[ax]) - 1 for ax in axes],
                   [abs(s1[ax] - s2[ax]) + 1 for ax in axes])


def _conv_nd(name, in1, in2, mode, method, axes=None, late=False):
    _check(name, mode, method)
    s1, s2 = shape_of(in1), shape_of(in2)
    if len(s1) != len(s2):
        raise ValueError(f"{name}: in1 and in2 must have the same number of dimensions, got "
                         f"shapes {tuple(s1)} and {tuple(s2)}; add axes with fnp.expand_dims")
    if 0 in s1 or 0 in s2:
        raise ValueError(f"{name}: inputs cannot be empty, got shapes {tuple(s1)} and "
                         f"{tuple(s2)}")
    axes = tuple(range(len(s1))) if axes is None else tuple(
        sorted(ax % len(s1) for ax in np.atleast_1d(axes)))
    for d in range(len(s1)):
        if d not in axes and s1[d] != s2[d] and 1 not in (s1[d], s2[d]):
            raise ValueError(f"{name}: axis {d} is not convolved, so its sizes must be equal "
                             f"or 1, got shapes {tuple(s1)} and {tuple(s2)}")
    full = convolve_p(in1, in2, axes=axes, method=method)
    return _apply_mode(full, s1, s2, axes, mode, name, late)


def _flip_conj(x, axes=None):
    x = fnp.conj(x) if np.issubdtype(dtype_of(x), np.complexfloating) else x
    return fnp.flip(x, axis=axes)


def convolve(in1, in2, mode="full", method="auto"):
    """Differentiable ``scipy.signal.convolve``: the n-d convolution of two arrays.

    Args:
      in1, in2: arrays with the same number of dimensions.
      mode: ``'full'`` (default), ``'valid'`` or ``'same'`` (the size of ``in1``, centred).
      method: ``'auto'``, ``'direct'`` or ``'fft'``: how the values are computed; the
        derivatives are the same convolutions.

    Returns:
      The convolution, differentiable in both operands (to any order) and batchable.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy import signal
        >>> signal.convolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]), mode="same")
        array([1., 3., 5.])
    """
    if not is_traced(in1, in2):
        _check("convolve", mode, method)
        return ss.convolve(in1, in2, mode=mode, method=method)
    return _conv_nd("convolve", in1, in2, mode, method)


def correlate(in1, in2, mode="full", method="auto"):
    """Differentiable ``scipy.signal.correlate``: the n-d cross-correlation of two arrays.

    ``correlate(in1, in2)`` is ``convolve(in1, in2)`` with ``in2`` flipped (and conjugated).

    Args:
      in1, in2: arrays with the same number of dimensions.
      mode: ``'full'`` (default), ``'valid'`` or ``'same'``.
      method: ``'auto'``, ``'direct'`` or ``'fft'``.

    Returns:
      The cross-correlation, differentiable in both operands.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy import signal
        >>> signal.correlate(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0]), mode="valid")
        array([1., 2.])
    """
    if not is_traced(in1, in2):
        _check("correlate", mode, method)
        return ss.correlate(in1, in2, mode=mode, method=method)
    return _conv_nd("correlate", in1, _flip_conj(in2), mode, method)


def fftconvolve(in1, in2, mode="full", axes=None):
    """Differentiable ``scipy.signal.fftconvolve``: convolution over ``axes`` by FFT.

    Args:
      in1, in2: arrays with the same number of dimensions; axes not convolved must have
        equal sizes or size 1 (they broadcast).
      mode: ``'full'`` (default), ``'valid'`` or ``'same'``, applied along ``axes``.
      axes: the axes to convolve over (an int or a tuple; default all of them).

    Returns:
      The convolution, differentiable in both operands.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy import signal
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> np.round(signal.fftconvolve(x, np.array([[1.0, -1.0]]), axes=1), 12)
        array([[ 1.,  1., -2.],
               [ 3.,  1., -4.]])
    """
    if not is_traced(in1, in2):
        _check("fftconvolve", mode)
        return ss.fftconvolve(in1, in2, mode=mode, axes=axes)
    return _conv_nd("fftconvolve", in1, in2, mode, "fft", axes)


# ---------------------------------------------------------------------------
# 2-D with boundaries
# ---------------------------------------------------------------------------

def _check_2d(name, mode, boundary):
    _check(name, mode)
    if boundary not in _BOUNDARIES:
        raise ValueError(f"{name}: boundary must be 'fill', 'wrap' or 'symm', got {boundary!r}")


def _conv_2d(name, in1, in2, mode, boundary, fillvalue, late=False):
    _check_2d(name, mode, boundary)
    s1, s2 = shape_of(in1), shape_of(in2)
    if len(s1) != 2 or len(s2) != 2:
        raise ValueError(f"{name}: in1 and in2 must be 2-D, got shapes {tuple(s1)} and "
                         f"{tuple(s2)}; use convolve/correlate for n-d arrays")
    if mode == "valid" or (boundary == "fill" and not is_traced(fillvalue) and fillvalue == 0):
        return _conv_nd(name, in1, in2, mode, "auto", late=late)
    # pad in1 by len(in2) - 1 on each side by the boundary rule; the valid convolution of the
    # padded array is the full one, which the mode then slices
    pw = [(s2[0] - 1, s2[0] - 1), (s2[1] - 1, s2[1] - 1)]
    kw = {"constant_values": fillvalue} if boundary == "fill" else {}
    padded = fnp.pad(in1, pw, mode=_BOUNDARIES[boundary], **kw)
    full = _conv_nd(name, padded, in2, "valid", "auto")
    return _apply_mode(full, s1, s2, (0, 1), mode, name, late)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """Differentiable ``scipy.signal.convolve2d``.

    Args:
      in1, in2: 2-D arrays.
      mode: ``'full'`` (default), ``'valid'`` or ``'same'``.
      boundary: how ``in1`` extends past its edges: ``'fill'`` (with ``fillvalue``),
        ``'wrap'`` (periodic) or ``'symm'`` (mirrored, edge repeated).
      fillvalue: the value for ``boundary='fill'`` (default 0; differentiable too).

    Returns:
      The 2-D convolution, differentiable in both operands.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> from funcad.scipy import signal
        >>> img = np.arange(9.0).reshape(3, 3)
        >>> fad.grad(lambda k: fnp.sum(signal.convolve2d(img, k, "valid")))(np.ones((2, 2)))
        array([[24., 20.],
               [12.,  8.]])
    """
    if not is_traced(in1, in2, fillvalue):
        _check_2d("convolve2d", mode, boundary)
        return ss.convolve2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    return _conv_2d("convolve2d", in1, in2, mode, boundary, fillvalue)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    """Differentiable ``scipy.signal.correlate2d``: ``convolve2d`` with ``in2`` flipped.

    Args:
      in1, in2: 2-D arrays.
      mode: ``'full'`` (default), ``'valid'`` or ``'same'``.
      boundary: ``'fill'`` (with ``fillvalue``), ``'wrap'`` or ``'symm'``.
      fillvalue: the value for ``boundary='fill'`` (default 0).

    Returns:
      The 2-D cross-correlation, differentiable in both operands.

    Example:
        >>> import numpy as np
        >>> from funcad.scipy import signal
        >>> signal.correlate2d(np.eye(2), np.array([[1.0, 2.0]]), "valid")
        array([[1.],
               [2.]])
    """
    if not is_traced(in1, in2, fillvalue):
        _check_2d("correlate2d", mode, boundary)
        return ss.correlate2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    return _conv_2d("correlate2d", in1, _flip_conj(in2), mode, boundary, fillvalue,
                    late=True)
