"""The transforms' semantics: pytrees, argnums, has_aux, shapes, dtypes, and bad input."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp


def loss(params, x, y):
    w, b = params["w"], params["b"]
    return np.mean((np.tanh(x @ w + b) - y) ** 2)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    return params, rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def test_grad_of_dict_params_matches_finite_differences(data):
    params, x, y = data
    g = fad.grad(loss)(params, x, y)
    assert set(g) == {"w", "b"}
    gw = _fd_grad(lambda w: loss({"w": w, "b": params["b"]}, x, y), params["w"])
    np.testing.assert_allclose(g["w"], gw, rtol=1e-6, atol=1e-9)


def test_value_and_grad_argnums_tuple(data):
    params, x, y = data
    v, (gp, gx) = fad.value_and_grad(loss, argnums=(0, 1))(params, x, y)
    assert np.isclose(v, loss(params, x, y))
    assert gx.shape == x.shape and gp["w"].shape == (3, 2)
    np.testing.assert_allclose(gx, _fd_grad(lambda xx: loss(params, xx, y), x), rtol=1e-6,
                               atol=1e-9)


def test_has_aux():
    g, aux = fad.grad(lambda x: (np.sum(x ** 2), {"norm": np.sqrt(np.sum(x ** 2))}),
                      has_aux=True)(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g, [6.0, 8.0])
    assert isinstance(aux["norm"], (float, np.floating, np.ndarray)) and np.isclose(aux["norm"], 5)
    (v, aux2), g2 = fad.value_and_grad(lambda x: (x * 2, x), has_aux=True)(1.5)
    assert v == 3.0 and aux2 == 1.5 and g2 == 2.0


def test_negative_argnums_and_kwargs():
    f = lambda a, b, scale=1.0: scale * a * b ** 2  # noqa: E731
    assert fad.grad(f, argnums=-1)(2.0, 3.0, scale=2.0) == 24.0


def test_jvp_vjp_pytrees():
    Point = collections.namedtuple("Point", "x y")

    def f(p):
        return {"r": np.sqrt(p.x ** 2 + p.y ** 2), "prod": p.x * p.y}

    p = Point(np.array(3.0), np.array(4.0))
    out, t = fad.jvp(f, (p,), (Point(np.array(1.0), np.array(0.0)),))
    assert np.isclose(out["r"], 5.0) and np.isclose(t["r"], 0.6) and np.isclose(t["prod"], 4.0)
    out, f_vjp = fad.vjp(f, p)
    (ct,) = f_vjp({"r": np.array(1.0), "prod": np.array(0.0)})
    assert isinstance(ct, Point) and np.isclose(ct.x, 0.6) and np.isclose(ct.y, 0.8)


def test_jacobian_shapes_follow_jax():
    f = lambda x: np.outer(x, x)  # noqa: E731
    x = np.arange(1.0, 4.0)
    for jac in (fad.jacfwd, fad.jacrev, fad.jacobian):
        assert jac(f)(x).shape == (3, 3, 3)
    g = lambda d: {"s": d["a"] * d["b"][0], "v": d["b"] * 2}  # noqa: E731
    j = fad.jacrev(g)({"a": np.array(2.0), "b": np.ones(3)})
    assert j["s"]["a"].shape == () and j["s"]["b"].shape == (3,)
    assert j["v"]["b"].shape == (3, 3) and j["v"]["a"].shape == (3,)
    jf = fad.jacfwd(g)({"a": np.array(2.0), "b": np.ones(3)})
    for k in ("s", "v"):
        for k2 in ("a", "b"):
            np.testing.assert_allclose(jf[k][k2], j[k][k2])


def test_jacobian_picks_mode_and_chunking_agrees():
    wide = lambda x: np.tanh(x[:2] * x.sum())  # noqa: E731  (10 -> 2: reverse)
    tall = lambda x: np.outer(x, np.sin(x)).ravel()  # noqa: E731  (3 -> 9: forward)
    x10, x3 = np.linspace(0.1, 1.0, 10), np.array([0.3, -0.2, 0.5])
    for f, x in ((wide, x10), (tall, x3)):
        j = fad.jacobian(f)(x)
        np.testing.assert_allclose(j, fad.jacfwd(f)(x), atol=1e-12)
        np.testing.assert_allclose(j, fad.jacrev(f, chunk_size=2)(x), atol=1e-12)
        np.testing.assert_allclose(j, fad.jacfwd(f, chunk_size=3)(x), atol=1e-12)
        np.testing.assert_allclose(j, fad.jacobian(f, mode="fwd")(x), atol=1e-12)


def test_float32_stays_float32():
    x = np.array([1.0, 2.0], np.float32)
    assert fad.grad(lambda x: np.sum(np.sin(x) * 2.5))(x).dtype == np.float32
    assert fad.jvp(np.tanh, (x,), (np.ones(2, np.float32),))[1].dtype == np.float32
    assert fad.hessian(lambda x: np.sum(x ** 3))(x).dtype == np.float32
    assert fad.grad(lambda x: np.sum(np.maximum(x, 1.5)))(x).dtype == np.float32


def test_python_scalars_and_0d_inputs():
    assert fad.grad(lambda x: x ** 2)(3.0) == 6.0
    assert fad.grad(lambda x: x ** 2)(np.float64(3.0)) == 6.0
    assert fad.grad(lambda x: x ** 2)(np.array(3.0)) == 6.0


def test_inputs_are_never_mutated():
    x = np.array([1.0, 2.0, 3.0])
    keep = x.copy()

    def f(x):
        x[0] = 10.0
        x[1:] = x[1:] * 2
        return np.sum(x ** 2)

    g = fad.grad(f)(x)
    np.testing.assert_array_equal(x, keep)
    np.testing.assert_allclose(g, [0.0, 16.0, 24.0])


def test_plain_numpy_and_funcad_numpy_spellings_agree():
    def with_np(x):
        return np.sum(np.exp(-x ** 2) * np.cos(x) / (1 + np.abs(x))) + np.max(x) * np.mean(x)

    def with_fnp(x):
        return (fnp.sum(fnp.exp(-x ** 2) * fnp.cos(x) / (1 + fnp.abs(x)))
                + fnp.max(x) * fnp.mean(x))

    x = np.array([0.3, -1.2, 2.0, 0.7])
    np.testing.assert_array_equal(fad.grad(with_np)(x), fad.grad(with_fnp)(x))
    np.testing.assert_array_equal(fad.hessian(with_np)(x), fad.hessian(with_fnp)(x))


def test_python_control_flow_on_concrete_values():
    def f(x):
        y = x
        while np.sum(y ** 2) < 100.0:
            y = y * 2
        return np.sum(y) if y[0] > 0 else -np.sum(y)

    assert fad.grad(f)(np.array([1.0, 1.0]))[0] == 8.0


def test_stop_gradient():
    f = lambda x: x * fad.stop_gradient(x)  # noqa: E731
    assert fad.grad(f)(3.0) == 3.0
    assert fad.grad(fad.grad(lambda x: fad.stop_gradient(x) * x ** 2))(2.0) == 4.0
    assert fad.jvp(f, (3.0,), (1.0,))[1] == 3.0


def test_hvp_matches_hessian():
    f = lambda x: np.sum(np.sin(x) * x ** 2)  # noqa: E731
    x, v = np.array([0.1, 0.5, -0.3]), np.array([1.0, -2.0, 0.5])
    y, hv = fad.hvp(f, (x,), (v,))
    assert np.isclose(y, f(x))
    np.testing.assert_allclose(hv, fad.hessian(f)(x) @ v, rtol=1e-12)


def test_vjp_fn_can_be_called_repeatedly():
    y, f_vjp = fad.vjp(lambda x: x ** 2, np.array([1.0, 2.0]))
    a = f_vjp(np.ones(2))[0]
    b = f_vjp(np.ones(2))[0]
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# errors: state the rule, show the value, name the way out
# ---------------------------------------------------------------------------

def test_grad_of_nonscalar_output():
    with pytest.raises(TypeError, match=r"scalar output, got shape \(3,\).*jacrev or jacfwd"):
        fad.grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_integer_input():
    with pytest.raises(TypeError, match=r"grad: x has dtype int64.*1\.0 instead of 1"):
        fad.grad(lambda x: x * 2.0)(np.array(3))
    with pytest.raises(TypeError, match="float or complex"):
        fad.grad(lambda x: x * 2.0)(3)


def test_bad_argnums():
    with pytest.raises(ValueError, match=r"argnums=2 is out of range.*2 positional"):
        fad.grad(lambda a, b: a * b, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be ints"):
        fad.grad(lambda a: a, argnums=("a",))(1.0)


def test_mismatched_tangents():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\) but its primal has shape "
                                         r"\(3,\)"):
        fad.jvp(np.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="tangent 0 has dtype int64"):
        fad.jvp(np.sin, (np.ones(3),), (np.ones(3, int),))
    with pytest.raises(ValueError, match="different structures"):
        fad.jvp(lambda a: a["x"], ({"x": np.ones(2)},), ({"y": np.ones(2)},))
    with pytest.raises(TypeError, match="must be tuples"):
        fad.jvp(np.sin, np.ones(3), np.ones(3))


def test_vjp_cotangent_structure_and_shape():
    _, f_vjp = fad.vjp(lambda x: (x, x * 2), np.ones(2))
    with pytest.raises(ValueError, match="structure differs"):
        f_vjp(np.ones(2))
    with pytest.raises(ValueError, match=r"cotangent leaf 1 has shape \(3,\)"):
        f_vjp((np.ones(2), np.ones(3)))


def test_escaped_tracer():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2

    fad.grad(f)(1.0)
    with pytest.raises(fad.EscapedTracerError, match=r"vjp \(level \d+\).*after that transform"):
        fad.grad(lambda y: y * leaked[0])(2.0)


def test_writing_tracer_into_plain_array():
    def f(x):
        a = np.zeros(3)
        a[0] = x
        return a.sum()

    with pytest.raises(fad.ConcretizationError, match=r"funcad\.numpy\.zeros.*\.at\[0\]\.set"):
        fad.grad(f)(1.0)


def test_float_of_tracer_and_asarray():
    with pytest.raises(fad.ConcretizationError, match="float"):
        fad.grad(lambda x: float(x) * 2)(1.0)
    with pytest.raises(fad.TracerArrayConversionError, match="funcad.numpy.asarray"):
        fad.grad(lambda x: np.asarray(x).sum())(np.ones(2))


def test_unsupported_function_is_named():
    with pytest.raises(fad.UnsupportedFunctionError, match="copyto"):
        fad.grad(lambda x: np.copyto(np.zeros(2), x))(np.ones(2))


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="has_aux=True needs"):
        fad.grad(lambda x: x, has_aux=True)(1.0)


def test_complex_output_to_grad_without_holomorphic():
    with pytest.raises(TypeError, match="holomorphic=True"):
        fad.grad(lambda x: x * (1 + 1j))(1.0)


def test_exception_inside_trace_leaves_no_level_behind():
    from funcad._core import active_traces

    def bad(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fad.grad(bad)(1.0)
    with pytest.raises(RuntimeError):
        fad.jacfwd(bad)(np.ones(2))
    assert active_traces() == []
    assert fad.grad(np.sin)(0.0) == 1.0


def test_funcad_zeros_inside_a_transform_can_be_written_into():
    def f(x):
        a = fnp.zeros(3)
        a[0] = x
        a[2] = x ** 2
        return (a * a).sum()

    for d in (fad.grad(f), fad.jacfwd(f), fad.jacrev(f)):
        assert np.isclose(d(2.0), 2 * 2.0 + 4 * 2.0 ** 3)
    np.testing.assert_allclose(fad.vmap(fad.grad(f))(np.array([1.0, 2.0])), [6.0, 36.0])
    assert np.isclose(fad.hessian(f)(2.0), 2 + 12 * 4.0)
    assert isinstance(fnp.zeros(2), np.ndarray)   # outside transforms: plain NumPy


# ---------------------------------------------------------------------------
# errors that name what the user wrote (issue 13, section 4)
# ---------------------------------------------------------------------------

def test_grad_names_the_leaf_that_is_not_an_array():
    def loss(params, x):
        return np.sum(params["w"] * x)

    params = {"w": np.ones(2), "name": "abc"}
    for t in (fad.grad, fad.value_and_grad, fad.jacrev, fad.jacfwd, fad.hessian):
        with pytest.raises(TypeError, match=r"params\['name'\] is a str \('abc'\), not an "
                                            r"array; .*argnums"):
            t(loss)(params, 2.0)
    with pytest.raises(TypeError, match=r"grad: xs\[1\] is a str"):
        fad.grad(lambda *xs: xs[0], argnums=(0, 1))(1.0, "a")
    with pytest.raises(TypeError, match=r"grad: layers\[0\]\['b'\] has dtype int64"):
        fad.grad(lambda layers: layers[0]["w"])([{"w": 1.0, "b": 2}])


def test_grad_of_a_pair_suggests_has_aux():
    f = lambda x: (np.sum(x ** 2), x)                       # noqa: E731
    with pytest.raises(TypeError, match=r"returned a tuple of 2 .*if the second is auxiliary "
                                        r"data, use grad\(f, has_aux=True\)"):
        fad.grad(f)(np.ones(2))
    with pytest.raises(TypeError, match=r"use value_and_grad\(f, has_aux=True\)"):
        fad.value_and_grad(f)({"a": np.ones(2)}["a"])
    with pytest.raises(TypeError, match=r"returned a list of 2"):
        fad.grad(lambda p: [np.sum(p["w"]), 1.0])({"w": np.ones(2)})
    g, aux = fad.grad(f, has_aux=True)(np.ones(2))          # the fix works
    np.testing.assert_allclose(g, [2.0, 2.0])


def test_optimizer_tree_mismatch_names_the_leaf():
    from funcad import optim
    opt = optim.adam(0.1)
    params = {"w": np.zeros(3), "b": {"x": np.zeros(2)}}
    state = opt.init(params)
    with pytest.raises(optim.TreeMismatchError,
                       match=r"(?s)updates: .*state \(from init\): .*at \['b'\] updates has a "
                             r"tuple and state \(from init\) has a dict"):
        opt.update({"w": np.zeros(3), "b": (np.zeros(2),)}, state, params)
    with pytest.raises(optim.TreeMismatchError, match=r"at \['b'\] the keys differ: \['y'\] "
                                                      r"only in updates, \['x'\] only in"):
        opt.update({"w": np.zeros(3), "b": {"y": np.zeros(2)}}, state, params)


def test_make_tape_labels_inputs_with_parameter_names():
    def net(params, x, *rest):
        return np.sum(np.tanh(x @ params["w"] + params["b"])) + rest[0]

    params = {"w": np.ones((3, 2)), "b": np.zeros(2)}
    tape = fad.make_tape(net)(params, np.ones(3), 1.0)
    inputs = [line for line in str(tape).splitlines() if "= input" in line]
    assert inputs == ["%0 = input params['b']  -> f64[2]", "%1 = input params['w']  -> f64[3,2]",
                      "%2 = input x  -> f64[3]", "%3 = input rest[0]  -> f64[]"]
    assert 'label="%2 input x"' in tape.to_dot()
    # a transform keeps the names (functools.wraps), and an unnamed signature falls back
    g_tape = fad.make_tape(fad.grad(lambda x, y: np.sum(x * y)))(np.ones(2), np.ones(2))
    assert str(g_tape).splitlines()[:2] == ["%0 = input x  -> f64[2]", "%1 = input y  -> f64[2]"]


# ---------------------------------------------------------------------------
# scipy.optimize interop: hessp
# ---------------------------------------------------------------------------

def _rosen(x, a=1.0):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


def test_hessp_is_hessian_times_p():
    rng = np.random.default_rng(0)
    x, p = rng.standard_normal(4), rng.standard_normal(4)
    np.testing.assert_allclose(fad.hessp(_rosen)(x, p, 2.0), fad.hessian(_rosen)(x, 2.0) @ p,
                               rtol=1e-12)
    # x at another position, the other arguments passed through
    f2 = lambda a, x: _rosen(x, a)                                  # noqa: E731
    np.testing.assert_allclose(fad.hessp(f2, argnums=1)(x, p, 2.0),
                               fad.hessian(_rosen)(x, 2.0) @ p, rtol=1e-12)
    # p given as a list of ints (scipy passes arrays; users may not)
    np.testing.assert_allclose(fad.hessp(_rosen)(x, [1, 0, 0, 0]), fad.hessian(_rosen)(x)[:, 0])
    assert fad.hessp(_rosen).__name__ == "hessp(_rosen)"


def test_hessp_with_scipy_minimize():
    optimize = pytest.importorskip("scipy.optimize")
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    for method in ("trust-ncg", "trust-krylov", "newton-cg"):
        res = optimize.minimize(_rosen, x0, method=method, jac=fad.grad(_rosen),
                                hessp=fad.hessp(_rosen))
        assert res.success, (method, res.message)
        np.testing.assert_allclose(res.x, np.ones(4), atol=1e-4)
    x = np.array([0.3, -0.2, 1.5, 0.7])
    np.testing.assert_allclose(fad.hessp(_rosen)(x, np.arange(4.0)),
                               optimize.rosen_hess_prod(x, np.arange(4.0)), rtol=1e-12)


# ---------------------------------------------------------------------------
# jacobian's mode choice (docs/performance.md, "jacobian: forward or reverse")
# ---------------------------------------------------------------------------

def _mode_seen(f, x, **kw):
    """Which tracers ``fad.jacobian`` fed to ``f``: 'fwd', 'rev' or both."""
    from funcad._forward import JVPTracer
    from funcad._reverse import RevTracer
    seen = set()

    def spy(y):
        seen.add("fwd" if isinstance(y, JVPTracer) else "rev" if isinstance(y, RevTracer)
                 else "plain")
        return f(y)
    J = fad.jacobian(spy, **kw)(x)
    np.testing.assert_allclose(J, fad.jacrev(f)(x), rtol=1e-12, atol=1e-15)
    return seen - {"plain"}


def robertson(y):
    return fad.numpy.stack([-0.04 * y[0] + 1e4 * y[1] * y[2],
                            0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2,
                            3e7 * y[1] ** 2])


def test_jacobian_takes_forward_mode_for_small_square_jacobians():
    y = np.array([1.0, 2e-5, 1e-2])
    assert _mode_seen(robertson, y) == {"fwd"}            # solve_ivp's jac: square, small
    x = np.linspace(0.1, 0.9, fad._jacobians.FWD_MAX_INPUTS)
    assert _mode_seen(lambda x: np.tanh(x[::-1] * x), x) == {"fwd"}
    assert _mode_seen(lambda x: np.sum(x ** 2), x) == {"rev"}             # wide: reverse
    assert _mode_seen(lambda x: np.outer(x, x)[:3], x[:2]) == {"fwd"}     # tall: forward
    big = np.linspace(0.1, 0.9, fad._jacobians.FWD_MAX_INPUTS + 1)
    assert _mode_seen(lambda x: np.tanh(x[::-1] * x), big) == {"rev"}     # large square
    assert _mode_seen(robertson, y, mode="rev") == {"rev"}


def test_jacobian_forward_choice_keeps_aux_pytrees_and_errors():
    y = np.array([1.0, 2e-5, 1e-2])
    J, aux = fad.jacobian(lambda y: (robertson(y), {"n": y.sum()}), has_aux=True)(y)
    np.testing.assert_allclose(J, fad.jacrev(robertson)(y))
    assert float(aux["n"]) == pytest.approx(y.sum())
    Jd = fad.jacobian(lambda p: {"a": p["u"] * 2.0, "b": p["u"][:1]})({"u": np.ones(2)})
    np.testing.assert_allclose(Jd["a"]["u"], 2 * np.eye(2))
    with pytest.raises(TypeError, match="jacobian: output has dtype int64"):
        fad.jacobian(lambda x: np.arange(3))(np.ones(3))
    # complex input, real output: reverse mode (forward needs holomorphic=True)
    z = np.array([1.0 + 1.0j, 2.0])
    np.testing.assert_allclose(fad.jacobian(lambda z: np.abs(z) ** 2)(z).shape, (2, 2))


def test_array_like_leaves_still_differentiate():
    class ArrayLike:                               # e.g. a pandas Series: has __array__
        def __init__(self, v):
            self.v = v

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.v, dtype=dtype)

    g = fad.grad(lambda p: np.sum(p["a"] ** 2))({"a": ArrayLike([1.0, 2.0]), "b": 1.0})
    np.testing.assert_allclose(g["a"], [2.0, 4.0])
    with pytest.raises(TypeError, match=r"grad: p\['a'\] is an object \(<object"):
        fad.grad(lambda p: p["b"])({"a": object(), "b": 1.0})


def test_subpackages_are_reachable_from_the_package():
    """``import funcad`` is enough for ``funcad.optim.adam``, as in JAX/optax code."""
    import subprocess
    import sys
    code = ("import funcad; print(funcad.optim.adam.__name__, funcad.nn.__name__, "
            "funcad.extend.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["adam", "funcad.nn", "funcad.extend"]
    with pytest.raises(AttributeError, match="no attribute 'optimm'"):
        fad.optimm   # noqa: B018
