"""Random straight-line programs for the fuzz test (tests/test_fuzz.py).

A :class:`Program` is Python source text over a namespace called ``np``: the
test runs the same text once with ``np`` bound to NumPy (traced values reach
funcad through NumPy's dispatch hooks) and once with ``np`` bound to
``funcad.numpy``. Programs are built by :func:`programs`, a hypothesis
strategy, from two sources:

* a table of NumPy spellings written here (elementwise functions with their
  input domains, broadcasting binary ops, reductions over random axes, shape
  ops, indexing with ints/slices/masks/integer arrays, ``x[i] = v``, Python
  ``if``/``for``/``while`` on concrete values);
* every row of the primitive spec tables ``tests/specs/*.py`` whose input
  domain is elementwise, called as ``spec("name")(...)`` on inputs reshaped to
  one of the spec's shapes (:func:`fit`) and mapped into its domain with a
  smooth bounded map, so what other engineers add is fuzzed automatically.

Every value stays bounded and inside its domain by construction (``tanh``
based maps), so no program produces inf/NaN. The concrete inputs are part of
the program, and ``repr(program)`` is a runnable script that reproduces it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import funcad.numpy as fnp
from funcad import tree

from . import specs as _specs_pkg

# ---------------------------------------------------------------------------
# The spec tables, and the helpers programs may call
# ---------------------------------------------------------------------------

# domain name -> source of a smooth map from any real value into that domain
DOMAIN_MAPS = {
    "real": "2.0 * np.tanh({})",
    "positive": "(1.25 + 0.75 * np.tanh({}))",
    "nonzero": "(1.25 + 0.75 * np.tanh({}))",
    "unit": "0.8 * np.tanh({})",
    "above_one": "(2.1 + 0.9 * np.tanh({}))",
    "distinct": "2.0 * np.tanh({})",
    "complex": "(2.0 * np.tanh({0}) + 1.5j * np.sin({0}))",
}


def _load_specs():
    out = []
    for m in pkgutil.iter_modules(_specs_pkg.__path__):
        if not m.name.startswith("_"):
            out += importlib.import_module(f"{_specs_pkg.__name__}.{m.name}").SPECS
    return out


def _usable(s) -> bool:
    doms = s.domain if isinstance(s.domain, tuple) else (s.domain,)
    return (all(d in DOMAIN_MAPS for d in doms) and np.dtype(s.dtype) == np.float64
            and s.atol is None and s.rtol is None and s.eps is None
            and "fwd" in s.modes and "rev" in s.modes and s.shapes)


ALL_SPECS = _load_specs()
SPECS = {s.name: s for s in ALL_SPECS if _usable(s)}


def spec(name: str):
    """The function of the spec table row ``name``."""
    return SPECS[name].fn


def fit(v, shape):
    """Reshape ``v`` to ``shape`` differentiably: ravel, repeat, cut.

    The repeats pass through different smooth maps, so they are neither ties nor
    proportional copies (a matrix tiled from scaled copies of a short vector would have
    rank 1: repeated zero singular values are a singular point of svd/eig).
    """
    shape = tuple(shape)
    m = int(np.prod(shape, dtype=np.int64))
    flat = fnp.ravel(v)
    n = flat.shape[0]
    parts = [flat]
    while n * len(parts) < m:
        k = len(parts)
        parts.append(fnp.sin(flat * (1.0 + 0.25 * k) + 0.7 * k))
    if len(parts) > 1:
        flat = fnp.concatenate(parts)
    return fnp.reshape(flat[:m], shape)


def as_array(out):
    """One real array from a spec function's output (which may be a tuple, or complex)."""
    leaves = tree.leaves(out)
    x = leaves[0] if len(leaves) == 1 else fnp.concatenate([fnp.ravel(v) for v in leaves])
    if np.issubdtype(x.dtype, np.complexfloating):
        x = fnp.real(x)
    return x


HELPERS = {"spec": spec, "fit": fit, "as_array": as_array}


def has(*names) -> bool:
    """True when funcad.numpy provides all ``names`` (others are adding functions)."""
    return all(hasattr(fnp, n) for n in names)


# ---------------------------------------------------------------------------
# Programs
# ---------------------------------------------------------------------------

@dataclass
class Program:
    """A random program: inputs (a pytree per argument), body lines, flags.

    Attributes:
      args: per argument, ``("array", i)``, ``("dict", [(key, i), ...])`` or
        ``("tuple", [i, ...])`` where ``i`` indexes ``leaves``.
      leaves: the concrete float64 input arrays.
      body: source lines of the function body (after unpacking), indented.
      out: the name of the returned variable.
      control_flow: Python control flow on a traced value (vmap must refuse it).
      order: 2 when second derivatives are checked.
      vmap_ok: every spec used allows vmap.
      specs: the spec rows the program calls.
    """

    args: list
    leaves: list
    body: list
    out: str
    control_flow: bool = False
    order: int = 2
    vmap_ok: bool = True
    specs: list = field(default_factory=list)

    # -- source ----------------------------------------------------------
    def function_source(self) -> str:
        names = [f"x{k}" for k in range(len(self.args))]
        lines = [f"def f({', '.join(names)}):"]
        for name, (kind, idx) in zip(names, self.args):
            if kind == "array":
                lines.append(f"    v{idx} = {name}")
            elif kind == "dict":
                lines += [f"    v{i} = {name}[{key!r}]" for key, i in idx]
            else:
                lines += [f"    v{i} = {name}[{j}]" for j, i in enumerate(idx)]
        lines += ["    " + ln for ln in self.body]
        lines.append(f"    return {self.out}")
        return "\n".join(lines)

    def args_source(self) -> str:
        def arr(i):
            x = self.leaves[i]
            return f"np.array({x.tolist()!r})"
        parts = []
        for kind, idx in self.args:
            if kind == "array":
                parts.append(arr(idx))
            elif kind == "dict":
                parts.append("{" + ", ".join(f"{k!r}: {arr(i)}" for k, i in idx) + "}")
            else:
                parts.append("(" + ", ".join(arr(i) for i in idx) + ",)")
        return "args = (" + ", ".join(parts) + ",)"

    def __repr__(self) -> str:
        head = "import numpy as np\nimport funcad as fad\n"
        if "spec(" in "\n".join(self.body) or "fit(" in "\n".join(self.body):
            head += "from tests.fuzz_programs import spec, fit, as_array\n"
        leaves = ", ".join(f"np.array({x.tolist()!r})" for x in self.leaves)
        rerun = (f"# rerun every check of tests/test_fuzz.py on it:\n"
                 f"# from tests.fuzz_programs import Program\n"
                 f"# from tests.test_fuzz import check_program\n"
                 f"# check_program(Program(args={self.args!r}, leaves=[{leaves}], "
                 f"body={self.body!r}, out={self.out!r}, control_flow={self.control_flow}, "
                 f"order={self.order}, vmap_ok={self.vmap_ok}))\n")
        return (f"\n# --- fuzz program (control_flow={self.control_flow}, order={self.order}) "
                f"---\n{head}\n{self.function_source()}\n\n{self.args_source()}\n"
                f"print(f(*args))\n{rerun}")

    # -- running ---------------------------------------------------------
    def function(self, ns):
        """The program as a Python function with ``np`` bound to ``ns``."""
        env = dict(HELPERS, np=ns)
        exec(compile(self.function_source(), "<fuzz program>", "exec"), env)
        return env["f"]

    def make_args(self, leaves=None, dtype=None):
        """The argument pytrees, from ``leaves`` (default: the program's own), as fresh copies."""
        leaves = self.leaves if leaves is None else leaves
        leaves = [np.array(x, dtype=dtype or np.asarray(x).dtype) for x in leaves]
        out = []
        for kind, idx in self.args:
            if kind == "array":
                out.append(leaves[idx])
            elif kind == "dict":
                out.append({k: leaves[i] for k, i in idx})
            else:
                out.append(tuple(leaves[i] for i in idx))
        return tuple(out)


# ---------------------------------------------------------------------------
# The builder: tracks each variable's concrete value while generating
# ---------------------------------------------------------------------------

class _Reject(Exception):
    pass


class _Builder:
    def __init__(self, draw, leaves):
        self.draw = draw
        self.env = dict(HELPERS, np=np)
        self.names = []
        for i, x in enumerate(leaves):
            self.env[f"v{i}"] = x
            self.names.append(f"v{i}")
        self.body = []
        self.control_flow = False
        self.order = 2

    def fresh(self):
        return f"v{len(self.names)}"

    def val(self, name):
        return self.env[name]

    def shape(self, name):
        return np.shape(self.env[name])

    def pick(self, pred=lambda name: True):
        cands = [n for n in self.names if pred(n)]
        if not cands:
            raise _Reject("no variable fits")
        # prefer recent variables so programs are deep rather than wide
        k = self.draw(st.integers(0, len(cands) - 1))
        return cands[len(cands) - 1 - k]

    def emit(self, lines, name):
        """Run ``lines`` (defining ``name``) on the concrete values; keep them if sane."""
        lines = [lines] if isinstance(lines, str) else lines
        env = dict(self.env)
        try:
            with np.errstate(all="raise"):
                exec("\n".join(lines), env)
        except Exception as e:
            raise _Reject(f"{type(e).__name__}: {e}") from None
        v = env[name]
        if not isinstance(v, (np.ndarray, np.generic, float)):
            raise _Reject(f"non-array result {type(v)}")
        v = np.asarray(v)
        if (v.dtype != np.float64 or v.size == 0 or v.size > 24 or v.ndim > 3
                or not np.all(np.isfinite(v)) or np.max(np.abs(v)) > 1e3):
            raise _Reject("result out of bounds")
        if not np.any(v):
            # an all-zero value (x - x, a ReLU of negatives) fed to a function that is singular
            # at 0 (a norm, abs) gives 0 * inf = NaN derivatives at a point where the program
            # is locally constant: a documented sharp bit, not what the fuzzer looks for
            raise _Reject("all zeros")
        self.env = env
        self.body += lines
        self.names.append(name)
        return name


def _dom(domain, expr):
    return DOMAIN_MAPS[domain].format(expr)


def _bcast_ok(a, b):
    try:
        s = np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return int(np.prod(s, dtype=int)) <= 24


# -- op generators: each takes the builder and emits one step ---------------

UNARY = [  # (source template, domain or None for raw input)
    ("np.sin({})", None), ("np.cos({})", None), ("np.tanh({})", None),
    ("np.arctan({})", None), ("np.arcsinh({})", None), ("-{}", None), ("np.abs({})", None),
    ("{} ** 2", None), ("np.square({})", None), ("np.sqrt({} ** 2 + 1.0)", None),
    ("np.exp({})", "unit"), ("np.expm1({})", "unit"), ("np.sinh({})", "unit"),
    ("np.cosh({})", "unit"), ("np.exp2({})", "unit"), ("{} ** 3", "unit"),
    ("np.log({})", "positive"), ("np.log2({})", "positive"), ("np.log10({})", "positive"),
    ("np.log1p({})", "positive"), ("np.sqrt({})", "positive"), ("np.cbrt({})", "positive"),
    ("np.reciprocal({})", "positive"), ("{} ** 0.5", "positive"), ("{} ** 1.7", "positive"),
    ("1.0 / {}", "positive"), ("np.arccosh({})", "above_one"),
    ("np.arcsin({})", "unit"), ("np.arccos({})", "unit"), ("np.arctanh({})", "unit"),
    ("np.tan({})", "unit"), ("np.floor(2.0 * {0}) + {0}", None),
    ("np.sign({0}) * {0} ** 2", None), ("np.maximum({}, 0.0)", None),
    ("np.where({0} > 0, {0}, 0.1 * {0})", None), ("np.clip({}, -0.5, 0.5)", None),
]

BINARY = [  # (template, domain of the second operand or None)
    ("{} + {}", None), ("{} - {}", None), ("{} * {}", None), ("{} / {}", "positive"),
    ("np.maximum({}, {})", None), ("np.minimum({}, {})", None), ("np.hypot({}, {})", "positive"),
    ("np.arctan2({}, {})", "positive"), ("np.logaddexp({}, {})", None),
    ("np.where({0} > {1}, {0} * {1}, {1} - {0})", None),
    ("np.add({}, {})", None), ("np.multiply({}, {})", None), ("np.subtract({}, {})", None),
]


def _op_unary(b):
    tmpl, dom = b.draw(st.sampled_from(UNARY))
    if "clip" in tmpl and not has("clip"):
        raise _Reject("no clip")
    x = b.pick()
    arg = x if dom is None else _dom(dom, x)
    return b.emit(f"{b.fresh()} = {tmpl.format(arg)}", b.fresh())


def _op_binary(b):
    tmpl, dom = b.draw(st.sampled_from(BINARY))
    x = b.pick()
    y = b.pick(lambda n: n != x and _bcast_ok(b.shape(x), b.shape(n)))
    xa, ya = x, (y if dom is None else _dom(dom, y))
    if tmpl.startswith("np.logaddexp"):
        xa, ya = _dom("real", x), _dom("real", y)
    return b.emit(f"{b.fresh()} = {tmpl.format(xa, ya)}", b.fresh())


def _op_reduce(b):
    x = b.pick()
    nd = len(b.shape(x))
    fn = b.draw(st.sampled_from(["sum", "mean", "max", "min", "prod", "var", "amax"]))
    if fn == "amax" and not has("amax"):
        fn = "max"
    axes = [None] + list(range(-nd, nd)) + ([tuple(range(nd))] if nd > 1 else [])
    ax = b.draw(st.sampled_from(axes))
    keep = b.draw(st.booleans())
    arg = _dom("real", x) if fn == "prod" else x
    style = b.draw(st.booleans())
    if style and fn not in ("amax",):
        src = f"{arg}.{fn}(axis={ax!r}, keepdims={keep})" if fn != "prod" else \
            f"({arg}).prod(axis={ax!r}, keepdims={keep})"
    else:
        src = f"np.{fn}({arg}, axis={ax!r}, keepdims={keep})"
    return b.emit(f"{b.fresh()} = {src}", b.fresh())


def _op_shape(b):
    x = b.pick()
    s = b.shape(x)
    nd = len(s)
    n = b.fresh()
    opts = []
    if nd == 0:
        opts += [f"np.broadcast_to({x}, (3,))", f"np.stack([{x}, 2.0 * {x}, {x} ** 2])",
                 f"np.reshape({x}, (1, 1))", f"np.expand_dims({x}, 0)"]
    if nd >= 1:
        opts += [f"{x}[::-1]", f"{x}[0]", f"{x}[-1]", f"np.expand_dims({x}, -1)",
                 f"np.concatenate([{x}, np.sin({x})], axis=0)",
                 f"np.stack([{x}, {x} * 3.0], axis=-1)", f"{x}.reshape(-1)",
                 f"np.ravel({x})", f"np.reshape({x}, (-1, 1))",
                 f"{x}[np.array([0, 0, -1])]", f"{x}[np.argmax({x}.reshape(-1)) % {s[0]}]",
                 f"np.broadcast_to({x}, (2,) + {x}.shape)"]
        mask = [bool(k % 2 == 0) for k in range(s[0])]
        opts.append(f"{x}[np.array({mask!r})]")
        if s[0] > 1:
            opts += [f"{x}[1:]", f"{x}[:-1] * {x}[1:]"]
    if nd >= 2:
        opts += [f"{x}.T", f"np.transpose({x})", f"np.swapaxes({x}, 0, -1)",
                 f"np.moveaxis({x}, 0, -1)", f"{x}[:, ::-1]", f"{x}[..., 0]",
                 f"{x}[:, np.array([0, 0])]", f"{x}.sum(axis=0) * {x}[0]",
                 f"{x} @ {x}.T", f"np.einsum('ij,kj->ik', {x}, {x})",
                 f"np.einsum('ij->j', {x})", f"np.matmul({x}.T, {x})",
                 f"np.tensordot({x}, {x}, axes=([0], [0]))"]
    if 1 in s:
        opts.append(f"np.squeeze({x})")
    if nd == 1:
        opts += [f"np.outer({x}, np.cos({x}))", f"{x} @ {x}", f"np.dot({x}, np.sin({x}))",
                 f"np.inner({x}, {x})"]
    for name in ("flip", "cumsum", "roll", "sort", "cumprod", "diff"):
        if has(name) and nd >= 1:
            arg = {"roll": f"{x}, 1", "cumprod": _dom("positive", x)}.get(name, x)
            opts.append(f"np.{name}({arg})")
    src = b.draw(st.sampled_from(opts))
    return b.emit(f"{n} = {src}", n)


def _op_setitem(b):
    x = b.pick(lambda n: len(b.shape(n)) >= 1)
    y = b.pick()
    n = b.fresh()
    idx = b.draw(st.sampled_from(["0", "-1", "1:", "...", "np.array([0, 0])"]))
    if idx == "1:" and b.shape(x)[0] < 2:
        idx = "0"
    return b.emit([f"{n} = {x} * 1.0", f"{n}[{idx}] = np.mean({y})"], n)


def _op_control(b):
    x = b.pick()
    y = b.pick(lambda n: _bcast_ok(b.shape(x), b.shape(n)))
    n = b.fresh()
    kind = b.draw(st.sampled_from(["if", "for", "while"]))
    if kind == "for":   # a static loop: no control flow on traced values
        lines = [f"{n} = {x}", "for _ in range(2):",
                 f"    {n} = np.tanh({n}) * 0.9 + {y} * 0.1"]
        return b.emit(lines, n)
    if kind == "if":
        lines = [f"if np.sum({y}) > 0.0:", f"    {n} = np.sin({x}) * {y}", "else:",
                 f"    {n} = {x} ** 2 - {y}"]
    else:
        lines = [f"{n} = {x}", f"while np.max(np.abs({n})) > 0.5:", f"    {n} = {n} * 0.5"]
    out = b.emit(lines, n)        # raises _Reject for an unusable result: no flag then
    b.control_flow = True
    return out


def _op_spec(b):
    if not SPECS:
        raise _Reject("no specs")
    name = b.draw(st.sampled_from(sorted(SPECS)))
    s = SPECS[name]
    shapes = b.draw(st.sampled_from(s.shapes))
    doms = s.domain if isinstance(s.domain, tuple) else (s.domain,) * len(shapes)
    args = []
    for shp, d in zip(shapes, doms):
        x = b.pick()
        a = x if tuple(shp) == b.shape(x) else f"fit({x}, {tuple(shp)!r})"
        args.append(_dom(d, a))
    if s.order < 2:
        b.order = 1
    n = b.fresh()
    b.emit(f"{n} = as_array(spec({name!r})({', '.join(args)}))", n)
    return n


# NumPy spellings of the wider API (others are adding it): each runs only if funcad.numpy
# has every name it needs. (template, minimum ndim of {x}, names); {x}: a variable, {p}: it
# mapped to positive values, {y}: a variable that broadcasts with it, {m}: a 2 x 2
# well-conditioned matrix made from it, {s}: a symmetric one
WIDE = [
    ("np.cumsum({x})", 0, ["cumsum"]), ("np.cumprod({p})", 0, ["cumprod"]),
    ("np.cumsum({x}, axis=-1)", 1, ["cumsum"]), ("np.nancumsum({x})", 0, ["nancumsum"]),
    ("np.sinc({x})", 0, ["sinc"]), ("np.deg2rad({x}) + np.fabs({x})", 0, ["deg2rad", "fabs"]),
    ("np.heaviside({x}, 0.5) * {x}", 0, ["heaviside"]), ("np.modf({x})[0]", 0, ["modf"]),
    ("np.divmod({x}, 0.7)[1]", 0, ["divmod"]), ("np.frexp({p})[0]", 0, ["frexp"]),
    ("np.ceil({x}) + np.trunc({x}) * {x}", 0, ["ceil", "trunc"]),
    ("np.copysign({x}, {y})", 0, ["copysign"]), ("np.nan_to_num({x})", 0, ["nan_to_num"]),
    ("np.ptp({x}) * {x}", 0, ["ptp"]), ("np.median({x})", 0, ["median"]),
    ("np.percentile({x}, 30.0)", 0, ["percentile"]), ("np.quantile({x}, 0.7)", 1, ["quantile"]),
    ("np.nanmean({x}, axis=0)", 1, ["nanmean"]), ("np.nanvar({x})", 0, ["nanvar"]),
    ("np.nansum({x} * {y})", 0, ["nansum"]), ("np.std({x} + {y}) * {x}", 0, ["std"]),
    ("np.average({x}, axis=0, weights=np.exp(np.sin({x})))", 1, ["average"]),
    ("np.sort({x})", 1, ["sort"]), ("np.sort({x}, axis=0)", 1, ["sort"]),
    ("np.flip({x})", 0, ["flip"]), ("np.roll({x}, 1)", 1, ["roll"]),
    ("np.diff({x}, axis=-1)", 1, ["diff"]), ("np.tile({x}, 2)", 0, ["tile"]),
    ("np.repeat({x}, 2, axis=0)", 1, ["repeat"]), ("np.pad({x}, 1)", 1, ["pad"]),
    ("np.pad({x}, 1, mode='edge')", 1, ["pad"]), ("np.append({x}, {y})", 0, ["append"]),
    ("np.take({x}, [0, 0, -1])", 1, ["take"]), ("np.trapezoid({x})", 1, ["trapezoid"]),
    ("np.convolve(np.ravel({x}), np.array([1.0, -2.0, 0.5]))", 0, ["convolve"]),
    ("np.polyval(np.ravel({x}), {y})", 0, ["polyval"]), ("np.hstack([{x}, {y}])", 1, ["hstack"]),
    ("np.atleast_2d({x}) * 2.0", 0, ["atleast_2d"]), ("np.vstack([{x}, {x} ** 2])", 1, ["vstack"]),
    ("np.kron(np.ravel({x})[:3], np.ravel({y})[:3])", 0, ["kron"]),
    ("np.fft.fft({x}).real", 1, ["fft"]), ("np.abs(np.fft.rfft({x}) + 1.0)", 1, ["fft"]),
    ("np.fft.ifft(np.fft.fft({x}) * np.fft.fft(np.cos({x}))).real", 1, ["fft"]),
    ("np.real(np.exp(1j * {x}) * ({y} + 2j))", 0, []),
    ("np.abs({x} + 1j * {p})", 0, []), ("np.imag(({x} + 1j) ** 2)", 0, []),
    ("np.angle({x} + 1j * {p})", 0, ["angle"]), ("np.conj({x} * 1j).imag", 0, ["conj"]),
    ("np.trace({x})", 2, ["trace"]), ("np.diagonal({x})", 2, ["diagonal"]),
    ("np.tril({x}) + np.triu({x}, 1) ** 2", 2, ["tril", "triu"]),
    ("np.rot90({x})", 2, ["rot90"]), ("np.fliplr({x})", 2, ["fliplr"]),
    ("np.cov({x})", 2, ["cov"]), ("np.linalg.norm({x})", 0, ["linalg"]),
    ("np.linalg.norm({x}, axis=-1)", 1, ["linalg"]),
    ("np.linalg.inv({m})", 0, ["linalg"]), ("np.linalg.det({m})", 0, ["linalg"]),
    ("np.linalg.solve({m}, fit({y}, (2,)))", 0, ["linalg"]),
    ("np.linalg.slogdet({m})[1]", 0, ["linalg"]), ("np.linalg.eigvalsh({s})", 0, ["linalg"]),
    ("np.linalg.eigh({s})[0]", 0, ["linalg"]), ("np.linalg.matrix_power({m}, 3)", 0, ["linalg"]),
    ("np.linalg.svd(fit({x}, (3, 2)) + np.array([[3.0, 0], [0, 1], [0, 0]]), "
     "compute_uv=False)", 0, ["linalg"]),
    ("np.linalg.qr({m})[1]", 0, ["linalg"]), ("np.linalg.pinv(fit({x}, (3, 2)) + "
                                             "np.array([[3.0, 0], [0, 1], [0, 0]]))", 0,
                                             ["linalg"]),
    ("np.linalg.cholesky({s} + 3.0 * np.eye(2))", 0, ["linalg"]),
]
WIDE = [w for w in WIDE if has(*w[2])]


def _op_wide(b):
    if not WIDE:
        raise _Reject("no wide ops")
    tmpl, nd, _ = b.draw(st.sampled_from(WIDE))
    x = b.pick(lambda n: len(b.shape(n)) >= nd)
    y = b.pick(lambda n: _bcast_ok(b.shape(x), b.shape(n)))
    m = f"(fit(0.5 * np.tanh({x}), (2, 2)) + 2.0 * np.eye(2))"
    sy = f"(fit(np.tanh({x}), (2, 2)) + fit(np.tanh({x}), (2, 2)).T + np.diag([0.0, 3.0]))"
    src = tmpl.format(x=x, y=y, p=_dom("positive", x), m=m, s=sy)
    return b.emit(f"{b.fresh()} = {src}", b.fresh())


OPS = [_op_unary, _op_binary, _op_spec, _op_reduce, _op_shape, _op_binary, _op_spec,
       _op_setitem, _op_control, _op_wide, _op_wide, _op_spec]

LEAF_SHAPES = [(), (3,), (2, 3), (2, 1), (1, 3), (4,), (2, 2)]


@st.composite
def programs(draw, max_ops: int = 8):
    """A hypothesis strategy of :class:`Program` (shrinks to few ops and small inputs)."""
    n_args = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    args, leaves = [], []
    for _ in range(n_args):
        kind = draw(st.sampled_from(["array", "array", "dict", "tuple"]))
        k = 1 if kind == "array" else draw(st.integers(1, 2))
        idx = []
        for _ in range(k):
            shp = draw(st.sampled_from(LEAF_SHAPES))
            idx.append(len(leaves))
            leaves.append(rng.uniform(-2.0, 2.0, shp))
        if kind == "array":
            args.append(("array", idx[0]))
        elif kind == "dict":
            args.append(("dict", list(zip(["w", "b"], idx))))
        else:
            args.append(("tuple", idx))
    b = _Builder(draw, leaves)
    n_ops = draw(st.integers(1, max_ops))
    done = 0
    tries = 0
    while done < n_ops and tries < 4 * n_ops + 8:
        tries += 1
        op = draw(st.sampled_from(OPS))
        try:
            op(b)
        except _Reject:
            continue
        done += 1
    last = b.names[-1]
    # use every input at least a little, so each has a nonzero derivative
    body = "\n".join(b.body)
    extra = [n for n in b.names[:len(leaves)]
             if n != last and not re.search(rf"\b{n}\b", body)]
    out = last
    if extra:
        terms = " + ".join(f"0.1 * np.sum(np.sin({n}))" for n in extra)
        out = b.fresh()
        b.emit(f"{out} = {last} + {terms}", out)
    specs_used = re.findall(r"spec\('([^']+)'\)", "\n".join(b.body))
    return Program(args, leaves, b.body, out, control_flow=b.control_flow, order=b.order,
                   vmap_ok=all(SPECS[n].vmap for n in specs_used), specs=specs_used)


__all__ = ["Program", "programs", "spec", "fit", "as_array", "SPECS", "DOMAIN_MAPS"]
