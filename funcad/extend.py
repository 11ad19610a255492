"""The surface rule authors import: primitives and the helpers that register rules.

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

from ._batching import (BatchTrace, BatchTracer, batch_elementwise, batch_reduction, batch_rules,
                        defbatch)
from ._core import Primitive, Trace, Tracer, bind, full_lower, new_trace, ops
from ._forward import (JVPTrace, JVPTracer, def_linear, def_linear_jvp, defjvp, defjvp_full,
                       jvp_rules, linear_in)
from ._reverse import RevTrace, RevTracer, defvjp, defvjp_argnum, vjp_rules
from ._util import ShapeDtype
from ._rules import Rules, VJPRule, def_dot
from ._jacobian_trace import defsparse, sparse_rules

__all__ = [
    "Primitive", "Trace", "Tracer", "bind", "full_lower", "new_trace", "ops", "ShapeDtype",
    "JVPTrace", "JVPTracer", "defjvp", "defjvp_full", "def_linear_jvp", "jvp_rules",
    "def_linear", "linear_in",
    "RevTrace", "RevTracer", "defvjp", "defvjp_argnum", "vjp_rules",
    "BatchTrace", "BatchTracer", "defbatch", "batch_elementwise", "batch_reduction",
    "batch_rules",
    "Rules", "VJPRule", "def_dot",
    "defsparse", "sparse_rules",
]
