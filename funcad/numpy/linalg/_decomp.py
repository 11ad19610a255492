"""Matrix decompositions: cholesky, eigh, svd, qr.

Rules for complex inputs follow the bilinear convention of the package (VJP =
transpose of the JVP, no conjugation). Where a decomposition is not unique
(eigenvector signs/phases, repeated eigenvalues or singular values, the extra
columns of a complete QR/SVD) the rules say so: the derivative is NaN exactly
where it is undefined and needed, or differentiation raises a clear error.
"""

from __future__ import annotations

import numpy as np

from ...extend import (Primitive, as_type_of, defjvp_full, defvjp, defvjp_argnum, dtype_of, ops,
                       shape_of)
from .._base import is_traced
from ._basic import _check_square, solve_p
from ._helpers import (H, T, anywhere, batch_core, degenerate, diag, diagm, either, eye,
                       is_complex, make_result, mask, nan_where, real_ct, real_dtype, route,
                       safe_div, used_cols)

__all__ = ["cholesky", "eigh", "eigvalsh", "svd", "svdvals", "qr", "EighResult", "SVDResult",
           "QRResult"]


def _real_diag(t):
    n = shape_of(t)[-1]
    return (ops.real(t) if is_complex(t) else t) * eye(n, t)


def _herm_from(t, uplo):
    """The Hermitian matrix LAPACK uses: one strict triangle of ``t``, mirrored, and the real
    part of its diagonal."""
    n = shape_of(t)[-1]
    strict = t * mask(n, kind="tril" if uplo == "L" else "triu", k=-1 if uplo == "L" else 1,
                      like=t)
    return strict + _real_diag(t) + H(strict)


def _herm_from_T(g, uplo):
    """Transpose (bilinear) of :func:`_herm_from`."""
    n = shape_of(g)[-1]
    m = mask(n, kind="tril" if uplo == "L" else "triu", k=-1 if uplo == "L" else 1, like=g)
    return g * m + _real_diag(g) + H(g) * m


def _rsolve(x, a):
    """x @ inv(a), with a solve."""
    return T(solve_p(T(a), T(x)))


# ---------------------------------------------------------------------------
# cholesky: dL = L phi(L^-1 dS L^-H), phi = lower triangle with half the diagonal
# ---------------------------------------------------------------------------

cholesky_p = Primitive("linalg.cholesky", np.linalg.cholesky)


def _phi(n, like):
    return mask(n, kind="tril", k=-1, like=like) + 0.5 * eye(n, like)


def _cholesky_jvp(primals, tangents, L, **_):
    (a,), (t,) = primals, tangents
    n = shape_of(a)[-1]
    s = _herm_from(t, "L")
    x = H(solve_p(L, H(solve_p(L, s))))      # L^-1 S L^-H
    return L @ (x * _phi(n, L))


def _cholesky_vjp(g, L, a):
    n = shape_of(a)[-1]
    z = (T(L) @ g) * _phi(n, L)
    w = T(solve_p(H(L), T(solve_p(T(L), z))))   # L^-T Z conj(L)^-1
    return _herm_from_T(w, "L")


defjvp_full(cholesky_p, _cholesky_jvp)
defvjp(cholesky_p, _cholesky_vjp, keep=False, keep_ans=True)
batch_core(cholesky_p, (2,))


@route(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """Differentiable ``np.linalg.cholesky`` (lower factor; ``upper=True`` for its ``^H``).

    Like NumPy it reads only the lower triangle of ``a``, and the derivative is
    the derivative of exactly that (so a non-symmetric perturbation counts
    through its lower triangle). A matrix that is not positive definite raises
    ``LinAlgError``.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.cholesky(a)[1, 1])(np.array([[4.0, 2.0], [2.0, 2.0]]))
        array([[ 0.125, 0.   ],
               [-0.5  , 0.5  ]])
    """
    if not is_traced(a):
        lo = np.linalg.cholesky(a)
        return np.conj(np.swapaxes(lo, -1, -2)) if upper else lo
    _check_square(a, "cholesky")
    L = cholesky_p(a)
    return H(L) if upper else L


# ---------------------------------------------------------------------------
# eigh: M = V^H dS V; dw = real(diag M); dV = V (F o M), F_ij = 1/(w_j - w_i).
# dS is the Hermitian part (dA + dA^H) / 2 for a Hermitian input (JAX's and PyTorch's
# convention: d w_k / dA = v_k v_k^H), and the triangle LAPACK reads, mirrored, for an input
# that is not Hermitian (only there is that the derivative of the value NumPy returns).
# ---------------------------------------------------------------------------

eigh_p = Primitive("linalg.eigh", lambda a, herm, *, UPLO: tuple(np.linalg.eigh(a, UPLO=UPLO)),
                   multiple_results=True)


def _is_hermitian(a):
    """Boolean (...,): ``a`` is Hermitian up to round-off, ``max|A - A^H| <= sqrt(eps) max|A|``.

    Round-off leaves ~eps asymmetry (a product ``Q D Q^T``) and a matrix that relies on
    ``UPLO`` has an O(1) one, so the threshold sits far from both.
    """
    a = ops.stop_gradient(a)
    dev = ops.max(ops.abs(a - H(a)), axis=(-2, -1))
    big = ops.max(ops.abs(a), axis=(-2, -1))
    return ops.less_equal(dev, big * float(np.sqrt(np.finfo(real_dtype(a)).eps)))


def _eigh_perturbation(t, herm, uplo):
    """The Hermitian perturbation dS that eigh sees for the tangent ``t`` (and, transposed,
    the cotangent of A from the one of S: both maps are self-adjoint or have
    :func:`_herm_from_T`)."""
    return _eigh_select(herm, lambda: 0.5 * (t + H(t)), lambda: _herm_from(t, uplo))


def _eigh_select(herm, sym, tri):
    if not anywhere(ops.logical_not(herm)):
        return sym()
    if not anywhere(herm):
        return tri()
    return ops.where(ops.expand_dims(ops.expand_dims(herm, -1), -1), sym(), tri())


def _pair_div(w, x, need, deg, squared: bool = False):
    """F o x with F_ij = 1/(w_j - w_i) off the diagonal (1/(w_j^2 - w_i^2) with ``squared``,
    for singular values); NaN where w_i == w_j (``deg``, from :func:`degenerate`) and ``need``
    (``None``: the caller found no repeated value).

    A repeated eigenvalue leaves its eigenvectors free to rotate within the
    eigenspace, so any use of them (``need``) has no derivative.
    """
    n = shape_of(w)[-1]
    wj, wi = ops.expand_dims(w, -2), ops.expand_dims(w, -1)
    d = wj ** 2 - wi ** 2 if squared else wj - wi
    on_diagonal = as_type_of(np.eye(n, dtype=bool), w)
    out = safe_div(x * (1 - eye(n, w)), d, ops.logical_or(deg, on_diagonal))
    if need is None:
        return out
    return out + nan_where(ops.logical_and(deg, need), w)


def _degenerate_nan(w, deg, pairs):
    """Per eigenvalue: NaN where it is repeated (``deg``) and ``pairs`` (..., n, n) flags the
    pair."""
    return ops.sum(nan_where(ops.logical_and(deg, pairs), w), axis=-1)


def _kink_nan(w, deg, g):
    """NaN for a repeated value whose cotangents differ: the sorted values have a kink there."""
    return _degenerate_nan(w, deg, ops.not_equal(ops.expand_dims(g, -1), ops.expand_dims(g, -2)))


def _eigh_jvp(primals, tangents, ans, *, UPLO):
    (_a, herm), (t, _) = primals, tangents
    w, v = ans
    m = H(v) @ _eigh_perturbation(t, herm, UPLO) @ v
    dm = diag(m)
    dw = ops.real(dm) if is_complex(dm) else dm
    deg = degenerate(w)
    if not anywhere(deg):
        return [dw, v @ _pair_div(w, m, None, deg)]
    # a repeated eigenvalue has a derivative only if M is diagonal on its eigenspace
    mixing = ops.not_equal(m, 0)
    return [dw + _degenerate_nan(w, deg, mixing), v @ _pair_div(w, m, mixing, deg)]


def _eigh_vjp(j, g, ans, a, herm, *, UPLO):
    if j != 0:
        return None
    gw, gv = g
    w, v = ans
    gw = real_ct(gw, is_complex(a))
    deg = degenerate(w)
    need = None
    if anywhere(deg):
        gw = gw + _kink_nan(w, deg, gw)
        need = either(used_cols(gv))
    inner = diagm(gw) + _pair_div(w, T(v) @ gv, need, deg)
    gs = ops.conj(v) @ inner @ T(v)
    return _eigh_select(herm, lambda: 0.5 * (gs + H(gs)), lambda: _herm_from_T(gs, UPLO))


defjvp_full(eigh_p, _eigh_jvp)
defvjp_argnum(eigh_p, _eigh_vjp, keep=(False, True))
batch_core(eigh_p, (2, 0))


# NumPy's own result types, so traced and plain results have the same pytree structure
EighResult = type(np.linalg.eigh(np.eye(1)))


@route(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Differentiable ``np.linalg.eigh``: eigenvalues (ascending) and eigenvectors.

    Reads one triangle of ``a`` (``UPLO``), as NumPy does. For a Hermitian input the
    derivative follows JAX's and PyTorch's symmetric convention: a perturbation counts
    through its Hermitian part, so ``d w_k / dA = v_k v_k^H`` (a symmetric gradient). For an
    input that is not Hermitian (the other triangle left unset) it is the derivative of the
    triangle that is read. Eigenvectors are unique only up to sign (phase for complex): the
    derivative keeps ``V^H dV`` with a zero diagonal, so for complex inputs differentiate
    phase-invariant quantities (``|V|``, ``V diag V^H``). At a repeated eigenvalue the
    eigenvector derivative is NaN (undefined) where it is used, and so is the eigenvalue
    derivative along a perturbation that splits it (see docs/linalg.md).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
        >>> fad.grad(lambda a: fnp.linalg.eigh(a)[0][1])(a)     # v v^T, v = [1, 1] / sqrt(2)
        array([[0.5, 0.5],
               [0.5, 0.5]])
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    if not is_traced(a):
        return np.linalg.eigh(a, UPLO=UPLO)
    _check_square(a, "eigh")
    w, v = eigh_p(a, _is_hermitian(a), UPLO=UPLO)
    return make_result(EighResult, w, v)


@route(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """Differentiable ``np.linalg.eigvalsh`` (eigenvalues of a Hermitian matrix, ascending);
    derivatives as :func:`eigh` (``v_k v_k^H`` for a Hermitian input).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.sum(fnp.linalg.eigvalsh(a)))(np.eye(2) * 3.0)  # trace
        array([[1., 0.],
               [0., 1.]])
    """
    if not is_traced(a):
        return np.linalg.eigvalsh(a, UPLO=UPLO)
    return eigh(a, UPLO)[0]


# ---------------------------------------------------------------------------
# svd (reduced): A = U diag(s) V^H, dP = U^H dA V
# ---------------------------------------------------------------------------

svd_p = Primitive("linalg.svd", lambda a, *, full: tuple(np.linalg.svd(a, full_matrices=full)),
                  multiple_results=True)


def _any_nonzero(x, axes=(-2, -1)):
    return ops.greater(ops.sum(ops.not_equal(x, 0), axis=axes), 0)


def _extra_nan(x, k, axis):
    """NaN shaped like the entries of ``x`` past index ``k`` along ``axis`` (-1 or -2): the
    extra columns of a complete factorization are not unique, so they have no derivative."""
    shp = list(shape_of(x))
    shp[axis] -= k
    # a constant: no derivative flows back through it
    return as_type_of(np.full(shp, np.nan, real_dtype(x)), x)


def _complete_bad(g, k, axis):
    """NaN (..., 1, 1) where the cotangent of the extra columns/rows is used, else 0."""
    extra = g[..., :, k:] if axis == -1 else g[..., k:, :]
    return ops.expand_dims(ops.expand_dims(nan_where(_any_nonzero(extra), g), -1), -1)


def _svd_jvp(primals, tangents, ans, *, full):
    (a,), (t,) = primals, tangents
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    if not full:
        return _svd_jvp_reduced(a, t, *ans)
    u, s, vh = ans
    du, ds, dvh = _svd_jvp_reduced(a, t, u[..., :, :k], s, vh[..., :k, :])
    if m > k:
        du = ops.concatenate([du, _extra_nan(u, k, -1)], axis=-1)
    if n > k:
        dvh = ops.concatenate([dvh, _extra_nan(vh, k, -2)], axis=-2)
    return [du, ds, dvh]


def _svd_jvp_reduced(a, t, u, s, vh):
    v = H(vh)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    p = H(u) @ t @ v
    dp = diag(p)
    ds = ops.real(dp) if is_complex(dp) else dp
    szero = ops.equal(s, 0)
    sr = ops.expand_dims(s, -2)
    ps = p * sr                            # P S
    sp = ops.expand_dims(s, -1) * p        # S P
    deg = degenerate(s)
    mixing = None
    if anywhere(deg):
        mixing = ops.logical_or(ops.not_equal(p, 0), ops.not_equal(T(p), 0))
        ds = ds + _degenerate_nan(s, deg, mixing)
    du = u @ _pair_div(s, ps + H(ps), mixing, deg, squared=True)
    dv = v @ _pair_div(s, sp + H(sp), mixing, deg, squared=True)
    if is_complex(p):     # phase gauge: V^H dV has a zero diagonal, U^H dU takes the rest
        du = du + u * ops.expand_dims(safe_div(1j * ops.imag(dp), s, szero), -2)
    if m > k:
        tv = t @ v
        du = du + safe_div(tv - u @ (H(u) @ tv), sr, ops.expand_dims(szero, -2))
    if n > k:
        tu = H(t) @ u
        dv = dv + safe_div(tu - v @ (H(v) @ tu), sr, ops.expand_dims(szero, -2))
    if not anywhere(szero):
        return [du, ds, H(dv)]
    # the singular vectors of a zero singular value jump under any perturbation
    moved = _any_nonzero(t)
    lost = ops.expand_dims(nan_where(ops.logical_and(szero, ops.expand_dims(moved, -1)), s), -2)
    return [du + lost, ds, H(dv + lost)]


def _svd_vjp(j, g, ans, a, *, full):
    if j != 0:
        return None
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    if not full:
        return _svd_vjp_reduced(g, ans, a)
    (gu, gs, gvh), (u, s, vh) = g, ans
    bad = 0.0
    if m > k:
        bad = bad + _complete_bad(gu, k, -1)
    if n > k:
        bad = bad + _complete_bad(gvh, k, -2)
    reduced = (gu[..., :, :k], gs, gvh[..., :k, :]), (u[..., :, :k], s, vh[..., :k, :])
    return _svd_vjp_reduced(*reduced, a) + bad


def _svd_vjp_reduced(g, ans, a):
    gu, gs, gvh = g
    u, s, vh = ans
    v = H(vh)
    gv = H(gvh)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    szero = ops.equal(s, 0)
    gs = real_ct(gs, is_complex(a))
    deg = degenerate(s)
    repeated, zero = anywhere(deg), anywhere(szero)
    need = None
    if repeated or zero:
        used = ops.logical_or(used_cols(gu), used_cols(gv))
    if repeated:
        gs = gs + _kink_nan(s, deg, gs)
        need = either(used)
    if zero:
        gs = gs + nan_where(ops.logical_and(szero, used), s)
    sr, sc = ops.expand_dims(s, -2), ops.expand_dims(s, -1)   # right-multiply / left-multiply S
    g1 = _pair_div(s, T(u) @ gu, need, deg, squared=True)
    g2 = _pair_div(s, T(v) @ gv, need, deg, squared=True)
    gp = diagm(gs) + g1 * sr + H(sc * g1) + sc * g2 + H(g2 * sr)
    if is_complex(a):
        h = diag(T(u) @ gu)
        gp = gp + diagm(-1j * ops.real(safe_div(1j * h, s, szero)))
    ga = ops.conj(u) @ gp @ T(v)
    szr = ops.expand_dims(szero, -2)
    if m > k:
        ga = ga + safe_div(gu - ops.conj(u) @ (T(u) @ gu), sr, szr) @ T(v)
    if n > k:
        ga = ga + H(safe_div(gv - ops.conj(v) @ (T(v) @ gv), sr, szr) @ T(u))
    return ga


defjvp_full(svd_p, _svd_jvp)
defvjp_argnum(svd_p, _svd_vjp, keep=False)
batch_core(svd_p, (2,))


SVDResult = type(np.linalg.svd(np.eye(1)))


@route(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Differentiable ``np.linalg.svd``.

    Singular vectors are unique up to sign (a common phase per pair for
    complex inputs); the derivative fixes ``V^H dV`` to a zero diagonal, so for
    complex inputs differentiate phase-invariant quantities. Repeated singular
    values give NaN vector derivatives where used; a zero singular value of a
    non-square matrix gives NaN for the extra-column term. With
    ``full_matrices=True`` and a non-square matrix the extra columns of U (or V)
    are any orthonormal completion: their derivative is NaN where they are used
    (the first min(m, n) columns are fine).
    ``hermitian=True`` is a NumPy speed-up; on traced values the general SVD runs
    (same singular values; vector signs may differ from NumPy's Hermitian path).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.svd(a, compute_uv=False)[0])(np.diag([3.0, 1.0]))
        array([[1., 0.],
               [0., 0.]])
    """
    if not is_traced(a):
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv,
                             hermitian=hermitian)
    m, n = shape_of(a)[-2:]
    u, s, vh = svd_p(a, full=bool(full_matrices and compute_uv and m != n))
    if not compute_uv:
        return s
    return make_result(SVDResult, u, s, vh)


@route(getattr(np.linalg, "svdvals", None))
def svdvals(x, /):
    """Differentiable ``np.linalg.svdvals`` (singular values, descending).

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.sum(fnp.linalg.svdvals(a)))(np.diag([3.0, 1.0]))
        array([[1., 0.],
               [0., 1.]])
    """
    if not is_traced(x):
        return np.linalg.svd(x, compute_uv=False)
    return svd_p(x, full=False)[1]


# ---------------------------------------------------------------------------
# qr (reduced, m >= n): C = Q^H dA R^-1, K = triu(C, 1) + re diag C + tril(C, -1)^H,
# dQ = dA R^-1 - Q K, dR = K R
# ---------------------------------------------------------------------------

qr_p = Primitive("linalg.qr", lambda a, *, complete: tuple(np.linalg.qr(
    a, mode="complete" if complete else "reduced")),
                 multiple_results=True)


def _qr_k(c):
    n = shape_of(c)[-1]
    return (c * mask(n, kind="triu", k=1, like=c) + _real_diag(c)
            + H(c * mask(n, kind="tril", k=-1, like=c)))


def _qr_k_T(g):
    n = shape_of(g)[-1]
    return (g * mask(n, kind="triu", k=1, like=g) + _real_diag(g)
            + H(g) * mask(n, kind="tril", k=-1, like=g))


def _rank_guard(r, m):
    """``(r_solve, guard)`` for the QR rules: ``guard`` is 1, or NaN for a rank-deficient R
    (the QR derivative does not exist there), and ``r_solve`` is R with its negligible diagonal
    entries set to 1 so that the rule's solves never raise (the result is NaN anyway).

    Negligible means ``|R_ii| <= eps * max(m, n) * max|R|``, the rank tolerance of ``lstsq``
    and ``matrix_rank``: an exactly rank-deficient input leaves round-off of about
    ``eps * max|R|`` there (or an exact 0), on every BLAS kernel.
    """
    n = shape_of(r)[-1]
    d = ops.abs(diag(r))
    big = ops.max(ops.abs(r), axis=(-2, -1))
    tol = ops.expand_dims(big, -1) * float(max(m, n) * np.finfo(real_dtype(r)).eps)
    bad = ops.less_equal(d, tol)
    guard = ops.expand_dims(ops.expand_dims(ops.sum(nan_where(bad, d), axis=-1), -1), -1) + 1.0
    if anywhere(bad):
        r = r + diagm(ops.where(bad, real_dtype(r).type(1.0), real_dtype(r).type(0.0)))
    return r, guard


def _qr_jvp(primals, tangents, ans, *, complete):
    (a,), (t,) = primals, tangents
    if not complete:
        return _qr_jvp_reduced(t, *ans)
    q, r = ans
    n = shape_of(a)[-1]
    dq, dr = _qr_jvp_reduced(t, q[..., :, :n], r[..., :n, :])
    zero_rows = as_type_of(np.zeros(shape_of(r[..., n:, :]), dtype_of(r)), r)   # R's zero rows
    return [ops.concatenate([dq, _extra_nan(q, n, -1)], axis=-1),
            ops.concatenate([dr, zero_rows], axis=-2)]


def _qr_jvp_reduced(t, q, r):
    rs, guard = _rank_guard(r, shape_of(q)[-2])
    b = _rsolve(t, rs)
    kk = _qr_k(H(q) @ b)
    return [(b - q @ kk) * guard, kk @ r * guard]


def _qr_vjp(j, g, ans, a, *, complete):
    if j != 0:
        return None
    if not complete:
        return _qr_vjp_reduced(g, ans)
    (gq, gr), (q, r) = g, ans
    n = shape_of(a)[-1]
    reduced = (gq[..., :, :n], gr[..., :n, :]), (q[..., :, :n], r[..., :n, :])
    return _qr_vjp_reduced(*reduced) + _complete_bad(gq, n, -1)


def _qr_vjp_reduced(g, ans):
    gq, gr = g
    q, r = ans
    rs, guard = _rank_guard(r, shape_of(q)[-2])
    gk = -(T(q) @ gq) + gr @ T(r)
    gb = gq + ops.conj(q) @ _qr_k_T(gk)
    return T(solve_p(rs, T(gb))) * guard            # gb R^-T


defjvp_full(qr_p, _qr_jvp)
defvjp_argnum(qr_p, _qr_vjp, keep=False)
batch_core(qr_p, (2,))


QRResult = type(np.linalg.qr(np.eye(1)))


@route(np.linalg.qr)
def qr(a, mode="reduced"):
    """Differentiable ``np.linalg.qr`` (modes 'reduced', 'complete', 'r').

    Needs full column rank in the leading square block: the derivative of a
    (numerically) rank-deficient input is NaN, where ``|R_ii| <= eps * max(m, n) *
    max|R|`` (the rank tolerance of ``lstsq``). For wide matrices (m < n) Q comes
    from the first m columns and ``R[:, m:] = Q^H A[:, m:]``. ``mode='complete'`` with m > n has extra
    columns of Q that are not unique: their derivative is NaN where they are used.

    Example:
        >>> import numpy as np, funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda a: fnp.linalg.qr(a)[1][0, 0])(np.array([[3.0], [4.0]]))
        array([[-0.6],
               [-0.8]])
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r' for traced values, got "
                         f"{mode!r}")
    if not is_traced(a):
        return np.linalg.qr(a, mode=mode)
    m, n = shape_of(a)[-2:]
    if m >= n:
        q, r = qr_p(a, complete=mode == "complete" and m > n)
    else:
        q, r1 = qr_p(a[..., :, :m], complete=False)
        r = ops.concatenate([r1, H(q) @ a[..., :, m:]], axis=-1)
    if mode == "r":
        return r
    return make_result(QRResult, q, r)
