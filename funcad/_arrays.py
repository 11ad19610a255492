"""Arrays of other libraries: Dask and CuPy arrays flow through funcad as they are.

Both implement NumPy's dispatch protocols (``__array_ufunc__``, ``__array_function__``), so a
primitive's impl written with NumPy calls runs on them and returns their own array type:
a Dask graph stays lazy, a CuPy array stays on the GPU. What funcad itself creates (zeros
for a symbolic-zero derivative, the scatter of an indexing rule's cotangent) goes through
the helpers here, which make it of the operand's array type. ``np.asarray`` of a Dask array
would compute its graph, of a CuPy array copy it to the host (CuPy refuses).

The few operations NumPy's protocols do not carry (``np.add.at``, which Dask lacks) have
an explicit branch per library, reached only when such an array is passed in. L0: NumPy and
the standard library only.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from .errors import ArrayLibraryMixError, ForeignArrayWarning

__all__ = ["as_array", "as_type_of", "eager_on_foreign", "fresh", "is_foreign", "lazy_on_foreign",
           "library_of", "on_device", "promote", "same_library", "scatter_add", "to_numpy",
           "value_under", "zeros"]

_FOREIGN: dict = {}


def is_foreign(x) -> bool:
    """Is ``x`` an array of another library that speaks NumPy's dispatch protocols (a Dask
    or CuPy array)? funcad keeps such a value as it is."""
    t = type(x)
    known = _FOREIGN.get(t)
    if known is None:
        known = _FOREIGN[t] = (
            not issubclass(t, (np.ndarray, np.generic)) and hasattr(t, "__array_function__")
            and hasattr(t, "shape") and hasattr(t, "dtype")
            and not getattr(t, "_funcad_value", False))      # tracers, ShapeDtype
    return known


def mixing_error(prim_name, args, err):
    """An :class:`ArrayLibraryMixError` naming the primitive, the library and the NumPy
    operand when ``err`` (a TypeError from ``prim_name``'s impl) is CuPy refusing a NumPy
    operand among ``args``; None when it is not."""
    if isinstance(err, ArrayLibraryMixError) or "numpy.ndarray" not in str(err):
        return None
    device = next((b for b in map(_device_base, args) if b is not None), None)
    host = next((b for b in map(value_under, args) if type(b) is np.ndarray), None)
    if device is None or host is None:
        return None
    lib = library_of(device)
    return ArrayLibraryMixError(
        f"funcad: '{prim_name}' got a {lib} array of shape {tuple(device.shape)} and a NumPy "
        f"array of shape {host.shape} ({lib} does not mix with NumPy arrays). Make every array "
        f"the function uses a {lib} array: {lib}.asarray(w) for an argument, "
        f"np.eye(n, like=x) or {lib}.eye(n) for a constant made inside it (if all of yours "
        f"are, the NumPy array came from funcad: please report it).")


def library_of(x) -> str:
    """``"dask"``, ``"cupy"`` ... for an array of another library, ``"numpy"`` otherwise."""
    return type(x).__module__.partition(".")[0] if is_foreign(x) else "numpy"


def value_under(x):
    """The array under every level of tracing (a tracer's ``_under``: the primal, or vmap's
    batched value), to choose the array type of constants combined with ``x``; ``x`` itself
    when it is not a tracer. Never concretizes in a way that records (jit's guards)."""
    under = getattr(type(x), "_under", None)
    while under is not None:
        x = under(x)
        under = getattr(type(x), "_under", None)
    return x


def _device_base(x):
    """The array under ``x`` when it is a CuPy-like array, which refuses NumPy operands;
    else None (NumPy, and Dask, which mixes with NumPy)."""
    base = value_under(x)
    return base if is_foreign(base) and library_of(base) != "dask" else None


def on_device(x) -> bool:
    """Is ``x`` (or the array under it) a CuPy-like array, which refuses NumPy operands?
    (Dask mixes with NumPy: NumPy constants are fine there.)"""
    return _device_base(x) is not None


def as_type_of(c, x):
    """A NumPy constant ``c`` combined with ``x``, as the array type under ``x`` (tracers
    looked through): CuPy refuses NumPy operands, so a CuPy ``x`` gets a CuPy ``c``; a
    NumPy (or Dask, which mixes with NumPy) ``x`` gets ``c`` unchanged."""
    base = _device_base(x)
    return c if base is None else np.asarray(c, like=base)


def as_array(x):
    """``np.asarray(x)``, except that a Dask or CuPy array stays one."""
    return x if is_foreign(x) else np.asarray(x)


def zeros(shape, dtype, like=None):
    """Zeros of ``shape`` and ``dtype``, of ``like``'s array type (NumPy when ``like`` is a
    NumPy array, a scalar, a ShapeDtype or None). A Dask result keeps ``like``'s chunks
    when the shapes agree. A tracer ``like`` is looked through (:func:`value_under`)."""
    like = value_under(like)
    if like is not None and is_foreign(like):
        if tuple(like.shape) == tuple(shape):
            return np.zeros_like(like, dtype=dtype)
        return np.zeros_like(like, dtype=dtype, shape=shape)
    return np.zeros(shape, dtype)


def promote(x, like):
    """``x`` (a NumPy array) as ``like``'s array type: NumPy mixed with Dask is Dask."""
    if not is_foreign(like) or is_foreign(x):
        return x
    return np.zeros_like(like, dtype=np.result_type(x), shape=np.shape(x)) + x


def same_library(x, like):
    """``x`` as an array of ``like``'s library when ``like`` is a Dask or CuPy array and
    ``x`` a NumPy one (a Jacobian that does not depend on a Dask input's values is still a
    Dask array); else ``x``."""
    if not is_foreign(like) or is_foreign(x) or not isinstance(x, (np.ndarray, np.generic)):
        return x
    if library_of(like) == "dask":
        return promote(x, like)
    return np.asarray(x, like=like)


def fresh(base, like, dtype):
    """A new array of ``like``'s type with ``base``'s values as ``dtype``, that writing
    into (``out[i] = v``) leaves ``base`` alone. (Dask's ``astype`` to the same dtype returns
    the array itself, and its ``__setitem__`` rewrites that object's graph in place.)"""
    out = promote(base, like).astype(dtype)
    return out.copy() if out is base else out


def scatter_add(base, idx, upd, dtype):
    """``out = base.astype(dtype); np.add.at(out, idx, upd)`` where ``base`` or ``upd`` is
    an array of another library; ``idx`` is a tuple of NumPy index arrays and basic indices
    (constants: funcad's index arrays are never traced)."""
    like = upd if is_foreign(upd) else base
    out = fresh(base, like, dtype)
    if library_of(like) != "dask":
        # CuPy implements ufunc.at (dispatched from np.add.at since CuPy 12.1); its index
        # arrays go to the device too
        idx = tuple(np.asarray(i, like=out) if isinstance(i, np.ndarray) else i for i in idx)
        np.add.at(out, idx, upd)
        return out
    # Dask has no ufunc.at: sum the updates into their flat positions with bincount
    da = sys.modules["dask.array"]
    shape = tuple(out.shape)
    size = math.prod(shape)
    flat = np.arange(size).reshape(shape)[idx]               # each update's position
    upd = da.broadcast_to(da.asarray(upd).astype(dtype), flat.shape).ravel()
    pos = da.from_array(flat.ravel(), chunks=upd.chunks)
    return out + da.bincount(pos, weights=upd, minlength=size).reshape(shape).astype(dtype)


# ---------------------------------------------------------------------------
# primitives not audited for other array libraries: computed with NumPy
# ---------------------------------------------------------------------------

_warned: set = set()


def to_numpy(x):
    """``x`` as a NumPy array: a Dask array computed, a CuPy array copied to the host."""
    lib = library_of(x)
    if lib == "numpy":
        return np.asarray(x)
    if lib != "dask" and callable(getattr(x, "get", None)):
        return x.get()                  # CuPy refuses np.asarray (an implicit device copy)
    return np.asarray(x)                # Dask: computes the graph


def _back(r, like):
    if isinstance(r, (tuple, list)):
        return type(r)(_back(v, like) for v in r)
    if isinstance(r, (np.ndarray, np.generic)):
        return np.asarray(r, like=like)      # NEP 35: Dask's / CuPy's asarray
    return r


def eager_on_foreign(prim, f):
    """``f`` (``prim``'s impl) for a primitive whose impl is not audited for Dask and CuPy
    arrays: such operands are converted to NumPy (a Dask graph is computed, a CuPy array
    copied to the host), ``f`` runs, and its result becomes an array of the operand's
    library again, with a warning naming the primitive once per library. Without such
    operands it calls ``f`` directly."""
    if f is None:
        return None

    def run(*args, **params):
        for a in args:
            if type(a) is not np.ndarray and is_foreign(a):
                lazy = prim.rules.lazy           # a set of libraries (deflazy(libraries=))
                if type(lazy) is frozenset and library_of(a) in lazy:
                    try:
                        return f(*args, **params)
                    except Exception as e:   # the library refused this case (below)
                        return _eager(prim, f, a, args, params, f"{type(e).__name__}: {e}")
                return _eager(prim, f, a, args, params)
        return f(*args, **params)
    run.__wrapped__ = f
    return run


def lazy_on_foreign(prim, f):
    """``f`` for a primitive declared lazy (``deflazy``): it runs on Dask and CuPy operands
    as they are; where the library itself refuses a case (Dask's getitem with two index
    arrays, its FFT along a chunked axis), the operands are converted as for an undeclared
    primitive, with a warning that quotes the library's error. A NumPy ufunc is returned
    as it is: Dask and CuPy implement every one (and the hot path keeps one call)."""
    if f is None or (isinstance(f, np.ufunc) and getattr(np, f.__name__, None) is f):
        return f

    def run(*args, **params):
        try:
            return f(*args, **params)
        except Exception as e:   # only an error of another library falls back (below)
            like = next((a for a in args if type(a) is not np.ndarray and is_foreign(a)), None)
            if like is None:
                raise
            return _eager(prim, f, like, args, params, f"{type(e).__name__}: {e}")
    run.__wrapped__ = f
    return run


def _eager(prim, f, like, args, params, why=None):
    lib = library_of(like)
    if (prim.name, lib, why is None) not in _warned:
        _warned.add((prim.name, lib, why is None))
        how = "the graph computed" if lib == "dask" else "copied to the host"
        because = (f"{lib} refused this case ({why.splitlines()[0][:200]})" if why else
                   f"it is not audited for {lib} arrays")
        warnings.warn(ForeignArrayWarning(
            f"funcad: '{prim.name}': {because}; its operands were converted to NumPy ({how}) "
            f"and the result made a {lib} array again. docs/scaling.md lists the primitives "
            "that stay lazy (on the device)."), stacklevel=4)
    return _back(f(*[to_numpy(a) if is_foreign(a) else a for a in args], **params), like)
