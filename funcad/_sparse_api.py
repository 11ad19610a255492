"""Sparse Jacobians and Hessians: detect the pattern, colour it, one batched product per colour.

``jacobian_sparsity`` / ``hessian_sparsity`` run the function once on index-set tracers
(``_sparsity.py``). ``sparse_jacobian`` / ``sparse_hessian`` return a prepared function:
per input structure (tree, shapes, dtypes) it detects (or takes) the pattern and colours it
once, then every call is one ``vmap`` of ``jvp`` (columns), ``vjp`` (rows) or
Hessian-vector products over the colour seeds, and a gather that decompresses the result.

Pytree inputs and outputs are flattened like ``fad.tree.ravel_pytree``: columns are the
inputs' leaves raveled one after another, rows the outputs'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tree as _tree
from ._arrays import is_foreign, to_numpy
from ._core import Tracer
from ._coloring import Coloring, column_coloring, decompress_star, row_coloring, star_coloring
from ._index_sets import SparsityError
from ._pattern import SparsityPattern
from ._sparsity import detect_flat
from ._util import dtype_of, shape_of
from ._vmap import vmap
from .api import grad, jvp, vjp

__all__ = [
    "SparsityError",
    "SparsityPattern",
    "hessian_sparsity",
    "jacobian_sparsity",
    "sparse_hessian",
    "sparse_jacobian",
]


def _leaves(args):
    leaves, treedef = _tree.flatten(tuple(args))
    return [x if hasattr(x, "shape") else np.asarray(x) for x in leaves], treedef


def _flat_fun(f, treedef):
    def run(*leaves):
        out = f(*_tree.unflatten(treedef, list(leaves)))
        return _tree.leaves(out)
    return run


def jacobian_sparsity(f: Callable, *, local: bool = False) -> Callable[..., SparsityPattern]:
    """The structural sparsity pattern of ``f``'s Jacobian, without computing derivatives.

    ``f`` runs once on tracers that carry, per element, the input elements it depends on.
    The pattern holds for every input (a *global* pattern), so ``f`` may not branch on
    its traced values (use ``funcad.numpy.where``); with ``local=True`` it may, and the
    pattern holds at the given point. Entries may be structurally nonzero yet zero at a
    point (an over-approximation); an entry that can be nonzero is never missing.

    Args:
      f: a function of arrays (pytrees allowed) returning an array or pytree of arrays.
      local: let Python control flow see the values (the pattern is then local).

    Returns:
      A function of ``f``'s arguments returning a :class:`SparsityPattern` of shape
      ``(outputs' total size, inputs' total size)``, both raveled in pytree order.

    Example:
        >>> import numpy as np, funcad as fad
        >>> import funcad as fad
        >>> p = fad.jacobian_sparsity(lambda x: x[1:] - x[:-1] ** 2)(np.ones(4))
        >>> print(p.toarray().astype(int))
        [[1 1 0 0]
         [0 1 1 0]
         [0 0 1 1]]
    """
    def detect(*args):
        leaves, treedef = _leaves(args)
        flat_f = _flat_fun(f, treedef)
        outs, n, _ = detect_flat(flat_f, leaves, local=local, caller="jacobian_sparsity")
        return _stack_rows(outs, n)
    return detect


def _stack_rows(outs, n) -> SparsityPattern:
    ptrs, shift = [np.zeros(1, np.int64)], 0
    for s in outs:
        ptrs.append(s.indptr[1:] + shift)
        shift += s.nnz
    m = sum(s.m for s in outs)
    idx = np.concatenate([s.indices for s in outs]) if outs else np.zeros(0, np.int64)
    return SparsityPattern(np.concatenate(ptrs), idx, (m, n))


def hessian_sparsity(f: Callable, *, local: bool = False) -> Callable[..., SparsityPattern]:
    """The structural sparsity pattern of the Hessian of a scalar function ``f``.

    Collects the pairs of input elements that meet in a nonlinear operation (a product of
    two traced values, a nonlinear function of one); linear operations add none. The
    pattern is symmetric and holds for every input (``local=True``: at this point).

    Args:
      f: a scalar function of arrays (pytrees allowed; columns raveled in pytree order).
      local: let Python control flow see the values.

    Returns:
      A function of ``f``'s arguments returning an ``n x n`` :class:`SparsityPattern`.

    Example:
        >>> import numpy as np
        >>> import funcad as fad
        >>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> print(fad.hessian_sparsity(rosen)(np.zeros(5)).toarray().astype(int))
        [[1 1 0 0 0]
         [1 1 1 0 0]
         [0 1 1 1 0]
         [0 0 1 1 1]
         [0 0 0 1 1]]
    """
    def detect(*args):
        leaves, treedef = _leaves(args)
        flat_f = _flat_fun(f, treedef)
        _, n, keys = detect_flat(flat_f, leaves, hessian=True, local=local,
                                 caller="hessian_sparsity")
        i, j = keys // max(n, 1), keys % max(n, 1)
        off = i != j
        return SparsityPattern.from_coo(np.r_[i, j[off]], np.r_[j, i[off]], (n, n))
    return detect


# ---------------------------------------------------------------------------
# compressed evaluation
# ---------------------------------------------------------------------------

def _as_result(prep, vals: np.ndarray, fmt: str):
    pattern = prep.pattern
    if fmt == "coo" or fmt == "auto" and not _have_scipy():
        return prep.rows, pattern.cols, vals
    if isinstance(vals, Tracer):     # inside jit, grad, vmap ...: values a SciPy matrix cannot hold
        raise TypeError(
            "sparse_jacobian/sparse_hessian inside a transform (jit, grad, vmap): a "
            "scipy.sparse matrix cannot hold traced values. Pass format='coo' to get "
            "(rows, cols, values) arrays, and build the matrix outside the transform.")
    import scipy.sparse as sp
    return sp.csr_array((vals, pattern.indices, pattern.indptr), shape=pattern.shape)


def _traced(args) -> bool:
    return any(isinstance(x, Tracer) for x in _tree.leaves(tuple(args)))


def _have_scipy() -> bool:
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        return False
    return True


def _ravel(args):
    """``ravel_pytree`` of the arguments, keeping their dtype when they share one inexact
    dtype (float32 in, float32 derivatives out); mixed dtypes become float64."""
    leaves, treedef = _tree.flatten(tuple(args))
    dts = {np.result_type(x) for x in leaves}
    if len(dts) != 1 or next(iter(dts)).kind not in "fc":
        return _tree.ravel_pytree(tuple(args))
    shapes = [tuple(shape_of(x)) for x in leaves]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    flat = np.concatenate([np.ravel(x) for x in leaves]) if leaves else np.zeros(0)
    cuts = np.cumsum(sizes)[:-1].tolist()

    def unravel(v):
        parts = [v] if len(leaves) == 1 else [v[a:b] for a, b in zip([0] + cuts, cuts + [None])]
        return _tree.unflatten(treedef, [np.reshape(p, s) for p, s in zip(parts, shapes)])
    return flat, unravel


def _seeds(colors: np.ndarray, k: int, dtype) -> np.ndarray:
    s = np.zeros((k, len(colors)), dtype)
    s[colors, np.arange(len(colors))] = 1
    return s


class _Prepared:
    """What one input structure needs: the pattern, its colouring, the gather indices."""

    def __init__(self, pattern, coloring, read_rows, read_cols):
        self.pattern, self.coloring = pattern, coloring
        self.read_rows, self.read_cols = read_rows, read_cols
        self.rows = pattern.rows                 # computed once, not per call
        self.seeds: dict = {}                    # dtype -> the colour seeds (k, n or m)
        self._flat: dict = {}                    # (k, width, C order?) -> flat gather indices

    def gather(self, b):
        """``b[read_cols, read_rows]``: the compressed products' entries in pattern order.

        A plain array is read with one ``np.take`` of precomputed flat indices (in its own
        memory order, C or Fortran, so it is not copied first); a traced one (inside jit,
        grad, ...) with funcad indexing.
        """
        if type(b) is np.ndarray and b.ndim == 2:
            k, w = b.shape
            if b.flags.c_contiguous or b.flags.f_contiguous:
                c = bool(b.flags.c_contiguous)
                idx = self._flat.get((k, w, c))
                if idx is None:
                    idx = (self.read_cols * w + self.read_rows if c
                           else self.read_rows * k + self.read_cols).astype(np.intp)
                    self._flat[(k, w, c)] = idx
                return np.take(b.ravel(order="C" if c else "F"), idx)
        if is_foreign(b):        # Dask / CuPy: the sparse result is assembled in NumPy
            b = to_numpy(b)
        return b[self.read_cols, self.read_rows]     # funcad indexing: traced values too

    def seed(self, dtype) -> np.ndarray:
        s = self.seeds.get(dtype)
        if s is None:
            s = self.seeds[dtype] = _seeds(self.coloring.colors, self.coloring.ncolors, dtype)
        return s


class _SparseDerivative:
    """A prepared sparse Jacobian or Hessian (see ``sparse_jacobian``/``sparse_hessian``)."""

    def __init__(self, f, sparsity, mode, order, fmt, hessian, local):
        if mode not in ("auto", "fwd", "rev"):
            raise ValueError(f"mode must be 'auto', 'fwd' or 'rev', got {mode!r}")
        if fmt not in ("auto", "scipy", "coo"):
            raise ValueError(f"format must be 'auto', 'scipy' or 'coo', got {fmt!r}")
        self.f, self.mode, self.order, self.format = f, mode, order, fmt
        self.hessian, self.local = hessian, local
        self.user = None if isinstance(sparsity, str) and sparsity == "auto" else \
            SparsityPattern.from_any(sparsity)
        self._cache: dict = {}

    def _key(self, leaves, treedef):
        return treedef, tuple((tuple(shape_of(x)), dtype_of(x).str) for x in leaves)

    def prepare(self, *args) -> _Prepared:
        """Detect (or check) the pattern and colour it for inputs like ``args`` (cached)."""
        if all(type(a) is np.ndarray for a in args):       # the common case, hashed fast
            key = tuple((a.shape, a.dtype.str) for a in args)
        else:
            leaves, treedef = _leaves(args)
            key = self._key(leaves, treedef)
        prep = self._cache.get(key)
        if prep is None:
            prep = self._cache[key] = self._build(args, _leaves(args)[0])
        return prep

    def pattern(self, *args) -> SparsityPattern:
        """The pattern used for inputs like ``args``."""
        return self.prepare(*args).pattern

    def coloring(self, *args) -> Coloring:
        """The colouring used for inputs like ``args`` (``.ncolors``: products per call)."""
        return self.prepare(*args).coloring

    def clear_cache(self) -> None:
        """Forget every pattern (after changing arrays the function closes over)."""
        self._cache.clear()

    def _build(self, args, leaves) -> _Prepared:
        name = "sparse_hessian" if self.hessian else "sparse_jacobian"
        n = sum(math.prod(shape_of(x)) for x in leaves)
        if self.user is not None:
            pat = self.user
        else:
            det = hessian_sparsity if self.hessian else jacobian_sparsity
            try:
                pat = det(self.f, local=self.local)(*args)
            except SparsityError as e:
                raise SparsityError(f"{name}: {e}") from None
        if self.hessian:
            if pat.shape != (n, n):
                raise ValueError(f"{name}: the pattern has shape {pat.shape}, but the inputs "
                                 f"have {n} elements in all (expected ({n}, {n}))")
            if self.user is not None:          # decompression reads both triangles
                r, c = pat.rows, pat.cols
                pat = SparsityPattern.from_coo(np.r_[r, c], np.r_[c, r], pat.shape)
            col = star_coloring(pat.rows, pat.cols, n, self.order)
            rr, cc = decompress_star(pat.rows, pat.cols, col.colors, n)
            prep = _Prepared(pat, col, rr, cc)
        else:
            if pat.shape[1] != n:
                raise ValueError(f"{name}: the pattern has {pat.shape[1]} columns, but the "
                                 f"inputs have {n} elements in all")
            fwd = rev = None
            flat, fun = self._flat(args)
            mode = self.mode
            if np.result_type(fun(flat)).kind == "c" and np.result_type(flat).kind != "c":
                if mode == "rev":     # real cotangent seeds give only the real part
                    raise ValueError(f"{name}: mode='rev' cannot give the complex Jacobian of "
                                     "a real input; use mode='fwd' (or 'auto')")
                mode = "fwd"
            if mode in ("auto", "fwd"):
                fwd = column_coloring(pat.rows, pat.cols, pat.shape, self.order)
            if mode in ("auto", "rev"):
                rev = row_coloring(pat.rows, pat.cols, pat.shape, self.order)
            if fwd is not None and (rev is None or fwd.ncolors <= rev.ncolors):
                prep = _Prepared(pat, fwd, pat.rows, fwd.colors[pat.cols])   # B[c(j), i]
            else:
                prep = _Prepared(pat, rev, pat.cols, rev.colors[pat.rows])   # B[c(i), j]
        if self.user is not None:
            self._check(prep, args, name)
        return prep

    # -- evaluation --------------------------------------------------------------
    def _flat(self, args):
        flat, unravel = _ravel(args)

        def fun(v):
            if self.hessian:                          # a scalar function
                return self.f(*unravel(v))
            leaves = _tree.leaves(self.f(*unravel(v)))
            parts = [np.ravel(x) for x in leaves]
            return parts[0] if len(parts) == 1 else np.concatenate(parts)
        return flat, fun

    def _values(self, prep, args) -> np.ndarray:
        flat, fun = self._flat(args)
        col = prep.coloring
        if col.ncolors == 0:
            return np.zeros(0, flat.dtype)
        if self.hessian:
            g = grad(fun)
            b = vmap(lambda s: jvp(g, (flat,), (s,))[1])(prep.seed(flat.dtype))   # H s_c
            return prep.gather(b)
        if col.kind == "column":
            b = vmap(lambda s: jvp(fun, (flat,), (s,))[1])(prep.seed(flat.dtype))  # J s_c
        else:
            out, pull = vjp(fun, flat)
            b = vmap(lambda s: pull(s)[0])(prep.seed(np.result_type(out)))       # s_c J
        return prep.gather(b)

    def __call__(self, *args):
        prep = self.prepare(*args)
        vals = self._values(prep, args)
        if self.local and self.user is None and not _traced(args) and \
                self._missed(prep, args, vals) is not None:
            # a local pattern holds where the branches seen at detection are taken: these
            # inputs took another one (a random product found an entry outside the pattern),
            # so detect again here (never a silently missing entry)
            self.clear_cache()
            prep = self.prepare(*args)
            vals = self._values(prep, args)
        return _as_result(prep, vals, self.format)

    def _missed(self, prep, args, vals):
        """The first row where one random product disagrees with the compressed values
        (an entry outside the pattern), or None."""
        flat, fun = self._flat(args)
        rng = np.random.default_rng(0)
        v = rng.standard_normal(flat.shape).astype(flat.dtype)
        pat = prep.pattern
        if self.hessian:
            exact = np.asarray(jvp(grad(fun), (flat,), (v,))[1])
        else:
            exact = np.ravel(jvp(fun, (flat,), (v,))[1])
        approx = np.zeros(pat.shape[0], np.result_type(vals, v))
        np.add.at(approx, pat.rows, vals * v[pat.cols])
        tol = 10 * np.sqrt(np.finfo(np.result_type(flat.dtype, np.float32)).eps)
        scale = np.abs(exact).max(initial=0) + 1.0
        bad = np.flatnonzero(np.abs(approx - exact) > tol * scale * max(1, pat.shape[1]) ** 0.5)
        return int(bad[0]) if len(bad) else None

    def _check(self, prep, args, name):
        """A user's pattern must hold every nonzero: compare one random product with the
        compressed result, and name an entry it missed."""
        flat, fun = self._flat(args)
        rng = np.random.default_rng(0)
        v = rng.standard_normal(flat.shape).astype(flat.dtype)
        vals = self._values(prep, args)
        pat = prep.pattern
        if self.hessian:
            exact = np.asarray(jvp(grad(fun), (flat,), (v,))[1])
        else:
            exact = np.ravel(jvp(fun, (flat,), (v,))[1])
        approx = np.zeros(pat.shape[0], np.result_type(vals, v))
        np.add.at(approx, pat.rows, vals * v[pat.cols])
        # rounding differs between the two sums: allow sqrt(eps) relative, per sqrt(n) terms
        tol = 10 * np.sqrt(np.finfo(np.result_type(flat.dtype, np.float32)).eps)
        scale = np.abs(exact).max(initial=0) + 1.0
        bad = np.flatnonzero(np.abs(approx - exact) > tol * scale * max(1, pat.shape[1]) ** 0.5)
        if not len(bad):
            return
        i = int(bad[0])
        if self.hessian:        # row i of H: H e_i
            row = np.asarray(jvp(grad(fun), (flat,), (np.eye(1, len(flat), i, flat.dtype)[0],))[1])
        else:                   # row i of J: e_i J
            e = np.zeros(pat.shape[0], np.result_type(fun(flat)))
            e[i] = 1
            row = np.asarray(vjp(fun, flat)[1](e)[0])
        have = set(pat.indices[pat.indptr[i]:pat.indptr[i + 1]].tolist())
        miss = [j for j in np.flatnonzero(row).tolist() if j not in have]
        what = f"entry ({i}, {miss[0]}) = {row[miss[0]]:.6g}" if miss else f"row {i}"
        raise SparsityError(
            f"{name}: the sparsity pattern given misses {what} at these inputs: the function "
            "has a nonzero the pattern does not hold. Pass a larger pattern, or "
            "sparsity='auto' to detect it.")


def sparse_jacobian(f: Callable, sparsity: Any = "auto", mode: str = "auto", *,
                    order: str = "natural", format: str = "auto",
                    local: bool = False) -> Callable:
    """A prepared function computing ``f``'s Jacobian as a sparse matrix, by colouring.

    Per input structure (pytree, shapes, dtypes) the pattern is detected once (or taken
    from ``sparsity``, then checked on a random product) and coloured; each call is one
    ``vmap`` of ``jvp`` over the column colours (``mode="fwd"``) or of ``vjp`` over the row
    colours (``"rev"``; ``"auto"``: fewer colours). Patterns are cached: call
    ``.clear_cache()`` after changing arrays ``f`` closes over if that changes its pattern.

    Args:
      f: a function of arrays (pytrees flattened like ``fad.tree.ravel_pytree``).
      sparsity: ``"auto"`` (detect a global pattern), or a pattern: a
        :class:`SparsityPattern`, a scipy.sparse matrix or a dense array of its nonzeros.
      mode: ``"auto"``, ``"fwd"`` or ``"rev"``.
      order: the colouring's vertex order: ``natural``, ``largest_first``,
        ``smallest_last``, ``incidence_degree`` or ``best`` (try all, keep the fewest).
      format: ``"auto"`` (``scipy.sparse.csr_array`` when SciPy is installed, else
        ``(rows, cols, values)``), ``"scipy"`` or ``"coo"``.
      local: detect at the given point (Python control flow on values allowed).

    Returns:
      ``jac(*args)`` -> the sparse Jacobian (outputs' total size x inputs' total size);
      ``jac.pattern(*args)`` and ``jac.coloring(*args)`` show what it uses.

    Example:
        >>> import numpy as np
        >>> import funcad as fad
        >>> jac = fad.sparse_jacobian(lambda x: x[1:] * x[:-1], format="coo")
        >>> rows, cols, vals = jac(np.arange(1.0, 5.0))
        >>> rows.tolist(), cols.tolist(), vals.tolist()
        ([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 3], [2.0, 1.0, 3.0, 2.0, 4.0, 3.0])
        >>> jac.coloring(np.ones(4)).ncolors
        2
    """
    return _SparseDerivative(f, sparsity, mode, order, format, False, local)


def sparse_hessian(f: Callable, sparsity: Any = "auto", *, order: str = "natural",
                   format: str = "auto", local: bool = False) -> Callable:
    """A prepared function computing a scalar ``f``'s Hessian as a sparse matrix.

    The pattern is star-coloured (every path on four variables uses three colours), so
    each call is one ``vmap`` over the colours of a Hessian-vector product (forward over
    reverse) and each entry is read directly from one product. Caching, ``sparsity``,
    ``order``, ``format`` and ``local`` as in :func:`sparse_jacobian`.

    Returns:
      ``hess(*args)`` -> the symmetric sparse Hessian (inputs' total size squared).

    Example:
        >>> import numpy as np
        >>> import funcad as fad
        >>> rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> hess = fad.sparse_hessian(rosen, format="scipy")
        >>> H = hess(np.ones(6))
        >>> hess.coloring(np.ones(6)).ncolors, H.shape, H.nnz
        (3, (6, 6), 16)
    """
    return _SparseDerivative(f, sparsity, "auto", order, format, True, local)
