"""The surface rule authors import: primitives and the helpers that register rules.

funcad.numpy, funcad.scipy and funcad.numpy.fft are written against this module only: a new
rule family needs nothing from the engine that is not named here.

Example (a new primitive with all three rules):
    >>> import numpy as np
    >>> import funcad as fad
    >>> import funcad.numpy as fnp
    >>> from funcad import extend as ex
    >>> cube = ex.Primitive("cube", lambda x: x ** 3)
    >>> ex.defjvp(cube, lambda t, ans, x: 3 * x ** 2 * t)
    >>> ex.defvjp(cube, lambda g, ans, x: 3 * x ** 2 * g)
    >>> ex.batch_elementwise(cube)
    >>> float(fad.grad(cube)(2.0))
    12.0
"""


from ._arrays import (as_array, as_type_of, fresh, is_foreign, library_of, on_device, scatter_add,
                      to_numpy, value_under)
from ._arrays import zeros as zeros_like_type      # zeros of an operand's array type (Dask)
from ._batching import (BatchTrace, BatchTracer, batch_elementwise, batch_reduction, batch_rules,
                        bdim_to_front, defbatch, shift_axis)
from ._core import (Primitive, Trace, Tracer, active_traces, bind, full_lower, function_table,
                    lift, new_trace, ops, ufunc_table, unsupported_table)
from ._forward import (JVPTrace, JVPTracer, def_linear, def_linear_jvp, defjvp, defjvp_full,
                       jvp_rules, linear_in)
from ._forward import _match_shape as match_shape  # a tangent term broadcast to the output
from ._jacobian_trace import defsparse, sparse_rules
from ._reverse import RevTrace, RevTracer, defvjp, defvjp_argnum, vjp_rules
from ._rules import Rules, VJPRule, def_dot
from ._sparsity import Inline, defsparsity, sparsity_rules
from ._taylor import TaylorTrace, TaylorTracer, deftaylor, taylor_fallback
from ._util import ShapeDtype, canonical_axis, dtype_of, shape_of, short_repr


def deflazy(*prims: Primitive, libraries=None) -> None:
    """Declare that these primitives' impls run on Dask and CuPy arrays as they are: a Dask
    operand gives a lazy Dask result, a CuPy operand a CuPy result (NumPy's dispatch
    protocols carry the impl's NumPy calls to the operand's library). Declare it only for an
    impl checked on both (tests/test_dask.py runs the spec rows); an undeclared primitive
    converts such operands to NumPy with a ForeignArrayWarning (docs/scaling.md).
    ``libraries=("dask",)``: only for those libraries (SciPy's ufuncs run on Dask arrays,
    not on CuPy's)."""
    for p in prims:
        if libraries is None:
            p.declare_lazy()
        else:
            p.rules.lazy = frozenset(libraries)


def primal_values(x):
    """The value under every level of tracing: the primal of a JVP or reverse tracer, and under
    vmap the batched value (all examples at once). For data-dependent choices a rule makes on
    purpose (whether a degeneracy mask is set anywhere), never for values it differentiates.
    Under jit this is a guard on the value (the recording is checked against it); to choose
    only the array type of a constant, use :func:`as_type_of` (no guard)."""
    while isinstance(x, Tracer):
        x = x.val if isinstance(x, BatchTracer) else x._concrete()
    return x


__all__ = [
    "Primitive", "Trace", "Tracer", "bind", "full_lower", "lift", "new_trace", "ops",
    "active_traces", "ShapeDtype", "shape_of", "dtype_of", "canonical_axis", "short_repr",
    "function_table", "ufunc_table", "unsupported_table", "primal_values",
    "JVPTrace", "JVPTracer", "defjvp", "defjvp_full", "def_linear_jvp", "jvp_rules",
    "def_linear", "linear_in", "match_shape",
    "RevTrace", "RevTracer", "defvjp", "defvjp_argnum", "vjp_rules",
    "BatchTrace", "BatchTracer", "defbatch", "batch_elementwise", "batch_reduction",
    "batch_rules", "bdim_to_front", "shift_axis",
    "Rules", "VJPRule", "def_dot", "defsparse", "sparse_rules",
    "defsparsity", "sparsity_rules", "Inline",
    "TaylorTrace", "TaylorTracer", "deftaylor", "taylor_fallback",
    "deflazy", "as_type_of", "as_array", "to_numpy", "fresh", "is_foreign", "library_of", "on_device", "value_under",
    "scatter_add", "zeros_like_type",
]
