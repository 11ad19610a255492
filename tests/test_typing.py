"""Typing: the package ships py.typed, transforms keep the wrapped function's signature,
and (when mypy is installed) a small typed user program checks clean."""

import importlib.resources
import inspect
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import funcad as fad

ROOT = pathlib.Path(__file__).resolve().parents[1]


def user_fn(params, x: np.ndarray, *rest, scale: float = 1.0, **kw) -> float:
    """A user function with every kind of parameter."""
    return np.sum(params["w"] * x) * scale


TRANSFORMS = [fad.grad, fad.value_and_grad, fad.jacfwd, fad.jacrev, fad.jacobian,
              fad.hessian, fad.vmap, fad.make_tape, fad.checkpoint,
              lambda f: fad.jacobian(f, mode="fwd"), lambda f: fad.grad(f, has_aux=True),
              lambda f: fad.grad(fad.grad(f))]


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_transforms_keep_the_signature(transform):
    g = transform(user_fn)
    assert inspect.signature(g) == inspect.signature(user_fn)
    assert g.__name__ == "user_fn" and g.__doc__ == user_fn.__doc__


def test_py_typed_is_shipped():
    assert importlib.resources.files("funcad").joinpath("py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    data = re.search(r"\[tool\.setuptools\.package-data\]\s*\nfuncad\s*=\s*\[(.*?)\]", pyproject)
    assert data and '"py.typed"' in data.group(1), "pyproject.toml must ship funcad/py.typed"


def test_public_functions_are_annotated():
    for name in ["grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev",
                 "jacobian", "hessian", "hvp", "hessp", "make_tape"]:
        sig = inspect.signature(getattr(fad, name))
        assert sig.return_annotation is not inspect.Signature.empty, name
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in sig.parameters.values()), name
    for name in ["flatten", "unflatten", "map", "ravel_pytree", "register_pytree_node",
                 "register_dataclass", "leaves_with_path"]:
        sig = inspect.signature(getattr(fad.tree, name))
        assert sig.return_annotation is not inspect.Signature.empty, name


def test_mypy_accepts_a_typed_user_program(tmp_path):
    pytest.importorskip("mypy")
    snippet = tmp_path / "user_program.py"
    snippet.write_text(USER_PROGRAM)
    bad = tmp_path / "bad.py"
    bad.write_text("import funcad as fad\n\ndef f(x: float) -> float:\n    return x\n\n"
                   "n: int = fad.grad(f)\nfad.grad(f)('not a float')\n")
    cmd = [sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-error-summary",
           "--cache-dir", str(tmp_path / "cache")]
    ok = subprocess.run(cmd + [str(snippet)], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    res = subprocess.run(cmd + [str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "bad.py:6" in res.stdout and "bad.py:7" in res.stdout, res.stdout


USER_PROGRAM = '''"""A small typed user program: what mypy sees of funcad's public API."""
from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

import funcad as fad
from funcad import optim, tree


def loss(w: npt.NDArray[np.float64], x: npt.NDArray[np.float64], scale: float = 1.0) -> float:
    return float(np.sum(np.tanh(x @ w)) * scale)


g = fad.grad(loss)
gw = g(np.ones(3), np.ones((2, 3)), scale=2.0)
v, gw2 = fad.value_and_grad(loss)(np.ones(3), np.ones((2, 3)))
(gw3, aux) = fad.grad(lambda w: (np.sum(w), w), has_aux=True)(np.ones(3))
J = fad.jacobian(np.sin)(np.ones(3))
H = fad.hessian(loss)(np.ones(3), np.ones((2, 3)))
y, t = fad.jvp(np.sin, (np.ones(3),), (np.ones(3),))
y2, f_vjp = fad.vjp(np.sin, np.ones(3))
hp = fad.hessp(loss)
hv = hp(np.ones(3), np.ones(3), np.ones((2, 3)))
lines: list[str] = fad.make_tape(loss)(np.ones(3), np.ones((2, 3))).lines()
flat, unravel = tree.ravel_pytree({"w": np.ones(3)})
params = unravel(flat)
leaves, td = tree.flatten(params)
opt = optim.adam(1e-3)
state = opt.init(params)


@tree.register_dataclass
@dataclasses.dataclass
class Layer:
    w: npt.NDArray[np.float64]
    act: str = dataclasses.field(default="tanh", metadata={"static": True})


lay = Layer(np.ones(2))
gl = fad.grad(lambda p: np.sum(p.w))(lay)
s1 = fad.grad(np.sum)(np.ones(3))
s2 = fad.grad(np.sin)(1.0)
j1 = fad.jacobian(np.sin)(np.ones(3))
'''
