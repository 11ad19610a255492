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
