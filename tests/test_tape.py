"""Tape introspection: make_tape(...).to_dot(), saved_residuals / print_saved_residuals."""

from __future__ import annotations

import doctest
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

import funcad as fad

RNG = np.random.default_rng(3)
W1 = RNG.standard_normal((4, 3))
W2 = RNG.standard_normal((1, 4))
X = RNG.standard_normal(3)


def loss(W1, W2, x):
    h = np.tanh(W1 @ x)
    return np.sum((W2 @ h - 1.0) ** 2)


def test_dot_has_a_node_per_entry_and_an_edge_per_traced_operand():
    tape = fad.make_tape(loss)(W1, W2, X)
    dot = tape.to_dot()
    assert dot.startswith("digraph tape {") and dot.rstrip().endswith("}")
    for e in tape:
        assert re.search(rf'^  n{e["index"]} \[label="%{e["index"]} ', dot, re.M)
    n_edges = sum(p >= 0 for e in tape for p in e["parents"])
    assert len(re.findall(r"^  n\d+ -> n\d+ ", dot, re.M)) == n_edges
    assert 'n0 -> n3 [label="f64[4,3]"]' in dot             # W1 feeds the first matmul
    assert 'out0 [label="output 0\\nf64[]"' in dot
    assert "c6_1 -> n6;" in dot                               # the constant 1.0


def test_backward_pass_is_on_the_tape_of_grad():
    fwd = fad.make_tape(loss)(W1, W2, X)
    both = fad.make_tape(fad.grad(loss, argnums=(0, 1)))(W1, W2, X)
    ops = [e["op"] for e in both]
    assert ops[:len(fwd)] == [e["op"] for e in fwd]           # the forward pass first
    back = ops[len(fwd):]
    assert back.count("matmul") == 1 and "transpose" in back  # W2^T g, then tanh' and outer
    assert len(both.outputs) == 2
    g1, g2 = fad.grad(loss, argnums=(0, 1))(W1, W2, X)
    np.testing.assert_allclose(both.value[0], g1)
    np.testing.assert_allclose(both.value[1], g2)


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
def test_dot_output_is_valid_graphviz():
    fns = [lambda a: np.einsum("ij,j->i", a, X), lambda a: fad.grad(lambda w: loss(w, W2, X))(a)]
    for f in fns:
        text = fad.make_tape(f)(W1).to_dot()
        r = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        assert "<svg" in r.stdout


def test_saved_residuals_lists_each_array_once_with_bytes():
    rows = fad.saved_residuals(loss, W1, W2, X)
    by_src = {r["source"]: r for r in rows}
    assert by_src["argument 0"]["shape"] == (4, 3)
    assert by_src["argument 0"]["bytes"] == 96
    assert by_src["argument 0"]["dtype"] == np.float64
    assert by_src["output of tanh (%4)"]["kept_by"] == ["tanh (%4)", "matmul (%5)"]
    assert len({r["source"] for r in rows}) == len(rows)


def test_print_saved_residuals(capsys):
    fad.print_saved_residuals(loss, W1, W2, X)
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "total: 200 B in 6 arrays"
    assert out[0].split()[:3] == ["f64[4,3]", "96", "B"]
    fad.print_saved_residuals(lambda x: x * 2.0, X)   # linear in x: nothing worth keeping
    assert capsys.readouterr().out.strip() == "nothing saved"


def test_custom_vjp_residuals_are_labelled():
    @fad.custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), np.cos(x)), lambda c, g: (c * g,))
    srcs = [r["source"] for r in fad.saved_residuals(lambda x: np.sum(f(x)), X)]
    assert "residual 0 of fwd (custom_vjp_call %1)" in srcs
    text = str(fad.make_tape(lambda x: np.sum(f(x)))(X))
    assert "custom_vjp_call(%0; call=f)" in text


@pytest.mark.parametrize("page", ["tape.md", "custom-rules.md"])
def test_docs_pages_run_as_doctests(page):
    path = pathlib.Path(__file__).parent.parent / "docs" / page
    res = doctest.testfile(str(path), module_relative=False,
                           optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 5
