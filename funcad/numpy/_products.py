"""Products: matmul and einsum are primitives; dot, tensordot, inner, outer, vdot are composites."""

from __future__ import annotations

import math
import string

import numpy as np

from ..extend import as_type_of, deflazy, library_of
from ..extend import def_dot, def_linear, defbatch, defsparse, defsparsity, sparse_rules, sparsity_rules
from . import _reductions
from ._base import (Primitive, Tracer, defjvp, defjvp_full, defvjp, defvjp_argnum, dtype_of,
                    implements, is_traced, shape_of, unbroadcast)
from ._complex import conj
from ._elementwise import multiply_p
from ._reductions import sum
from ._shape import broadcast_to, expand_dims, reshape, swapaxes, transpose

# ---------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------

matmul_p = Primitive("matmul", np.matmul)
deflazy(matmul_p)
defsparse(matmul_p, sparse_rules.matmul)
def_dot(matmul_p)
defjvp(matmul_p, lambda t, ans, x, y: matmul_p(t, y), lambda t, ans, x, y: matmul_p(x, t))


def _mT(a):
    # the last two axes swapped: a strided view of an array (BLAS reads it transposed, no
    # copy), a funcad op on a traced value
    if isinstance(a, (np.ndarray, Tracer)):
        return a.swapaxes(-1, -2)
    return swapaxes(a, -1, -2)


def _matmul_vjp_x(g, _ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) >= 2 and len(xs) >= 2:     # (..., k, n) @ (..., n, m): g @ y^T
        return unbroadcast(matmul_p(g, _mT(y)), xs)
    if len(xs) == 1 and len(ys) == 1:
        return multiply_p(g, y)
    if len(xs) == 1:                      # (n,) @ (..., n, m) -> (..., m)
        return unbroadcast(reshape(matmul_p(y, reshape(g, shape_of(g) + (1,))),
                                   shape_of(g)[:-1] + (xs[0],)), xs)
    # (..., k, n) @ (n,) -> (..., k)
    return unbroadcast(multiply_p(reshape(g, shape_of(g) + (1,)), y), xs)


def _matmul_vjp_y(g, _ans, x, y):
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 2 and len(xs) >= 2:
        if len(xs) > 2:   # (..., k, n) @ (n, m): one GEMM over all the rows, not one GEMM
            rows = math.prod(xs[:-1])     # per batch element and then a sum over the batch
            x, g = reshape(x, (rows, xs[-1])), reshape(g, (rows, ys[-1]))
        return matmul_p(_mT(x), g)
    if len(ys) > 2 and len(xs) >= 2:      # (..., k, n) @ (..., n, m): x^T @ g, summed
        return unbroadcast(matmul_p(_mT(x), g), ys)
    if len(xs) == 1 and len(ys) == 1:
        return multiply_p(g, x)
    if len(ys) == 1:                      # (..., k, n) @ (n,) -> (..., k)
        gx = matmul_p(_mT(x), reshape(g, shape_of(g) + (1,)))
        return unbroadcast(reshape(gx, shape_of(gx)[:-1]), ys)
    # (n,) @ (..., n, m) -> (..., m)
    return unbroadcast(multiply_p(reshape(x, (xs[0], 1)), reshape(g, shape_of(g)[:-1] + (
        1,) + shape_of(g)[-1:])), ys)


# each VJP reads only the other operand: with a constant on one side the tape keeps that
# constant and just the shape of the traced side
defvjp(matmul_p, _matmul_vjp_x, _matmul_vjp_y, needs=((1,), (0,)))
def_linear(matmul_p, joint=False)
defsparsity(matmul_p, sparsity_rules.matmul)


def _matmul_batch(vals, dims):
    # per-example operands: make vectors matrices, align batch ranks, multiply, drop added axes
    (x, y), (dx, dy) = vals, dims
    xs = shape_of(x)[1:] if dx is not None else shape_of(x)
    ys = shape_of(y)[1:] if dy is not None else shape_of(y)
    # one batched operand against a vector/matrix: a single GEMM, not a stack of mat-vecs
    if dy is None and len(ys) <= 2:
        if len(xs) == 2 and len(ys) == 2:  # (B, k, n) @ (n, m) as one (B*k, n) @ (n, m)
            b = shape_of(x)[0]
            return reshape(matmul_p(reshape(x, (b * xs[0], xs[1])), y), (b, xs[0], ys[1]))
        return matmul_p(x, y)              # (B, ..., n) @ (n[, m]) broadcasts over B
    if dx is None and len(xs) <= 2:
        if len(xs) == 2 and len(ys) == 2:  # (k, n) @ (B, n, m): (B*m, n) @ (n, k), transposed
            b = shape_of(y)[0]
            yt = reshape(transpose(y, (0, 2, 1)), (b * ys[1], ys[0]))
            return transpose(reshape(matmul_p(yt, transpose(x)), (b, ys[1], xs[0])), (0, 2, 1))
        if len(ys) >= 2:
            return matmul_p(x, y)          # (n,) @ (B, ..., n, m), (k, n) @ (B, ..., n, m)
        return matmul_p(y, x if len(xs) == 1 else transpose(x))   # rows of y times x^T
    xv, yv = len(xs) == 1, len(ys) == 1
    xs2 = (1,) + xs if xv else xs
    ys2 = ys + (1,) if yv else ys
    nd = max(len(xs2), len(ys2))
    x = _align(x, dx, xs2, nd)
    y = _align(y, dy, ys2, nd)
    out = matmul_p(x, y)
    shp = shape_of(out)
    if xv and yv:
        return reshape(out, shp[:-2])
    if xv:
        return reshape(out, shp[:-2] + shp[-1:])
    if yv:
        return reshape(out, shp[:-1])
    return out


def _align(v, d, per_shape, nd):
    shp = shape_of(v)
    if d is None:
        return reshape(v, per_shape) if shp != per_shape else v
    return reshape(v, (shp[0],) + (1,) * (nd - len(per_shape)) + tuple(per_shape))


defbatch(matmul_p, _matmul_batch)


@implements(np.matmul)
def matmul(x1, x2):
    """Differentiable ``np.matmul`` (also the ``@`` operator).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fad.grad(lambda w: fnp.sum(fnp.ones((1, 2)) @ w))(fnp.eye(2))
        array([[1., 1.],
               [1., 1.]])
    """
    if not isinstance(x1, Tracer) and not isinstance(x2, Tracer):
        return np.matmul(x1, x2)
    if len(shape_of(x1)) == 0 or len(shape_of(x2)) == 0:
        raise ValueError("matmul: input operand does not have enough dimensions (a 0-d array); "
                         "use * for scalars")
    return matmul_p(x1, x2)


# ---------------------------------------------------------------------------
# einsum: explicit subscripts, one letter per axis
# ---------------------------------------------------------------------------

def _parse(subscripts, shapes):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins, out = subscripts, None
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscripts for {len(shapes)} operands")
    used = set(subscripts) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    ell_nd = max([len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes)
                  if "..." in t] or [0])
    ell = "".join(spare[:ell_nd])
    full = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_nd - k:])
        full.append(t)
    if out is None:
        counts = {}
        for t in full:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return full, out


def _einsum_impl(*ops_, spec):
    if any(library_of(o) == "dask" for o in ops_):
        ops_ = _dask_diagonal_chunks(ops_, spec)
    return np.einsum(spec, *ops_, optimize=True)


def _dask_diagonal_chunks(ops_, spec):
    """Dask's einsum pairs the blocks of the axes one operand repeats a letter on (``ii->i``)
    by position, so their chunks must agree, or computing the result fails: such axes are
    rechunked like the letter's first axis."""
    out = []
    for o, term in zip(ops_, spec.split("->")[0].split(",")):
        if library_of(o) == "dask" and len(set(term)) < len(term):
            first, new = {}, {}
            for ax, c in enumerate(term):
                if c not in first:
                    first[c] = ax
                elif o.chunks[ax] != o.chunks[first[c]]:
                    new[ax] = o.chunks[first[c]]
            o = o.rechunk(new) if new else o
        out.append(o)
    return out


einsum_p = Primitive("einsum", _einsum_impl)
deflazy(einsum_p)
def_dot(einsum_p)


def _spec(ins, out):
    return ",".join(ins) + "->" + out


def _einsum_jvp(primals, tangents, ans, *, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        ops_ = list(primals)
        ops_[i] = t
        term = einsum_p(*ops_, spec=spec)
        total = term if total is None else total + term
    return total


def _einsum_vjp(j, g, _ans, *operands, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    target = ins[j]
    others = [op for k, op in enumerate(operands) if k != j]
    other_terms = [t for k, t in enumerate(ins) if k != j]
    avail = set(out).union(*[set(t) for t in other_terms])
    if len(set(target)) != len(target):
        return _einsum_vjp_repeated(g, others, out, other_terms, target, shape_of(operands[j]),
                                    avail)
    kept = "".join(c for c in target if c in avail)
    r = einsum_p(g, *others, spec=_spec([out] + other_terms, kept))
    if kept != target:   # indices summed out only in this operand: broadcast back
        shp = shape_of(operands[j])
        r = reshape(r, tuple(shp[i] if c in avail else 1 for i, c in enumerate(target)))
        r = broadcast_to(r, shp)
    return r


def _einsum_vjp_repeated(g, others, out, other_terms, target, shape, avail):
    """The cotangent of an operand with a repeated index ('ii', 'iij'): the contraction over
    its distinct indices, written onto the diagonals by constant identity matrices (each
    repeat of an index gets a fresh letter and a delta tying it to the first), and broadcast
    over indices that only this operand has by constant ones."""
    size = dict(zip(target, shape))
    distinct = "".join(dict.fromkeys(target))
    kept = "".join(c for c in distinct if c in avail)
    r = einsum_p(g, *others, spec=_spec([out] + other_terms, kept))
    dt = dtype_of(r)
    spare = iter(c for c in string.ascii_letters if c not in target + out + "".join(other_terms))
    renamed, consts, terms, seen = "", [], [], set()
    for c in target:
        if c in seen:                 # a repeat: a fresh letter tied to c by the identity
            fresh = next(spare)
            consts.append(as_type_of(np.eye(size[c], dtype=dt), r))
            terms.append(c + fresh)
            renamed += fresh
            continue
        seen.add(c)
        renamed += c
        if c not in avail and target.count(c) == 1:     # only here: broadcast
            consts.append(as_type_of(np.ones(size[c], dtype=dt), r))
            terms.append(c)
    return einsum_p(r, *consts, spec=_spec([kept] + terms, renamed))


defjvp_full(einsum_p, _einsum_jvp)
defvjp_argnum(einsum_p, _einsum_vjp)
def_linear(einsum_p, joint=False)
defsparsity(einsum_p, sparsity_rules.einsum)


def _einsum_batch(vals, dims, *, spec):
    ins, out = spec.split("->")
    ins = ins.split(",")
    b = next(c for c in string.ascii_letters if c not in spec)
    new_ins = [b + t if d is not None else t for t, d in zip(ins, dims)]
    return einsum_p(*vals, spec=_spec(new_ins, b + out))


defbatch(einsum_p, _einsum_batch)


def _sublist_subscripts(args):
    """NumPy's sublist form ``(op0, sub0, op1, sub1, ..., [out])`` as a subscript string and
    the operands: labels 0-25 are 'A'-'Z', 26-51 'a'-'z' (so the implicit output, sorted by
    label, is the one NumPy gives), ``...`` is ``Ellipsis``."""
    def letters(sub):
        out = ""
        for k in sub:
            if k is Ellipsis:
                out += "..."
            elif isinstance(k, (int, np.integer)) and 0 <= k < 52:
                out += string.ascii_uppercase[k] if k < 26 else string.ascii_lowercase[k - 26]
            else:
                raise ValueError(f"einsum: subscript labels in the sublist form are integers "
                                 f"in [0, 52) or Ellipsis, got {k!r}")
        return out
    ops_, subs = list(args[0:len(args) - len(args) % 2:2]), args[1::2]
    spec = ",".join(letters(s_) for s_ in subs)
    if len(args) % 2:
        spec += "->" + letters(args[-1])
    return spec, ops_


@implements(np.einsum)
def einsum(subscripts, *operands, out=None, dtype=None, order="K", casting="safe",
           optimize=False):
    """Differentiable ``np.einsum``: string subscripts (with ``...`` and implicit output) or
    the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Operands may repeat an index
    (``'ii->'``, ``'ii->i'``: traces and diagonals).

    Example:
        >>> import funcad as fad, funcad.numpy as fnp
        >>> fnp.einsum("ij,jk->ik", fnp.ones((2, 3)), fnp.ones((3, 4))).shape
        (2, 4)
        >>> fnp.einsum(fnp.ones((2, 3)), [0, 1], fnp.ones((3, 4)), [1, 2], [0, 2]).shape
        (2, 4)
        >>> fad.grad(lambda a: fnp.einsum("ii->", a))(fnp.ones((2, 2)))    # the trace
        array([[1., 0.],
               [0., 1.]])
    """
    if not isinstance(subscripts, str):
        if not is_traced(subscripts, *operands):
            return np.einsum(subscripts, *operands, optimize=optimize)
        subscripts, operands = _sublist_subscripts((subscripts,) + operands)
    if not is_traced(*operands):
        return np.einsum(subscripts, *operands, optimize=optimize)
    ins, outs = _parse(subscripts, [shape_of(o) for o in operands])
    return einsum_p(*operands, spec=_spec(ins, outs))


# ---------------------------------------------------------------------------
# composites
# ---------------------------------------------------------------------------

@implements(np.dot)
def dot(a, b, out=None):
    """Differentiable ``np.dot``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.dot(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])))
        11.0
    """
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return multiply_p(a, b)
    if nb <= 2:
        return matmul_p(a, b)
    return tensordot(a, b, axes=([na - 1], [nb - 2]))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """Differentiable ``np.tensordot``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.tensordot(fnp.ones((2, 3)), fnp.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    sa, sb = shape_of(a), shape_of(b)
    if isinstance(axes, (int, np.integer)):
        ax_a = list(range(len(sa) - axes, len(sa)))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        ax_a = [x % len(sa) for x in ax_a]
        ax_b = [x % len(sb) for x in ax_b]
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [i for i in range(len(sb)) if i not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    a2 = reshape(transpose(a, free_a + ax_a), (-1, k))
    b2 = reshape(transpose(b, ax_b + free_b), (k, -1))
    return reshape(matmul_p(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


@implements(np.inner)
def inner(a, b):
    """Differentiable ``np.inner``.

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.inner(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])))
        11.0
    """
    if len(shape_of(a)) == 0 or len(shape_of(b)) == 0:
        return multiply_p(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def outer(a, b, out=None):
    """Differentiable ``np.outer``.

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.outer(fnp.ones(2), fnp.ones(3)).shape
        (2, 3)
    """
    return multiply_p(reshape(a, (-1, 1)), reshape(b, (1, -1)))


@implements(np.vdot)
def vdot(a, b):
    """Differentiable ``np.vdot`` (conjugates the first argument).

    Example:
        >>> import funcad.numpy as fnp
        >>> float(fnp.vdot(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])))
        11.0
    """
    return sum(multiply_p(conj(reshape(a, (-1,))), reshape(b, (-1,))))


# ---------------------------------------------------------------------------
# vector ufuncs: vecdot, matvec, vecmat
# ---------------------------------------------------------------------------


@implements(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1, **kwargs):
    """Differentiable ``np.vecdot`` (conjugates ``x1``).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vecdot(fnp.ones((2, 3)), fnp.ones(3))
        array([3., 3.])
    """
    if not is_traced(x1, x2):
        return np.vecdot(x1, x2, axis=axis)
    return _reductions.sum(multiply_p(conj(x1), x2), axis=axis)


@implements(np.matvec)
def matvec(x1, x2, /, **kwargs):
    """Differentiable ``np.matvec``: matrix (..., m, n) times vector (..., n).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.matvec(fnp.eye(2), fnp.array([1.0, 2.0]))
        array([1., 2.])
    """
    if not is_traced(x1, x2):
        return np.matvec(x1, x2)
    return matmul(x1, expand_dims(x2, -1))[..., 0]


@implements(np.vecmat)
def vecmat(x1, x2, /, **kwargs):
    """Differentiable ``np.vecmat``: conj(vector) (..., m) times matrix (..., m, n).

    Example:
        >>> import funcad.numpy as fnp
        >>> fnp.vecmat(fnp.array([1.0, 2.0]), fnp.eye(2))
        array([1., 2.])
    """
    if not is_traced(x1, x2):
        return np.vecmat(x1, x2)
    return matmul(expand_dims(conj(x1), -2), x2)[..., 0, :]
