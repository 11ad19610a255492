"""The explicit tables of NumPy names with a zero derivative and of unsupported names.

Zero-derivative functions listed here run on the traced values' underlying
NumPy values (their results are integer, boolean or shape data, or piecewise
constant). Under vmap they have no batched value to run on and raise a clear
error instead (primitives with batching rules cover the common ones:
comparisons, argmax, argsort, searchsorted, floor, round ...). Unsupported
names raise an error that names the function and gives the reason.

:func:`status` classifies any overridable NumPy function or ufunc; the
coverage test and ``scripts/gen_coverage.py`` use it.
"""

from __future__ import annotations

import numpy as np

from .. import extend
from ..extend import Primitive, Tracer, full_lower, short_repr
from ..errors import BatchingError
from ._base import dtype_of, export, is_complex, is_traced, like_numpy, public, shape_of
from ._elementwise import greater_p, isinf_p, less_p, logical_and_p

zero_derivative_names: set[str] = set()
unsupported_names: dict[str, str] = {}
zero_derivative_funcs: dict = {}     # numpy object -> note
notes: dict = {}                      # numpy object -> note for differentiable entries


def _lower_tree(x):
    if isinstance(x, Tracer):
        return full_lower(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_lower_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _lower_tree(v) for k, v in x.items()}
    return x


def zero_derivative(np_func, name: str | None = None, note: str = "computed on values"):
    """Route ``np_func`` on traced values to itself, run on the underlying values."""
    name = name or np_func.__name__

    def fn(*args, **kwargs):
        try:
            args, kwargs = _lower_tree(args), _lower_tree(kwargs)
        except BatchingError as e:
            raise BatchingError(
                f"np.{name} was called on a value batched by vmap: it is computed on the "
                "values (zero derivative) and has no batching rule, since its result can "
                "differ in shape per example; call it outside vmap, or loop over the "
                "examples") from e
        return np_func(*args, **kwargs)
    fn.__name__ = name
    like_numpy(fn, np_func, f"``np.{name}`` on traced values: computed on their values, zero "
                            "derivative.")
    mark_zero(np_func, note)
    extend.function_table[np_func] = fn
    return fn


def mark_zero(np_obj, note: str = "") -> None:
    """Classify an already-registered NumPy function as zero-derivative."""
    zero_derivative_funcs[np_obj] = note
    zero_derivative_names.add(np_obj.__name__)


def unsupported(np_func, reason: str, name: str | None = None) -> None:
    """Record that ``np_func`` cannot be traced, and why."""
    name = name or np_func.__name__
    if getattr(np_func, "__module__", "numpy") == "numpy" or isinstance(np_func, np.ufunc):
        unsupported_names[name] = reason
    extend.unsupported_table[np_func] = reason


def overridable() -> tuple[list, list]:
    """NumPy's overridable ufuncs and functions, with every submodule that registers some
    imported first (the lists grow as NumPy submodules are imported)."""
    import numpy.fft  # noqa: F401
    import numpy.polynomial  # noqa: F401
    from numpy.testing import overrides
    return (list(overrides.get_overridable_numpy_ufuncs()),
            list(overrides.get_overridable_numpy_array_functions()))


def status(np_obj) -> tuple[str, str]:
    """-> (status, note); status is 'differentiable', 'zero-derivative', 'unsupported' or
    'missing'."""
    table = extend.ufunc_table if isinstance(np_obj, np.ufunc) else extend.function_table
    if np_obj in extend.unsupported_table and np_obj not in table:
        return "unsupported", extend.unsupported_table[np_obj]
    fn = table.get(np_obj)
    if fn is None:
        return "missing", ""
    if np_obj in zero_derivative_funcs:
        return "zero-derivative", zero_derivative_funcs[np_obj]
    if isinstance(fn, Primitive) and fn.nondiff:
        return "zero-derivative", "piecewise constant or integer/boolean result"
    return "differentiable", notes.get(np_obj, "")


# -- shape and dtype queries: answered from the abstract value, so they work under vmap too
def _shape(a):
    return tuple(shape_of(a))


def _ndim(a):
    return len(shape_of(a))


def _size(a, axis=None):
    s = shape_of(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def _dt(x):
    return dtype_of(x) if isinstance(x, Tracer) else x


def _result_type(*arrays_and_dtypes):
    return np.result_type(*[_dt(a) for a in arrays_and_dtypes])


def _iscomplexobj(x):
    return is_complex(x)


def _common_type(*arrays):
    return np.common_type(*[np.empty(0, dtype_of(a)) for a in arrays])


def _can_cast(from_, to, casting="safe"):
    return np.can_cast(_dt(from_), to, casting)


def _einsum_path(subscripts, *operands, **kw):
    ops_ = [np.broadcast_to(np.zeros((), dtype_of(o)), shape_of(o)) for o in operands]
    return np.einsum_path(subscripts, *ops_, **kw)


def _indices_from(np_fn):
    def fn(arr, *args):
        return np_fn(np.broadcast_to(np.zeros((), bool), shape_of(arr)), *args)
    fn.__name__ = np_fn.__name__
    return fn


for _f, _impl in [(np.shape, _shape), (np.ndim, _ndim), (np.size, _size),
                  (np.result_type, _result_type), (np.iscomplexobj, _iscomplexobj),
                  (np.isrealobj, lambda x: not _iscomplexobj(x)),
                  (np.common_type, _common_type), (np.can_cast, _can_cast),
                  (np.einsum_path, _einsum_path),
                  (np.diag_indices_from, _indices_from(np.diag_indices_from)),
                  (np.tril_indices_from, _indices_from(np.tril_indices_from)),
                  (np.triu_indices_from, _indices_from(np.triu_indices_from))]:
    extend.function_table[_f] = _impl
    mark_zero(_f, "shape/dtype query: answered from the shape and dtype")
    export(like_numpy(_impl, _f, "Answered from the shape and dtype of traced values (no "
                                 "derivative)."), _f.__name__)

# -- integer/boolean results computed on values
for _f in [np.argwhere, np.flatnonzero,
           np.array_equal, np.array_equiv, np.allclose, np.lexsort,
           np.may_share_memory, np.shares_memory, np.iscomplex, np.isreal, np.isin,
           np.packbits, np.unpackbits, np.ravel_multi_index, np.unravel_index,
           np.min_scalar_type, np.array2string, np.array_repr, np.array_str]:
    export(zero_derivative(_f, note="integer, boolean or text result computed on values"),
           _f.__name__)
if hasattr(np, "in1d"):
    export(zero_derivative(np.in1d), "in1d")


def _isposinf(x, out=None):
    return logical_and_p(isinf_p(x), greater_p(x, 0)) if is_traced(x) else np.isposinf(x)


def _isneginf(x, out=None):
    return logical_and_p(isinf_p(x), less_p(x, 0)) if is_traced(x) else np.isneginf(x)


for _f, _impl in [(np.isposinf, _isposinf), (np.isneginf, _isneginf)]:
    _impl.__name__ = _f.__name__
    extend.function_table[_f] = _impl
    mark_zero(_f, "boolean result")
    export(like_numpy(_impl, _f, "A boolean result: zero derivative."), _f.__name__)

# -- saving traced values (in-place writers into traced arrays: _inplace.py)
for _f, _why in [
        (np.save, "saving a traced value would drop its derivative; save the result instead"),
        (np.savez, "saving a traced value would drop its derivative; save the result instead"),
        (np.savez_compressed, "saving a traced value would drop its derivative; save the "
                              "result instead"),
        (np.savetxt, "saving a traced value would drop its derivative; save the result "
                     "instead")]:
    unsupported(_f, _why)

# -- reading data and dates: nothing to differentiate (reached only through like=)
for _f in [np.loadtxt, np.genfromtxt, np.fromfile, np.frombuffer, np.fromiter,
           np.fromstring]:
    unsupported(_f, "it reads data from a file, buffer or iterator; like= a traced value is "
                    "not meaningful. Call it without like= and use the result as a constant")
for _f in [np.busday_count, np.busday_offset, np.is_busday, np.datetime_as_string]:
    unsupported(_f, "it works on dates (datetime64), which have no derivative; traced values "
                    "are real or complex numbers")

# -- structured arrays, string ufuncs, scimath
try:
    from numpy.lib import recfunctions as _rf
    for _n in dir(_rf):
        _f = getattr(_rf, _n)
        if callable(_f) and getattr(_f, "__module__", "") == "numpy.lib.recfunctions":
            unsupported(_f, "structured (record) arrays cannot be traced; differentiate "
                            "with respect to plain float arrays")
except ImportError:  # pragma: no cover
    pass

for _u in dir(np._core.umath):
    _f = getattr(np._core.umath, _u)
    if isinstance(_f, np.ufunc) and (_u.startswith("_") and _u != "_ones_like"
                                     or _u in ("count", "endswith", "find", "index", "rfind",
                                               "rindex", "startswith", "str_len")
                                     or (_u.startswith("is") and _u in (
                                         "isalnum", "isalpha", "isdecimal", "isdigit",
                                         "islower", "isnumeric", "isspace", "istitle",
                                         "isupper"))):
        unsupported(_f, "a string operation; traced values are numbers")

import numpy.char  # noqa: E402  (registers its dispatched functions, see below)
import numpy.strings  # noqa: E402

for _mod in (np.strings, np.char):
    for _n in dir(_mod):
        _f = getattr(_mod, _n)
        if callable(_f) and getattr(_f, "__module__", "") in ("numpy.strings", "numpy.char") \
                and not isinstance(_f, (type, np.ufunc)):
            unsupported(_f, "a string operation; traced values are numbers")

for _n in ["sqrt", "log", "log2", "log10", "logn", "power", "arccos", "arcsin", "arctanh"]:
    unsupported(getattr(np.lib.scimath, _n),
                "its result is real or complex depending on the input's values; use "
                f"fnp.{_n if _n != 'logn' else 'log'} on real inputs in its domain, or on "
                "x.astype(complex) for the complex branch")

unsupported(np.polyfit, "a least-squares fit; use fnp.linalg.lstsq(fnp.vander(x, deg + 1), y)")
unsupported(np.roots, "roots are eigenvalues of the companion matrix; use "
                      "fnp.linalg.eigvals on it")

# -- registered by the family modules as batched zero-derivative functions
for _f, _note in [
        (np.argsort, "integer result (batched primitive)"),
        (np.argpartition, "integer result (batched primitive)"),
        (np.searchsorted, "integer result (batched primitive)"),
        (np.digitize, "integer result (batched, through searchsorted)"),
        (np.isclose, "boolean result (batched composite)"),
        (np.count_nonzero, "integer result (batched composite)"),
        (np.argmax, "integer result (batched primitive)"),
        (np.argmin, "integer result (batched primitive)"),
        (np.nanargmax, "integer result"), (np.nanargmin, "integer result"),
        (np.any, "boolean result"), (np.all, "boolean result"),
        (np.nonzero, "integer result computed on values"),
        (np.round, "piecewise constant"), (np.around, "piecewise constant"),
        (np.fix, "piecewise constant"),
        (np.zeros_like, "constant result (writable inside a transform)"),
        (np.ones_like, "constant result (writable inside a transform)"),
        (np.empty_like, "constant result (zeros; writable inside a transform)"),
        (np.zeros, "creation with like=: constant"), (np.ones, "creation with like=: constant"),
        (np.empty, "creation with like=: constant"), (np.eye, "creation with like=: constant"),
        (np.identity, "creation with like=: constant"), (np.tri, "creation with like=: constant"),
        (np.arange, "creation with like=: constant"),
        (np.fromfunction, "creation with like=: constant")]:
    mark_zero(_f, _note)


def conversion_hint(x) -> str:
    """The error message when a NumPy routine funcad cannot intercept converts the traced
    value ``x`` to a plain array, naming the routine and the fix; ``""`` for other callers.

    Only ``np.vectorize`` is recognised: the frames between the conversion and the user's
    code (NumPy's and funcad's own) are searched for the ``np.vectorize`` object.
    """
    import sys
    f = sys._getframe(1)
    for _ in range(40):
        f = f.f_back
        if f is None or not f.f_globals.get("__name__", "").startswith(("numpy", "funcad")):
            return ""
        vec = f.f_locals.get("self")
        if isinstance(vec, np.vectorize):
            fn = getattr(vec.pyfunc, "__name__", "f")
            return (f"np.vectorize({fn}) was called on a traced value {short_repr(x)}: "
                    + VECTORIZE_FIX.format(fn=fn))
    return ""


VECTORIZE_FIX = (
    "it calls {fn} on plain NumPy scalars one at a time, which would lose the derivative. "
    "Write {fn} with array operations (NumPy's functions and funcad.numpy work elementwise on "
    "whole traced arrays; fnp.where(cond, a, b) for an if/else), or map it with "
    "fad.vmap({fn}) (one fad.vmap per array axis)")
unsupported_names["vectorize"] = VECTORIZE_FIX.format(fn="the function")


export(conversion_hint, "conversion_hint")
del public["conversion_hint"]       # an ops entry for Tracer.__array__, not a public name


def alias_like_dispatchers() -> None:
    """Give NumPy's ``like=`` dispatch wrappers (``_full_with_like`` etc.: what
    ``__array_function__`` receives for ``np.full(..., like=x)``) the public function's home."""
    import sys
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("numpy") or mod is None:
            continue
        for attr in [a for a in vars(mod) if a.endswith("_with_like")]:
            f = getattr(mod, attr)
            pub = getattr(np, getattr(f, "__name__", ""), None)
            if pub is None or pub is f or f in extend.function_table:
                continue
            if pub in extend.function_table:
                extend.function_table[f] = extend.function_table[pub]
                if pub in zero_derivative_funcs:
                    zero_derivative_funcs[f] = zero_derivative_funcs[pub]
            elif pub in extend.unsupported_table:
                extend.unsupported_table[f] = extend.unsupported_table[pub]
