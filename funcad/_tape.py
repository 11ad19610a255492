"""The printable Wengert list: ``make_tape(f)(*args)`` for teaching and debugging."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from . import tree as _tree
from ._reverse import _INPUT, _PROJ, Tape
from ._util import ShapeDtype

__all__ = ["make_tape", "TapeView"]

_SHORT = {"float64": "f64", "float32": "f32", "complex128": "c128", "complex64": "c64",
          "int64": "i64", "int32": "i32", "bool": "bool"}


def _fmt_aval(a) -> str:
    if isinstance(a, list):
        return "(" + ", ".join(_fmt_aval(x) for x in a) + ")"
    dt = _SHORT.get(str(a.dtype), str(a.dtype))
    return f"{dt}[{','.join(str(s) for s in a.shape)}]"


def _fmt_const(v) -> str:
    if isinstance(v, ShapeDtype):
        return "const:" + _fmt_aval(v)
    if np.ndim(v) == 0 and not hasattr(v, "aval"):
        return repr(v.item() if hasattr(v, "item") else v)
    shp = getattr(v, "shape", ())
    dt = getattr(v, "dtype", None)
    return "const:" + _fmt_aval(ShapeDtype(tuple(shp), dt)) if dt is not None else "const"


class TapeView:
    """A recorded Wengert list: one line per entry ``%i = op(%j, %k) -> dtype[shape]``.

    Attributes:
      entries: list of dicts with keys ``index``, ``op``, ``inputs``, ``params``, ``aval``.
      outputs: tape indices of the function's outputs (``None`` for constants).
      value: the function's output.
    """

    def __init__(self, tape: Tape, out_nodes, value):
        self.value = value
        self.outputs = [n if n >= 0 else None for n in out_nodes]
        self.entries = []
        for i, (entry, aval) in enumerate(zip(tape.entries, tape.avals)):
            prim, parents, args, params, _ = entry
            if prim is _INPUT:
                self.entries.append(dict(index=i, op="input", inputs=[], params={}, aval=aval))
            elif prim is _PROJ:
                self.entries.append(dict(index=i, op=f"%{parents}[{args}]", inputs=[parents],
                                         params={}, aval=aval))
            else:
                ins = [f"%{p}" if p >= 0 else _fmt_const(a) for p, a in zip(parents, args)]
                self.entries.append(dict(index=i, op=prim.name, inputs=ins,
                                         params=dict(params or {}), aval=aval))

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def lines(self) -> list[str]:
        out = []
        for e in self.entries:
            if e["op"] == "input":
                out.append(f"%{e['index']} = input  -> {_fmt_aval(e['aval'])}")
                continue
            ps = ", ".join(f"{k}={v}" for k, v in e["params"].items() if k != "tree")
            args = ", ".join(str(a) for a in e["inputs"]) + (f"; {ps}" if ps else "")
            out.append(f"%{e['index']} = {e['op']}({args})  -> {_fmt_aval(e['aval'])}")
        outs = ", ".join("const" if o is None else f"%{o}" for o in self.outputs)
        out.append(f"output: {outs}")
        return out

    def __str__(self):
        return "\n".join(self.lines())

    def __repr__(self):
        return f"<TapeView: {len(self.entries)} entries>\n" + str(self)


def make_tape(fun: Callable) -> Callable:
    """Record ``fun``'s Wengert list (every float argument is an input).

    Returns:
      A function with ``fun``'s signature returning a :class:`TapeView`.

    Example:
        >>> import numpy as np, funcad as fad
        >>> print(fad.make_tape(lambda x: np.sum(np.sin(x) * x))(np.ones(3)))
        %0 = input  -> f64[3]
        %1 = sin(%0)  -> f64[3]
        %2 = multiply(%1, %0)  -> f64[3]
        %3 = sum(%2; axis=(0,), keepdims=False)  -> f64[]
        output: %3
    """
    from .api import vjp_flat

    @functools.wraps(fun)
    def run(*args):
        flat, in_tree = _tree.flatten(args)
        pos = [k for k, x in enumerate(flat) if np.issubdtype(np.asarray(x).dtype, np.inexact)]
        arrs = [np.asarray(flat[k]) for k in pos]
        out_tree = []

        def f_flat(xs):
            full = list(flat)
            for k, x in zip(pos, xs):
                full[k] = x
            out = fun(*_tree.unflatten(in_tree, full))
            leaves, td = _tree.flatten(out)
            out_tree.append(td)
            return leaves

        with np.errstate(all="ignore"):
            outs, _, tape = vjp_flat(f_flat, arrs, record=True)
        nodes = tape.outputs
        return TapeView(tape, nodes, _tree.unflatten(out_tree[0], outs))

    return run
