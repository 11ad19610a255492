"""funcad.compat.autograd: HIPS autograd's API on funcad, for a port that changes imports only.

Replace ``autograd`` by ``funcad.compat.autograd`` in the imports::

    import funcad.compat.autograd.numpy as np          # is funcad.numpy
    import funcad.compat.autograd.numpy.random as npr  # is funcad.numpy.random (NumPy's)
    from funcad.compat.autograd import grad, elementwise_grad, jacobian, hessian

The operators follow autograd's documented behaviour, which differs from
``funcad.grad`` (JAX's) in three places:

- ``argnum=`` (one int, or a tuple of them) instead of ``argnums=``;
- ``grad`` accepts an output with a single element (shape ``(1,)``, ``(1, 1)``), as
  autograd does; ``funcad.grad`` refuses it;
- ``make_vjp``/``make_jvp``/``make_hvp`` are curried: ``make_vjp(f)(x)`` returns
  ``(vjp, value)``; ``make_jvp(f)(x)(v)`` returns ``(value, jvp)``.

Complex numbers follow one convention in both libraries: for a real-valued ``f`` of a
complex ``z = x + iy``, ``grad(f)(z) = df/dx - i df/dy``; ``holomorphic_grad(f)(z)``
is ``f'(z)``.

Example:
    >>> import funcad.compat.autograd.numpy as np
    >>> from funcad.compat.autograd import grad, elementwise_grad
    >>> float(grad(lambda x, y: np.sum(x * y), argnum=1)(np.array([1.0, 2.0]), 3.0))
    3.0
    >>> elementwise_grad(np.tanh)(np.array([0.0, 1.0]))
    array([1.        , 0.41997434])
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as _np

import funcad as _fad
import funcad.numpy as numpy  # noqa: F401  (funcad.compat.autograd.numpy is funcad.numpy)

__all__ = ["grad", "elementwise_grad", "deriv", "holomorphic_grad", "jacobian", "hessian",
           "make_vjp", "make_jvp", "make_hvp", "make_ggnvp", "hessian_tensor_product",
           "hessian_vector_product", "vector_jacobian_product", "tensor_jacobian_product",
           "value_and_grad", "grad_and_aux", "checkpoint", "numpy"]

# `import funcad.compat.autograd.numpy.random as npr` finds funcad's modules themselves
# (not second copies, which would register every primitive twice)
for _sub in ("", ".random", ".linalg", ".fft"):
    sys.modules.setdefault(__name__ + ".numpy" + _sub, sys.modules["funcad.numpy" + _sub])

checkpoint = _fad.checkpoint


def _unary(fun: Callable, argnum, args: tuple, kwargs: dict):
    """``(f, x)``: ``fun`` as a function of argument(s) ``argnum`` only, and its value(s)."""
    if isinstance(argnum, int):
        if not -len(args) <= argnum < len(args):
            raise TypeError(f"argnum={argnum} but the function was called with {len(args)} "
                            "positional argument(s)")

        def f(x):
            a = list(args)
            a[argnum] = x
            return fun(*a, **kwargs)
        return f, args[argnum]
    nums = tuple(argnum)

    def f_many(xs):
        a = list(args)
        for k, x in zip(nums, xs):
            a[k] = x
        return fun(*a, **kwargs)
    return f_many, tuple(args[k] for k in nums)


def _ones_like(ans):
    return _np.ones(_np.shape(ans), _np.result_type(ans))


def _vjp(fun, argnum, args, kwargs):
    f, x = _unary(fun, argnum, args, kwargs)
    ans, pull = _fad.vjp(f, x)
    return ans, (lambda g: pull(g)[0])


def _check_size1(ans, where):
    if _np.size(ans) != 1:
        raise TypeError(f"{where} only applies to real scalar-output functions (autograd's "
                        f"rule: one element), got shape {_np.shape(ans)}. Try jacobian, "
                        "elementwise_grad or holomorphic_grad.")


def grad(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The gradient of ``fun`` in argument ``argnum``, as autograd's ``grad``.

    Args:
      fun: a function whose output has one element (a scalar, or shape ``(1,)``...).
      argnum: the position of the argument to differentiate (a tuple: a tuple of gradients).

    Returns:
      A function with ``fun``'s signature returning the gradient, shaped like the argument.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import grad
        >>> grad(lambda x: x[:1] ** 2)(np.array([3.0, 1.0]))   # a shape-(1,) output
        array([6., 0.])
    """
    return _grad_of_one_element(fun, argnum, "grad")


def _grad_of_one_element(fun, argnum, where):
    def gradfun(*args, **kwargs):
        ans, pull = _vjp(fun, argnum, args, kwargs)
        _check_size1(ans, where)
        return pull(_ones_like(ans))
    return gradfun


def value_and_grad(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """``fun``'s value and its gradient in ``argnum``, from one forward pass.

    Args:
      fun: a function whose output has one element; argnum: as in ``grad``.

    Returns:
      A function returning ``(value, gradient)``.

    Example:
        >>> from funcad.compat.autograd import value_and_grad
        >>> v, g = value_and_grad(lambda x: x ** 3)(2.0)
        >>> float(v), float(g)
        (8.0, 12.0)
    """
    def vg(*args, **kwargs):
        ans, pull = _vjp(fun, argnum, args, kwargs)
        _check_size1(ans, "value_and_grad")
        return ans, pull(_ones_like(ans))
    return vg


def grad_and_aux(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The gradient of the first output of ``fun``, which returns ``(value, aux)``.

    Args:
      fun: returns a pair ``(value, aux)``; ``value`` has one element.
      argnum: as in ``grad``.

    Returns:
      A function returning ``(gradient, aux)``.

    Example:
        >>> from funcad.compat.autograd import grad_and_aux
        >>> g, aux = grad_and_aux(lambda x: (x ** 2, "aux"))(3.0)
        >>> float(g), aux
        (6.0, 'aux')
    """
    def ga(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        ans, pull, aux = _fad.vjp(f, x, has_aux=True)
        _check_size1(ans, "grad_and_aux")
        return pull(_ones_like(ans))[0], aux
    return ga


def elementwise_grad(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The sum of the Jacobian's rows: for an elementwise ``fun``, the derivative of each element.

    Args:
      fun: a real-valued function of any output shape; argnum: as in ``grad``.

    Returns:
      A function returning the vector-Jacobian product with a cotangent of ones.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import elementwise_grad
        >>> elementwise_grad(lambda x: x ** 2)(np.array([1.0, 2.0, 3.0]))
        array([2., 4., 6.])
    """
    def eg(*args, **kwargs):
        ans, pull = _vjp(fun, argnum, args, kwargs)
        if _np.iscomplexobj(ans):
            raise TypeError("elementwise_grad only applies to real-output functions (got "
                            f"dtype {_np.result_type(ans)}); take .real or use jacobian")
        return pull(_ones_like(ans))
    return eg


def deriv(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """Forward-mode derivative along a tangent of ones (autograd's ``deriv``).

    Args:
      fun: any function; argnum: the argument to perturb.

    Returns:
      A function returning the Jacobian-vector product ``J @ ones``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import deriv
        >>> float(deriv(np.sin)(0.0))
        1.0
    """
    def d(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        ones = _fad.tree.map(_ones_like, x)
        return _fad.jvp(f, (x,), (ones,))[1]
    return d


def holomorphic_grad(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The complex derivative ``f'(z)`` of a holomorphic scalar function.

    Args:
      fun: a holomorphic function with a complex output of one element; argnum: as in ``grad``.

    Returns:
      A function returning ``f'(z)``.

    Example:
        >>> from funcad.compat.autograd import holomorphic_grad
        >>> complex(holomorphic_grad(lambda z: z ** 2)(1.0 + 2.0j))
        (2+4j)
    """
    return _grad_of_one_element(fun, argnum, "holomorphic_grad")


def jacobian(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The Jacobian, shaped ``out.shape + x.shape`` (reverse mode, as autograd).

    Args:
      fun: any function of arrays; argnum: the argument.

    Returns:
      A function returning the Jacobian array.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import jacobian
        >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
        array([[2., 0.],
               [0., 4.]])
    """
    def jac(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        return _fad.jacrev(f)(x)
    return jac


def hessian(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """The Hessian: ``jacobian(jacobian(fun))``, shaped ``out.shape + x.shape + x.shape``.

    Args:
      fun: a function (usually scalar-valued); argnum: the argument.

    Returns:
      A function returning the Hessian array.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import hessian
        >>> hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
        array([[4., 2.],
               [2., 0.]])
    """
    def hess(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        return _fad.jacfwd(_fad.jacrev(f))(x)
    return hess


def make_vjp(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """Curried VJP: ``make_vjp(f)(x)`` returns ``(vjp, f(x))`` with ``vjp(g) = g @ J``.

    Args:
      fun: any function; argnum: the argument.

    Returns:
      A function returning ``(vjp_fn, value)``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import make_vjp
        >>> vjp, ans = make_vjp(lambda x: 3.0 * x)(np.array([1.0, 2.0]))
        >>> vjp(np.array([1.0, 10.0]))
        array([ 3., 30.])
    """
    def mv(*args, **kwargs):
        ans, pull = _vjp(fun, argnum, args, kwargs)
        return pull, ans
    return mv


def make_jvp(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """Curried JVP: ``make_jvp(f)(x)(v)`` returns ``(f(x), J @ v)``.

    Args:
      fun: any function; argnum: the argument.

    Returns:
      A function of ``x`` returning a function of the tangent ``v``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import make_jvp
        >>> make_jvp(lambda x: x ** 2)(np.array([1.0, 2.0]))(np.array([1.0, 1.0]))
        (array([1., 4.]), array([2., 4.]))
    """
    def mj(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        return lambda v: _fad.jvp(f, (x,), (v,))
    return mj


def make_hvp(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """``make_hvp(f)(x)`` returns ``(hvp, grad(f)(x))``, ``hvp(v) = H @ v``, the forward pass
    done once for many products.

    Args:
      fun: a scalar-valued function; argnum: the argument.

    Returns:
      A function returning ``(hvp_fn, gradient)``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import make_hvp
        >>> hvp, g = make_hvp(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
        >>> hvp(np.array([1.0, 0.0])), g
        (array([6., 0.]), array([ 3., 12.]))
    """
    def mh(*args, **kwargs):
        f, x = _unary(fun, argnum, args, kwargs)
        g, pull = _fad.vjp(grad(f), x)
        return (lambda v: pull(v)[0]), g
    return mh


def hessian_tensor_product(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """``H @ v`` contracted over all of ``x``'s axes: called as ``hvp(*args, v)``.

    Args:
      fun: a scalar-valued function; argnum: the argument.

    Returns:
      A function of ``(*args, v)`` returning the Hessian-tensor product, shaped like ``x``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import hessian_tensor_product
        >>> f = lambda x: np.sum(x ** 3)
        >>> hessian_tensor_product(f)(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
        array([ 6., 12.])
    """
    def htp(*args, **kwargs):
        *args, v = args
        f, x = _unary(fun, argnum, tuple(args), kwargs)
        return _fad.jvp(grad(f), (x,), (v,))[1]
    return htp


hessian_vector_product = hessian_tensor_product


def vector_jacobian_product(fun: Callable, argnum: int | tuple = 0) -> Callable:
    """``v`` contracted with the Jacobian over the output axes: called as ``vjp(*args, v)``.

    Args:
      fun: any function; argnum: the argument.

    Returns:
      A function of ``(*args, v)`` returning a value shaped like ``x``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import vector_jacobian_product
        >>> vector_jacobian_product(lambda x: 2.0 * x)(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
        array([2., 6.])
    """
    def vjp(*args, **kwargs):
        *args, v = args
        _, pull = _vjp(fun, argnum, tuple(args), kwargs)
        return pull(v)
    return vjp


tensor_jacobian_product = vector_jacobian_product


def make_ggnvp(f: Callable, g: Callable | None = None, f_argnum: int = 0) -> Callable:
    """Generalised Gauss-Newton products ``J^T H_g J v`` of ``g(f(x))``.

    Args:
      f: the inner function (its Jacobian ``J``); g: the outer scalar function (its Hessian
        ``H_g``), by default ``0.5 * sum(y ** 2, axis=-1)``; f_argnum: ``f``'s argument.

    Returns:
      A function of ``f``'s arguments returning ``ggnvp(v)``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd import make_ggnvp
        >>> A = np.array([[1.0, 2.0], [0.0, 1.0]])
        >>> make_ggnvp(lambda x: A @ x)(np.zeros(2))(np.array([1.0, 0.0]))   # A.T @ A @ v
        array([1., 2.])
    """
    outer = g if g is not None else (lambda y: 0.5 * numpy.sum(y ** 2, axis=-1))

    def mg(*args, **kwargs):
        fx, x = _unary(f, f_argnum, args, kwargs)
        y, pull = _fad.vjp(fx, x)

        def ggnvp(v):
            jv = _fad.jvp(fx, (x,), (v,))[1]
            return pull(_fad.jvp(grad(outer), (y,), (jv,))[1])[0]
        return ggnvp
    return mg


def __getattr__(name: str) -> Any:
    if name in ("primitive", "defvjp", "defjvp", "notrace_primitive"):
        raise AttributeError(f"funcad.compat.autograd.{name} is not available: write the "
                             "function with funcad.custom_vjp / funcad.custom_jvp (see "
                             "docs/migrating-from-autograd.md)")
    raise AttributeError(f"module 'funcad.compat.autograd' has no attribute '{name}'")
