"""A pytree of arrays as one flat vector (``ravel_pytree``)."""

from __future__ import annotations

import math
from typing import Any, Callable

from ._nodes import unflatten
from ._paths import flatten_with_path


def ravel_pytree(tree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """Concatenate every leaf of ``tree`` into one 1-d vector; return it and its inverse.

    The vector is float64 (complex128 when a leaf is complex). ``unravel(v)`` splits a
    vector of the same length back into the tree's structure, each leaf with its
    original shape and dtype. Both directions are NumPy calls that dispatch to funcad
    on traced values (``__array_function__``), so ``grad(lambda v: loss(unravel(v)))``
    differentiates through them.

    Args:
      tree: a pytree of arrays or numbers (an empty tree gives a vector of length 0).

    Returns:
      ``(flat, unravel)``.

    Example:
        >>> import numpy as np, funcad as fad
        >>> params = {"w": np.ones((2, 2)), "b": np.zeros(2, np.float32)}
        >>> flat, unravel = fad.tree.ravel_pytree(params)
        >>> flat
        array([0., 0., 1., 1., 1., 1.])
        >>> unravel(flat + 1.0)["b"]
        array([1., 1.], dtype=float32)
        >>> fad.grad(lambda v: unravel(v)["w"].sum())(flat)
        array([0., 0., 1., 1., 1., 1.])
    """
    import numpy as np       # (its functions reach funcad.numpy for traced leaves)

    pairs, treedef = flatten_with_path(tree)
    shapes, dtypes, sizes = [], [], []
    for path, x in pairs:
        shp, dt = _shape_dtype(x, path, np)
        shapes.append(shp)
        dtypes.append(dt)
        sizes.append(math.prod(shp))
    flat_dt = np.result_type(np.float64, *dtypes) if dtypes else np.dtype(np.float64)
    if flat_dt.kind not in "fc":
        flat_dt = np.dtype(np.float64)
    parts = [np.ravel(x).astype(flat_dt) if dt != flat_dt else np.ravel(x)
             for (_, x), dt in zip(pairs, dtypes)]
    flat = (np.concatenate(parts) if len(parts) > 1 else parts[0] if parts
            else np.zeros(0, flat_dt))
    total = sum(sizes)

    def unravel(v):
        if tuple(getattr(v, "shape", ())) != (total,):
            raise ValueError(f"unravel: expected a 1-d vector of length {total} (the tree "
                             f"{treedef}), got shape {tuple(getattr(v, 'shape', ()))}")
        out, start = [], 0
        for shp, dt, n in zip(shapes, dtypes, sizes):
            piece = np.reshape(v[start:start + n], shp)
            if piece.dtype != dt:
                if np.dtype(dt).kind != "c" and np.dtype(piece.dtype).kind == "c":
                    piece = np.real(piece)
                piece = piece.astype(dt)
            out.append(piece)
            start += n
        return unflatten(treedef, out)

    return flat, unravel


def _shape_dtype(x, path, np):
    """``(shape, dtype)`` of a leaf, or a TypeError that names its path."""
    shp, dt = getattr(x, "shape", None), getattr(x, "dtype", None)
    if shp is None or dt is None:
        if not isinstance(x, (bool, int, float, complex, np.generic)):
            raise TypeError(f"ravel_pytree: the leaf at {path or 'the root'} is a "
                            f"{type(x).__name__} ({x!r:.60}), not an array or number")
        a = np.asarray(x)
        shp, dt = a.shape, a.dtype
    dt = np.dtype(dt)
    if dt.kind not in "biufc":
        raise TypeError(f"ravel_pytree: the leaf at {path or 'the root'} has dtype {dt}; "
                        "only numeric leaves can be raveled")
    return tuple(shp), dt
