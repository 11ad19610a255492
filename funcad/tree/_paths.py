"""Where a leaf sits in a pytree: paths for error messages and labels, and the first
difference between two structures."""

from __future__ import annotations

from typing import Any, Callable

from ._nodes import PyTreeDef, _child_keys, _node_type, structure


def flatten_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                      ) -> tuple[list[tuple[str, Any]], PyTreeDef]:
    """Like :func:`flatten`, with each leaf's path as a string (``"['w'][0]"``, ``".b"``).

    Example:
        >>> from funcad import tree
        >>> tree.flatten_with_path({"w": [1.0, 2.0], "b": 3.0})[0]
        [("['b']", 3.0), ("['w'][0]", 1.0), ("['w'][1]", 2.0)]
    """
    out: list = []
    _with_path(tree, "", is_leaf, out)
    return out, structure(tree, is_leaf)


def _with_path(x, path, is_leaf, out):
    nt = None if is_leaf is not None and is_leaf(x) else _node_type(x)
    if nt is None:
        out.append((path, x))
        return
    children, aux = nt.flatten(x)
    children = list(children)
    for key, c in zip(_child_keys(x, aux, len(children)), children):
        _with_path(c, path + key, is_leaf, out)


def leaves_with_path(tree: Any, is_leaf: Callable[[Any], bool] | None = None
                     ) -> list[tuple[str, Any]]:
    """The ``(path, leaf)`` pairs of a pytree, in flatten order.

    Example:
        >>> from funcad import tree
        >>> tree.leaves_with_path(((1.0, 2.0), {"k": 3.0}))
        [('[0][0]', 1.0), ('[0][1]', 2.0), ("[1]['k']", 3.0)]
    """
    return flatten_with_path(tree, is_leaf)[0]
