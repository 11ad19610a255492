"""The rule record (prim.rules), the one tape layout, and rules keyed by primitive, not name."""

import os

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import extend as ex
from funcad._core import Tracer, new_trace, primitives
from funcad._onehot import MIN_SIZE
from funcad._reverse import INPUT, PROJ, RevTrace


@pytest.fixture
def restore_registry():
    """Primitives made here may reuse a real primitive's name: put the registry back."""
    saved = dict(primitives)
    yield
    primitives.clear()
    primitives.update(saved)


def test_every_rule_of_a_primitive_is_on_its_record():
    p = ex.Primitive("rec_cube", lambda x: x ** 3)
    ex.defjvp(p, lambda t, ans, x: 3 * x ** 2 * t)
    ex.defvjp(p, lambda g, _ans, x: 3 * x ** 2 * g, keep=(True,))
    ex.batch_elementwise(p)
    r = p.rules
    assert isinstance(r, ex.Rules) and isinstance(r.vjp, ex.VJPRule)
    assert r.jvp is not None and r.batch is not None and r.elementwise
    assert r.vjp.keep == (True,) and r.vjp.keep_ans is False
    assert r.linear is None and r.sparse is None and r.sparsity is None and r.taylor is None
    # the old tables are views of the records
    assert ex.jvp_rules[p] is r.jvp and ex.vjp_rules[p] is r.vjp and ex.batch_rules[p] is r.batch
    assert p not in ex.linear_in
    assert float(fad.grad(p)(2.0)) == 12.0


def test_the_table_views_write_into_the_record():
    p = ex.Primitive("rec_view", np.negative)
    rule = lambda vals, dims: p(vals[0])            # noqa: E731
    ex.batch_rules[p] = rule
    assert p.rules.batch is rule
    del ex.batch_rules[p]
    assert p.rules.batch is None and p not in ex.batch_rules
    with pytest.raises(KeyError):
        ex.batch_rules[p]


def test_a_primitive_named_like_a_builtin_does_not_get_its_sparse_rule(restore_registry):
    # sparse Jacobian-basis rules were keyed by the name "multiply": a different primitive of
    # that name was taken for x * c, and jacfwd returned c instead of 2 c on the diagonal
    twice = ex.Primitive("multiply", lambda x, c: 2 * x * c)
    ex.defjvp(twice, lambda t, ans, x, c: twice(t, c), None)
    ex.defvjp(twice, lambda g, ans, x, c: twice(g, c), None)
    ex.batch_elementwise(twice)
    n = MIN_SIZE + 8                               # large enough for a sparse basis
    x = np.linspace(0.0, 1.0, n)
    jac = fad.jacfwd(lambda x: twice(x, 3.0))(x)
    assert np.allclose(jac, 6.0 * np.eye(n))
    assert np.allclose(fad.jacrev(lambda x: twice(x, 3.0))(x), 6.0 * np.eye(n))


def test_a_declared_sparse_rule_is_used():
    calls = []
    p = ex.Primitive("rec_scale", np.multiply)
    ex.defjvp(p, lambda t, ans, x, c: p(t, c), None)
    ex.batch_elementwise(p)
    scale = ex.sparse_rules.scale(np.multiply)

    def rule(vals, dims, params, size):
        calls.append(type(vals[0]).__name__)
        return scale(vals, dims, params, size)

    ex.defsparse(p, rule)
    n = MIN_SIZE + 8
    jac = fad.jacfwd(lambda x: p(x, 2.0))(np.ones(n))
    assert np.allclose(jac, 2.0 * np.eye(n)) and calls == ["OneHotRows"]


def test_checkpoint_dots_policy_is_declared_per_primitive(restore_registry):
    pol = fad.checkpoint_policies.dots_saveable
    # the names tensordot / dot_general named no primitive; one made with such a name is
    # not a matrix product unless declared
    assert not pol(ex.Primitive("tensordot", np.tensordot))
    mine = ex.Primitive("rec_dot", np.dot)
    assert not pol(mine)
    ex.def_dot(mine)
    assert pol(mine)
    from funcad.numpy._products import einsum_p, matmul_p
    assert pol(matmul_p) and pol(einsum_p)


def _layout_ok(tape) -> bool:
    for e in tape.entries:
        if e[0] is INPUT:
            ok = e == (INPUT, None, None)
        elif e[0] is PROJ:
            ok = len(e) == 5 and isinstance(e[1], int) and isinstance(e[3], int)
        else:
            ok = len(e) % 2 == 1 and all(isinstance(p, int) for p in e[3::2])
        if not ok:
            return False
    return True


@pytest.mark.parametrize("record", [False, True])
def test_one_tape_layout_for_grad_and_make_tape(record):
    x = np.linspace(0.1, 0.9, 4)
    with new_trace(RevTrace, record) as t:
        xi = t.new_input(x)
        y = fnp.sum(fnp.sin(xi) * x + fnp.stack([xi, xi, xi]).sum(axis=0) + xi ** 2)
        q, r = fnp.linalg.qr(fnp.outer(xi, xi) + np.eye(4))    # several results: PROJ entries
        y = y + fnp.sum(q) + fnp.sum(r)
    assert _layout_ok(t.tape)
    assert any(e[0] is PROJ for e in t.tape.entries)
    assert any(len(e) > 7 for e in t.tape.entries)         # stack: three operands


def test_tracer_classes_share_one_aval():
    import funcad._checkpoint  # noqa: F401 - its tracer class too
    import funcad._linearize  # noqa: F401

    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)

    own = [c.__qualname__ for c in subclasses(Tracer) if "aval" in c.__dict__]
    assert own == []
    x = np.ones((2, 3), np.float32)
    seen = []
    fad.vmap(lambda v: seen.append(v.aval) or v)(x)
    fad.grad(lambda v: seen.append(v.aval) or fnp.sum(v))(x)
    assert [(a.shape, a.dtype) for a in seen] == [((3,), np.float32), ((2, 3), np.float32)]


def test_a_vjp_rule_reading_an_operand_declared_unread_names_the_declaration():
    import funcad as fad
    from funcad import extend as ex
    p = ex.Primitive("sin_declared_unread", np.sin)
    ex.defjvp(p, lambda t, ans, x: np.cos(x) * t)
    ex.defvjp(p, lambda g, ans, x: g * np.cos(x), keep=False)
    with pytest.raises(TypeError, match="declared it unread .*keep=False"):
        fad.grad(lambda x: p(x))(1.0)


def test_a_vjp_rule_naming_ans_receives_the_output():
    # it used to get None unless keep_ans=True was passed as well
    p = ex.Primitive("ans_exp", np.exp)
    ex.defvjp(p, lambda g, ans, x: g * ans, keep=False)
    assert p.rules.vjp.keep_ans is True
    assert np.isclose(fad.grad(p)(1.5), np.exp(1.5))
    q = ex.Primitive("ans_exp_argnum", np.exp)
    ex.defvjp_argnum(q, lambda j, g, ans, x: g * ans, keep=False)
    assert q.rules.vjp.keep_ans is True
    assert np.isclose(fad.grad(q)(0.5), np.exp(0.5))


def test_a_vjp_rule_naming_its_output_otherwise_does_not_keep_it():
    p = ex.Primitive("ans_sin", np.sin)
    ex.defvjp(p, lambda g, _ans, x: g * fnp.cos(x))
    assert p.rules.vjp.keep_ans is False
    q = ex.Primitive("ans_sin_explicit", np.sin)
    ex.defvjp(q, lambda g, ans, x: g * fnp.cos(x), keep_ans=False)   # explicit wins
    assert q.rules.vjp.keep_ans is False
    assert np.isclose(fad.grad(q)(0.3), np.cos(0.3))


def _reads(fn, name):
    import dis
    for ins in dis.get_instructions(fn):
        v = ins.argval
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")) and (
                v == name or (isinstance(v, tuple) and name in v)):
            return True
    return False


def test_every_funcad_vjp_rule_that_keeps_the_output_reads_it():
    # the tape stores an output only for a rule that reads it: a rule naming `ans`
    # without reading it would keep an array alive for nothing (name it `_ans`)
    import gc

    import funcad.numpy.fft  # noqa: F401
    import funcad.numpy.linalg  # noqa: F401
    ROOT = os.path.dirname(fad.__file__)
    wasted = []
    for p in [o for o in gc.get_objects() if isinstance(o, ex.Primitive)]:
        v = p.rules.vjp
        if v is None or not v.keep_ans or p.multiple_results or p.name.startswith("ans_"):
            continue
        fns = [f for f in (*(v.per_operand or ()), v.any_operand) if hasattr(f, "__code__")
               and f.__code__.co_filename.startswith(ROOT)]   # funcad's own rules
        named = any("ans" in f.__code__.co_varnames[1:3] for f in fns)
        if named and not any(_reads(f, "ans") for f in fns):
            wasted.append(p.name)
    assert not wasted, wasted
