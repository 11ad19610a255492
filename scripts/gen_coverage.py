"""Generate docs/numpy-coverage.md: every overridable NumPy function and ufunc, its status
in funcad (differentiable, zero-derivative, unsupported), whether it works when called as
``np.<name>`` on traced values, the funcad file that defines its rule, and a note.

Usage: python scripts/gen_coverage.py [--check]
  --check: exit with status 1 if docs/numpy-coverage.md is not up to date.
"""

from __future__ import annotations

import inspect
import pathlib
import re
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import funcad.numpy  # noqa: E402,F401  (fills the tables)
from funcad import extend as _core  # noqa: E402  (the tables rule authors see)
from funcad.numpy import _base  # noqa: E402
from funcad.numpy import _nondiff_and_unsupported as _nondiff  # noqa: E402

DOC = ROOT / "docs" / "numpy-coverage.md"
STATUSES = ("differentiable", "zero-derivative", "unsupported")


def qualname(f) -> str:
    if isinstance(f, np.ufunc):
        return f"numpy.{f.__name__}"
    return f"{f.__module__}.{f.__name__}"


def is_colleagues(f) -> bool:
    """numpy.linalg / numpy.fft names belong to the linalg/fft family."""
    return not isinstance(f, np.ufunc) and f.__module__.startswith(("numpy.linalg",
                                                                     "numpy.fft"))


def _note(f, status, note):
    if status == "differentiable" and not note:
        table = _core.ufunc_table if isinstance(f, np.ufunc) else _core.function_table
        fn = table[f]
        while hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        if isinstance(fn, _core.Primitive):
            note = "primitive with its own JVP, VJP and batching rules"
        else:
            paras = []
            for p in (fn.__doc__ or "").strip().split("\n\n"):
                if p.strip().startswith(("Args:", "Returns:", "Example:", "Raises:")):
                    break
                paras.append(" ".join(p.split()))
            note = " ".join(paras)
    if status == "missing":
        note = "owned by the linalg/fft family; not registered yet"
    return note.replace("|", "\\|")


# NumPy converts the arguments of these itself (they dispatch only on like=), so funcad never
# sees np.array([a, b]) of traced a, b; the fnp function of the same name does
CONVERSIONS = ("array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray",
               "require")


# NumPy dispatches these on their array argument only: a traced value in another argument
# next to a plain array is not seen by funcad (NumPy raises); the fnp function handles it
OTHER_ARGUMENT_NOT_DISPATCHED = {
    "full_like": "`fill_value`", "pad": "`constant_values` / `end_values`",
    "nan_to_num": "`nan` / `posinf` / `neginf`", "piecewise": "a value in `funclist`",
}


def _like_only(f) -> bool:
    """Whether NumPy dispatches ``f`` only on its ``like=`` argument (creation functions)."""
    try:
        return "like" in inspect.signature(f).parameters
    except (TypeError, ValueError):   # NumPy < 2.3 builtins: the signature heads the docstring
        m = re.match(rf"\s*{re.escape(f.__name__)}\(([^)]*)\)", getattr(f, "__doc__", "") or "")
        return bool(m) and "like=" in m.group(1)


def works_as_np(f, status) -> str:
    """Whether ``np.<name>(...)`` called on traced values reaches funcad's rule."""
    if status in ("unsupported", "missing"):
        return "no (unsupported)" if status == "unsupported" else "no"
    n = f.__name__
    if not isinstance(f, np.ufunc) and n in OTHER_ARGUMENT_NOT_DISPATCHED:
        return (f"partially: a traced {OTHER_ARGUMENT_NOT_DISPATCHED[n]} with a plain array "
                f"raises (NumPy dispatches on the array only): use `fnp.{n}`")
    if isinstance(f, np.ufunc) or not _like_only(f):
        return "yes"
    if n in CONVERSIONS:
        return (f"no: NumPy converts a traced value (or a list of them) itself and raises; "
                f"use `fnp.{n}`")
    if n in ("zeros", "ones", "empty"):
        return (f"partially: a plain constant; writing a traced value into it raises: use "
                f"`fnp.{n}` or `np.{n}_like(y)`")
    if n == "full":
        return "partially: a traced fill value raises: use `fnp.full` or `np.full_like(y, v)`"
    return "yes: a constant (no traced argument)"


def _module_file(modname: str) -> str:
    mod = sys.modules.get(modname)
    path = getattr(mod, "__file__", None)
    if not path:
        return ""
    return pathlib.Path(path).resolve().relative_to(ROOT).as_posix()


def defining_file(f, status) -> str:
    """The funcad file that defines the rule (or the unsupported entry) for ``f``."""
    if status == "unsupported":
        return _module_file(_nondiff.__name__)
    table = _core.ufunc_table if isinstance(f, np.ufunc) else _core.function_table
    fn = table.get(f)
    if fn is None:
        return ""
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    if isinstance(fn, _core.Primitive):
        mod = _base.defined_in.get(fn) or next(
            (m for m, obj in list(sys.modules.items()) if m.startswith("funcad.")
             and any(v is fn for v in vars(obj).values())), "")
    else:
        mod = getattr(fn, "__module__", "") or ""
    return _module_file(mod)


def taylor_kind(f, status) -> str:
    """How Taylor mode (jet, derivatives, laplacian) goes through it."""
    if status == "zero-derivative":
        return "constant"
    if status != "differentiable":
        return "-"
    table = _core.ufunc_table if isinstance(f, np.ufunc) else _core.function_table
    fn = table.get(f)
    p = fn if isinstance(fn, _core.Primitive) else getattr(fn, "primitive", None)
    if p is None:
        return "its primitives"
    rules = p.rules
    if rules.taylor is not None:
        return "recurrence"
    if rules.linear is not None:
        return "linear" if rules.linear.joint else "Leibniz"
    return "from JVP" if rules.jvp is not None else "-"


def rows():
    """-> sorted list of (qualified name, kind, status, works as np., file, note), one per
    distinct name."""
    out = {}
    ufuncs, funcs = _nondiff.overridable()
    for kind, fs in (("ufunc", ufuncs), ("function", funcs)):
        for f in fs:
            st, note = _nondiff.status(f)
            key = (qualname(f), kind)
            if key in out and out[key][0] != "missing":
                continue     # like= dispatch wrappers share the public function's name
            out[key] = (st, works_as_np(f, st), defining_file(f, st), taylor_kind(f, st),
                        _note(f, st, note))
    return sorted((k[0], k[1]) + v for k, v in out.items())


def render() -> str:
    rs = rows()
    counts = {s: sum(1 for r in rs if r[2] == s) for s in STATUSES + ("missing",)}
    lines = [
        "# NumPy coverage",
        "",
        "Every function and ufunc that NumPy lets other array types override "
        "(`numpy.testing.overrides`) has one home in funcad:",
        "",
        "- **differentiable**: a primitive with JVP, VJP and batching rules, or a composite "
        "of such primitives; derivatives of every order, under every transform;",
        "- **zero-derivative**: integer, boolean, shape or piecewise-constant results, computed "
        "on values;",
        "- **unsupported**: calling it on a traced value raises an error that names the "
        "function and says why (and what to use instead).",
        "",
        f"Generated by `python scripts/gen_coverage.py` with NumPy {np.__version__}; "
        "do not edit by hand.",
        "",
        "The **status** is that of the `funcad.numpy` function (`fnp.<name>`). The column "
        "**works as `np.`** says whether the same call written `np.<name>(...)` reaches it: "
        "NumPy hands a call to funcad only when a traced value is one of the arguments it "
        "dispatches on (`np.sin(x)`, `np.stack([x, y])`, `np.concatenate([x, [a, b]])` with a "
        "traced array `x`). A list holding only traced scalars is converted by NumPy first and "
        "raises (`np.mean([a, b])`: write `fnp.mean([a, b])`), and `np.array`/`np.asarray` "
        "never reach funcad (write `fnp.array([a, b])`). The column **file** names the "
        "funcad file that defines the rule. The column **Taylor** says how Taylor mode "
        "(`jet`, `derivatives`, `laplacian`; docs/taylor.md) goes through it: its own O(K^2) "
        "**recurrence**, **linear** (applied to each coefficient), **Leibniz** (a product "
        "rule over the coefficients), **from JVP** (the generic rule `y' = J(x) x'`, exact, "
        "its cost growing with the order like nested `jvp`), **its primitives** (a composite), "
        "**constant** (zero derivative).",
        "",
        f"Counts: {counts['differentiable']} differentiable, {counts['zero-derivative']} "
        f"zero-derivative, {counts['unsupported']} unsupported"
        + (f", {counts['missing']} not yet registered (linalg/fft)" if counts["missing"]
           else "") + ".",
        "",
        "| name | kind | status | works as `np.` | file | Taylor | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [f"| `{n}` | {k} | {s} | {w} | {fl} | {t} | {note} |"
              for n, k, s, w, fl, t, note in rs]
    return "\n".join(lines + [""] + CONVENTIONS) + "\n"


CONVENTIONS = """## Conventions

- **Kinks.** `abs'(0) = 0`; `max`/`min`/`maximum`/`minimum` split the derivative evenly
  among tied entries; `clip` gives derivative 1 in `a` where `a_min <= a <= a_max` (the
  bounds count as inside) and the returned bound gets 1 where `a` is strictly beyond it.
- **Order statistics.** `sort`, `partition`, `median`, `percentile`, `quantile` gather the
  values through the permutation found on values (stable order for ties), so each output
  carries the derivative of the element that lands there; quantiles interpolate linearly
  between the two neighbouring order statistics and are differentiable in `q` too.
- **interp.** Differentiable in `x`, `fp`, `left`, `right`; the knots `xp` get a zero
  derivative. At a knot the derivative in `x` is the slope of the segment to its right
  (to its left at the last knot).
- **cumprod / prod.** Products of pairs (a log-depth scan), never a division by `x`: exact
  derivatives with zeros in the input.
- **NaN-aware functions** (`nansum`, `nanmean`, `nanmedian`, ...) give NaN entries a zero
  derivative. A NaN that *enters a product* upstream still poisons reverse mode
  (`0 * nan`): replace it with `fnp.where` before multiplying.
- **Histograms.** Which bin a sample falls in is decided on values; the bin edges (from the
  data's min and max), the weights and the density normalisation are differentiable.
- **nextafter** has derivative 1 in `x` (the result is `x` moved by one ulp), 0 in `y`;
  `spacing`, `heaviside`, `round`, `floor`, `sign` and the comparisons have derivative 0.
- **Writing into arrays.** `x[idx] = v` on a traced `x` and `fnp.at(x)[idx].set/add/
  subtract/multiply/divide/power/min/max/get(v)` work under every transform with ints,
  slices, boolean masks and integer arrays. Repeated indices: `set` keeps the last write
  (and only it gets a derivative), `add`/`subtract` accumulate, the others apply in sequence
  like `np.multiply.at`. The caller's arrays are never modified. Inside a transform
  `np.zeros_like(y)`, `np.empty_like(y)`, `np.ones_like(y)`, `np.full_like(y, v)`,
  `np.copy(y)`, `y.copy()` and `fnp.zeros(n)` / `fnp.ones` / `fnp.empty` / `fnp.full`
  return a value of the innermost transform, so the usual ODE right-hand side works under
  `jacfwd`, `jacrev`, `hessian` and `vmap` (`empty_like` is filled with zeros). Writing a
  traced value into a plain NumPy array (`a = np.zeros(3); a[0] = x`) is an error naming
  the two fixes (`funcad.numpy.zeros`, `funcad.numpy.at(a)[0].set(x)`).
- **Lists of traced values.** Every `fnp` function accepts lists and tuples holding traced
  values where NumPy accepts an array (`fnp.mean([a, b])`, `fnp.array([[a, b], [c, 1.0]])`,
  `fnp.concatenate([[a], [b, c]])`): they are stacked into one traced array, or element by
  element when ragged. `fnp.r_[...]` and `fnp.c_[...]` join scalars, arrays, traced values
  and slices (`0:1:5j` is a `linspace`) like `np.r_` / `np.c_`.
- **vmap.** Functions whose output shape depends on values (`unique`, set functions,
  `compress`/`extract`/`x[mask]` with a batched mask, histograms, the zero-derivative
  functions computed on values) raise an error under vmap; `x[mask] = scalar` and
  `fnp.at(x)[mask].<op>(scalar)` with a batched mask are supported.
- **Ufunc methods.** `np.<ufunc>.outer`, `.reduce` and `.accumulate` work on traced values
  for every binary ufunc listed above (a left fold for non-associative ufuncs; `power` and
  `arctan2` `.reduce` raise on every CPU, since NumPy's own result is not their left fold on
  CPUs with AVX-512); `.at` writes in place and raises an error naming `fnp.at`.

```python
import numpy as np
import funcad as fad
import funcad.numpy as fnp

def heat(y):                      # a stencil written as plain NumPy
    d = np.zeros_like(y)
    d[1:-1] = y[:-2] - 2 * y[1:-1] + y[2:]
    return d

J = fad.jacfwd(heat)(np.linspace(0.0, 1.0, 5))
assert np.allclose(J, fad.jacrev(heat)(np.linspace(0.0, 1.0, 5)))
assert float(fad.grad(lambda a: fnp.std([a, 2.0, 0.0]))(3.0)) > 0
assert fnp.r_[0.0:1.0:3j, 5.0].tolist() == [0.0, 0.5, 1.0, 5.0]
```
""".splitlines()


def main(argv):
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is out of date; run python scripts/gen_coverage.py")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC} ({len(rows())} names)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
