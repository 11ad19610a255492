"""Every overridable NumPy name has exactly one home: differentiable, zero-derivative or
unsupported with an error that names it and says why.

Names from numpy.linalg / numpy.fft belong to the linalg/fft family: they are checked
when registered, but a missing one does not fail here.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re

import numpy as np
import pytest

import funcad as fad
import funcad.numpy as fnp
from funcad import _core
from funcad._batching import batch_rules
from funcad._forward import jvp_rules
from funcad._reverse import vjp_rules
from funcad.errors import (ConcretizationError, TracerArrayConversionError,
                           UnsupportedFunctionError)
from funcad.numpy import _nondiff_and_unsupported as _nondiff

ROOT = pathlib.Path(__file__).resolve().parents[1]
UFUNCS, FUNCS = _nondiff.overridable()


def _colleagues(f):
    return not isinstance(f, np.ufunc) and f.__module__.startswith(("numpy.linalg", "numpy.fft"))


def _name(f):
    return f.__name__ if isinstance(f, np.ufunc) else f"{f.__module__}.{f.__name__}"


def test_every_name_has_exactly_one_home():
    counts = {"differentiable": 0, "zero-derivative": 0, "unsupported": 0, "missing": 0}
    homeless, twice = [], []
    for f in UFUNCS + FUNCS:
        st, _ = _nondiff.status(f)
        counts[st] += 1
        table = _core.ufunc_table if isinstance(f, np.ufunc) else _core.function_table
        if f in table and f in _core.unsupported_table:
            twice.append(_name(f))
        if st == "missing" and not _colleagues(f):
            homeless.append(_name(f))
    print(f"\nnumpy coverage: {counts['differentiable']} differentiable, "
          f"{counts['zero-derivative']} zero-derivative, {counts['unsupported']} unsupported, "
          f"{counts['missing']} not yet registered (linalg/fft)")
    assert not homeless, f"NumPy names with no home in funcad: {sorted(homeless)}"
    assert not twice, f"names both supported and marked unsupported: {sorted(twice)}"
    assert counts["differentiable"] > 200


def _primitives_reachable():
    """Primitives that the tables route NumPy names to directly."""
    out = set()
    for t in (_core.ufunc_table, _core.function_table):
        for fn in t.values():
            if isinstance(fn, _core.Primitive):
                out.add(fn)
    return out


def test_differentiable_primitives_have_jvp_vjp_and_batching_rules():
    from funcad.numpy import _cumulative, _elementwise, _indexing, _sorting
    lacking = []
    for p in _primitives_reachable() | {_indexing.getitem_p, _indexing.index_add_p,
                                         _indexing.index_set_p, _cumulative.cumsum_p,
                                         _elementwise.i0_p, _elementwise.i1_p}:
        if p.nondiff:
            continue
        missing = [k for k, tab in (("jvp", jvp_rules), ("vjp", vjp_rules),
                                    ("batch", batch_rules)) if p not in tab]
        if missing:
            lacking.append(f"{p.name}: {missing}")
    assert not lacking, lacking
    # zero-derivative primitives of the families batch without the per-example loop
    for p in (_sorting.argsort_p, _sorting.argpartition_p, _sorting.searchsorted_p,
              _elementwise.round_p, _elementwise.frexp_exponent):
        assert p in batch_rules, p.name


def _unsupported_funcs():
    return [f for f in FUNCS if _nondiff.status(f)[0] == "unsupported"]


@pytest.mark.parametrize("f", _unsupported_funcs(), ids=lambda f: _name(f))
def test_unsupported_function_error_names_it_and_says_why(f):
    reason = _core.unsupported_table[f]

    def g(x):
        return x.__array_function__(f, (type(x),), (x,), {})
    with pytest.raises(UnsupportedFunctionError) as e:
        fad.grad(lambda x: g(x))(1.0)
    msg = str(e.value)
    assert f.__name__ in msg and reason in msg


def test_unsupported_ufunc_error_names_it_and_says_why():
    u = np._core.umath.str_len
    with pytest.raises(UnsupportedFunctionError, match="str_len.*string operation"):
        fad.grad(lambda x: u(x))(1.0)
    with pytest.raises(UnsupportedFunctionError, match="np.add.reduceat"):
        fad.grad(lambda x: np.add.reduceat(x, [0]).sum())(np.ones(2))


def test_funcad_numpy_has_a_home_for_each_top_level_name():
    for f in UFUNCS + FUNCS:
        if isinstance(f, np.ufunc) or f.__module__ == "numpy":
            name = f.__name__
            if name in _nondiff.unsupported_names:
                with pytest.raises(AttributeError, match="not supported on traced values"):
                    getattr(fnp, name)
            elif _nondiff.status(f)[0] != "missing":
                assert callable(getattr(fnp, name)), name


def test_zero_derivative_functions_work_under_grad_and_give_zero():
    x = np.array([3.0, 1.0, 2.0])
    g = fad.grad(lambda x: fnp.sum(x * np.argsort(x)) + np.count_nonzero(x > 1) * 0.0)(x)
    np.testing.assert_array_equal(g, np.argsort(x))
    assert float(fad.grad(lambda x: np.round(x) * 1.0 + np.fix(x))(1.4)) == 0.0
    assert fad.vmap(lambda v: np.searchsorted(np.array([0.0, 1.0]), v))(
        np.array([-1.0, 0.5, 2.0])).tolist() == [0, 1, 2]


def _gen_coverage():
    spec = importlib.util.spec_from_file_location("gen_coverage",
                                                  ROOT / "scripts" / "gen_coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _doc_numpy_version(text):
    """-> (major, minor) of the NumPy that generated docs/numpy-coverage.md."""
    m = re.search(r"gen_coverage\.py` with NumPy (\d+)\.(\d+)", text)
    assert m, "docs/numpy-coverage.md does not say which NumPy generated it"
    return int(m.group(1)), int(m.group(2))


def _table(text):
    """name, kind, status, works as np., file of each row (linalg/fft rows move with that
    family; the notes are docstrings and may be reworded)."""
    return [ln.split(" | ")[:5] for ln in text.splitlines()
            if ln.startswith("| `") and not ln.startswith(("| `numpy.linalg.", "| `numpy.fft."))]


def test_coverage_doc_is_up_to_date():
    doc = (ROOT / "docs" / "numpy-coverage.md").read_text()
    text = _gen_coverage().render()
    for status in ("differentiable", "zero-derivative", "unsupported"):
        assert f"| {status} |" in text
    installed = tuple(int(v) for v in np.__version__.split(".")[:2])
    if _doc_numpy_version(doc) != installed:
        # another NumPy release overrides other names (new functions, private ufuncs): the
        # rows cannot match, but every name this NumPy has must still have a home
        homeless = [r[0] for r in _table(text) if r[2] == "missing"]
        assert not homeless, f"NumPy {np.__version__} names with no home: {homeless}"
        return
    assert _table(doc) == _table(text), (
        "docs/numpy-coverage.md is out of date: run python scripts/gen_coverage.py")


def test_coverage_doc_says_which_numpy_generated_it_and_where_each_rule_lives():
    doc = (ROOT / "docs" / "numpy-coverage.md").read_text()
    assert _doc_numpy_version(doc) >= (2, 2)
    for name, kind, status, works, file in (r[:5] for r in _table(doc)):
        assert works.startswith(("yes", "no", "partially")), name
        assert file.startswith("funcad/") and (ROOT / file).is_file(), (name, file)
    rows = {r[0]: r for r in _table(doc)}
    # np.array / np.asarray of traced values never reach funcad: the doc must say so
    for n in ("array", "asarray"):
        assert rows[f"| `numpy.{n}`"][3].startswith("no: ") and f"fnp.{n}" in rows[
            f"| `numpy.{n}`"][3]
    assert rows["| `numpy.sin`"][3:5] == ["yes", "funcad/numpy/_elementwise.py"]
    assert rows["| `numpy.zeros_like`"][3] == "yes"


def test_works_as_np_column_is_true():
    """Each kind of answer in the column, checked by calling NumPy on traced values."""
    gen = _gen_coverage()
    a0 = 1.5
    with pytest.raises(TracerArrayConversionError):
        fad.grad(lambda a: np.array([a, 2.0]).sum())(a0)
    with pytest.raises(TracerArrayConversionError):
        fad.grad(lambda a: np.asarray(a).sum())(a0)
    assert gen.works_as_np(np.asarray, "differentiable").startswith("no")
    with pytest.raises(TracerArrayConversionError):
        fad.grad(lambda a: np.full(2, a).sum())(a0)
    assert gen.works_as_np(np.full, "differentiable").startswith("partially")

    def zeros_then_write(a):
        buf = np.zeros(2)
        buf[0] = a
        return buf.sum()
    with pytest.raises(ConcretizationError):
        fad.grad(zeros_then_write)(a0)
    assert gen.works_as_np(np.zeros, "zero-derivative").startswith("partially")
    assert gen.works_as_np(np.mean, "differentiable") == "yes"
    # a traced value in an argument NumPy does not dispatch on, next to a plain array
    x = np.array([1.0, np.nan, 3.0])
    for n, call in [("full_like", lambda xp, c: xp.full_like(x, c)),
                    ("pad", lambda xp, c: xp.pad(x[::2], 1, constant_values=c)),
                    ("nan_to_num", lambda xp, c: xp.nan_to_num(x, nan=c)),
                    ("piecewise", lambda xp, c: xp.piecewise(x[::2], [x[::2] > 2], [c, 0.0]))]:
        assert gen.works_as_np(getattr(np, n), "differentiable").startswith("partially"), n
        with pytest.raises((TracerArrayConversionError, UnsupportedFunctionError)):
            fad.grad(lambda c: call(np, c).sum())(a0)
        assert float(fad.grad(lambda c: call(fnp, c).sum())(a0)) > 0, n
    assert float(fad.grad(lambda a: np.mean(np.stack([a, 2.0 * a])))(a0)) == 1.5


def test_zero_derivative_functions_under_vmap_say_why():
    from funcad.errors import BatchingError
    with pytest.raises(BatchingError, match="np.argwhere.*outside vmap"):
        fad.vmap(lambda x: np.argwhere(x > 0))(np.ones((2, 3)))


def test_ufunc_methods_route_and_in_place_at_names_the_fix():
    x = np.array([2.0, 3.0, 0.5])
    np.testing.assert_allclose(fad.grad(lambda x: np.multiply.reduce(x))(x), [1.5, 1.0, 6.0])
    with pytest.raises(UnsupportedFunctionError, match=r"fnp.at\(x\)\[idx\].add"):
        fad.grad(lambda x: np.add.at(np.zeros(3), [0], x))(1.0)
    with pytest.raises(NotImplementedError, match="left fold"):
        fad.grad(lambda x: np.power.reduce(x))(x)
