"""Pytrees: nested containers of arrays that every transform accepts.

A pytree is a leaf (anything not registered as a node: arrays, numbers) or a
node whose children are pytrees. Tuples, lists, dicts, namedtuples and
``None`` (a node with no children) are nodes out of the box; register your own
classes with :func:`register_node` or :func:`register_dataclass`.

Example:
    >>> from funcad import tree
    >>> leaves, treedef = tree.flatten({"b": (1, 2), "a": [3]})
    >>> leaves
    [3, 1, 2]
    >>> tree.unflatten(treedef, [x * 10 for x in leaves])
    {'a': [30], 'b': (10, 20)}
"""

from __future__ import annotations

from ._nodes import (PyTreeDef, all_leaves_equal_structure, describe_mismatch, flatten, leaves,
                     map, register_dataclass, register_node, register_pytree_node, structure,
                     unflatten)
from ._paths import flatten_with_path, leaves_with_path
from ._ravel import ravel_pytree

__all__ = [
    "PyTreeDef", "flatten", "unflatten", "leaves", "structure", "map",
    "register_node", "register_pytree_node", "register_dataclass",
    "all_leaves_equal_structure", "flatten_with_path", "leaves_with_path", "ravel_pytree",
    "describe_mismatch",
]
