"""funcad.scipy.optimize: SciPy's solvers, with solutions differentiable by the implicit
function theorem (``root``, ``root_scalar``, ``brentq``, ``minimize``, ``fixed_point``), and
the building block ``custom_root`` (JAX's ``jax.lax.custom_root``). See docs/scipy-optimize.md.

It sits on the public API (like ``funcad.optim``): ``import funcad.scipy.optimize``.
"""

from __future__ import annotations

from ._implicit import ImplicitDiffError, custom_root, dense_tangent_solve
from ._solvers import brentq, fixed_point, minimize, root, root_scalar

__all__ = ["custom_root", "dense_tangent_solve", "ImplicitDiffError", "root", "root_scalar",
           "brentq", "minimize", "fixed_point"]
