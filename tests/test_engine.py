"""The engine itself: every primitive has its rules, the tester can fail, layering holds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import funcad as fad
from funcad import extend as ex
from funcad._batching import batch_rules
from funcad._core import primitives
from funcad._forward import jvp_rules
from funcad._reverse import vjp_rules


def test_every_primitive_has_jvp_vjp_and_batching_rules():
    missing = []
    for name, p in primitives.items():
        if name.startswith("_test") or name.startswith("toy"):
            continue
        if p not in batch_rules:
            missing.append(f"{name}: batch")
        if p.nondiff:
            continue
        if p not in jvp_rules:
            missing.append(f"{name}: jvp")
        if p not in vjp_rules:
            missing.append(f"{name}: vjp")
    assert not missing, f"primitives without rules: {missing}"


def test_check_grads_fails_on_a_wrong_rule():
    bad = ex.Primitive("_test_bad_sin", np.sin)
    ex.defjvp(bad, lambda t, ans, x: t * np.cos(x) * 1.01)        # 1% off
    ex.defvjp(bad, lambda g, ans, x: g * np.cos(x))
    ex.batch_elementwise(bad)
    with pytest.raises(AssertionError, match="fwd"):
        fad.check_grads(bad, (np.array([0.3, 0.7]),), modes=("fwd",))
    bad2 = ex.Primitive("_test_bad_sin2", np.sin)
    ex.defjvp(bad2, lambda t, ans, x: t * np.cos(x))
    ex.defvjp(bad2, lambda g, ans, x: -g * np.cos(x))              # wrong sign
    ex.batch_elementwise(bad2)
    with pytest.raises(AssertionError, match="rev"):
        fad.check_grads(bad2, (np.array([0.3, 0.7]),), modes=("rev",))
    # a first-order-correct rule that does not differentiate again fails at order 2
    bad3 = ex.Primitive("_test_bad_order2", np.sin)
    ex.defjvp(bad3, lambda t, ans, x: t * np.cos(fad.stop_gradient(x)))
    ex.defvjp(bad3, lambda g, ans, x: g * np.cos(fad.stop_gradient(x)))
    ex.batch_elementwise(bad3)
    fad.check_grads(bad3, (np.array([0.3, 0.7]),), order=1)
    with pytest.raises(AssertionError):
        fad.check_grads(bad3, (np.array([0.3, 0.7]),), order=2)


def test_core_runs_a_toy_primitive_set_without_funcad_numpy():
    # the engine (L0-L3) must not import funcad.numpy: run a toy set in a fresh interpreter
    code = r'''
import sys, types, numpy as np
pkg = types.ModuleType("funcad")          # the package without its __init__ (no funcad.numpy)
pkg.__path__ = [PKG_DIR]
sys.modules["funcad"] = pkg
import funcad._core as core
from funcad._core import Primitive, new_trace
from funcad._forward import JVPTrace, JVPTracer, defjvp
from funcad._reverse import RevTrace, defvjp, backward_pass
assert "funcad.numpy" not in sys.modules, "engine imported funcad.numpy"
mul = Primitive("toy_mul", np.multiply)
sin = Primitive("toy_sin", np.sin)
cos = Primitive("toy_cos", np.cos)
defjvp(mul, lambda t, a, x, y: mul(t, y), lambda t, a, x, y: mul(x, t))
defjvp(sin, lambda t, a, x: mul(t, cos(x)))
defvjp(mul, lambda g, a, x, y: mul(g, y), lambda g, a, x, y: mul(g, x))
defvjp(sin, lambda g, a, x: mul(g, cos(x)))
class Ops:
    pass
core.ops = Ops()
x = np.array(0.5)
with new_trace(JVPTrace) as t:
    out = sin(mul(JVPTracer(t, x, np.array(1.0)), x))
assert np.isclose(out.tangent, np.cos(0.25) * 0.5), out.tangent
with new_trace(RevTrace) as t:
    xi = t.new_input(x)
    y = sin(mul(xi, xi))
(g,) = backward_pass(t.tape, [(y.node, np.array(1.0))], [xi.node])
assert np.isclose(g, np.cos(0.25) * 2 * 0.5), g
print("ok")
'''
    import pathlib
    code = code.replace("PKG_DIR", repr(str(pathlib.Path(fad.__file__).parent)))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_layering_imports_point_down():
    import ast
    import pathlib
    root = pathlib.Path(fad.__file__).parent
    layer = {"_util": 0, "errors": 0, "tree": 0, "_rules": 1, "_protocols": 1, "_views": 1,
             "_core": 1, "_forward": 2, "_reverse": 2, "_batching": 2, "_onehot": 2, "_jacobian_trace": 2,
             "extend": 3}
    bad = []
    for mod, lvl in layer.items():
        src = (root / f"{mod}.py").read_text()
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                target = (node.module or "").split(".")[0]
                if target in layer and layer[target] > lvl:
                    bad.append(f"{mod} imports {target}")
                if target in ("numpy", "api", "optim", "nn"):
                    bad.append(f"{mod} imports {target}")
                if mod in ("_forward", "_reverse", "_batching") and target in (
                        "_forward", "_reverse", "_batching", "_onehot",
                        "_jacobian_trace") and target != mod:
                    bad.append(f"interpreter {mod} imports interpreter {target}")
    assert not bad, bad
