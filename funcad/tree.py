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

import dataclasses
from typing import Any, Callable, NamedTuple

__all__ = [
    "PyTreeDef", "flatten", "unflatten", "leaves", "structure", "map",
    "register_node", "register_dataclass", "all_leaves_equal_structure",
]


class _NodeType(NamedTuple):
    flatten: Callable[[Any], tuple]     # node -> (children, aux data)
    unflatten: Callable[[Any, list], Any]  # (aux data, children) -> node


_registry: dict[type, _NodeType] = {}


def register_node(cls: type, flatten_fn: Callable, unflatten_fn: Callable) -> None:
    """Register ``cls`` as a pytree node.

    Args:
      cls: the class to register.
      flatten_fn: ``node -> (children, aux)``; ``aux`` must be hashable-comparable.
      unflatten_fn: ``(aux, children) -> node``.

    Example:
        >>> from funcad import tree
        >>> class Pair:
        ...     def __init__(self, a, b): self.a, self.b = a, b
        >>> tree.register_node(Pair, lambda p: ((p.a, p.b), None),
        ...                    lambda aux, ch: Pair(*ch))
        >>> tree.leaves(Pair(1, [2, 3]))
        [1, 2, 3]
    """
    if cls in _registry:
        raise ValueError(f"{cls.__name__} is already registered as a pytree node")
    _registry[cls] = _NodeType(flatten_fn, unflatten_fn)


def register_dataclass(cls: type) -> type:
    """Register a dataclass as a pytree node (its fields are the children).

    Usable as a decorator.

    Example:
        >>> import dataclasses
        >>> from funcad import tree
        >>> @tree.register_dataclass
        ... @dataclasses.dataclass
        ... class Params:
        ...     w: float
        ...     b: float
        >>> tree.leaves(Params(1.0, 2.0))
        [1.0, 2.0]
    """
    names = tuple(f.name for f in dataclasses.fields(cls))
    register_node(
        cls,
        lambda obj: (tuple(getattr(obj, n) for n in names), None),
        lambda _, children: cls(**dict(zip(names, children))),
    )
    return cls


def _dict_flatten(d):
    keys = sorted(d, key=_sort_key)
    return [d[k] for k in keys], tuple(keys)


def _sort_key(k):
    return (type(k).__name__, k) if not isinstance(k, (int, float)) else ("", k)


register_node(tuple, lambda t: (t, None), lambda _, ch: tuple(ch))
register_node(list, lambda t: (t, None), lambda _, ch: list(ch))
register_node(dict, _dict_flatten, lambda keys, ch: dict(zip(keys, ch)))
register_node(type(None), lambda _: ((), None), lambda _, ch: None)


def _node_type(x):
    cls = type(x)
    nt = _registry.get(cls)
    if nt is None and isinstance(x, tuple) and hasattr(cls, "_fields"):
        nt = _NAMEDTUPLE
    return nt


# namedtuples need no registration: their class is the PyTreeDef kind.
_NAMEDTUPLE = _NodeType(lambda t: (tuple(t), None), None)


class PyTreeDef:
    """The structure of a pytree: node types and aux data, with leaves left out."""

    __slots__ = ("kind", "aux", "children", "num_leaves", "flat")

    def __init__(self, kind, aux, children):
        self.kind = kind            # the node's class, or None for a leaf
        self.aux = aux              # aux data from the node's flatten function
        self.children = children   # tuple of child PyTreeDefs
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)
        # a tuple or list whose children are all leaves: unflatten needs no recursion
        self.flat = (kind is tuple or kind is list) and all(c.kind is None for c in children)

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.kind is other.kind
                and self.aux == other.aux and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, repr(self.aux), self.children))

    def __repr__(self):
        return f"PyTreeDef({self._show()})"

    def _show(self):
        if self.kind is None:
            return "*"
        inner = [c._show() for c in self.children]
        if self.kind is tuple:
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        if self.kind is list:
            return "[" + ", ".join(inner) + "]"
        if self.kind is dict:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.aux, inner)) + "}"
        if self.kind is type(None):
            return "None"
        return f"{self.kind.__name__}(" + ", ".join(inner) + ")"


_LEAF = PyTreeDef(None, None, ())


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Flatten a pytree into ``(leaves, treedef)``; dict keys come out sorted.

    Example:
        >>> from funcad import tree
        >>> tree.flatten([1, (2, None)])
        ([1, 2], PyTreeDef([*, (*, None)]))
    """
    if is_leaf is None:
        cls = type(tree)
        if cls is tuple or cls is list:
            if _all_leaves(tree):         # the common case: a flat tuple of arrays
                return list(tree), _flat_def(cls, len(tree))
        elif _is_plain_leaf(tree, cls):
            return [tree], _LEAF
    leaves_out: list = []
    treedef = _flatten(tree, is_leaf, leaves_out)
    return leaves_out, treedef


def _is_plain_leaf(x, cls) -> bool:
    """True when ``x`` is certainly a leaf: its exact class is not a node and not a tuple."""
    return cls not in _registry and not isinstance(x, tuple)


def _all_leaves(xs) -> bool:
    for x in xs:
        if type(x) in _registry or isinstance(x, tuple):
            return False
    return True


_flat_defs: dict = {}


def _flat_def(cls, n: int) -> PyTreeDef:
    """The shared PyTreeDef of a tuple or list of ``n`` leaves."""
    td = _flat_defs.get((cls, n))
    if td is None:
        if len(_flat_defs) > 1024:
            _flat_defs.clear()
        td = _flat_defs[(cls, n)] = PyTreeDef(cls, None, (_LEAF,) * n)
    return td


def _flatten(x, is_leaf, out):
    if is_leaf is not None and is_leaf(x):
        out.append(x)
        return _LEAF
    nt = _node_type(x)
    if nt is None:
        out.append(x)
        return _LEAF
    children, aux = nt.flatten(x)
    kids = tuple(_flatten(c, is_leaf, out) for c in children)
    return PyTreeDef(type(x), aux, kids)


def unflatten(treedef: PyTreeDef, leaves_in) -> Any:
    """Rebuild a pytree of structure ``treedef`` from a sequence of leaves.

    Example:
        >>> from funcad import tree
        >>> _, td = tree.flatten((0, [0]))
        >>> tree.unflatten(td, [5, 6])
        (5, [6])
    """
    leaves_in = list(leaves_in)
    if len(leaves_in) != treedef.num_leaves:
        raise ValueError(f"unflatten: structure {treedef} needs {treedef.num_leaves} leaves, "
                         f"got {len(leaves_in)}")
    kind = treedef.kind
    if kind is None:
        return leaves_in[0]
    if treedef.flat:              # a tuple or list of leaves: no recursion
        return tuple(leaves_in) if kind is tuple else leaves_in
    it = iter(leaves_in)
    return _build(treedef, it)


def _build(td, it):
    if td.kind is None:
        return next(it)
    children = [_build(c, it) for c in td.children]
    nt = _registry.get(td.kind)
    if nt is None:  # a namedtuple
        return td.kind(*children)
    return nt.unflatten(td.aux, children)


def leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of a pytree, in flatten order.

    Example:
        >>> from funcad import tree
        >>> tree.leaves({"x": 1, "y": [2, None]})
        [1, 2]
    """
    return flatten(tree, is_leaf)[0]


def structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The :class:`PyTreeDef` of a pytree.

    Example:
        >>> from funcad import tree
        >>> tree.structure((1, 2)) == tree.structure((3, 4))
        True
    """
    return flatten(tree, is_leaf)[1]


def map(f: Callable, tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` leaf-wise over one or more pytrees of the same structure.

    Example:
        >>> from funcad import tree
        >>> tree.map(lambda a, b: a + b, {"w": 1, "b": 2}, {"w": 10, "b": 20})
        {'b': 22, 'w': 11}
    """
    xs, td = flatten(tree, is_leaf)
    others = []
    for r in rest:
        rl, rtd = flatten(r, is_leaf)
        if rtd != td:
            raise ValueError("tree.map: pytree structures differ:\n"
                             f"  first:  {td}\n  other:  {rtd}")
        others.append(rl)
    return unflatten(td, [f(*args) for args in zip(xs, *others)])


def all_leaves_equal_structure(a: Any, b: Any) -> bool:
    """True if two pytrees have the same structure.

    Example:
        >>> from funcad import tree
        >>> tree.all_leaves_equal_structure([1, 2], (1, 2))
        False
    """
    return structure(a) == structure(b)
