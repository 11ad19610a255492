"""The printable Wengert list: ``make_tape(f)(*args)`` for teaching and debugging."""

from __future__ import annotations

import functools
from typing import Any, Callable, ParamSpec, cast

import numpy as np

from . import tree as _tree
from ._args import leaf_labels, put_at
from ._reverse import INPUT as _INPUT
from ._reverse import PROJ as _PROJ
from ._reverse import Tape, parents_of, values_of, vjp_flat
from ._util import ShapeDtype, is_inexact

P = ParamSpec("P")

__all__ = ["make_tape", "TapeView", "saved_residuals", "print_saved_residuals"]

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
      entries: list of dicts with keys ``index``, ``op``, ``inputs``, ``params``, ``aval``
        (and ``name`` for inputs: the parameter's name and the leaf's path, ``params['w']``).
      outputs: tape indices of the function's outputs (``None`` for constants).
      value: the function's output.
    """

    def __init__(self, tape: Tape, out_nodes, value, labels=None):
        self.value = value
        labels = list(labels or [])
        self.outputs = [n if n >= 0 else None for n in (out_nodes or [])]
        self.entries = []
        for i, (entry, aval) in enumerate(zip(tape.entries, tape.avals or [])):
            prim, parents, args, params, _ = _unpack(entry)
            if prim is _INPUT:
                name = labels.pop(0) if labels else ""
                self.entries.append(dict(index=i, op="input", inputs=[], params={}, aval=aval,
                                         parents=[], name=name))
            elif prim is _PROJ:
                self.entries.append(dict(index=i, op=f"%{parents}[{args}]", inputs=[parents],
                                         params={}, aval=aval, parents=[parents]))
            else:
                ins = [f"%{p}" if p >= 0 else _fmt_const(a) for p, a in zip(parents, args)]
                self.entries.append(dict(index=i, op=prim.name, inputs=ins,
                                         params=dict(params or {}), aval=aval,
                                         parents=list(parents)))

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def lines(self) -> list[str]:
        out = []
        for e in self.entries:
            if e["op"] == "input":
                out.append(f"%{e['index']} = input {e['name']}  -> {_fmt_aval(e['aval'])}")
                continue
            if e["op"].startswith("%"):        # output j of a multiple-results entry
                out.append(f"%{e['index']} = {e['op']}  -> {_fmt_aval(e['aval'])}")
                continue
            ps = ", ".join(f"{k}={v}" for k, v in e["params"].items() if k != "tree")
            args = ", ".join(str(a) for a in e["inputs"]) + (f"; {ps}" if ps else "")
            out.append(f"%{e['index']} = {e['op']}({args})  -> {_fmt_aval(e['aval'])}")
        outs = ", ".join("const" if o is None else f"%{o}" for o in self.outputs)
        out.append(f"output: {outs}")
        return out

    def __str__(self):
        return "\n".join(self.lines())

    def to_dot(self, name: str = "tape", highlight_from: int | None = None) -> str:
        r"""Graphviz DOT text: ops as nodes, values as edges labelled with their shapes.

        Render with ``dot -Tpng tape.dot -o tape.png`` (Graphviz), or paste into any
        DOT viewer. Constants are dashed boxes; outputs are double octagons.

        Args:
          name: the graph's name.
          highlight_from: fill the nodes of entries with this index or higher (e.g.
            the backward pass on the tape of a ``grad``, which starts after the
            forward pass's entries).

        Example:
            >>> import numpy as np, funcad as fad
            >>> print(fad.make_tape(lambda x: np.sin(x) * 2.0)(np.ones(2)).to_dot())
            digraph tape {
              rankdir=TB;
              node [fontname="monospace", fontsize=10];
              edge [fontname="monospace", fontsize=9];
              n0 [label="%0 input x", shape=ellipse];
              n1 [label="%1 sin", shape=box];
              n0 -> n1 [label="f64[2]"];
              n2 [label="%2 multiply", shape=box];
              n1 -> n2 [label="f64[2]"];
              c2_1 [label="2.0", shape=box, style=dashed];
              c2_1 -> n2;
              out0 [label="output 0\nf64[2]", shape=doubleoctagon];
              n2 -> out0 [label="f64[2]"];
            }
        """
        q = _dot_quote
        lines = [f"digraph {name} {{", "  rankdir=TB;",
                 '  node [fontname="monospace", fontsize=10];',
                 '  edge [fontname="monospace", fontsize=9];']
        avals = {e["index"]: e["aval"] for e in self.entries}
        for e in self.entries:
            i = e["index"]
            if e["op"] == "input":
                lab = q(f"%{i} input {e['name']}".rstrip())
                lines.append(f'  n{i} [label="{lab}", shape=ellipse];')
                continue
            ps = ", ".join(f"{k}={v}" for k, v in e["params"].items() if k != "tree")
            label = f"%{i} {e['op']}" + (f"\\n{ps}" if ps else "")
            fill = (", style=filled, fillcolor=lightblue"
                    if highlight_from is not None and i >= highlight_from else "")
            lines.append(f'  n{i} [label="{q(label)}", shape=box{fill}];')
            for j, (p, s) in enumerate(zip(e["parents"], e["inputs"])):
                if p >= 0:
                    lines.append(f'  n{p} -> n{i} [label="{q(_fmt_aval(avals[p]))}"];')
                else:
                    lines.append(f'  c{i}_{j} [label="{q(str(s))}", shape=box, style=dashed];')
                    lines.append(f"  c{i}_{j} -> n{i};")
        for k, o in enumerate(self.outputs):
            if o is None:
                continue
            a = q(_fmt_aval(avals[o]))
            lines.append(f'  out{k} [label="output {k}\\n{a}", shape=doubleoctagon];')
            lines.append(f'  n{o} -> out{k} [label="{a}"];')
        lines.append("}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<TapeView: {len(self.entries)} entries>\n" + str(self)


def _dot_quote(s: str) -> str:
    """Escape double quotes for a DOT string (``\\n`` stays a DOT line break)."""
    return s.replace('"', '\\"')


def make_tape(fun: Callable[P, Any]) -> Callable[P, TapeView]:
    """Record ``fun``'s Wengert list (every float argument is an input).

    Each input is labelled with its parameter's name, and for a pytree argument with the
    leaf's path inside it (``params['w']``, ``layers[0].b``).

    Returns:
      A function with ``fun``'s signature returning a :class:`TapeView`.

    Example:
        >>> import numpy as np, funcad as fad
        >>> print(fad.make_tape(lambda x: np.sum(np.sin(x) * x))(np.ones(3)))
        %0 = input x  -> f64[3]
        %1 = sin(%0)  -> f64[3]
        %2 = multiply(%1, %0)  -> f64[3]
        %3 = sum(%2; axis=(0,), keepdims=False)  -> f64[]
        output: %3
    """
    @functools.wraps(fun)
    def run(*args: Any) -> TapeView:
        flat, in_tree = _tree.flatten(args)
        pos = [k for k, x in enumerate(flat) if is_inexact(np.asarray(x).dtype)]
        arrs = [np.asarray(flat[k]) for k in pos]
        out_tree = []

        def f_flat(xs):
            out = fun(*_tree.unflatten(in_tree, put_at(flat, pos, xs)))
            leaves, td = _tree.flatten(out)
            out_tree.append(td)
            return leaves

        with np.errstate(all="ignore"):
            outs, _, tape = vjp_flat(f_flat, arrs, record=True)
        nodes = tape.outputs
        names = leaf_labels(fun, args, range(len(args)))
        return TapeView(tape, nodes, _tree.unflatten(out_tree[0], outs), [names[k] for k in pos])

    return cast(Callable[P, TapeView], run)


# ---------------------------------------------------------------------------
# what the tape keeps
# ---------------------------------------------------------------------------

def _nbytes(v) -> int:
    a = v.aval if hasattr(v, "aval") else None
    if a is not None:
        return int(np.prod(a.shape, dtype=np.int64)) * np.dtype(a.dtype).itemsize
    return int(np.asarray(v).nbytes)


def _unpack(e):
    """A tape entry as ``(prim, parents, values, params, ans)``; an output j of entry n
    as ``(PROJ, n, j, None, None)``."""
    prim = e[0]
    if prim is _PROJ:
        return prim, e[3], e[1], None, None
    return prim, parents_of(e), values_of(e), e[1], e[2]


def saved_residuals(fun: Callable[..., Any], *args: Any) -> list[dict]:
    """The arrays reverse mode keeps for the backward pass of ``fun(*args)``.

    Every float argument is differentiated. Each distinct array is listed once.

    Args:
      fun: the function (pytrees in and out).
      args: its arguments; the float leaves are differentiated.

    Returns:
      A list of dicts with keys ``shape``, ``dtype``, ``bytes``, ``source`` (where
      the value comes from: an argument, an op's output, a constant) and
      ``kept_by`` (the ops whose VJP needs it).

    Example:
        >>> import numpy as np, funcad as fad
        >>> [r["source"] for r in fad.saved_residuals(lambda x: np.sum(np.sin(x)), np.ones(3))]
        ['argument 0']
    """
    flat, in_tree = _tree.flatten(args)
    pos = [k for k, x in enumerate(flat) if is_inexact(np.asarray(x).dtype)]

    def f_flat(xs):
        return _tree.leaves(fun(*_tree.unflatten(in_tree, put_at(flat, pos, xs))))

    with np.errstate(all="ignore"):
        _, _, tape = vjp_flat(f_flat, [np.asarray(flat[k]) for k in pos])
    argname: dict[int, str] = {}
    names: dict[int, str] = {}
    rows: dict = {}

    def note(v, source, user):
        if not hasattr(v, "shape") or isinstance(v, ShapeDtype) or np.ndim(v) == 0 and not (
                hasattr(v, "aval") or isinstance(v, np.ndarray)):
            return
        r = rows.get(id(v))
        if r is None:
            r = rows[id(v)] = dict(shape=tuple(v.shape), dtype=np.dtype(v.dtype),
                                   bytes=_nbytes(v), source=source, kept_by=[], _v=v)
        if user not in r["kept_by"]:
            r["kept_by"].append(user)

    for i, e in enumerate(tape.entries):
        prim, parents, vals, params, ans = _unpack(e)
        if prim is _INPUT:
            argname[i] = f"argument {len(argname)}"
            continue
        if prim is _PROJ:
            names[i] = f"output {vals} of {names[parents]}"
            continue
        me = f"{prim.name} (%{i})"
        names[i] = me
        for p, v in zip(parents, vals):
            src = argname.get(p) or (f"output of {names[p]}" if p >= 0 else "constant")
            note(v, src, me)
        if ans is not None:
            call = (params or {}).get("call")
            for j, a in enumerate(ans if prim.multiple_results else [ans]):
                lab = getattr(call, "output_label", lambda j: None)(j)
                src = (f"{lab} ({prim.name} %{i})" if lab else f"output {j} of {me}"
                       if prim.multiple_results else f"output of {me}")
                note(a, src, me)
    out = list(rows.values())
    for r in out:
        del r["_v"]
    return out


def print_saved_residuals(fun: Callable[..., Any], *args: Any) -> None:
    """Print what the tape keeps for ``fun(*args)``: shape, dtype, bytes, where from, kept by.

    Args:
      fun, args: as for :func:`saved_residuals`.

    Returns:
      None; prints one line per kept array and a total.

    Example:
        >>> import numpy as np, funcad as fad
        >>> fad.print_saved_residuals(lambda x: np.sum(np.sin(x) * x), np.ones(3))
        f64[3]      24 B  argument 0          kept by sin (%1), multiply (%2)
        f64[3]      24 B  output of sin (%1)  kept by multiply (%2)
        total: 48 B in 2 arrays
    """
    rows = saved_residuals(fun, *args)
    if not rows:
        print("nothing saved")
        return
    shp = [_fmt_aval(ShapeDtype(r["shape"], r["dtype"])) for r in rows]
    w1 = max(len(s) for s in shp)
    w2 = max(len(r["source"]) for r in rows)
    for s, r in zip(shp, rows):
        print(f"{s:<{w1}} {r['bytes']:>6} B  {r['source']:<{w2}}  kept by "
              f"{', '.join(r['kept_by'])}")
    print(f"total: {sum(r['bytes'] for r in rows)} B in {len(rows)} arrays")
