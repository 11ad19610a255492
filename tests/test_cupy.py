"""CuPy-style arrays through the transforms: the audited spec rows (as in tests/test_dask.py)
give results of the input's array type, equal to NumPy's.

Two array types: ``StrictArray`` (tests/strict_array.py), a stand-in that behaves like CuPy
where it matters here (it refuses NumPy array operands and ``np.asarray``) and runs
everywhere; and CuPy itself where CuPy and a GPU are present (skipped otherwise).
"""

from __future__ import annotations

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import tree

from .specs.core import SPECS as CORE_SPECS
from .strict_array import StrictArray, assert_same, constants_like


def _cupy():
    try:
        import cupy
        return cupy if cupy.cuda.runtime.getDeviceCount() else None
    except Exception:  # noqa: BLE001 - not installed, no driver, no device
        return None


_CP = _CUPY = _cupy()
LIBRARIES = {
    "strict": (StrictArray, StrictArray, lambda a: a.get()),
    "cupy": ((_CP.asarray, _CP.ndarray, lambda a: a.get()) if _CP is not None else None),
}

# the row multiplies by fnp.arange(6.0), a NumPy constant: CuPy refuses the mix, as it should
_MIXES_NUMPY = {"reshape"}


def _loss(fn):
    return lambda *a: fnp.sum(fnp.real(fn(*a)) ** 2)


def _run(spec, mode, convert):
    args = spec.sample(np.random.default_rng(0), spec.shapes[-1])
    n = len(args)
    if mode == "vmap":
        args = tuple(np.stack([a, 0.9 * a]) for a in args)
    ins = [convert(a) for a in args]
    if mode == "value":
        return spec.fn(*ins)
    if mode == "grad":
        return fad.grad(_loss(spec.fn), argnums=tuple(range(n)))(*ins)
    if mode == "jvp":
        return fad.jvp(spec.fn, tuple(ins), tuple(convert(np.ones_like(a)) for a in args))
    if mode == "vmap":
        return fad.vmap(spec.fn)(*ins)
    nums = tuple(range(n))
    if mode == "hessian":
        return fad.hessian(_loss(spec.fn), argnums=nums)(*ins)
    if mode == "hvp":           # forward over reverse, on the input's own directions
        return fad.hvp(lambda *a: _loss(spec.fn)(*a), tuple(ins), tuple(ins))[1]
    if mode == "vmap_grad":
        return fad.vmap(fad.grad(_loss(spec.fn), argnums=nums))(*[fnp.stack([a, a]) for a in ins])
    return getattr(fad, mode)(spec.fn, argnums=nums)(*ins)       # jacfwd, jacrev


_MODES = ("value", "grad", "jvp", "vmap", "jacfwd", "jacrev", "hessian", "hvp", "vmap_grad")
CASES = [pytest.param(lib, s, m, id=f"{lib}-{s.name}-{m}")
         for lib in LIBRARIES if LIBRARIES[lib] is not None     # (no GPU: the stand-in only)
         for s in CORE_SPECS if s.name not in _MIXES_NUMPY
         for m in _MODES]


@pytest.mark.filterwarnings("error::funcad.errors.ForeignArrayWarning")
@pytest.mark.parametrize("lib, spec, mode", CASES)
def test_audited_rows(lib, spec, mode):
    if LIBRARIES[lib] is None:
        pytest.skip("CuPy with a GPU is not available")
    convert, kind, to_numpy = LIBRARIES[lib]
    ref = _run(spec, mode, lambda a: a)
    got = _run(spec, mode, convert)
    for r, g in zip(tree.leaves(ref), tree.leaves(got)):
        assert isinstance(g, kind), type(g)
        np.testing.assert_allclose(to_numpy(g), r, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lib", [lib for lib in LIBRARIES if LIBRARIES[lib] is not None])
def test_mixed_with_numpy_raises_as_cupy_does(lib):
    if LIBRARIES[lib] is None:
        pytest.skip("CuPy with a GPU is not available")
    convert = LIBRARIES[lib][0]
    with pytest.raises(TypeError) as info:
        fad.grad(lambda w, x: fnp.sum(x @ w))(np.ones(3), convert(np.ones((2, 3))))
    # funcad says which operation met which arrays, and what to write instead
    assert isinstance(info.value, fad.errors.ArrayLibraryMixError)
    assert "'matmul'" in str(info.value) and "(3,)" in str(info.value)
    assert ".asarray(w)" in str(info.value)


def test_an_unaudited_primitive_copies_to_the_host_and_back():
    """``sort`` is not audited: its operand is fetched with ``.get()`` (never
    ``np.asarray``, which CuPy refuses), sorted in NumPy, and returned as the input's type."""
    import funcad._arrays as arrays
    arrays._warned.clear()
    x = np.array([3.0, 1.0, 2.0])
    with pytest.warns(fad.errors.ForeignArrayWarning, match="sort'"):
        got = fnp.sort(StrictArray(x))
    assert isinstance(got, StrictArray)
    np.testing.assert_array_equal(got.get(), [1.0, 2.0, 3.0])


def _spec_modules():
    import importlib
    import pkgutil

    from . import specs
    return [importlib.import_module(f"{specs.__name__}.{m.name}")
            for m in pkgutil.iter_modules(specs.__path__)]


def _other_cases():
    from .test_primitives import ALL_SPECS
    core = {s.name for s in CORE_SPECS}
    out = []
    for s in ALL_SPECS:
        if s.name in core:
            continue
        for lib in LIBRARIES:
            if LIBRARIES[lib] is None:
                continue
            for m in _MODES:
                out.append(pytest.param(lib, s, m, id=f"{lib}-{s.name}-{m}"))
    return out


@pytest.mark.filterwarnings("ignore::funcad.errors.ForeignArrayWarning")
@pytest.mark.parametrize("lib, spec, mode", _other_cases())
def test_every_other_row(lib, spec, mode):
    """Every row outside the audited set, with the row's own constants made as the input's
    array type (as a CuPy user writes ``cp.eye(n)``): the results are of the input's type
    and equal NumPy's (computed on the host where the primitive is not audited,
    docs/scaling.md). (Until this session, 244 row-modes met a NumPy constant made inside
    funcad and raised CuPy's TypeError.)"""
    convert, kind, to_numpy = LIBRARIES[lib]
    try:
        ref = _run(spec, mode, lambda a: a)
    except Exception as e:   # noqa: BLE001 - (vmap of unique): the same error on the stand-in
        with constants_like(_spec_modules(), convert), pytest.raises(type(e)):
            _run(spec, mode, convert)
        return
    with constants_like(_spec_modules(), convert):
        got = _run(spec, mode, convert)
    assert_same(got, ref, kind, to_numpy)
