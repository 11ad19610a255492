"""funcad.compat.autograd.misc: autograd's ``flatten`` and ``flatten_func``, on
``funcad.tree.ravel_pytree``; the optimisers and the fixed-point solver are submodules.

Example:
    >>> import numpy as np
    >>> from funcad.compat.autograd.misc import flatten
    >>> flat, unflatten = flatten({"w": np.ones(2), "b": 0.5})
    >>> flat
    array([0.5, 1. , 1. ])
    >>> unflatten(flat)["w"]
    array([1., 1.])
"""

from __future__ import annotations

from typing import Any, Callable

from funcad.tree import ravel_pytree

__all__ = ["flatten", "flatten_func"]


def flatten(value: Any) -> tuple[Any, Callable[[Any], Any]]:
    """One 1-d vector of every leaf of ``value`` (a pytree), and the function that undoes it.

    Args:
      value: nested tuples, lists and dicts of arrays and numbers.

    Returns:
      ``(flat, unflatten)``; both directions differentiate.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.misc import flatten
        >>> flatten([np.zeros((2, 1)), 3.0])[0]
        array([0., 0., 3.])
    """
    return ravel_pytree(value)


def flatten_func(func: Callable, example: Any) -> tuple[Callable, Callable, Any]:
    """``func`` of a pytree (plus other arguments) as a function of one flat vector.

    Args:
      func: ``func(tree, *args)`` returning a pytree; example: a tree of the input's structure.

    Returns:
      ``(flat_func, unflatten, flat_example)`` with
      ``flat_func(vec, *args) = flatten(func(unflatten(vec), *args))[0]``.

    Example:
        >>> import numpy as np
        >>> from funcad.compat.autograd.misc import flatten_func
        >>> f, unflatten, x = flatten_func(lambda t: {"s": t["a"] * 2.0}, {"a": np.ones(2)})
        >>> f(x)
        array([2., 2.])
    """
    flat_example, unflatten = flatten(example)

    def flat_func(vec, *args):
        return flatten(func(unflatten(vec), *args))[0]
    return flat_func, unflatten, flat_example
