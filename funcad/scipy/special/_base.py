"""The helpers every family of funcad.scipy.special registers its primitives with."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ... import extend
from ...errors import NoRuleError
from ...extend import Primitive, batch_elementwise, defjvp, defvjp, shape_of
from ...numpy._base import is_traced, unbroadcast

SQRT_PI = float(np.sqrt(np.pi))


def public(p, sp_func, name, doc, register=True):
    """The public wrapper: NumPy/SciPy on plain values, the primitive on traced ones.

    ``register``: also route SciPy's ufunc here, so ``scipy.special.<name>`` on a traced value
    works."""
    def fn(*args):
        if not is_traced(*args):
            return sp_func(*args)
        return p(*args)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    if register:
        extend.ufunc_table[sp_func] = fn
    return fn


def lazy_on_dask(p, impl):
    """SciPy's ufuncs run on Dask arrays as they are (not on CuPy's): ``deflazy`` for Dask."""
    if isinstance(impl, np.ufunc):
        extend.deflazy(p, libraries=("dask",))


def unary(name, d, doc, keep_x=True, keep_ans=False):
    """An elementwise primitive ``f(x)`` with ``f'(x) = d(ans, x)``, and its public function."""
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    lazy_on_dask(p, sp_func)
    defjvp(p, lambda t, ans, x: t * d(ans, x))
    defvjp(p, lambda g, ans, x: g * d(ans, x), keep=(keep_x,), keep_ans=keep_ans)
    batch_elementwise(p)
    return p, public(p, sp_func, name, doc)


class Raises:
    """A partial derivative that is not implemented: its JVP/VJP rule raises NoRuleError."""

    def __init__(self, name, arg, why, fix):
        self.message = (f"scipy.special.{name}: the derivative with respect to {arg} is not "
                        f"implemented ({why}). {fix}")

    def __call__(self, *_a, **_k):
        raise NoRuleError(self.message)


def order_partial(name):
    """The partial in an order argument (Bessel, polygamma, expn): raises."""
    return Raises(name, "the order (first argument)", "it is an order, not a variable",
                  "Pass it as a constant")


def elementwise(name, partials, doc_, keep_ans=False, sp_func=None, impl=None, register=True):
    """An elementwise primitive ``special.<name>`` and its public function.

    ``partials[i](ans, *args)`` is the partial derivative in argument i (written in funcad
    ops), or a :class:`Raises`. ``sp_func``: SciPy's function (default ``scipy.special.<name>``),
    ``impl``: the primitive's implementation where it differs (one output of a pair), then
    ``register=False`` (the pair's own function is SciPy's ufunc's)."""
    sp_func = getattr(sp, name) if sp_func is None else sp_func
    p = Primitive(f"special.{name}", sp_func if impl is None else impl)
    lazy_on_dask(p, sp_func if impl is None else impl)
    jvps, vjps = [], []
    for i, d in enumerate(partials):
        if isinstance(d, Raises):
            jvps.append(d)
            vjps.append(d)
            continue
        jvps.append(lambda t, ans, *args, d=d: t * d(ans, *args))
        vjps.append(lambda g, ans, *args, d=d, i=i: unbroadcast(g * d(ans, *args),
                                                                shape_of(args[i])))
    defjvp(p, *jvps)
    defvjp(p, *vjps, keep_ans=keep_ans)
    batch_elementwise(p)
    return p, public(p, sp_func, name, doc_, register)


def binary(name, dx, dy, doc_, order_arg=False, keep_ans=False):
    """``elementwise`` of two operands (``order_arg``: the first is an order, whose derivative
    raises)."""
    first = order_partial(name) if order_arg else dx
    return elementwise(name, (first, dy), doc_, keep_ans=keep_ans)


def doc(what, example):
    """A docstring: ``Differentiable scipy.special.<what>`` and a doctest line."""
    return (f"Differentiable ``scipy.special.{what}``.\n\n    Example:\n"
            "        >>> import numpy as np, funcad as fad\n"
            "        >>> from funcad.scipy import special\n"
            f"        >>> {example}\n")


def plain_float(v):
    """A scalar computed from plain parameters as a Python float (weakly typed: a float32
    operand keeps float32 on every SciPy); arrays as they are."""
    return float(v) if np.ndim(v) == 0 else v
