"""Argument handling shared by the transforms: argnums, differentiable inputs, the user's
function as a flat list -> list function, static vs traced arguments of custom functions,
output checks, cotangent fitting.

A helper of the interpreters' flat cores (``vjp_flat`` fits cotangents here) and of the
transforms above them; it imports only the core and the L0 helpers."""

from __future__ import annotations

import inspect

import numpy as np

from . import tree as _tree
from ._core import Tracer, ops
from ._arrays import as_array, is_foreign, value_under, zeros
from ._util import dtype_of, is_complex, is_inexact, shape_of, short_repr, user_site_of
from .errors import ConcretizationError


def _norm_argnums(argnums, nargs: int, where: str):
    if type(argnums) is int and 0 <= argnums < nargs:
        return (argnums,), True       # the common case, checked
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{where}: argnums is empty; pass at least one argument index")
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{where}: argnums must be ints, got {a!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{where}: argnums={argnums!r} is out of range for a function called "
                             f"with {nargs} positional argument(s); use an index in "
                             f"[0, {nargs - 1}]" if nargs else
                             f"{where}: argnums={argnums!r} but the function was called with no "
                             "positional arguments")
    nums = tuple(a % nargs for a in nums)
    return nums, single


def _as_diff_leaf(x, what: str, holomorphic: bool = False, allow_int: bool = False):
    """Check a leaf we differentiate with respect to; return it as an array (never mutated)."""
    if isinstance(x, Tracer) or is_foreign(x):
        dt = x.dtype
    else:
        if isinstance(x, (list, tuple)):
            raise TypeError(f"{what} is a {type(x).__name__}; pass an array")
        if isinstance(x, (np.ma.MaskedArray, np.matrix)):
            raise TypeError(
                f"{what} is a {type(x).__module__}.{type(x).__name__}: converting it to a plain "
                "array would silently change its meaning (a mask dropped, or * turning from a "
                "matrix product into an elementwise one). Pass a plain array: x.filled(value) "
                "for a masked array (use funcad.numpy.where for the mask), np.asarray(m) for a "
                "matrix (and @ for products)")
        try:
            x = np.asarray(x)
        except Exception as e:  # pragma: no cover - odd objects
            raise TypeError(f"{what} is not an array: {short_repr(x)}") from e
        dt = x.dtype
    if is_inexact(dt):
        if holomorphic and not is_complex(dt):
            raise TypeError(f"holomorphic=True needs complex inputs; {what} has dtype {dt}. "
                            "Pass x.astype(complex)")
        return x
    if allow_int:
        return x
    raise TypeError(f"can only differentiate with respect to float or complex inputs; {what} "
                    f"has dtype {dt} (value {short_repr(x)}). Pass floats, e.g. 1.0 instead of 1 "
                    "or x.astype(float)")


def _leaf_name(treedef, k: int, argnames) -> str:
    return f"argument {argnames[k]}" if k < len(argnames) else f"input leaf {k}"


def arg_names(fun, nargs: int) -> list:
    """The names of ``fun``'s first ``nargs`` positional parameters (``args[2]`` for the
    ones that land in ``*args``; ``argument i`` when the signature is unknown)."""
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}[{j}]" for j in range(nargs - len(names))]
            break
    names = names[:nargs]
    return names + [f"argument {i}" for i in range(len(names), nargs)]


def leaf_labels(fun, args, nums) -> list:
    """One label per leaf of the differentiated arguments ``args[i] for i in nums``: the
    parameter's name and the leaf's path inside it, e.g. ``params['w'][0]``."""
    names = arg_names(fun, len(args))
    return [names[i] + path for i in nums for path, _ in _tree.leaves_with_path(args[i])]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _not_an_array(x) -> bool:
    """True for a leaf NumPy cannot read as numbers (a string, an arbitrary object)."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex)) or is_foreign(x):
        return x.dtype.kind in "OUSV" if is_foreign(x) else False
    try:
        return np.asarray(x).dtype.kind in "OUSV"
    except Exception:  # noqa: BLE001 - an object NumPy cannot convert is not an array
        return True


def _diff_inputs(args, nums, where, holomorphic=False, fun=None):
    diff = tuple(args[i] for i in nums)
    flat, in_tree = _tree.flatten(diff)
    kinds = "c" if holomorphic else "fc"
    for x in flat:
        if not ((type(x) is np.ndarray or isinstance(x, Tracer) or is_foreign(x))
                and x.dtype.kind in kinds):
            break
    else:
        return flat, in_tree          # float arrays: nothing to convert or to name
    try:                              # scalars, ints ...: converted, named only for an error
        if not any(_not_an_array(x) for x in flat):
            return [_as_diff_leaf(x, "", holomorphic) for x in flat], in_tree
    except TypeError:
        pass                          # the error again, below, with the leaf's name
    if fun is not None:
        names = leaf_labels(fun, args, nums)
    else:
        counts = [len(_tree.leaves(d)) for d in diff]
        names = []
        for i, c in zip(nums, counts):
            names += [f"argument {i}" + ("" if c == 1 else f" (leaf {j})") for j in range(c)]
    for x, n in zip(flat, names):
        if _not_an_array(x):
            raise TypeError(
                f"{where}: {n} is {_article(type(x).__name__)} {type(x).__name__} "
                f"({short_repr(x)}), not an array; every "
                f"leaf of a differentiated argument must be a float array. Pass it as an "
                "argument that is not differentiated (argnums), close over it, or make it a "
                "static field (funcad.tree.register_dataclass(..., meta_fields=[...]))")
    flat = [_as_diff_leaf(x, f"{where}: {n}", holomorphic) for x, n in zip(flat, names)]
    return flat, in_tree


def _substitute(args, nums, in_tree, flat):
    new = list(args)
    for k, v in zip(nums, _tree.unflatten(in_tree, flat)):
        new[k] = v
    return new


_ones: dict = {}


def _one(dt):
    """A fresh 0-d one of dtype ``dt`` (a copy of a cached one: cheaper than np.ones)."""
    o = _ones.get(dt)
    if o is None:
        o = _ones[dt] = np.ones((), dt)
    return o.copy()


_PLAIN = (np.ndarray, np.float64, np.float32, np.complex128, np.complex64, float)


def seed_one(out, dt):
    """The cotangent 1 that starts a gradient: of the array type under ``out`` (a CuPy
    output, or a tracer over one under an outer transform, needs a CuPy seed: CuPy refuses
    NumPy operands), else a shared NumPy 0-d one."""
    if type(out) in _PLAIN:
        return _one(dt)
    base = value_under(out)
    if is_foreign(base):
        return np.ones_like(base, dtype=dt, shape=shape_of(out))
    return _one(dt)


def _zeros_for(p):
    """Zeros shaped and typed like ``p`` (a value or a ShapeDtype)."""
    return zeros(shape_of(p), dtype_of(p), like=p)


def _fit(ct, primal):
    """Match a derivative (tangent or cotangent) to its primal, a value or a ShapeDtype:
    zeros for None, the primal's dtype (a real primal takes the real part)."""
    if ct is None:
        return _zeros_for(primal)
    pd = dtype_of(primal)
    if not isinstance(ct, Tracer):
        ct = as_array(ct)
        if ct.dtype != pd and is_inexact(pd):
            if is_complex(ct.dtype) and not is_complex(pd):
                ct = ct.real
            ct = ct.astype(pd)
        if ct.shape != shape_of(primal):
            raise AssertionError(
                f"internal error: a derivative of shape {ct.shape} was computed for a value of "
                f"shape {shape_of(primal)} (a rule did not sum its cotangent back to its input's "
                "shape); please report it")
    elif dtype_of(ct) != pd and is_inexact(pd):
        ct = ops.astype(ops.real(ct) if not is_complex(pd) else ct, pd)
    return ct


def split_outputs(outs, trace, field: str, default):
    """The outputs of a function run on ``trace``'s tracers, split: for each, its value one
    level down and its ``field`` (tangent, tape node) if ``trace`` owns it, else the output
    itself (a constant) and ``default``."""
    vals, extra = [], []
    for o in outs:
        if isinstance(o, Tracer) and o._trace is trace:
            vals.append(o._concrete())
            extra.append(getattr(o, field))
        else:
            vals.append(o)
            extra.append(default)
    return vals, extra


def put_at(full, pos, xs) -> list:
    """A copy of the list ``full`` with ``full[pos[i]] = xs[i]``."""
    out = list(full)
    for k, x in zip(pos, xs):
        out[k] = x
    return out


def _unwrap_aux(aux, trace=None):
    """Strip the levels of finished transforms from auxiliary outputs."""
    def low(x):
        while isinstance(x, Tracer) and not x._trace.alive:
            x = x._concrete()
        return x
    return _tree.map(low, aux)


def call_user(fun, *args, **kwargs):
    """Call the user's function, explaining NumPy's error for a tracer written into an array."""
    try:
        return fun(*args, **kwargs)
    except ValueError as e:
        if "setting an array element with a sequence" not in str(e):
            raise
        where = user_site_of(e.__traceback__)
        raise ConcretizationError(
            f"{e}{f' (at {where})' if where else ''}. This usually means a traced value was "
            "written into a plain NumPy array (a = np.zeros(3); a[0] = x), which cannot carry "
            "a derivative. Make the array from a traced value (a = np.zeros_like(y)) or with "
            "funcad.numpy.zeros(3) and write into it, or build it functionally with "
            "a.at[0].set(x) (funcad.numpy.at(a)[0].set(x)); fad.stop_gradient(x) if a constant "
            "is meant.") from e


class _FlatFun:
    """Wrap a pytree function as list -> list, remembering the output structure and aux."""

    def __init__(self, fun, args, kwargs, nums, in_tree, has_aux, where):
        self.fun, self.args, self.kwargs, self.nums = fun, args, kwargs, nums
        self.in_tree, self.has_aux, self.where = in_tree, has_aux, where
        self.out_tree = None
        self.aux = None

    def __call__(self, flat):
        out = call_user(self.fun, *_substitute(self.args, self.nums, self.in_tree, flat),
                        **self.kwargs)
        if self.has_aux:
            out, self.aux = _split_aux(out, self.where)
        leaves, self.out_tree = _tree.flatten(out)
        return leaves


_ONE_ARG_TREE = _tree.flatten((0.0,))[1]     # the structure of one differentiated argument


def one_array_arg(args, argnums, kinds: str):
    """The differentiated argument as an array when it is a single array (a Python float
    becomes one) whose dtype kind is in ``kinds``, else ``None``. The transforms then skip
    the pytree bookkeeping of the general path (grad by ``_vg_array``, the Jacobians and
    ``jvp`` by :class:`_OneArgFun`)."""
    if type(argnums) is not int or not 0 <= argnums < len(args):
        return None
    x = args[argnums]
    if type(x) is float:
        x = np.asarray(x)
    if (type(x) is np.ndarray or isinstance(x, Tracer)) and x.dtype.kind in kinds:
        return x
    return None


class _OneArgFun:
    """:class:`_FlatFun` for one array argument (see :func:`one_array_arg`): the input tree
    is ``_ONE_ARG_TREE``; an array output is its own single leaf."""

    __slots__ = ("fun", "args", "kwargs", "argnum", "out_tree", "aux")

    def __init__(self, fun, args, kwargs, argnum):
        self.fun, self.args, self.kwargs, self.argnum = fun, args, kwargs, argnum
        self.out_tree = None
        self.aux = None

    def __call__(self, flat):
        a = list(self.args)
        a[self.argnum] = flat[0]
        out = call_user(self.fun, *a, **self.kwargs)
        leaves, self.out_tree = _tree.flatten(out)
        return leaves


def _check_scalar(out, out_tree, n_outs, holomorphic, where):
    """The checks on a function we take the gradient of: one real (or complex) scalar."""
    if n_outs != 1 or shape_of(out) != ():
        kind = out_tree.kind if out_tree is not None else None
        if kind in (tuple, list) and len(out_tree.children) == 2:
            raise TypeError(f"{where} needs a scalar output, but the function returned a "
                            f"{kind.__name__} of 2 ({out_tree}); if the second is auxiliary "
                            f"data, use {where}(f, has_aux=True)")
        shp = shape_of(out) if n_outs == 1 else f"a pytree {out_tree}"
        if n_outs == 1 and int(np.prod(shp)) == 1:
            raise TypeError(f"{where} needs a scalar output, got shape {shp} (one element, "
                            f"value {short_repr(out)}); index it with [0] or call .sum() "
                            "to return a scalar (funcad.compat.autograd.grad accepts it as "
                            "autograd does)")
        raise TypeError(f"{where} needs a scalar output, got shape {shp}; use jacrev or "
                        "jacfwd for Jacobians, or vjp for a vector-Jacobian product")
    dt = dtype_of(out)
    kind = dt.kind if isinstance(dt, np.dtype) else np.dtype(dt).kind
    if kind == "f" and not holomorphic:
        return dt                       # the common case: a real float scalar
    if kind == "c" and not holomorphic:
        raise TypeError(f"{where} needs a real-valued output, got dtype {dt}; pass "
                        "holomorphic=True for holomorphic functions, or take .real / abs")
    if holomorphic and kind != "c":
        raise TypeError(f"{where} with holomorphic=True needs a complex output, got dtype "
                        f"{dt}; drop holomorphic=True for a real-valued function")
    if kind not in "fc":
        raise TypeError(f"{where} needs a float output, got dtype {dt} (value "
                        f"{short_repr(out)}); does the function return an integer or bool?")
    return dt


def _split_aux(out, where):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{where}: has_aux=True needs the function to return a pair "
                        f"(output, aux), got {short_repr(out)}")
    return out


def _check_tangents(primals_flat, tangents_flat, p_tree, t_tree, where):
    if p_tree != t_tree:
        raise ValueError(f"{where}: primals and tangents have different structures:\n"
                         f"  primals:  {p_tree}\n  tangents: {t_tree}")
    out = []
    for k, (p, t) in enumerate(zip(primals_flat, tangents_flat)):
        if not isinstance(t, Tracer):
            t = as_array(t)
        if shape_of(t) != shape_of(p):
            raise ValueError(f"{where}: tangent {k} has shape {shape_of(t)} but its primal has "
                             f"shape {shape_of(p)}; tangents must match the primals' shapes")
        tdt, pdt = dtype_of(t), dtype_of(p)
        if not is_inexact(tdt):
            raise TypeError(f"{where}: tangent {k} has dtype {tdt}; tangents must be float "
                            f"(its primal has dtype {pdt})")
        if is_complex(tdt) and not is_complex(pdt):
            raise TypeError(f"{where}: tangent {k} is complex ({tdt}) but its primal is real "
                            f"({pdt})")
        out.append(t)
    return out


# ---------------------------------------------------------------------------
# the arguments of a custom function (custom_jvp, custom_vjp, checkpoint)
# ---------------------------------------------------------------------------

def fun_name(fun) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _resolve_args(fun, args, kwargs):
    """``fun``'s arguments as one positional tuple (keyword arguments bound by name)."""
    if not kwargs:
        return tuple(args)
    ba = inspect.signature(fun).bind(*args, **kwargs)
    ba.apply_defaults()
    if ba.kwargs:
        raise TypeError(f"custom function '{fun_name(fun)}': keyword-only arguments are not "
                        f"supported ({sorted(ba.kwargs)}); make them positional")
    return tuple(ba.args)


class StaticSplit:
    """A custom function's arguments (keywords bound by name), split into static ones
    (nondiff_argnums) and flat leaves; ``traced``: does a leaf carry a tracer?"""

    def __init__(self, fun, nondiff_argnums, args, kwargs, where, argname="nondiff_argnums"):
        args = _resolve_args(fun, args, kwargs)
        n = len(args)
        self.nd = tuple(sorted(a % n for a in nondiff_argnums)) if n else ()
        for a in nondiff_argnums:
            if not -n <= a < n:
                raise ValueError(f"{where} '{fun_name(fun)}': {argname}={nondiff_argnums} "
                                 f"is out of range for a call with {n} positional arguments")
        for i in self.nd:
            if any(isinstance(x, Tracer) for x in _tree.leaves(args[i])):
                raise TypeError(f"{where} '{fun_name(fun)}': argument {i} is in {argname} but "
                                "is a traced value; those arguments must be static (functions, "
                                f"ints, flags). Remove it from {argname}.")
        self.args = args
        self.static = tuple(args[i] for i in self.nd)
        self.dyn_idx = tuple(i for i in range(n) if i not in self.nd)
        self.leaves, self.in_tree = _tree.flatten(tuple(args[i] for i in self.dyn_idx))
        self.traced = any(isinstance(x, Tracer) for x in self.leaves)
        for i in self.dyn_idx:
            for x in _tree.leaves(args[i]):
                if not (isinstance(x, (Tracer, np.ndarray, np.generic, int, float, complex))
                        or is_foreign(x)):
                    raise TypeError(
                        f"{where} '{fun_name(fun)}': argument {i} is not an array (a "
                        f"{type(x).__name__}: {short_repr(x)}); pass static arguments with "
                        f"{argname}=({i},)")

    def rebuild(self, leaves):
        full = list(self.args)
        for i, v in zip(self.dyn_idx, _tree.unflatten(self.in_tree, list(leaves))):
            full[i] = v
        return full

    def dyn(self, leaves):
        return tuple(_tree.unflatten(self.in_tree, list(leaves)))
