"""Shared helpers of funcad.numpy: registration into the dispatch tables and rule helpers."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from typing import Callable

import numpy as np

from .. import extend
from ..errors import TracerArrayConversionError
from ..extend import (Primitive, Tracer, batch_elementwise, def_linear_jvp, defbatch, defjvp,
                      defjvp_full, deflazy, defvjp, is_foreign, defvjp_argnum, dtype_of, ops, shape_of)

__all__ = ["export", "implements", "unbroadcast", "unary", "binary", "nondiff_elementwise",
           "Primitive", "defjvp", "defjvp_full", "def_linear_jvp", "defvjp", "defvjp_argnum",
           "defbatch", "batch_elementwise", "deflazy", "shape_of", "dtype_of", "Tracer", "np",
           "public", "is_traced", "is_complex"]

public: dict[str, Callable] = {}   # name -> function exported by funcad.numpy
defined_in: dict = {}              # exported primitive -> the module that defines its rules


def _defining_module() -> str:
    """The first module up the stack outside this one (where a rule family calls us)."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__") == __name__:
        f = f.f_back
    return f.f_globals.get("__name__", "") if f is not None else ""


def export(fn: Callable, name: str | None = None, np_func=None) -> Callable:
    """Make ``fn`` a public funcad.numpy function, the ops entry, and the override of ``np_func``."""
    name = name or fn.__name__
    public[name] = fn
    if isinstance(fn, Primitive):
        defined_in.setdefault(fn, _defining_module())
        public[name] = primitive_function(fn, name, np_func)
    setattr(ops, name, fn)
    if np_func is not None:
        if isinstance(np_func, np.ufunc):
            extend.ufunc_table[np_func] = fn
        else:
            extend.function_table[np_func] = fn
    return fn


# ---------------------------------------------------------------------------
# The public function of a primitive: NumPy's signature and summary line
# ---------------------------------------------------------------------------

_SMOOTH = "Derivative: the usual one, to any order in forward and reverse mode."
_NONDIFF = ("Piecewise constant or boolean: the derivative is 0 everywhere (0 at the jumps "
            "too, where it is undefined).")


def _summary(np_func) -> str:
    """NumPy's summary of ``np_func``: its docstring's first paragraph (after a ufunc's
    signature line)."""
    paras = [" ".join(ln.strip() for ln in p.splitlines()).strip()
             for p in (getattr(np_func, "__doc__", None) or "").split("\n\n")]
    paras = [p for p in paras if p]
    if isinstance(np_func, np.ufunc) and paras:
        paras = paras[1:]                    # a ufunc's docstring starts with its signature
    return re.split(r"(?<=\.)\s", paras[0], maxsplit=1)[0] if paras else ""


def primitive_function(p: Primitive, name: str, np_func=None) -> Callable:
    """The public function that binds the elementwise primitive ``p``: ``(x, /, out=None,
    **kwargs)`` or ``(x1, x2, /, out=None, **kwargs)`` as NumPy's ufunc, a docstring with NumPy's
    summary line, and lists holding traced values accepted as arrays. The operator dunders, the
    rules and the dispatch tables call ``p`` itself (through ``ops``) and pay nothing for it."""
    if np_func is None:
        np_func = getattr(np, name, None)
    nin = np_func.nin if isinstance(np_func, np.ufunc) else 1

    def retry(args, out, kwargs, err):
        return ops.retry_with_arrays(p, args, kwargs if out is None else dict(kwargs, out=out),
                                     err)

    if nin == 2:
        def fn(x1, x2, /, out=None, **kwargs):
            try:
                if out is None and not kwargs:
                    return p(x1, x2)
                return p(x1, x2, out=out, **kwargs)
            except TracerArrayConversionError as e:
                return retry((x1, x2), out, kwargs, e)
    else:
        def fn(x, /, out=None, **kwargs):
            try:
                if out is None and not kwargs:
                    return p(x)
                return p(x, out=out, **kwargs)
            except TracerArrayConversionError as e:
                return retry((x,), out, kwargs, e)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "funcad.numpy"
    fn.primitive = p           # the primitive it binds (docs/numpy-coverage.md reads it)
    summary = _summary(np_func) or f"``{name}``, elementwise."
    fn.__doc__ = (f"{summary}\n\nThe differentiable ``numpy.{name}`` (binds the primitive "
                  f"``{p.name}_p``).\n\n{_NONDIFF if p.nondiff else _SMOOTH}\n")
    fn.primitive = p
    return fn


def _numpy_signature(np_func):
    """NumPy's signature of ``np_func``; builtins of NumPy < 2.3 carry it only as the first
    line of their docstring (``lexsort(keys, axis=-1)``). None when neither gives one."""
    try:
        return inspect.signature(np_func)
    except (TypeError, ValueError):
        pass
    head = (getattr(np_func, "__doc__", "") or "").strip().split("\n", 1)[0]
    name = getattr(np_func, "__name__", "")
    if not head.startswith(name + "("):
        return None
    try:
        args = ast.parse(f"def f{head[len(name):]}: pass").body[0].args
    except SyntaxError:                   # not Python syntax (NumPy's "[, axis]" style)
        return None
    P = inspect.Parameter
    params = []
    pos = args.posonlyargs + args.args
    defaults = [None] * (len(pos) - len(args.defaults)) + list(args.defaults)
    for i, (a, d) in enumerate(zip(pos, defaults)):
        kind = P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append(P(a.arg, kind, default=P.empty if d is None else _literal(d)))
    if args.vararg:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(a.arg, P.KEYWORD_ONLY, default=P.empty if d is None else _literal(d)))
    if args.kwarg:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:                    # np._NoValue and the like: show the source text
        return _Shown(ast.unparse(node))


class _Shown(str):
    def __repr__(self):
        return str(self)


def like_numpy(fn: Callable, np_func, note: str) -> Callable:
    """Give ``fn`` (a generic ``*args`` wrapper of ``np_func``) NumPy's signature and summary
    line, followed by ``note`` (what its derivative is)."""
    sig = _numpy_signature(np_func)
    if sig is not None:
        fn.__signature__ = sig
    summary = _summary(np_func) or f"``numpy.{np_func.__name__}``."
    fn.__doc__ = f"{summary}\n\n{note}\n"
    return fn


def nan_filled(red: Callable, fill: float, np_fn, example: tuple[str, str]) -> Callable:
    """``np.nansum``, ``np.nancumprod`` ...: ``red`` of ``a`` with its NaNs replaced by
    ``fill``, ``red``'s identity (NaNs get a zero derivative). ``example``: a doctest line and
    its output."""
    name = np_fn.__name__

    def fn(a, axis=None, dtype=None, out=None, **kwargs):
        keep = {"keepdims": True} if kwargs.get("keepdims") else {}
        if not is_traced(a):
            return np_fn(a, axis=axis, dtype=dtype, **keep)
        return red(ops.where(ops.isnan(a), fill, a), axis=axis, dtype=dtype, **keep)
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = _defining_module()       # the family that makes it (the coverage table)
    like_numpy(fn, np_fn, f"Differentiable: NaNs count as {fill:g} and get a zero derivative."
                          f"\n\nExample:\n    >>> import funcad.numpy as fnp\n    >>> "
                          f"{example[0]}\n    {example[1]}")
    return implements(np_fn)(fn)


def at_kinks(name: str, text: str) -> None:
    """Say in ``funcad.numpy.<name>``'s docstring which derivative it takes at its kinks."""
    fn = public[name]
    fn.__doc__ = fn.__doc__.replace(_SMOOTH, text).replace(_NONDIFF, text)


def implements(*np_funcs, name: str | None = None):
    """Decorator: export a function and route the given NumPy functions to it."""

    def deco(fn):
        export(fn, name)
        for f in np_funcs:
            if isinstance(f, np.ufunc):
                extend.ufunc_table[f] = fn
            else:
                extend.function_table[f] = fn
        return fn

    return deco


def is_traced(*xs) -> bool:
    """Is any of ``xs`` a traced value, or an array of another library (Dask, CuPy)? Then
    the public function binds its primitives (whose impls know such arrays, ``_arrays.py``)
    instead of calling NumPy directly."""
    for x in xs:
        if isinstance(x, Tracer) or (type(x) is not np.ndarray and is_foreign(x)):
            return True
    return False


def as_type_of_any(c, *xs):
    """``extend.as_type_of(c, x)`` for the first of ``xs`` whose values are of an array type
    that refuses NumPy operands (CuPy): the constant ``c`` of a composite with several
    operands. ``c`` unchanged when it is not a NumPy array or no operand is such."""
    if type(c) is np.ndarray:
        for x in xs:
            out = extend.as_type_of(c, x)
            if out is not c:
                return out
    return c


def is_complex(x) -> bool:
    """Whether ``x`` (an array, a traced value or a scalar) has a complex dtype."""
    return np.issubdtype(dtype_of(x), np.complexfloating)


# ---------------------------------------------------------------------------
# Rule helpers
# ---------------------------------------------------------------------------

def unbroadcast(g, shape):
    """Sum a cotangent back down to ``shape`` (undo NumPy broadcasting)."""
    gs = shape_of(g)
    shape = tuple(shape)
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gs[i + lead] != 1)
    if axes:
        g = ops.sum(g, axis=axes)
    if shape_of(g) != shape:
        g = ops.reshape(g, shape)
    return g


def _jvp_unary(term):
    """A unary elementwise JVP rule: one operand, the tangent already has the output's shape."""
    def rule(primals, tangents, ans):
        t = tangents[0]
        return None if t is None else term(t, ans, primals[0])
    return rule


def _vjp_unary(d):
    return lambda g, ans, x: g * d(ans, x)


def _lazy_if_numpy(p: Primitive, impl) -> None:
    """A NumPy ufunc as the impl: Dask and CuPy implement every one (``deflazy``); SciPy's
    ufuncs (special functions) are Dask's only, so they stay undeclared."""
    if isinstance(impl, np.ufunc) and getattr(np, impl.__name__, None) is impl:
        deflazy(p)


def unary(name: str, impl: Callable, d: Callable | None, np_func=None, *,
          keep_x: bool = True, keep_ans: bool = False, div: Callable | None = None) -> Primitive:
    """An elementwise unary primitive whose derivative is the elementwise ``d(ans, x)``.

    JVP: ``t * d``; VJP: ``g * d`` (the transpose, no conjugation: JAX's convention).
    ``div`` instead of ``d``: the derivative is ``1 / div(ans, x)`` and the rules
    divide (``t / div``, ``g / div``), one op fewer than multiplying by a reciprocal.
    """
    p = Primitive(name, impl)
    _lazy_if_numpy(p, impl)
    if div is not None:
        defjvp_full(p, _jvp_unary(lambda t, ans, x: t / div(ans, x)))
        defvjp(p, lambda g, ans, x: g / div(ans, x), keep=(keep_x,), keep_ans=keep_ans)
        batch_elementwise(p)
        export(p, name, np_func if np_func is not None else getattr(np, name, None))
        return p
    defjvp_full(p, _jvp_unary(lambda t, ans, x: t * d(ans, x)))
    defvjp(p, _vjp_unary(d), keep=(keep_x,), keep_ans=keep_ans, )
    batch_elementwise(p)
    export(p, name, np_func if np_func is not None else getattr(np, name, None))
    return p


def binary(name: str, impl: Callable, dx: Callable | None, dy: Callable | None, np_func=None,
           *, keep=True, keep_ans: bool = False, needs=None) -> Primitive:
    """An elementwise binary primitive with partials ``dx(ans, x, y)`` and ``dy(ans, x, y)``.

    ``keep``, ``keep_ans`` and ``needs`` say what the tape stores (see ``defvjp``):
    ``needs=((1,), (0,))`` for ``multiply``, whose partial in x reads only y.
    """
    p = Primitive(name, impl)
    _lazy_if_numpy(p, impl)
    defjvp(p, None if dx is None else (lambda t, ans, x, y: t * dx(ans, x, y)),
           None if dy is None else (lambda t, ans, x, y: t * dy(ans, x, y)))
    defvjp(p,
           None if dx is None else (lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y),
                                                                     shape_of(x))),
           None if dy is None else (lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y),
                                                                     shape_of(y))),
           keep=keep, keep_ans=keep_ans, needs=needs)
    batch_elementwise(p)
    export(p, name, np_func if np_func is not None else getattr(np, name, None))
    return p


def nondiff_elementwise(name: str, impl: Callable | None = None, np_func=None) -> Primitive:
    """A zero-derivative elementwise primitive (comparisons, floor, sign, isnan ...)."""
    impl = impl or getattr(np, name)
    p = Primitive(name, impl, nondiff=True)
    _lazy_if_numpy(p, impl)
    batch_elementwise(p)
    export(p, name, np_func if np_func is not None else getattr(np, name, None))
    return p
