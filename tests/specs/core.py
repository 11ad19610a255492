"""Specs of the core primitives: arithmetic, math ufuncs, reductions, shape, indexing, products."""

import numpy as np

import funcad.numpy as fnp

from ._spec import BINARY_SHAPES, UNARY_SHAPES, Spec

U, B = UNARY_SHAPES, BINARY_SHAPES

SPECS = [
    # -- arithmetic
    Spec("negative", fnp.negative),
    Spec("add", fnp.add, B),
    Spec("subtract", fnp.subtract, B),
    Spec("multiply", fnp.multiply, B),
    Spec("divide", fnp.divide, B, ("real", "nonzero")),
    Spec("power", fnp.power, B, ("positive", "real")),
    Spec("power_int", lambda x: x ** 3),
    Spec("float_power", fnp.float_power, B, ("positive", "real")),
    Spec("square", fnp.square),
    Spec("sqrt", fnp.sqrt, U, "positive"),
    Spec("cbrt", fnp.cbrt, U, "positive"),
    Spec("reciprocal", fnp.reciprocal, U, "nonzero"),
    # -- exp / log
    Spec("exp", fnp.exp), Spec("exp2", fnp.exp2), Spec("expm1", fnp.expm1),
    Spec("log", fnp.log, U, "positive"), Spec("log2", fnp.log2, U, "positive"),
    Spec("log10", fnp.log10, U, "positive"), Spec("log1p", fnp.log1p, U, "positive"),
    Spec("logaddexp", fnp.logaddexp, B), Spec("logaddexp2", fnp.logaddexp2, B),
    # -- trig / hyperbolic
    Spec("sin", fnp.sin), Spec("cos", fnp.cos), Spec("tan", fnp.tan, U, "unit"),
    Spec("arcsin", fnp.arcsin, U, "unit"), Spec("arccos", fnp.arccos, U, "unit"),
    Spec("arctan", fnp.arctan), Spec("sinh", fnp.sinh), Spec("cosh", fnp.cosh),
    Spec("tanh", fnp.tanh), Spec("arcsinh", fnp.arcsinh),
    Spec("arccosh", fnp.arccosh, U, "above_one"), Spec("arctanh", fnp.arctanh, U, "unit"),
    Spec("arctan2", fnp.arctan2, B, ("real", "nonzero")),
    Spec("hypot", fnp.hypot, B, "nonzero"),
    # -- piecewise (smooth away from kinks; inputs avoid them)
    Spec("abs", fnp.abs, U, "nonzero"),
    Spec("maximum", fnp.maximum, B, "distinct"),
    Spec("minimum", fnp.minimum, B, "distinct"),
    Spec("fmax", fnp.fmax, B, "distinct"),
    Spec("fmin", fnp.fmin, B, "distinct"),
    Spec("remainder", lambda x: fnp.remainder(x, 0.7), U, "distinct"),
    Spec("fmod", lambda x: fnp.fmod(x, 0.7), U, "distinct"),
    Spec("where", lambda x, y: fnp.where(x > 0, x * y, y ** 2), B),
    Spec("clip_like", lambda x: fnp.minimum(fnp.maximum(x, -0.5), 0.5) * x, U, "distinct"),
    # -- reductions
    Spec("sum", fnp.sum), Spec("sum_axis0", lambda x: fnp.sum(x, axis=0), [((3,),), ((2, 3),)]),
    Spec("sum_keepdims", lambda x: fnp.sum(x, axis=-1, keepdims=True), [((2, 3),)]),
    Spec("mean", fnp.mean), Spec("mean_axis", lambda x: fnp.mean(x, axis=1), [((2, 3),)]),
    Spec("var", fnp.var, [((3,),), ((2, 3),)]),
    Spec("std_ddof", lambda x: fnp.std(x, axis=0, ddof=1), [((3, 2),)]),
    # one sample per slice: constant 0, derivative 0 (not sqrt's NaN at 0)
    Spec("std_one_sample", lambda x: fnp.std(x, axis=-1), [((3, 1),), ((1,),)]),
    Spec("var_one_sample", lambda x: fnp.var(x, axis=0), [((1, 3),)]),
    Spec("prod", fnp.prod), Spec("prod_axis", lambda x: fnp.prod(x, axis=1), [((2, 5),)]),
    Spec("max", fnp.max, U, "distinct"),
    Spec("max_axis", lambda x: fnp.max(x, axis=0), [((3, 2),)], "distinct"),
    Spec("min_keepdims", lambda x: fnp.min(x, axis=1, keepdims=True), [((3, 2),)], "distinct"),
    Spec("logsumexp", fnp.logsumexp, [((3,),), ((2, 3),)]),
    Spec("logsumexp_axis", lambda x: fnp.logsumexp(x, axis=0), [((2, 3),)]),
    # -- products
    Spec("matmul", fnp.matmul, [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)),
                                ((2, 2, 3), (3, 2)), ((2, 3), (4, 3, 2))]),
    Spec("dot", fnp.dot, [((3,), (3,)), ((2, 3), (3, 2)), ((), (3,))]),
    Spec("tensordot", lambda a, b: fnp.tensordot(a, b, axes=([1, 2], [0, 1])),
         [((2, 3, 4), (3, 4, 2))]),
    Spec("einsum_mm", lambda a, b: fnp.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))]),
    Spec("einsum_trace_out", lambda a, b: fnp.einsum("ij,ij->", a, b), [((2, 3), (2, 3))]),
    Spec("einsum_ellipsis", lambda a, b: fnp.einsum("...ij,...j->...i", a, b),
         [((2, 3, 4), (2, 4))]),
    Spec("einsum_sumout", lambda a: fnp.einsum("ij->i", a), [((2, 3),)]),
    # an operand with a repeated index (traces, diagonals): the VJP writes onto the diagonal
    Spec("einsum_trace", lambda a: fnp.einsum("ii->", a), [((3, 3),)]),
    Spec("einsum_trace_implicit", lambda a: fnp.einsum("ii", a), [((3, 3),)]),
    Spec("einsum_diag", lambda a: fnp.einsum("ii->i", a), [((3, 3),)]),
    Spec("einsum_diag_sum", lambda a: fnp.einsum("iij->j", a) ** 2, [((3, 3, 2),)]),
    Spec("einsum_triple_diag", lambda a: fnp.einsum("iii->i", a), [((2, 2, 2),)]),
    Spec("einsum_repeat_sumout", lambda a: fnp.einsum("iik->", a) * a[0, 1], [((2, 2, 3),)]),
    Spec("einsum_repeat_apart", lambda a: fnp.einsum("iki->k", a), [((2, 3, 2),)]),
    Spec("einsum_mat_diag", lambda a, b: fnp.einsum("ij,jj->i", a, b), [((2, 3), (3, 3))]),
    Spec("einsum_diag_times", lambda a, b: fnp.einsum("i,ii->i", a, b) * b[0, 1],
         [((3,), (3, 3))]),
    Spec("einsum_ellipsis_diag", lambda a: fnp.einsum("...ii->...i", a), [((2, 3, 3),)]),
    # the sublist form, fnp. and np. spellings, with and without the output list
    Spec("einsum_sublist", lambda a, b: fnp.einsum(a, [0, 1], b, [1, 2], [0, 2]),
         [((2, 3), (3, 4))]),
    Spec("einsum_sublist_implicit", lambda a, b: np.einsum(a, [27, 1], b, [1, 0]),
         [((2, 3), (3, 4))]),
    Spec("einsum_sublist_ellipsis", lambda a, b: np.einsum(a, [..., 0, 1], b, [1], [..., 0]),
         [((2, 3, 4), (4,))]),
    Spec("einsum_sublist_trace", lambda a: np.einsum(a, [0, 0]), [((3, 3),)]),
    Spec("outer", fnp.outer, [((3,), (2,))]),
    Spec("inner", fnp.inner, [((3,), (3,)), ((2, 3), (4, 3))]),
    # -- shape
    Spec("reshape", lambda x: fnp.reshape(x, (-1,)) * fnp.arange(6.0), [((2, 3),)]),
    Spec("transpose", lambda x: fnp.transpose(x) @ x, [((2, 3),)]),
    Spec("moveaxis", lambda x: fnp.moveaxis(x, 0, -1) ** 2, [((2, 3, 4),)]),
    Spec("broadcast_to", lambda x: fnp.broadcast_to(x, (2, 3)) ** 2, [((3,),), ((2, 1),)]),
    Spec("expand_squeeze", lambda x: fnp.squeeze(fnp.expand_dims(x, 0)) ** 2, [((3,),)]),
    Spec("concatenate", lambda x, y: fnp.concatenate([x, y, x * y], axis=0),
         [((2,), (2,)), ((2, 3), (2, 3))]),
    Spec("stack", lambda x, y: fnp.stack([x, y], axis=-1) ** 2, [((3,), (3,))]),
    Spec("split", lambda x: fnp.split(x, 2)[1] * fnp.split(x, 2)[0], [((4,),)]),
    Spec("astype_f32", lambda x: fnp.astype(x, np.float32) * 2.0, U, atol=1e-3, rtol=1e-3,
         eps=1e-2),
    # -- indexing
    Spec("getitem_int", lambda x: x[1] * x[0], [((3,),), ((3, 2),)]),
    Spec("getitem_slice", lambda x: x[1:] * x[:-1], [((4,),), ((4, 2),)]),
    Spec("getitem_fancy", lambda x: x[np.array([0, 2, 2])] ** 2, [((3,),), ((3, 2),)]),
    Spec("getitem_mask", lambda x: x[np.array([True, False, True])] ** 2, [((3,),)]),
    Spec("getitem_ellipsis", lambda x: x[..., 0] * x[..., 1], [((3, 2),)]),
    Spec("at_set", lambda x, y: fnp.at(x)[1].set(y[0] * 2) ** 2, [((3,), (2,))]),
    Spec("at_add_dup", lambda x, y: fnp.at(x)[np.array([0, 0, 2])].add(y) ** 2,
         [((3,), (3,))]),
    Spec("array_of_tracers", lambda x: fnp.array([x[0] * x[1], x[1]]) ** 2, [((2,),)]),
]
