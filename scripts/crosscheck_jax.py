"""Cross-check the spec table against JAX: values, forward-mode Jacobians and Hessians.

Every spec row (tests/specs) is a function written against ``funcad.numpy``. This script runs
each one twice: as written, with funcad's ``jacfwd`` and ``hessian`` (of ``sum(sin(f))``); and
with the module's ``fnp`` (and ``fnp.linalg``/``fnp.fft`` aliases) swapped for ``jax.numpy``,
with ``jax.jacfwd`` and ``jax.hessian``, x64 enabled. Rows that JAX cannot run (funcad-only helpers, NumPy options JAX lacks) are counted
and skipped. Differences print as ``module name VALUE|JACOBIAN|HESSIAN``.

    pip install jax && python scripts/crosscheck_jax.py

Known and expected differences (conventions, not bugs):

* ``eigh``/``eigvalsh``/``cholesky`` on a non-symmetric input: JAX symmetrizes the input
  (``(a + a^H) / 2``); NumPy, and therefore funcad, reads one triangle only.
* ``unique``: JAX gives a zero derivative; funcad differentiates through the permutation
  (the unique values are input values, so the derivative is a selection).
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    import funcad as fad
    from tests.specs import core, fft, linalg, numpy_more

    rng = np.random.default_rng(21)
    ran = skipped = 0
    bad = []

    def leaves(o):
        return [np.asarray(v) for v in jax.tree_util.tree_leaves(o)]

    def same(a, b, rtol, atol):
        return len(a) == len(b) and all(
            x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
            for x, y in zip(a, b))

    for mod in (core, numpy_more, linalg, fft):
        name = mod.__name__.rsplit(".", 1)[-1]
        g = mod.__dict__
        for s in mod.SPECS:
            if np.dtype(s.dtype) != np.float64:
                continue
            args = s.sample(rng, s.shapes[-1])
            nums = tuple(range(len(args)))
            def scalar(*a, fn=s.fn, xp=None):
                # a smooth scalar of every output: sum(sin(real part)) (for the Hessians)
                return sum(xp.sum(xp.sin(xp.real(v))) for v in jax.tree_util.tree_leaves(fn(*a)))

            try:
                ours_v = s.fn(*args)
                ours_j = fad.jacfwd(s.fn, argnums=nums)(*args)
                ours_h = fad.hessian(lambda *a: scalar(*a, xp=np), argnums=nums)(*args) \
                    if s.order >= 2 else None
            except Exception:      # e.g. a complex output: no real forward Jacobian here
                continue
            saved = {k: g[k] for k in ("fnp", "L", "F") if k in g}
            g["fnp"] = jnp
            if "L" in g:
                g["L"] = jnp.linalg
            if "F" in g:
                g["F"] = jnp.fft
            try:
                jargs = [jnp.asarray(a) for a in args]
                theirs_v = s.fn(*jargs)
                real = all(np.asarray(a).dtype.kind == "f" for a in args)
                theirs_j = jax.jacfwd(s.fn, argnums=nums)(*jargs) if real else None
                theirs_h = jax.hessian(lambda *a: scalar(*a, xp=jnp), argnums=nums)(*jargs) \
                    if real and ours_h is not None else None
            except Exception:
                skipped += 1
                continue
            finally:
                g.update(saved)
            ran += 1
            if not same(leaves(ours_v), leaves(theirs_v), 1e-8, 1e-10):
                bad.append(f"{name} {s.name} VALUE")
            elif theirs_j is not None and not same(leaves(ours_j), leaves(theirs_j), 1e-7, 1e-9):
                bad.append(f"{name} {s.name} JACOBIAN")
            elif theirs_h is not None and not same(leaves(ours_h), leaves(theirs_h), 1e-6, 1e-8):
                bad.append(f"{name} {s.name} HESSIAN")
    print(f"ran {ran} spec rows under both; {skipped} JAX could not run")
    for line in bad:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
