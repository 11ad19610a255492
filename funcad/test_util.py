"""``check_grads``: test derivatives against finite differences, to any order."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import tree as _tree
from ._util import is_complex
from .api import jvp, vjp

__all__ = ["check_grads", "numerical_jvp"]

_DEFAULT_EPS = {np.dtype(np.float64): 1e-4, np.dtype(np.float32): 1e-2,
                np.dtype(np.complex128): 1e-4, np.dtype(np.complex64): 1e-2}
_DEFAULT_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2,
                np.dtype(np.complex128): 1e-5, np.dtype(np.complex64): 2e-2}


def _leaves_dtype(args):
    dts = [np.asarray(x).dtype for x in _tree.leaves(args)]
    worst = np.dtype(np.float64)
    for d in dts:
        if d in (np.float32, np.complex64):
            worst = np.dtype(np.float32)
    return worst


def _rand_like(rng, x):
    x = np.asarray(x)
    v = rng.standard_normal(x.shape)
    if is_complex(x.dtype):
        v = v + 1j * rng.standard_normal(x.shape)
    return v.astype(x.dtype)


def _inner(a, b) -> float:
    la, lb = _tree.leaves(a), _tree.leaves(b)
    return float(sum(np.real(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(la, lb)))


def _assert_close(what, got, want, atol, rtol):
    gl, wl = _tree.leaves(got), _tree.leaves(want)
    if len(gl) != len(wl):
        raise AssertionError(f"{what}: {len(gl)} leaves vs {len(wl)} leaves")
    for k, (g, w) in enumerate(zip(gl, wl)):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape:
            raise AssertionError(f"{what}: leaf {k} has shape {g.shape}, expected {w.shape}")
        err = np.abs(g - w)
        bound = atol + rtol * np.maximum(np.abs(g), np.abs(w))
        if not np.all(np.isfinite(g) == np.isfinite(w)) or np.any(err > bound):
            i = int(np.argmax(np.where(np.isfinite(err), err - bound, np.inf)))
            raise AssertionError(
                f"{what}: leaf {k} differs (max error {np.nanmax(err):.3g}, atol={atol:g}, "
                f"rtol={rtol:g});\n  got:      {g.ravel()[i]!r}\n  expected: {w.ravel()[i]!r} "
                f"(at flat index {i})\n  got array:\n{g}\n  expected array:\n{w}")


def numerical_jvp(f: Callable, primals: Sequence, tangents: Sequence, eps: float):
    """Central difference ``(f(x + eps v) - f(x - eps v)) / (2 eps)`` over pytrees.

    Example:
        >>> import numpy as np
        >>> from funcad.test_util import numerical_jvp
        >>> round(float(numerical_jvp(np.sin, (0.0,), (1.0,), 1e-5)), 8)
        1.0
    """
    plus = _tree.map(lambda x, v: np.asarray(x) + eps * np.asarray(v), tuple(primals),
                     tuple(tangents))
    minus = _tree.map(lambda x, v: np.asarray(x) - eps * np.asarray(v), tuple(primals),
                      tuple(tangents))
    fp, fm = f(*plus), f(*minus)
    return _tree.map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps), fp, fm)


def _check_jvp(f, args, atol, rtol, eps, rng):
    tangents = _tree.map(lambda x: _rand_like(rng, x), args)
    _, t = jvp(f, args, tangents)
    num = numerical_jvp(f, args, tangents, eps)
    _assert_close("JVP vs finite differences", t, num, atol, rtol)


def _check_vjp(f, args, atol, rtol, eps, rng):
    out, f_vjp = vjp(f, *args)
    ct = _tree.map(lambda o: _rand_like(rng, o), out)
    in_ct = f_vjp(ct)
    tangents = _tree.map(lambda x: _rand_like(rng, x), args)
    num = numerical_jvp(f, args, tangents, eps)
    lhs = _inner(ct, num)
    rhs = _inner(in_ct, tangents)
    scale = max(abs(lhs), abs(rhs), 1.0)
    if not abs(lhs - rhs) <= atol * scale + rtol * scale:
        raise AssertionError(
            f"VJP vs finite differences: <ct, J v> = {lhs!r} but <J^T ct, v> = {rhs!r} "
            f"(difference {abs(lhs - rhs):.3g}, tolerance {atol * scale + rtol * scale:.3g})")


def check_grads(f: Callable, args: Sequence, order: int = 1, modes=("fwd", "rev"),
                atol: float | None = None, rtol: float | None = None, eps: float | None = None,
                seed: int = 0) -> None:
    """Check ``f``'s derivatives against central finite differences, up to ``order``.

    Forward mode compares ``jvp`` with finite differences in a random direction;
    reverse mode checks ``<ct, J v> == <vjp(ct), v>``. Order k checks the
    derivative functions themselves at order k-1, so order 2 covers
    fwd-over-fwd, rev-over-fwd, fwd-over-rev and rev-over-rev.

    Args:
      f: the function; args: a tuple of its (pytree) arguments.
      order: how many times to differentiate.
      modes: any of ``"fwd"``, ``"rev"``.
      atol, rtol, eps: tolerances and step; by default chosen from the dtype.

    Raises:
      AssertionError: naming the mode, the order and the mismatch.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.check_grads(np.sin, (np.array([0.5, 1.0]),), order=2)
    """
    args = tuple(_tree.map(np.asarray, tuple(args)))
    dt = _leaves_dtype(args)
    atol = _DEFAULT_TOL[dt] if atol is None else atol
    rtol = _DEFAULT_TOL[dt] if rtol is None else rtol
    eps = _DEFAULT_EPS[dt] if eps is None else eps
    rng = np.random.default_rng(seed)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"check_grads: unknown mode {mode!r}; use 'fwd' and/or 'rev'")
    _check(f, args, order, tuple(modes), atol, rtol, eps, rng, "")


def _check(f, args, order, modes, atol, rtol, eps, rng, path):
    for mode in modes:
        where = f"{path}{mode} (order {len(path.split('/')) if path else 1})"
        try:
            if mode == "fwd":
                _check_jvp(f, args, atol, rtol, eps, rng)
            else:
                _check_vjp(f, args, atol, rtol, eps, rng)
        except AssertionError as e:
            raise AssertionError(f"check_grads {where}: {e}") from None
        if order <= 1:
            continue
        if mode == "fwd":
            tangents = _tree.map(lambda x: _rand_like(rng, x), args)
            n = len(args)

            def f_jvp(*xs, n=n):
                return jvp(f, xs[:n], xs[n:])[1]
            _check(f_jvp, args + tuple(tangents), order - 1, modes, atol, rtol, eps, rng,
                   path + "fwd/")
        else:
            out = f(*args)
            ct = _tree.map(lambda o: _rand_like(rng, o), out)
            n = len(args)

            def f_vjp(*xs, n=n):
                return vjp(f, *xs[:n])[1](xs[n])
            _check(f_vjp, args + (ct,), order - 1, modes, atol, rtol, eps, rng, path + "rev/")
