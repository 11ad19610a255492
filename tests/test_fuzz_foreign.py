"""The random-program fuzzer (tests/fuzz_programs.py) on other array libraries' arrays:
each program's value, gradient and JVP with CuPy-style (tests/strict_array.py) or Dask
inputs equal the NumPy ones, and are of the input's array type.

A program runs as its author would write it for that library: on the stand-in, the
program's own constants (``np.eye(2)``, ``np.array([0, 0, -1])``) are made as stand-in
arrays, as ``cp.eye(2)`` would be.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings

import funcad as fad
import funcad.numpy as fnp
from funcad import tree

from .fuzz_programs import programs
from .strict_array import StrictArray, _ConstantsLike, assert_same, constants_like
from .test_cupy import _spec_modules

_N = int(os.environ.get("FUNCAD_FUZZ_FOREIGN", "0"))   # more examples on request


def _settings(n):
    return settings(max_examples=_N or n, deadline=None, derandomize=not _N, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def _loss(f):
    return lambda *a: fnp.sum(fnp.real(f(*a)) ** 2)


def _results(f, args, convert):
    """value, gradient and JVP of the program ``f`` at ``args`` made with ``convert``."""
    xs = tree.map(convert, args)
    ts = tree.map(lambda a: convert(np.cos(np.arange(a.size) + 1.0).reshape(a.shape)), args)
    nums = tuple(range(len(args)))
    value, tangent = fad.jvp(f, xs, ts)     # the value as funcad computes it (a plain
    return {"value": value, "jvp": tangent,  # call on Dask runs Dask's own np.linalg ...)
            "grad": fad.grad(_loss(f), argnums=nums)(*xs)}


def _agree(got, ref, kind, to_numpy, prog):
    for mode in ref:
        assert_same(got[mode], ref[mode], kind, to_numpy, err_msg=f"{mode}\n{prog!r}")


@_settings(120)
@given(prog=programs())
def test_random_programs_on_the_cupy_stand_in(prog):
    note(repr(prog))
    args = prog.make_args()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", fad.errors.ForeignArrayWarning)
        ref = _results(prog.function(np), args, lambda a: a)
        with constants_like(_spec_modules()):
            got = _results(prog.function(_ConstantsLike(StrictArray)), args, StrictArray)
    _agree(got, ref, StrictArray, lambda a: a.get(), prog)


@_settings(40)     # Dask builds a graph per operation: ~1 s a program
@given(prog=programs())
def test_random_programs_on_dask(prog):
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    note(repr(prog))
    args = prog.make_args()
    with (np.errstate(all="ignore"), warnings.catch_warnings(),
          dask.config.set(scheduler="synchronous")):
        warnings.simplefilter("ignore", fad.errors.ForeignArrayWarning)
        ref = _results(prog.function(np), args, lambda a: a)
        got = _results(prog.function(np), args, lambda a: da.from_array(a, chunks=2))
    _agree(got, ref, da.Array, lambda a: a.compute(), prog)
