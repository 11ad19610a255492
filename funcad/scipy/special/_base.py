"""The helpers every family of funcad.scipy.special registers its primitives with."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from ... import extend
from ...errors import NoRuleError
from ...extend import Primitive, batch_elementwise, defjvp, defvjp, shape_of
from ...numpy._base import is_traced, unbroadcast

SQRT_PI = float(np.sqrt(np.pi))


def public(p, sp_func, name, doc):
    """The public wrapper: NumPy/SciPy on plain values, the primitive on traced ones.

    It is also registered for SciPy's ufunc, so ``scipy.special.<name>`` on a traced value
    routes here."""
    def fn(*args):
        if not is_traced(*args):
            return sp_func(*args)
        return p(*args)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    extend.ufunc_table[sp_func] = fn
    return fn


def unary(name, d, doc, keep_x=True, keep_ans=False):
    """An elementwise primitive ``f(x)`` with ``f'(x) = d(ans, x)``, and its public function."""
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    defjvp(p, lambda t, ans, x: t * d(ans, x))
    defvjp(p, lambda g, ans, x: g * d(ans, x), keep=(keep_x,), keep_ans=keep_ans)
    batch_elementwise(p)
    return p, public(p, sp_func, name, doc)


def no_rule(name, arg, why, fix):
    """A JVP/VJP rule that raises: the derivative of ``name`` in ``arg`` is not implemented."""
    def rule(*_a, **_k):
        raise NoRuleError(f"scipy.special.{name}: the derivative with respect to {arg} is not "
                          f"implemented ({why}). {fix}")
    return rule


def no_order_rule(name):
    return no_rule(name, "the order (first argument)", "it is an order, not a variable",
                   "Pass it as a constant")


def binary(name, dx, dy, doc, order_arg=False, keep_ans=False):
    """An elementwise primitive ``f(x, y)`` with partials ``dx``/``dy`` (``order_arg``: the first
    argument is an order, whose derivative raises), and its public function."""
    sp_func = getattr(sp, name)
    p = Primitive(f"special.{name}", sp_func)
    if order_arg:
        defjvp(p, no_order_rule(name), lambda t, ans, v, x: t * dy(ans, v, x))
        defvjp(p, no_order_rule(name),
               lambda g, ans, v, x: unbroadcast(g * dy(ans, v, x), shape_of(x)),
               keep_ans=keep_ans)
    else:
        defjvp(p, lambda t, ans, x, y: t * dx(ans, x, y), lambda t, ans, x, y: t * dy(ans, x, y))
        defvjp(p, lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y), shape_of(x)),
               lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y), shape_of(y)),
               keep_ans=keep_ans)
    batch_elementwise(p)
    return p, public(p, sp_func, name, doc)


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
