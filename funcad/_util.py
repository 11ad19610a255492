"""Small helpers shared by every layer; stdlib and NumPy only."""

from __future__ import annotations

import linecache
import os
import sys

import numpy as np


class ShapeDtype:
    """What the tape keeps of a value whose data the VJP rule does not need."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        return f"ShapeDtype({self.shape}, {self.dtype})"

    _funcad_value = True       # not an array of another library (is_foreign)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"a VJP rule read the value of an operand that the tape stored only as its shape and "
            f"dtype ({self!r}): the rule's registration declared it unread (defvjp keep=False, "
            "keep=(..., False, ...) or needs=). Declare the operand kept, or compute the rule "
            "from the operands it does read.")


# Python scalars are answered without NumPy (np.shape / np.result_type cost a microsecond)
_SCALAR_TYPES = frozenset((float, int, complex, bool))
_SCALAR_DTYPES = {float: np.dtype(np.float64), complex: np.dtype(np.complex128),
                  bool: np.dtype(np.bool_)}     # int is left to NumPy (its size decides)


def shape_of(x) -> tuple:
    try:
        return x.shape
    except AttributeError:
        return () if type(x) in _SCALAR_TYPES else np.shape(x)


def dtype_of(x):
    try:
        return x.dtype
    except AttributeError:
        dt = _SCALAR_DTYPES.get(type(x))
        return dt if dt is not None else np.result_type(x)


def is_inexact(dt) -> bool:
    """A float or complex dtype: values of it have derivatives."""
    return np.dtype(dt).kind in "fc"


def is_complex(dt) -> bool:
    return np.dtype(dt).kind == "c"


def canonical_axis(axis, ndim: int):
    """Normalize an axis argument (None, int or tuple) to a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(a % ndim if ndim else a for a in axis))
    return (axis % ndim if ndim else axis,)


def short_repr(x, limit: int = 60) -> str:
    s = repr(x).replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# the user's call site, for errors about calls funcad cannot intercept
# ---------------------------------------------------------------------------

_LIBRARIES = frozenset(("numpy", "scipy", "funcad", "funcad_old"))


def _package(frame) -> str:
    return frame.f_globals.get("__name__", "").partition(".")[0]


def _public_name(frame) -> str:
    """``scipy.linalg.expm`` for a frame of ``scipy.linalg._matfuncs.expm``."""
    mod = frame.f_globals.get("__name__", "")
    parts = [p for p in mod.split(".") if not p.startswith("_")]
    qual = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    if qual == "AxisConcatenator.__getitem__":
        return "np.r_/np.c_"
    return ".".join(parts + [qual]).replace("numpy.", "np.", 1)


def user_site(frame=None, lineno=None):
    """-> (where, library): where is ``"file:line: source"`` of the first frame outside NumPy,
    SciPy and funcad (None if there is none); library is the NumPy/SciPy function that frame
    called (None when it called NumPy's C code or funcad directly).

    Walks the stack from ``frame`` (default: the caller). Only called when raising an error.
    """
    f = sys._getframe(1) if frame is None else frame
    library = None
    while f is not None and _package(f) in _LIBRARIES:
        if _package(f) in ("numpy", "scipy"):
            library = f
        f = f.f_back
    if f is None:
        return None, None
    code = f.f_code
    line = f.f_lineno if lineno is None else lineno
    src = linecache.getline(code.co_filename, line).strip()
    where = f"{os.path.basename(code.co_filename)}:{line}: {src}"
    return where, (None if library is None else _public_name(library))


def user_site_of(tb):
    """``user_site`` for the innermost user frame of a traceback (an error NumPy raised)."""
    found = None
    while tb is not None:
        if _package(tb.tb_frame) not in _LIBRARIES:
            found = tb
        tb = tb.tb_next
    return None if found is None else user_site(found.tb_frame, found.tb_lineno)[0]
