"""Float32 in, float32 out: every row of the spec tables, run with float32 inputs.

Each spec (as ``test_primitives`` collects them, plus the EXTRA rows below) runs on
float32 inputs (complex64 for complex domains). Where NumPy's result is single precision
too, the traced value has NumPy's dtype; the ``jvp`` tangent, the ``vjp`` cotangents,
``grad`` of ``sum(real(f))``, ``jvp`` of that ``grad`` and ``vmap`` stay in single
precision; no primitive anywhere in those passes (forward, rules, backward sweep,
batching) returns a float64 or complex128 array; and the recorded tape of the gradient
(``make_tape``) has no float64 entry and no float64 constant.

Rows whose NumPy result is double precision (a float64 constant baked into the spec's
function, or NumPy's own promotion: cov, interp, bincount ...) check that the traced value
promotes the same way and that derivatives keep the inputs' dtype.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree
from funcad._core import primitives

from . import specs as _specs_pkg
from .specs._spec import Spec

ALL_SPECS = []
for _m in pkgutil.iter_modules(_specs_pkg.__path__):
    if not _m.name.startswith("_"):
        ALL_SPECS += importlib.import_module(f"{_specs_pkg.__name__}.{_m.name}").SPECS

F32 = np.float32
L = fnp.linalg


def _dom(a, k=3.0):
    return a + F32(k) * np.eye(a.shape[-1], dtype=F32)


def _sep(a):
    m, n = a.shape[-2:]
    d = np.zeros((m, n), F32)
    k = min(m, n)
    d[np.arange(k), np.arange(k)] = 3.0 * np.arange(k, 0, -1)
    return 0.3 * a + d


def _spd(a):
    return a @ fnp.swapaxes(a, -1, -2) + F32(a.shape[-1]) * np.eye(a.shape[-1], dtype=F32)


def _cat(*xs):
    return fnp.concatenate([fnp.ravel(x) for x in xs])


def _diag32(*d):
    return np.diag(np.array(d, F32))


def _values_abs_vectors(wv):
    """Eigenvalues and |eigenvectors| (phase-invariant) in one array."""
    return _cat(wv[0], fnp.abs(wv[1]))


def _svd_qr(a):
    u, s, vh = L.svd(a)
    return _cat(s, fnp.abs(u), u @ vh, L.qr(u)[1])


# rows of the tables that a float64 constant (np.eye, a weight vector, a list of q) makes
# float64, written again with float32 constants so that the sweep reaches them
EXTRA = [
    Spec("f32_inv", lambda a: L.inv(_dom(a)), [((3, 3),), ((2, 3, 3),)], "unit"),
    Spec("f32_solve", lambda a, b: L.solve(_dom(a), b), [((3, 3), (3,)), ((2, 3, 3), (3, 2))],
         ("unit", "real")),
    Spec("f32_det_slogdet", lambda a: L.det(_dom(a, 1.5)) * L.slogdet(_dom(a))[1],
         [((3, 3),)], "unit"),
    Spec("f32_pinv", lambda a: L.pinv(_sep(a)), [((4, 3),)], "unit"),
    Spec("f32_cholesky", lambda a: L.cholesky(_spd(a)), [((3, 3),)], "unit"),
    Spec("f32_eigh", lambda a: _cat(*L.eigh(_sep(a)), L.eigvalsh(_sep(a))), [((3, 3),)],
         "unit"),
    Spec("f32_svd", lambda a: _cat(*L.svd(_sep(a), full_matrices=False),
                                   L.svd(_sep(a), compute_uv=False), L.svdvals(_sep(a))),
         [((4, 3),)], "unit"),
    Spec("f32_eig", lambda a: _cat(*L.eig(_sep(a))), [((3, 3),)], "unit"),
    Spec("f32_eigvals_complex", lambda a: L.eigvals(0.3 * a + np.array(
        [[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]], F32)), [((3, 3),)], "unit"),
    Spec("f32_qr", lambda a: _cat(*L.qr(_sep(a)), L.qr(_sep(a), mode="r")), [((4, 3),)],
         "unit"),
    Spec("f32_lstsq", lambda a, b: L.lstsq(_sep(a), b)[0], [((4, 3), (4,))], ("unit", "real")),
    Spec("f32_norms", lambda a: fnp.stack([L.norm(_sep(a), o) for o in ("nuc", 2, -2)]
                                          + [L.cond(_dom(a)), L.cond(_dom(a), "fro")]),
         [((3, 3),)], "unit"),
    Spec("f32_matrix_norm", lambda a: L.matrix_norm(_sep(a), ord="nuc"), [((2, 3, 3),)], "unit"),
    Spec("f32_matrix_power", lambda a: fnp.stack([L.matrix_power(a, 3),
                                                  L.matrix_power(_dom(a), -2)]),
         [((3, 3),)], "unit"),
    Spec("f32_tensorsolve", lambda a, b: L.tensorsolve(
        _dom(a.reshape(4, 4)).reshape(2, 2, 2, 2), b), [((16,), (2, 2))], ("unit", "real")),
    Spec("f32_tensorinv", lambda a: L.tensorinv(_dom(a).reshape(4, 2, 2), ind=1), [((4, 4),)],
         "unit"),
    # complex64: phase-invariant functions of the vectors, as in tests/specs/linalg.py
    Spec("c64_inv_solve_det", lambda z, b: _cat(L.inv(_dom(z, 6.0)), L.solve(_dom(z, 6.0), b),
                                                 L.det(_dom(z, 6.0)), *L.slogdet(_dom(z, 6.0))),
         [((3, 3), (3,))], "complex"),
    Spec("c64_cholesky", lambda z: L.cholesky(z @ fnp.conj(z.T) + F32(3) * np.eye(3, dtype=F32)),
         [((3, 3),)], "complex"),
    Spec("c64_eigh", lambda z: _values_abs_vectors(L.eigh(0.1 * z + _diag32(0.0, 3.0, 6.0))),
         [((3, 3),)], "complex"),
    Spec("c64_svd_qr", lambda z: _svd_qr(0.1 * z + _diag32(6.0, 3.0, 1.0)), [((3, 3),)],
         "complex"),
    Spec("c64_eig", lambda z: _values_abs_vectors(L.eig(0.2 * z + _diag32(0.0, 3.0, 6.0))),
         [((3, 3),)], "complex"),
    Spec("f32_sort", lambda x: fnp.sort(x) * np.array([0.5, -1.0, 2.0, 1.5], F32),
         [((4,),), ((2, 4),)], "distinct"),
    Spec("f32_cumprod_zero", lambda x: fnp.cumprod(x * np.array([1, 0, 1, 1, 1], F32)),
         [((5,),)]),
    Spec("f32_percentile", lambda x: fnp.percentile(x, np.array([10.0, 75.0], F32)),
         [((5,),), ((2, 6),)], "distinct"),
    Spec("f32_fmod_remainder_y", lambda y: fnp.fmod(np.array([2.3, -1.7, 0.9], F32), y)
         + fnp.remainder(np.array([2.3, -1.7, 0.9], F32), y), [((3,),)], "above_one"),
    Spec("f32_reshape", lambda x: fnp.reshape(x, (-1,)) * fnp.arange(6, dtype=F32),
         [((2, 3),)]),
    Spec("f32_fftshift", lambda x: fnp.fft.fftshift(x) * np.arange(1, 13, dtype=F32).reshape(
        3, 4), [((3, 4),)]),
    Spec("f32_histogram_range", lambda x: fnp.histogram(x, 3, range=(-2.0, 2.0), weights=x)[0],
         [((6,),)], "distinct", vmap=False),
]

CASES = [(s, shp) for s in ALL_SPECS + EXTRA for shp in s.shapes]
IDS = [f"{s.name}-{'x'.join(str(x) for x in shp)}" for s, shp in CASES]

SINGLE = (np.dtype(np.float32), np.dtype(np.complex64))
DOUBLE = (np.dtype(np.float64), np.dtype(np.complex128))


@pytest.fixture(scope="module")
def double_outputs():
    """Names of primitives that returned a float64/complex128 array while ``watching``."""
    seen: list = []
    saved = {}
    for p in list(primitives.values()):
        def watched(*args, _impl=p.impl, _name=p.name, **params):
            out = _impl(*args, **params)
            for o in out if isinstance(out, (list, tuple)) else (out,):
                if getattr(o, "dtype", None) in DOUBLE:
                    seen.append(_name)
            return out
        saved[p] = p.impl
        p.impl = watched
    try:
        yield seen
    finally:
        for p, impl in saved.items():
            p.impl = impl


def _sample32(spec, shapes):
    """The spec's inputs in single precision: float32, and complex64 for complex domains."""
    args = spec.sample(np.random.default_rng(0), shapes)
    return tuple(np.asarray(a, np.complex64 if np.iscomplexobj(a) else np.float32)
                 for a in args)


def _dtypes(out):
    return [np.asarray(x).dtype if not hasattr(x, "aval") else x.aval.dtype
            for x in tree.leaves(out)]


def _tape_doubles(view) -> list[str]:
    """Lines of a TapeView whose result or constant operand is float64/complex128."""
    bad = []
    for e, line in zip(view.entries, view.lines()):
        avals = e["aval"] if isinstance(e["aval"], list) else [e["aval"]]
        if any(np.dtype(a.dtype) in DOUBLE for a in avals) or any(
                str(i).startswith("const:") and ("f64" in i or "c128" in i) for i in e["inputs"]):
            bad.append(line)
    return bad


@pytest.mark.parametrize("spec,shapes", CASES, ids=IDS)
def test_float32_stays_float32(spec, shapes, double_outputs):
    args = _sample32(spec, shapes)
    ins = _dtypes(args)
    with np.errstate(all="ignore"):
        want = _dtypes(spec.fn(*args))              # NumPy's answer: fast paths, no tracing
    n = len(args)

    def scalar(*a):
        return sum(fnp.sum(fnp.real(leaf)) for leaf in tree.leaves(spec.fn(*a)))

    if any(d not in SINGLE for d in want):
        # NumPy itself promotes here (a float64 constant in the spec, or NumPy's own rule):
        # the traced value must promote the same way, and derivatives keep the inputs' dtype
        with np.errstate(all="ignore"):
            out, vjp_fn = fad.vjp(spec.fn, *args)
            assert _dtypes(out) == want, "value (NumPy promotes)"
            assert _dtypes(vjp_fn(tree.map(lambda o: np.ones_like(o), out))) == ins, "vjp"
            assert _dtypes(fad.grad(scalar, argnums=tuple(range(n)))(*args)) == ins, "grad"
        return

    double_outputs.clear()
    with np.errstate(all="ignore"):
        out, vjp_fn = fad.vjp(spec.fn, *args)
        assert _dtypes(out) == want, "value"
        cts = vjp_fn(tree.map(lambda o: np.ones_like(o), out))
        assert _dtypes(cts) == ins, "vjp cotangents"
        _, tan = fad.jvp(spec.fn, args, tuple(np.ones_like(a) for a in args))
        assert _dtypes(tan) == want, "jvp tangent"
        g = fad.grad(scalar, argnums=tuple(range(n)))(*args)
        assert _dtypes(g) == ins, "grad"
        if spec.order >= 2:      # forward over reverse: the JVP rules of the backward ops
            _, hv = fad.jvp(fad.grad(scalar, argnums=tuple(range(n))), args,
                            tuple(np.ones_like(a) for a in args))
            assert _dtypes(hv) == ins, "jvp of grad"
        if spec.vmap:
            vb = fad.vmap(spec.fn)(*[np.stack([a, a]) for a in args])
            assert _dtypes(vb) == want, "vmap"
        assert double_outputs == [], f"primitives returned float64: {sorted(set(double_outputs))}"
        view = fad.make_tape(fad.grad(scalar, argnums=tuple(range(n))))(*args)
    bad = _tape_doubles(view)
    assert not bad, "float64 on the tape of the gradient:\n" + "\n".join(bad)


def test_sweep_catches_a_float64_temporary(double_outputs):
    # the sweep's own detectors: a float64 constant in a rule shows as a float64 output
    # and as a float64 tape entry
    x = np.ones(3, np.float32)

    def f(v):
        return fnp.sum(v * np.float64(2.0))

    double_outputs.clear()
    fad.grad(f)(x)
    assert "multiply" in double_outputs
    assert _tape_doubles(fad.make_tape(f)(x))
