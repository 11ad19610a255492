"""Every public funcad.numpy name is a function with a real signature and a docstring; the
primitives behind them are *_p objects that the dispatch tables and ops keep."""

import inspect
import types

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import extend
from funcad.numpy import _elementwise


def _public_functions():
    for name in dir(fnp):
        fn = getattr(fnp, name)
        if name.startswith("_") or isinstance(fn, type) or getattr(np, name, None) is fn:
            continue
        if isinstance(fn, (types.FunctionType, extend.Primitive)):
            yield name, fn


def test_no_public_name_is_a_bare_primitive_and_each_has_a_docstring():
    bad = [n for n, fn in _public_functions()
           if isinstance(fn, extend.Primitive) or not (fn.__doc__ or "").strip()
           or str(inspect.signature(fn)) in ("(*args, **params)", "(*args, **kwargs)")]
    assert not bad, bad


@pytest.mark.parametrize("name", ["sin", "add", "mod", "true_divide", "maximum", "ldexp",
                                  "floor", "isnan", "logical_and", "copysign"])
def test_ufunc_names_take_numpys_operands(name):
    params = inspect.signature(getattr(fnp, name)).parameters.values()
    positional = [p for p in params if p.kind is p.POSITIONAL_ONLY]
    assert len(positional) == getattr(np, name).nin
    assert getattr(fnp, name).__doc__.startswith(
        [ln for ln in getattr(np, name).__doc__.splitlines() if ln.strip()][1].strip())


def test_help_shows_the_signature_and_the_derivative_at_kinks():
    assert str(inspect.signature(fnp.sin)) == "(x, /, out=None, **kwargs)"
    assert "tie" in fnp.maximum.__doc__
    assert "derivative is 0" in fnp.floor.__doc__


def test_primitives_are_named_p_and_stay_in_the_tables():
    assert isinstance(_elementwise.sin_p, extend.Primitive)
    assert _elementwise.sin_p.name == "sin"
    assert extend.ops.sin is _elementwise.sin_p
    assert extend.ufunc_table[np.sin] is _elementwise.sin_p
    assert fnp.sin.primitive is _elementwise.sin_p


def test_public_functions_accept_lists_of_traced_values_and_out():
    g = fad.grad(lambda x: fnp.sum(fnp.add([x, 2 * x], 1.0) ** 2))(1.0)
    assert float(g) == pytest.approx(2 * 2.0 + 2 * 3.0 * 2)
    out = np.empty(2)
    fnp.sin(np.zeros(2), out=out)
    assert np.all(out == 0)


def test_stop_gradient_is_a_documented_function():
    assert isinstance(fad.stop_gradient, types.FunctionType)
    assert str(inspect.signature(fad.stop_gradient)) == "(x)"
    assert float(fad.grad(lambda x: x * fad.stop_gradient(x))(3.0)) == 3.0

