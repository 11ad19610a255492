"""Pytree nodes: registration, flatten and unflatten, and the tree utilities built on them."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, NamedTuple, Sequence



class _NodeType(NamedTuple):
    flatten: Callable[[Any], tuple]     # node -> (children, aux data)
    unflatten: Callable[[Any, list], Any] | None  # (aux data, children) -> node
    # (aux data, number of children) -> one path step per child, e.g. "['w']", ".b", "[0]"
    keys: Callable[[Any, int], list] | None = None


_registry: dict[type, _NodeType] = {}


def register_node(cls: type, flatten_fn: Callable[[Any], tuple],
                  unflatten_fn: Callable[[Any, list], Any]) -> None:
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
    _register(cls, _NodeType(flatten_fn, unflatten_fn))


def _register(cls, node_type):
    if cls in _registry:
        raise ValueError(f"{cls.__name__} is already registered as a pytree node")
    _registry[cls] = node_type


def register_pytree_node(nodetype: type, flatten_func: Callable[[Any], tuple],
                         unflatten_func: Callable[[Any, list], Any]) -> None:
    """JAX's name for :func:`register_node`, with JAX's signature.

    Args:
      nodetype: the class to register.
      flatten_func: ``node -> (children, aux_data)``.
      unflatten_func: ``(aux_data, children) -> node``.

    Example:
        >>> from funcad import tree
        >>> class Scaled:
        ...     def __init__(self, v, unit): self.v, self.unit = v, unit
        >>> tree.register_pytree_node(Scaled, lambda s: ((s.v,), s.unit),
        ...                           lambda unit, ch: Scaled(ch[0], unit))
        >>> tree.leaves([Scaled(1.5, "m")])
        [1.5]
    """
    register_node(nodetype, flatten_func, unflatten_func)


def register_dataclass(cls: type | None = None, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None) -> Any:
    """Register a dataclass (or any class built by keyword) as a pytree node.

    The data fields are the children (arrays, or pytrees of them); the meta fields are
    static: they are part of the tree's structure (:class:`PyTreeDef`), so two values
    with different meta fields have different structures, and transforms never trace
    them. Usable as a decorator, with or without arguments. Without ``data_fields`` and
    ``meta_fields`` they are read from the dataclass: a field declared with
    ``dataclasses.field(metadata={"static": True})`` is a meta field (JAX's rule), every
    other field a data field.

    Args:
      cls: the class (omit it to get a decorator).
      data_fields: names of the fields that hold arrays.
      meta_fields: names of the static fields (hashable values: ints, strings, tuples).

    Returns:
      ``cls``, registered (or a decorator that registers its class).

    Example:
        >>> import dataclasses
        >>> import numpy as np, funcad as fad
        >>> @fad.tree.register_dataclass
        ... @dataclasses.dataclass
        ... class Layer:
        ...     w: np.ndarray
        ...     act: str = dataclasses.field(default="tanh", metadata={"static": True})
        >>> fad.tree.leaves(Layer(np.ones(2)))
        [array([1., 1.])]
        >>> fad.grad(lambda p: np.sum(getattr(np, p.act)(p.w)))(Layer(np.zeros(2))).w
        array([1., 1.])
    """
    if cls is None:
        return lambda c: register_dataclass(c, data_fields, meta_fields)
    if data_fields is None and meta_fields is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"register_dataclass: {cls.__name__} is not a dataclass; decorate "
                            "it with @dataclasses.dataclass first, or pass data_fields= and "
                            "meta_fields=")
        fields = [f for f in dataclasses.fields(cls) if f.init]
        meta = tuple(f.name for f in fields if f.metadata.get("static", False))
        data = tuple(f.name for f in fields if not f.metadata.get("static", False))
    else:
        data, meta = tuple(data_fields or ()), tuple(meta_fields or ())
        if dataclasses.is_dataclass(cls):
            init = {f.name for f in dataclasses.fields(cls) if f.init}
            if set(data) | set(meta) != init:
                missing = sorted(init - set(data) - set(meta))
                extra = sorted(set(data) | set(meta) - init)
                raise ValueError(f"register_dataclass({cls.__name__}): data_fields and "
                                 "meta_fields must name every field of the constructor once"
                                 + (f"; missing {missing}" if missing else "")
                                 + (f"; not fields: {extra}" if extra else ""))
    both = set(data) & set(meta)
    if both:
        raise ValueError(f"register_dataclass({cls.__name__}): {sorted(both)} are listed as "
                         "both data and meta fields")

    def flatten_fn(obj):
        return (tuple(getattr(obj, n) for n in data), tuple(getattr(obj, n) for n in meta))

    def unflatten_fn(aux, children):
        return cls(**dict(zip(data, children)), **dict(zip(meta, aux)))

    _register(cls, _NodeType(flatten_fn, unflatten_fn, lambda aux, n: [f".{d}" for d in data]))
    return cls


def _dict_flatten(d):
    keys = sorted(d, key=_sort_key)
    return [d[k] for k in keys], tuple(keys)


def _sort_key(k):
    return (type(k).__name__, k) if not isinstance(k, (int, float)) else ("", k)


register_node(tuple, lambda t: (t, None), lambda _, ch: tuple(ch))
register_node(list, lambda t: (t, None), lambda _, ch: list(ch))
_register(dict, _NodeType(_dict_flatten, lambda keys, ch: dict(zip(keys, ch)),
                          lambda keys, n: [f"[{k!r}]" for k in keys]))
register_node(type(None), lambda _: ((), None), lambda _, ch: None)


def _node_type(x):
    cls = type(x)
    nt = _registry.get(cls)
    if nt is None and isinstance(x, tuple) and hasattr(cls, "_fields"):
        nt = _NAMEDTUPLE
    return nt


# namedtuples need no registration: their class is the PyTreeDef kind.
_NAMEDTUPLE = _NodeType(lambda t: (tuple(t), None), None)


def _child_keys(x, aux, n: int) -> list:
    """One path step per child of node ``x``: ``['w']`` (dict), ``.b`` (namedtuple,
    dataclass), ``[0]`` (anything else)."""
    nt = _node_type(x)
    if nt is _NAMEDTUPLE:
        return [f".{f}" for f in type(x)._fields]
    if nt is not None and nt.keys is not None:
        return nt.keys(aux, n)
    return [f"[{i}]" for i in range(n)]


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
        meta = "" if self.aux is None else f"; {self.aux!r}"
        return f"{self.kind.__name__}(" + ", ".join(inner) + meta + ")"


_LEAF = PyTreeDef(None, None, ())


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None
            ) -> tuple[list, PyTreeDef]:
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


def unflatten(treedef: PyTreeDef, leaves_in: Iterable[Any]) -> Any:
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
                             + describe_mismatch(td, rtd, "first", "other"))
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


def _kind_name(td: PyTreeDef) -> str:
    return "a leaf" if td.kind is None else f"a {td.kind.__name__}"


def _first_difference(a: PyTreeDef, b: PyTreeDef, an: str, bn: str, path: str = ""):
    """Where two structures first differ, in words (``None`` when they are equal)."""
    if a == b:
        return None
    at = f"at {path or 'the root'}"
    if a.kind is not b.kind:
        return f"{at} {an} has {_kind_name(a)} and {bn} has {_kind_name(b)}"
    if a.kind is dict and a.aux != b.aux:
        only_a = [k for k in a.aux if k not in b.aux]
        only_b = [k for k in b.aux if k not in a.aux]
        parts = ([f"{only_a} only in {an}"] if only_a else []) + (
            [f"{only_b} only in {bn}"] if only_b else [])
        return f"{at} the keys differ: " + ", ".join(parts)
    if len(a.children) != len(b.children):
        return (f"{at} {an} has {len(a.children)} children and {bn} has "
                f"{len(b.children)}")
    if a.aux != b.aux:
        return f"{at} the static (meta) data differ: {a.aux!r} in {an}, {b.aux!r} in {bn}"
    keys = ([f"[{k!r}]" for k in a.aux] if a.kind is dict else
            [f".{f}" for f in a.kind._fields] if hasattr(a.kind, "_fields") else
            [f"[{i}]" for i in range(len(a.children))])
    for k, ca, cb in zip(keys, a.children, b.children):
        d = _first_difference(ca, cb, an, bn, path + k)
        if d is not None:
            return d
    return f"{at} the structures differ"  # pragma: no cover - equal children, equal aux


def describe_mismatch(a: PyTreeDef, b: PyTreeDef, a_name: str = "first",
                      b_name: str = "other") -> str:
    """Both structures and the path where they first differ, for an error message.

    Example:
        >>> from funcad import tree
        >>> print(tree.describe_mismatch(tree.structure({"w": 1, "b": 2}),
        ...                              tree.structure({"w": 1, "c": 2}), "params", "grads"))
          params: PyTreeDef({'b': *, 'w': *})
          grads:  PyTreeDef({'c': *, 'w': *})
          at the root the keys differ: ['b'] only in params, ['c'] only in grads
    """
    w = max(len(a_name), len(b_name)) + 1
    d = _first_difference(a, b, a_name, b_name)
    return (f"  {a_name + ':':<{w}} {a}\n  {b_name + ':':<{w}} {b}" + (f"\n  {d}" if d else ""))
