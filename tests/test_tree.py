"""funcad.tree: flatten/unflatten round trips, node types, errors."""

from __future__ import annotations

import collections
import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funcad import tree

Point = collections.namedtuple("Point", "x y")

leaves_st = st.integers(-5, 5) | st.floats(-1, 1, allow_nan=False)
trees = st.recursive(
    leaves_st | st.none(),
    lambda kids: (st.lists(kids, max_size=3) | st.tuples(kids, kids)
                  | st.dictionaries(st.text("abc", min_size=1, max_size=2), kids, max_size=3)
                  | st.builds(Point, kids, kids)),
    max_leaves=10)


@settings(max_examples=100, deadline=None, database=None)
@given(trees)
def test_roundtrip(t):
    leaves, td = tree.flatten(t)
    assert tree.unflatten(td, leaves) == t
    assert td.num_leaves == len(leaves)
    assert tree.structure(t) == td
    assert pickle.loads(pickle.dumps(td)) == td


def test_dict_keys_sorted_and_none_is_empty_node():
    assert tree.leaves({"b": 1, "a": 2, "c": None}) == [2, 1]
    assert tree.structure(None).num_leaves == 0


def test_map_and_mismatch_error_shows_both():
    assert tree.map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])
    with pytest.raises(ValueError, match=r"first:.*\n.*other:"):
        tree.map(lambda a, b: a, (1, 2), [1, 2])


def test_registered_class_and_dataclass():
    @tree.register_dataclass
    @dataclasses.dataclass
    class P:
        w: object
        b: object

    p = tree.map(lambda v: v * 2, P(1, (2, 3)))
    assert p == P(2, (4, 6))

    class Box:
        def __init__(self, v):
            self.v = v

    tree.register_node(Box, lambda b: ((b.v,), None), lambda _, ch: Box(ch[0]))
    assert tree.leaves([Box(3), Box([4])]) == [3, 4]
    with pytest.raises(ValueError, match="already registered"):
        tree.register_node(Box, lambda b: ((), None), lambda _, ch: Box(None))


def test_unflatten_wrong_count():
    _, td = tree.flatten((1, 2))
    with pytest.raises(ValueError, match="needs 2 leaves, got 3"):
        tree.unflatten(td, [1, 2, 3])


def test_is_leaf():
    assert tree.leaves([(1, 2), (3, 4)], is_leaf=lambda x: isinstance(x, tuple)) == [(1, 2),
                                                                                    (3, 4)]


# ---------------------------------------------------------------------------
# ravel_pytree, register_pytree_node, register_dataclass(meta_fields), paths
# ---------------------------------------------------------------------------

def test_ravel_pytree_round_trip_keeps_shapes_and_dtypes():
    np = pytest.importorskip("numpy")
    t = {"w": np.arange(6.0).reshape(2, 3), "b": (np.ones(2, np.float32), 3.0), "n": None}
    flat, unravel = tree.ravel_pytree(t)
    assert flat.dtype == np.float64 and flat.shape == (9,)
    back = unravel(flat)
    assert tree.structure(back) == tree.structure(t)
    for a, b in zip(tree.leaves(back), tree.leaves(t)):
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="length 9"):
        unravel(np.zeros(8))


def test_ravel_pytree_of_an_empty_tree():
    np = pytest.importorskip("numpy")
    for t in ({}, (), None, [{}]):
        flat, unravel = tree.ravel_pytree(t)
        assert flat.shape == (0,) and flat.dtype == np.float64
        assert unravel(flat) == t


def test_ravel_pytree_differentiates_both_ways():
    np = pytest.importorskip("numpy")
    import funcad as fad
    params = {"w": np.array([[1.0, 2.0]]), "b": np.array(3.0)}

    def loss(p):                      # ravel on traced leaves, inside grad
        v, _ = tree.ravel_pytree(p)
        return np.sum(v ** 3)
    g = fad.grad(loss)(params)
    np.testing.assert_allclose(g["w"], 3 * params["w"] ** 2)
    np.testing.assert_allclose(g["b"], 27.0)
    flat, unravel = tree.ravel_pytree(params)
    h = fad.hessian(lambda v: np.sum(unravel(v)["w"] ** 2) * unravel(v)["b"])(flat)
    np.testing.assert_allclose(h, [[0, 2, 4], [2, 6, 0], [4, 0, 6]])
    assert fad.tree.ravel_pytree is tree.ravel_pytree


def test_register_pytree_node_is_jax_spelling():
    class Scaled:
        def __init__(self, v, unit):
            self.v, self.unit = v, unit
    tree.register_pytree_node(Scaled, lambda s: ((s.v,), s.unit),
                              lambda unit, ch: Scaled(ch[0], unit))
    out = tree.map(lambda x: x * 2, Scaled(1.5, "m"))
    assert (out.v, out.unit) == (3.0, "m")
    assert tree.structure(Scaled(1, "m")) != tree.structure(Scaled(1, "s"))


def test_register_dataclass_with_meta_fields():
    np = pytest.importorskip("numpy")
    import funcad as fad

    @dataclasses.dataclass
    class Layer:
        w: object
        b: object
        act: str
        n: int

    tree.register_dataclass(Layer, data_fields=["w", "b"], meta_fields=["act", "n"])
    lay = Layer(np.ones(2), np.zeros(2), "tanh", 2)
    assert len(tree.leaves(lay)) == 2
    assert tree.structure(lay) != tree.structure(Layer(np.ones(2), np.zeros(2), "relu", 2))
    g = fad.grad(lambda p: np.sum(getattr(np, p.act)(p.w) + p.b * p.n))(lay)
    assert (g.act, g.n) == ("tanh", 2)
    np.testing.assert_allclose(g.b, [2.0, 2.0])
    np.testing.assert_allclose(g.w, 1 - np.tanh(1.0) ** 2)
    with pytest.raises(ValueError, match=r"missing \['n'\]"):
        @dataclasses.dataclass
        class Bad:
            w: object
            n: int
        tree.register_dataclass(Bad, data_fields=["w"], meta_fields=[])


def test_register_dataclass_infers_static_fields_as_decorator():
    np = pytest.importorskip("numpy")

    @tree.register_dataclass
    @dataclasses.dataclass
    class Cfg:
        x: object
        name: str = dataclasses.field(default="a", metadata={"static": True})

    assert len(tree.leaves(Cfg(np.ones(1), "z"))) == 1
    assert tree.unflatten(tree.structure(Cfg(1.0, "z")), [2.0]) == Cfg(2.0, "z")

    @tree.register_dataclass(data_fields=["x"], meta_fields=["k"])
    @dataclasses.dataclass
    class Two:
        x: object
        k: int

    assert tree.leaves(Two(5.0, 3)) == [5.0]


def test_leaf_paths():
    Pt = collections.namedtuple("Pt", "x y")

    @tree.register_dataclass
    @dataclasses.dataclass
    class D:
        a: object

    assert tree.leaves_with_path({"w": [1, (2,)], "p": Pt(3, D(4))}) == [
        ("['p'].x", 3), ("['p'].y.a", 4), ("['w'][0]", 1), ("['w'][1][0]", 2)]


def test_mismatch_names_the_path():
    msg = tree.describe_mismatch(tree.structure({"a": [1, 2]}), tree.structure({"a": [1, (2,)]}),
                                 "params", "grads")
    assert "at ['a'][1] params has a leaf and grads has a tuple" in msg
    with pytest.raises(ValueError, match=r"keys differ: \['b'\] only in first"):
        tree.map(lambda a, b: a, {"a": 1, "b": 2}, {"a": 1})
