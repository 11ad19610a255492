"""funcad.numpy.fft: differentiable ``numpy.fft``.

Three single-axis primitives carry the rules: ``fft`` (complex to complex,
forward or inverse), ``rfft`` (real to half spectrum) and ``irfft`` (half
spectrum to real). Everything else (``hfft``, ``ihfft``, the 2-D and n-D
transforms, the shifts) is composed from them, so it differentiates and batches
for free. All transforms take NumPy's ``n``/``s``, ``axis``/``axes`` and ``norm``
(``"backward"``, ``"ortho"``, ``"forward"``).

The VJPs are transposes under the bilinear pairing ``real(sum(a * b))`` (see
docs/linalg.md): the DFT matrix is symmetric, so the VJP of ``fft`` is ``fft``
itself; the VJP of ``irfft`` doubles the bins that stand for two conjugate
frequencies.

Example:
    >>> import numpy as np, funcad as fad
    >>> fad.grad(lambda x: np.sum(np.abs(np.fft.rfft(x)) ** 2))(np.array([1.0, 0.0, 0.0, 0.0]))
    array([6., 0., 2., 0.])
"""

from __future__ import annotations

import numpy as np

from ...extend import Primitive, as_type_of, def_linear, defbatch, defjvp, defvjp, ops, shape_of
from ...extend import defsparsity, sparsity_rules
from .._base import is_traced
from ..linalg._helpers import is_complex, real_ct, real_dtype, route

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

_NORMS = (None, "backward", "ortho", "forward")
_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f"fft: norm must be 'backward', 'ortho' or 'forward' (or None), got "
                         f"{norm!r}")
    return norm or "backward"


def _fit_len(x, length, axis):
    """Truncate or zero-pad ``x`` along ``axis`` to ``length`` (both are each other's transpose)."""
    cur = shape_of(x)[axis]
    if cur == length:
        return x
    idx = [slice(None)] * len(shape_of(x))
    if cur > length:
        idx[axis] = slice(0, length)
        return x[tuple(idx)]
    pad_shape = list(shape_of(x))
    pad_shape[axis] = length - cur
    return ops.concatenate([x, as_type_of(np.zeros(pad_shape, dtype=x.dtype), x)], axis=axis)


def _batch_axis(prim):
    def rule(vals, dims, *, axis, **params):
        return prim(vals[0], axis=axis + 1, **params)
    defbatch(prim, rule)


# ---------------------------------------------------------------------------
# fft / ifft (complex to complex): linear, and the DFT matrix is symmetric
# ---------------------------------------------------------------------------

def _fft_impl(x, *, n, axis, norm, inverse):
    return (np.fft.ifft if inverse else np.fft.fft)(x, n=n, axis=axis, norm=norm)


fft_p = Primitive("fft.fft", _fft_impl)


def _fft_vjp(g, _ans, x, *, n, axis, norm, inverse):
    out = _fit_len(fft_p(g, n=n, axis=axis, norm=norm, inverse=inverse), shape_of(x)[axis], axis)
    return out if is_complex(x) else ops.real(out)


defjvp(fft_p, lambda t, ans, x, **p: fft_p(t, **p))
defvjp(fft_p, _fft_vjp, keep=False)
_batch_axis(fft_p)

# ---------------------------------------------------------------------------
# rfft (real to half spectrum): the VJP zero-pads the cotangent to the full spectrum
# ---------------------------------------------------------------------------

rfft_p = Primitive("fft.rfft", lambda x, *, n, axis, norm: np.fft.rfft(x, n=n, axis=axis,
                                                                       norm=norm))


def _rfft_vjp(g, _ans, x, *, n, axis, norm):
    full = _fit_len(g, n, axis)
    out = fft_p(full, n=n, axis=axis, norm=norm, inverse=False)
    return _fit_len(ops.real(out), shape_of(x)[axis], axis)


defjvp(rfft_p, lambda t, ans, x, **p: rfft_p(ops.real(t) if is_complex(t) else t, **p))
defvjp(rfft_p, _rfft_vjp, keep=False)
_batch_axis(rfft_p)

# ---------------------------------------------------------------------------
# irfft (half spectrum to real): bins 1..n/2 (exclusive) stand for two frequencies
# ---------------------------------------------------------------------------

irfft_p = Primitive("fft.irfft", lambda x, *, n, axis, norm: np.fft.irfft(x, n=n, axis=axis,
                                                                         norm=norm))
for _p in (fft_p, rfft_p, irfft_p):
    def_linear(_p)
    defsparsity(_p, sparsity_rules.along_axis)     # each line along the axis mixes fully


def _irfft_weights(n, axis, ndim, dtype):
    m = n // 2 + 1
    w = np.full(m, 2.0, dtype)       # in the cotangent's dtype: float32 stays float32
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shp = [1] * ndim
    shp[axis] = m
    return w.reshape(shp)


def _irfft_vjp(g, _ans, x, *, n, axis, norm):
    g = real_ct(g, True)
    spec = ops.conj(rfft_p(g, n=n, axis=axis, norm=_DUAL[norm]))
    spec = spec * as_type_of(_irfft_weights(n, axis, len(shape_of(x)), real_dtype(g)), g)
    return _fit_len(spec, shape_of(x)[axis], axis)


defjvp(irfft_p, lambda t, ans, x, **p: irfft_p(t, **p))
defvjp(irfft_p, _irfft_vjp, keep=False)
_batch_axis(irfft_p)


# ---------------------------------------------------------------------------
# public single-axis transforms
# ---------------------------------------------------------------------------

def _axis(a, axis):
    nd = len(shape_of(a))
    if not -nd <= axis < nd:
        raise ValueError(f"fft: axis {axis} is out of range for an array of shape "
                         f"{tuple(shape_of(a))}")
    return axis % nd


def _n(n, default):
    n = default if n is None else int(n)
    if n < 1:
        raise ValueError(f"fft: invalid number of data points n={n}; it must be at least 1")
    return n


def _out(out):
    """``out=`` for NumPy only when given (NumPy < 2 has no such parameter)."""
    return {} if out is None else {"out": out}


def _no_out(out):
    if out is not None:
        raise TypeError("fft(out=...) cannot hold a traced value; drop out=")


@route(np.fft.fft)
def fft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.fft``.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.jvp(fnp.fft.fft, (np.array([1.0, 0.0]),), (np.array([0.0, 1.0]),))[1]
        array([ 1.+0.j, -1.+0.j])
    """
    if not is_traced(a):
        return np.fft.fft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    ax = _axis(a, axis)
    return fft_p(a, n=_n(n, shape_of(a)[ax]), axis=ax, norm=_check_norm(norm), inverse=False)


@route(np.fft.ifft)
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.ifft``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.ifft(np.array([2.0, 0.0]))
        array([1.+0.j, 1.+0.j])
    """
    if not is_traced(a):
        return np.fft.ifft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    ax = _axis(a, axis)
    return fft_p(a, n=_n(n, shape_of(a)[ax]), axis=ax, norm=_check_norm(norm), inverse=True)


@route(np.fft.rfft)
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.rfft`` (real input; a traced complex input raises: use ``fft``).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.rfft(np.array([1.0, 1.0, 1.0, 1.0]))
        array([4.+0.j, 0.+0.j, 0.+0.j])
    """
    if not is_traced(a):
        return np.fft.rfft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    if is_complex(a):
        raise TypeError("rfft: the input is complex; rfft takes real input (use fft, or pass "
                        "fnp.real(a))")
    ax = _axis(a, axis)
    return rfft_p(a, n=_n(n, shape_of(a)[ax]), axis=ax, norm=_check_norm(norm))


@route(np.fft.irfft)
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.irfft`` (n defaults to ``2 * (m - 1)``).

    Like NumPy, the imaginary parts of the zero bin (and of the Nyquist bin for
    even ``n``) are ignored, so their derivative is zero.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.irfft(np.array([4.0, 0.0, 0.0]))
        array([1., 1., 1., 1.])
    """
    if not is_traced(a):
        return np.fft.irfft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    ax = _axis(a, axis)
    n = _n(n, 2 * (shape_of(a)[ax] - 1))
    if not is_complex(a):
        a = a + 0j
    return irfft_p(a, n=n, axis=ax, norm=_check_norm(norm))


@route(np.fft.hfft)
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.hfft`` (``irfft`` of the conjugate, with the swapped norm).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.hfft(np.array([1.0, 0.0, 0.0]))
        array([1., 1., 1., 1.])
    """
    if not is_traced(a):
        return np.fft.hfft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    return irfft(ops.conj(a) if is_complex(a) else a, n, axis, _DUAL[_check_norm(norm)])


@route(np.fft.ihfft)
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``np.fft.ihfft`` (conjugate of ``rfft`` with the swapped norm).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.ihfft(np.array([1.0, 1.0, 1.0, 1.0]))
        array([1.-0.j, 0.-0.j, 0.-0.j])
    """
    if not is_traced(a):
        return np.fft.ihfft(a, n=n, axis=axis, norm=norm, **_out(out))
    _no_out(out)
    return ops.conj(rfft(a, n, axis, _DUAL[_check_norm(norm)]))


# ---------------------------------------------------------------------------
# n-D transforms: one axis at a time, as NumPy does
# ---------------------------------------------------------------------------

def _cook(a, s, axes, inverse_real=False):
    shape = tuple(shape_of(a))
    nd = len(shape)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(-len(s), 0))
    axes = [_axis(a, x) for x in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"fft: repeated axes {axes} are not supported on traced values")
    if s is None:
        s = [shape[x] for x in axes]
        if inverse_real and axes:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    else:
        if len(s) != len(axes):
            raise ValueError(f"fft: s={tuple(s)} and axes={tuple(axes)} must have the same "
                             "length")
        s = [shape[x] if v is None else int(v) for v, x in zip(s, axes)]
    return list(s), axes


def _over_axes(op, x, sizes, axes, norm):
    """Apply a 1-D transform along each axis, last axis first (as NumPy does)."""
    for n, k in reversed(list(zip(sizes, axes))):
        x = op(x, n, k, norm)
    return x


def _nd(np_func, a, s, axes, norm, out, body):
    if not is_traced(a):
        if s is not None and axes is None:     # the last len(s) axes, as _cook (and NumPy) do
            axes = list(range(-len(s), 0))
        return np_func(a, s=s, axes=axes, norm=norm, **_out(out))
    _no_out(out)
    return body()


@route(np.fft.fftn)
def fftn(a, s=None, axes=None, norm=None, out=None):
    """Differentiable ``np.fft.fftn``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.fftn(np.ones((2, 2))).real
        array([[4., 0.],
               [0., 0.]])
    """
    def body():
        return _over_axes(fft, a, *_cook(a, s, axes), norm)
    return _nd(np.fft.fftn, a, s, axes, norm, out, body)


@route(np.fft.ifftn)
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """Differentiable ``np.fft.ifftn``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.ifftn(np.ones((2, 2))).real
        array([[1., 0.],
               [0., 0.]])
    """
    def body():
        return _over_axes(ifft, a, *_cook(a, s, axes), norm)
    return _nd(np.fft.ifftn, a, s, axes, norm, out, body)


@route(np.fft.rfftn)
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """Differentiable ``np.fft.rfftn`` (rfft over the last axis, fft over the others).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.rfftn(np.ones((2, 2))).real
        array([[4., 0.],
               [0., 0.]])
    """
    def body():
        ss, ax = _cook(a, s, axes)
        return _over_axes(fft, rfft(a, ss[-1], ax[-1], norm), ss[:-1], ax[:-1], norm)
    return _nd(np.fft.rfftn, a, s, axes, norm, out, body)


@route(np.fft.irfftn)
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """Differentiable ``np.fft.irfftn`` (ifft over all but the last axis, then irfft).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.irfftn(np.array([[4.0, 0.0], [0.0, 0.0]]))
        array([[1., 1.],
               [1., 1.]])
    """
    def body():
        ss, ax = _cook(a, s, axes, inverse_real=True)
        x = a
        for n, k in zip(ss[:-1], ax[:-1]):
            x = ifft(x, n, k, norm)
        return irfft(x, ss[-1], ax[-1], norm)
    return _nd(np.fft.irfftn, a, s, axes, norm, out, body)


@route(np.fft.fft2)
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Differentiable ``np.fft.fft2`` (``fftn`` over two axes).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.fft2(np.ones((2, 2))).real
        array([[4., 0.],
               [0., 0.]])
    """
    if not is_traced(a):
        return np.fft.fft2(a, s=s, axes=axes, norm=norm, **_out(out))
    return fftn(a, s, axes, norm, out)


@route(np.fft.ifft2)
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Differentiable ``np.fft.ifft2``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.ifft2(np.ones((2, 2))).real
        array([[1., 0.],
               [0., 0.]])
    """
    if not is_traced(a):
        return np.fft.ifft2(a, s=s, axes=axes, norm=norm, **_out(out))
    return ifftn(a, s, axes, norm, out)


@route(np.fft.rfft2)
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Differentiable ``np.fft.rfft2``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.rfft2(np.ones((2, 2))).shape
        (2, 2)
    """
    if not is_traced(a):
        return np.fft.rfft2(a, s=s, axes=axes, norm=norm, **_out(out))
    return rfftn(a, s, axes, norm, out)


@route(np.fft.irfft2)
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Differentiable ``np.fft.irfft2``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.irfft2(np.array([[4.0, 0.0], [0.0, 0.0]])).shape
        (2, 2)
    """
    if not is_traced(a):
        return np.fft.irfft2(a, s=s, axes=axes, norm=norm, **_out(out))
    return irfftn(a, s, axes, norm, out)


# ---------------------------------------------------------------------------
# shifts (a roll: slices and a concatenate) and the plain frequency grids
# ---------------------------------------------------------------------------

def _roll(x, shift, axis):
    n = shape_of(x)[axis]
    shift %= n if n else 1
    if not shift:
        return x
    idx_a = [slice(None)] * len(shape_of(x))
    idx_b = list(idx_a)
    idx_a[axis] = slice(n - shift, None)
    idx_b[axis] = slice(0, n - shift)
    return ops.concatenate([x[tuple(idx_a)], x[tuple(idx_b)]], axis=axis)


def _shift(x, axes, sign):
    nd = len(shape_of(x))
    if axes is None:
        axes = tuple(range(nd))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    for k in axes:
        k = _axis(x, k)
        x = _roll(x, sign * (shape_of(x)[k] // 2), k)
    return x


@route(np.fft.fftshift)
def fftshift(x, axes=None):
    """Differentiable ``np.fft.fftshift`` (a permutation: its derivative permutes too).

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.fftshift(np.arange(5.0))
        array([3., 4., 0., 1., 2.])
    """
    if not is_traced(x):
        return np.fft.fftshift(x, axes=axes)
    return _shift(x, axes, 1)


@route(np.fft.ifftshift)
def ifftshift(x, axes=None):
    """Differentiable ``np.fft.ifftshift``.

    Example:
        >>> import numpy as np, funcad.numpy as fnp
        >>> fnp.fft.ifftshift(np.arange(5.0))
        array([2., 3., 4., 0., 1.])
    """
    if not is_traced(x):
        return np.fft.ifftshift(x, axes=axes)
    return _shift(x, axes, -1)


fftfreq = np.fft.fftfreq      # sample frequencies: plain NumPy (no array input to trace)
rfftfreq = np.fft.rfftfreq
