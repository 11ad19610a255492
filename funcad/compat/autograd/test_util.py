"""funcad.compat.autograd.test_util: autograd's curried ``check_grads``.

Example:
    >>> import numpy as np
    >>> from funcad.compat.autograd.test_util import check_grads
    >>> check_grads(np.sin, modes=["fwd", "rev"], order=2)(np.array([0.5, 1.0]))
"""

from __future__ import annotations

from typing import Callable, Sequence

import funcad as _fad

__all__ = ["check_grads"]


def check_grads(f: Callable, argnum: int | Sequence[int] = 0,
                modes: Sequence[str] = ("fwd", "rev"), order: int = 2, **tolerances) -> Callable:
    """``check_grads(f, modes=..., order=...)(*args)``: ``f``'s derivatives in argument
    ``argnum`` against central finite differences, as autograd's (curried) ``check_grads``.

    The check itself is ``funcad.check_grads`` (JVP against finite differences in a random
    direction, and the VJP against the JVP), up to ``order`` (2 by default, as autograd).

    Args:
      f: the function; argnum: the argument(s) to check (the others held fixed);
      modes: any of ``"fwd"``, ``"rev"``; order: how many times to differentiate;
      tolerances: ``atol``, ``rtol``, ``eps`` passed on to ``funcad.check_grads``.

    Returns:
      A function of ``f``'s arguments that returns None or raises AssertionError.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.test_util import check_grads
        >>> check_grads(lambda x, y: x * np.exp(y), argnum=1, modes=["rev"])(2.0, 0.5)
    """
    nums = (argnum,) if isinstance(argnum, int) else tuple(argnum)

    def check(*args, **kwargs):
        def f_of_checked(*xs):
            a = list(args)
            for k, x in zip(nums, xs):
                a[k] = x
            return f(*a, **kwargs)
        _fad.check_grads(f_of_checked, tuple(args[k] for k in nums), order=order,
                         modes=tuple(modes), **tolerances)
    return check
