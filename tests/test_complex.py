"""Complex numbers: JAX's convention (VJP = transpose of the JVP, no conjugation), holomorphic=True,
and complex-aware elementwise functions, checked against finite differences."""

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _core
from funcad._core import Primitive
from funcad._forward import defjvp, jvp_rules
from funcad._reverse import defvjp, vjp_rules

Z = np.array([1.0 + 2.0j, -0.5 + 0.7j, 1.5 - 1.2j])


# ---------------------------------------------------------------------------
# the convention
# ---------------------------------------------------------------------------

def test_grad_of_real_function_is_conjugate_ascent_direction():
    # JAX's documented example: f(z) = |z|^2 -> grad = 2 conj(z)
    z = 3.0 + 4.0j
    assert complex(fad.grad(lambda z: fnp.real(z) ** 2 + fnp.imag(z) ** 2)(z)) == 6 - 8j
    np.testing.assert_allclose(fad.grad(lambda z: fnp.sum(fnp.abs(z) ** 2))(Z), 2 * np.conj(Z))


def test_grad_of_real_part_of_holomorphic_is_the_derivative():
    # the ascent direction of real(f) is conj(f'(z)); grad returns its conjugate, f'(z)
    g = fad.grad(lambda z: fnp.sum(fnp.real(fnp.exp(z))))(Z)
    np.testing.assert_allclose(g, np.exp(Z))


def test_vjp_is_transpose_without_conjugation():
    c = 2.0 - 1.0j
    _, f_vjp = fad.vjp(lambda z: c * z, Z)
    np.testing.assert_allclose(f_vjp(np.ones(3, complex))[0], c * np.ones(3))
    # real input, complex output: the cotangent of a real input is real
    x = np.array([0.3, 1.2])
    _, f_vjp = fad.vjp(lambda x: x * c, x)
    ct = np.array([1.0 + 1.0j, 2.0 - 1.0j])
    got = f_vjp(ct)[0]
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.real(ct * c))


def test_grad_of_real_input_through_complex_intermediates():
    x = np.array([0.3, 1.2])
    g = fad.grad(lambda x: fnp.sum(fnp.real(fnp.exp(1j * x)) + fnp.imag(fnp.abs(x + 1j) * 1j)))(x)
    np.testing.assert_allclose(g, -np.sin(x) + x / np.abs(x + 1j))
    assert g.dtype == np.float64


def test_check_grads_rejects_a_conjugated_vjp():
    # test the tester: the Hermitian adjoint is *not* this package's VJP
    p = Primitive("test.times_c_conj_vjp", lambda z: (2 + 1j) * z)
    try:
        defjvp(p, lambda t, ans, z: (2 + 1j) * t)
        defvjp(p, lambda g, ans, z: np.conj(2 + 1j) * g)
        with pytest.raises(AssertionError, match="VJP"):
            fad.check_grads(p, (Z,), order=1, modes=("rev",))
    finally:   # keep the global rule tables clean for the completeness tests
        _core.primitives.pop(p.name, None)
        jvp_rules.pop(p, None)
        vjp_rules.pop(p, None)


# ---------------------------------------------------------------------------
# holomorphic=True and its errors (as JAX)
# ---------------------------------------------------------------------------

def test_holomorphic_derivatives():
    z = 0.5 + 1.0j
    assert np.isclose(complex(fad.grad(lambda z: z ** 3, holomorphic=True)(z)), 3 * z ** 2)
    want = np.diag(np.cos(Z))
    for jac in (fad.jacfwd, fad.jacrev, fad.jacobian):
        np.testing.assert_allclose(jac(fnp.sin, holomorphic=True)(Z), want, atol=1e-14)
    h = fad.hessian(lambda z: fnp.sum(z ** 3), holomorphic=True)(Z)
    np.testing.assert_allclose(h, np.diag(6 * Z))


def test_complex_jacobian_errors():
    with pytest.raises(TypeError, match="holomorphic=True"):
        fad.jacrev(lambda z: z * 2)(Z)
    with pytest.raises(TypeError, match="real-valued inputs"):
        fad.jacfwd(lambda z: fnp.abs(z))(Z)
    with pytest.raises(TypeError, match="complex output"):
        fad.grad(lambda z: fnp.abs(z), holomorphic=True)(1.0 + 1.0j)
    with pytest.raises(TypeError, match="real-valued output"):
        fad.grad(lambda z: z * 2)(1.0 + 1.0j)
    with pytest.raises(TypeError, match="complex inputs"):
        fad.grad(lambda x: x * 1j, holomorphic=True)(1.0)
    # allowed without the flag: real -> complex by forward mode, complex -> real by reverse mode
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(fad.jacobian(lambda x: x * 1j)(x), 1j * np.eye(2))
    np.testing.assert_allclose(fad.jacrev(lambda z: fnp.abs(z))(Z), np.diag(np.conj(Z) /
                                                                             np.abs(Z)))


# ---------------------------------------------------------------------------
# elementwise functions on complex inputs, against finite differences (order 2)
# ---------------------------------------------------------------------------

_FUNCS = {
    "abs": fnp.abs, "np_abs": np.abs, "angle": fnp.angle, "sign": fnp.sign,
    "real": fnp.real, "imag": fnp.imag, "conj": fnp.conj, "exp": fnp.exp, "log": fnp.log,
    "sqrt": fnp.sqrt, "sin": fnp.sin, "tanh": fnp.tanh, "square": fnp.square,
    "reciprocal": fnp.reciprocal, "power": lambda z: z ** (1.5 + 0.5j),
    "divide": lambda z: (1 + 2j) / z, "mixed": lambda z: fnp.abs(z) * fnp.real(z) * (1 + 2j),
    "sum_mean": lambda z: fnp.sum(z * fnp.conj(z)) + fnp.mean(z ** 2),
    "matmul": lambda z: fnp.outer(z, z) @ z,
    "real_out_of_imag": lambda z: fnp.imag(fnp.abs(z) * (1 + 2j)),
    "angle_deg": lambda z: fnp.angle(z, deg=True),
}


@pytest.mark.parametrize("name", sorted(_FUNCS))
def test_complex_elementwise_check_grads(name):
    fad.check_grads(_FUNCS[name], (Z,), order=2)


@pytest.mark.parametrize("name", ["abs", "angle", "sign", "exp", "mixed"])
def test_complex_vmap_of_grad(name):
    f = _FUNCS[name]
    g = fad.grad(lambda z: fnp.sum(fnp.real(f(z))))
    zs = np.stack([Z, Z * 0.5j, Z + 1])
    np.testing.assert_allclose(fad.vmap(g)(zs), np.stack([g(z) for z in zs]), rtol=1e-12)


def test_abs_at_zero_takes_zero_subgradient():
    np.testing.assert_allclose(fad.grad(lambda z: fnp.sum(fnp.abs(z)))(np.zeros(2, complex)),
                               np.zeros(2))


def test_values_match_numpy():
    for name in ["abs", "angle", "sign", "real", "imag", "conj", "angle_deg"]:
        got, _ = fad.jvp(_FUNCS[name], (Z,), (np.ones(3, complex),))
        np.testing.assert_allclose(got, _FUNCS[name](Z), rtol=1e-15)
        np.testing.assert_allclose(got, {"abs": np.abs, "angle": np.angle, "sign": np.sign,
                                         "real": np.real, "imag": np.imag, "conj": np.conj,
                                         "angle_deg": lambda z: np.angle(z, deg=True)}[name](Z))


# ---------------------------------------------------------------------------
# complex cotangents reaching real values
# ---------------------------------------------------------------------------

def _real_specs():
    """Spec rows with real float64 inputs and one real float output (their last shapes)."""
    from .test_primitives import ALL_SPECS
    out = []
    for s in ALL_SPECS:
        doms = s.domain if isinstance(s.domain, tuple) else (s.domain,)
        if "complex" in doms or np.dtype(s.dtype) != np.float64:
            continue
        o = s.fn(*s.sample(np.random.default_rng(1), s.shapes[-1]))
        if np.asarray(o).dtype.kind == "f" and not isinstance(o, (tuple, list, dict)):
            out.append(pytest.param(s, id=s.name))
    return out


def _into_complex(o):
    return fnp.sum(fnp.real(fnp.exp(1j * o) * (o + 2j)))


@pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")
@pytest.mark.parametrize("spec", _real_specs())
def test_real_primitive_takes_a_complex_cotangent(spec):
    """A real value that flows into complex arithmetic gets a complex cotangent (its real
    part is what counts). Every rule must accept one and agree with the real cotangent:
    ldexp (and frexp through it) raised a TypeError here, astype a ComplexWarning."""
    args = spec.sample(np.random.default_rng(1), spec.shapes[-1])
    out = np.asarray(spec.fn(*args))
    nums = tuple(range(len(args)))
    got = fad.grad(lambda *a: _into_complex(spec.fn(*a)), argnums=nums)(*args)
    _, pullback = fad.vjp(spec.fn, *args)
    want = pullback(fad.grad(_into_complex)(out))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-9)
