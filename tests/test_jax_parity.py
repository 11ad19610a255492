"""The transforms against JAX's on pytree arguments: same output structure, same values.

Each case runs one function body (written against an ``xp`` namespace) through a funcad
transform and through the JAX transform of the same name with the same arguments, and compares
the two results container by container (dict keys, tuple/list lengths) and leaf by leaf.
Skipped when JAX is not installed; CI's `parity` leg installs it and fails if they skip.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy


def _same(got, want, path="out"):
    """Assert funcad's ``got`` and JAX's ``want`` are the same pytree with close leaves."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: {type(got).__name__}, JAX gives a dict"
        assert sorted(got) == sorted(want), f"{path}: keys {sorted(got)} vs {sorted(want)}"
        for k in want:
            _same(got[k], want[k], f"{path}[{k!r}]")
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want), f"{path}: {type(got).__name__}, JAX gives a " \
                                         f"{type(want).__name__}"
        assert len(got) == len(want), f"{path}: {len(got)} entries vs {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{path}[{i}]")
    else:
        w = np.asarray(want)
        g = np.asarray(got)
        assert g.shape == w.shape, f"{path}: shape {g.shape} vs JAX {w.shape}"
        assert g.dtype == w.dtype, f"{path}: dtype {g.dtype} vs JAX {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=path)


rng = np.random.default_rng(0)
PARAMS = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
X = rng.normal(size=(4, 3))
A, B = rng.normal(size=3), rng.normal(size=2)
V = rng.normal(size=3)


def loss(params, x, xp):
    return xp.sum(xp.tanh(x @ params["w"] + params["b"]) ** 2)


def loss_aux(params, x, xp):
    h = xp.tanh(x @ params["w"] + params["b"])
    return xp.sum(h ** 2), {"h": h, "n": xp.sum(h)}


def two_out(a, b, xp):
    return a * b[0], {"s": xp.sum(a) * b, "p": xp.sin(a[:2]) * b}


def vec(x, xp):
    return xp.sin(x) * x[::-1] + xp.exp(x[0]) * x


def scal2(a, b, xp):
    return xp.sum(xp.sin(a) ** 2) * xp.prod(b) + a[0] * b[1]


def _both(name, body, *targs, **tkw):
    """The funcad and the JAX transform ``name`` of ``body``, with the same arguments."""
    f = getattr(fad, name)(lambda *a: body(*a, xp=np), *targs, **tkw)
    j = getattr(jax, name)(lambda *a: body(*a, xp=jnp), *targs, **tkw)
    return f, j


CALLS = [
    ("grad", loss, {}, (PARAMS, X)),
    ("grad", loss, {"argnums": (0, 1)}, (PARAMS, X)),
    ("grad", loss, {"argnums": 1}, (PARAMS, X)),
    ("value_and_grad", loss, {"argnums": (0,)}, (PARAMS, X)),
    ("value_and_grad", loss_aux, {"has_aux": True}, (PARAMS, X)),
    ("grad", loss_aux, {"has_aux": True, "argnums": (0, 1)}, (PARAMS, X)),
    ("jacfwd", two_out, {}, (A, B)),
    ("jacfwd", two_out, {"argnums": (0, 1)}, (A, B)),
    ("jacrev", two_out, {"argnums": (0, 1)}, (A, B)),
    ("jacrev", two_out, {"argnums": 1}, (A, B)),
    ("jacfwd", loss, {}, (PARAMS, X)),
    ("jacrev", loss, {"argnums": (0, 1)}, (PARAMS, X)),
    ("jacfwd", vec, {}, (V,)),
    ("jacrev", vec, {}, (V,)),
    ("hessian", loss, {}, (PARAMS, X)),
    ("hessian", loss, {"argnums": (0, 1)}, (PARAMS, X)),
    ("hessian", scal2, {"argnums": (0, 1)}, (A, B)),
    ("hessian", scal2, {"argnums": 1}, (A, B)),
    ("jacfwd", loss_aux, {"has_aux": True}, (PARAMS, X)),
    ("jacrev", loss_aux, {"has_aux": True, "argnums": (0, 1)}, (PARAMS, X)),
    ("hessian", loss_aux, {"has_aux": True}, (PARAMS, X)),
]


@pytest.mark.parametrize("name, body, kw, args", CALLS,
                         ids=[f"{c[0]}-{c[1].__name__}-{c[2]}" for c in CALLS])
def test_transform_matches_jax(name, body, kw, args):
    f, j = _both(name, body, **kw)
    _same(f(*args), j(*args))


def test_jacobian_matches_jax_jacrev_in_either_mode():
    for mode in (None, "fwd", "rev"):
        got = fad.jacobian(lambda a, b: two_out(a, b, np), argnums=(0, 1), mode=mode)(A, B)
        _same(got, jax.jacrev(lambda a, b: two_out(a, b, jnp), argnums=(0, 1))(A, B))


def test_jvp_and_vjp_match_jax():
    ta, tb = rng.normal(size=3), rng.normal(size=2)
    _same(fad.jvp(lambda a, b: two_out(a, b, np), (A, B), (ta, tb)),
          jax.jvp(lambda a, b: two_out(a, b, jnp), (A, B), (ta, tb)))
    out, pull = fad.vjp(lambda a, b: two_out(a, b, np), A, B)
    jout, jpull = jax.vjp(lambda a, b: two_out(a, b, jnp), A, B)
    _same(out, jout)
    ct = (rng.normal(size=3), {"s": rng.normal(size=2), "p": rng.normal(size=2)})
    _same(pull(ct), jpull(ct))
    out, pull, aux = fad.vjp(lambda p: loss_aux(p, X, np), PARAMS, has_aux=True)
    jout, jpull, jaux = jax.vjp(lambda p: loss_aux(p, X, jnp), PARAMS, has_aux=True)
    _same((out, aux, pull(1.0)), (jout, jaux, jpull(1.0)))


def test_linearize_matches_jax():
    t = rng.normal(size=3)
    y, f_jvp = fad.linearize(lambda x: vec(x, np), V)
    jy, jf_jvp = jax.linearize(lambda x: vec(x, jnp), V)
    _same((y, f_jvp(t)), (jy, jf_jvp(t)))


def test_hvp_matches_jax_forward_over_reverse():
    # funcad.hvp returns (f(x), H v); in JAX H v is the tangent of jvp(grad(f))
    value, hv = fad.hvp(lambda p: loss(p, X, np), (PARAMS,), (PARAMS,))
    g = jax.grad(lambda p: loss(p, X, jnp))
    _same((value, hv), (loss(PARAMS, X, jnp), jax.jvp(g, (PARAMS,), (PARAMS,))[1]))


VMAPS = [
    ((0, None), 0),
    ((None, 0), 0),
    ((0, 0), (0, {"s": 1, "p": 0})),
    ((0, None), (1, {"s": 0, "p": 1})),
]


@pytest.mark.parametrize("in_axes, out_axes", VMAPS)
def test_vmap_matches_jax(in_axes, out_axes):
    a = rng.normal(size=(5, 3))
    b = rng.normal(size=(5, 2))
    args = (a if in_axes[0] == 0 else A, b if in_axes[1] == 0 else B)
    f, j = _both("vmap", two_out, in_axes=in_axes, out_axes=out_axes)
    _same(f(*args), j(*args))


def test_vmap_of_grad_and_grad_of_vmap_match_jax():
    xs = rng.normal(size=(6, 4, 3))
    per_example = fad.vmap(fad.grad(lambda p, x: loss(p, x, np)), in_axes=(None, 0))(PARAMS, xs)
    _same(per_example, jax.vmap(jax.grad(lambda p, x: loss(p, x, jnp)), in_axes=(None, 0))(
        PARAMS, xs))
    total = fad.grad(lambda p: np.sum(fad.vmap(lambda x: loss(p, x, np))(xs)))(PARAMS)
    _same(total, jax.grad(lambda p: jnp.sum(jax.vmap(lambda x: loss(p, x, jnp))(xs)))(PARAMS))


# --- Taylor mode: fad.jet against jax.experimental.jet (primitives JAX's jet has rules for)

JET_CASES = [
    ("exp_sin", lambda x, xp: xp.exp(xp.sin(x))),
    ("tanh_log", lambda x, xp: xp.tanh(xp.log(1.0 + x * x))),
    ("quotient_sqrt", lambda x, xp: xp.sqrt(2.0 + x) / (1.0 + x * x)),
    ("power_cos", lambda x, xp: (1.5 + xp.cos(x)) ** 2.5),
    ("matmul_sum", lambda x, xp: xp.sum(xp.tanh(xp.outer(x, x) @ x) * x)),
    ("expm1_log1p", lambda x, xp: xp.expm1(x) * xp.log1p(x * x)),
]


@pytest.mark.parametrize("name, fn", JET_CASES, ids=[c[0] for c in JET_CASES])
def test_jet_matches_jax_experimental_jet(name, fn):
    from jax.experimental import jet as jjet
    x = np.array([0.3, -0.4, 0.7])
    series = [rng.normal(size=3) for _ in range(4)]
    y0, ys = fad.jet(lambda x: fn(x, np), (x,), (series,))
    j0, js = jjet.jet(lambda x: fn(x, jnp), (jnp.asarray(x),),
                      ([jnp.asarray(s) for s in series],))
    np.testing.assert_allclose(y0, np.asarray(j0), rtol=1e-12)
    for k, (a, b) in enumerate(zip(ys, js)):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-9, atol=1e-11,
                                   err_msg=f"{name}: term {k + 1}")
