"""fad.jit: record a function once per input signature, replay generated NumPy code.

The first call with a new *key* (the pytree structure of the arguments, each array's shape
and dtype, the Python scalars' types, the static arguments) runs the function under
:class:`~funcad._staging.StagingTrace`, which computes the real values and records a flat
program of primitives (``_staging.py``). The program is cleaned (common subexpressions
merged, dead code dropped) and turned into Python source, one line per primitive, compiled
once (``_codegen.py``). Later calls with the same key run that code: one NumPy call per
primitive, no tracers. Every Python read of a staged value became a guard in the program;
a replay whose guard sees another value gives up and the function is recorded again (a
*retrace*); the programs recorded for one key are tried in order.

Arrays the function closes over or reads from globals are watched, not trusted: their
contents are compared with a snapshot on every call, and a change records again.
Under ``grad``, ``jvp`` and ``vmap`` (``grad(jit(f))``, ``vmap(jit(f))``, jacfwd, jacrev,
hessian, any order) the program is a primitive, ``jit_call`` (``_jit_call.py``): the guards
are checked on the primal values, the impl replays the program, and the rules replay
programs derived from it. Inside a recording (``jit(grad(jit(f)))``), under other transforms,
or where no program fits (a guard under vmap, a sparse Jacobian basis, a traced value the
function closes over), ``jit(f)`` is ``f`` itself: the transforms see every primitive.
"""

from __future__ import annotations

import functools
import threading
import time
import types
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import _onehot
from . import tree as _tree
from ._arrays import is_foreign
from ._codegen import Compiled, _copy, _copy_flags, compile_program, optimize, show_program
from ._core import Tracer, _stack, new_trace
from ._jit_call import NO_EXAMPLE, JitCall, example, flat_examples, jit_call_p, supported
from ._jit_call import PLAIN as _PLAIN
from ._staging import Const, Program, ProgramTooLong, StagingTrace, StagingTracer
from .errors import EscapedTracerError, FuncadError, JitRetraceError

__all__ = ["CacheInfo", "Jitted", "Lowered", "jit"]

_MAX_ENTRIES = 32       # programs kept per key (a float guard could make one per call)
_RACE_REPLAYS = 4       # replays timed (past the flat-list tier) against ...
_RACE_EAGER = 2         # ... eager calls, for a recording that lost a sparse Jacobian basis
_EAGER = "eager"        # the cache's value for a key whose calls run f eagerly
MAX_STEPS = 100_000     # jit's default max_steps: longer recordings are given up (memory)
KEEP_LIMIT = 50_000     # programs kept for jit_call's derived programs (longer: f under transforms)
_SLOW = object()        # an argument the fast key does not handle (pytrees, statics)
_LEAF = _tree.structure(0.0)


class CacheInfo(NamedTuple):
    """What a jitted function holds: ``entries`` programs over all keys; ``traces``
    recordings in all; ``retraces`` recordings for a key that had programs already (a
    guard failed or a watched array changed); ``hits`` replays; ``eager`` keys whose
    calls run the function eagerly: their recording passed ``max_steps``, or lost the
    sparse one-hot Jacobian basis of jacfwd/jacrev/hessian and replayed slower than
    eager calls."""
    entries: int
    traces: int
    retraces: int
    hits: int
    eager: int = 0


class Lowered(NamedTuple):
    """The recorded program for one call signature (``fad.jit(f).lower(*args)``)."""
    source: str         # the generated Python (or a note that the flat list replays it)
    text: str           # the program, one primitive a line, guards included
    n_eqns: int         # primitives after optimisation
    n_recorded: int     # primitives as recorded
    n_guards: int


class _Entry(NamedTuple):
    compiled: Compiled      # .run: leaves -> list of outputs, or the int index of a failed guard
    watch: tuple            # (getter or None, array, snapshot bytes) per watched array
    out_tree: object
    race: tuple | None      # (replay seconds, eager seconds) lists when the recording lost a
                            # sparse Jacobian basis (see Jitted._race); None otherwise
    call: JitCall | None    # the program as jit_call's parameter (None: too long to keep)


# ---------------------------------------------------------------------------
# watched arrays: what the function reads from closures, globals and defaults
# ---------------------------------------------------------------------------

def _code_names(code, out: set):
    out.update(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_names(c, out)


def _watch_list(f) -> tuple:
    """(getter, array, snapshot) for every array ``f`` (or a function it reads) can reach
    without arguments; getter re-reads the binding (None: the array sits in a container)."""
    found: list = []
    seen: set = set()

    def value(v, getter, depth):
        if type(v) is np.ndarray:
            found.append((getter, v, v.tobytes(), v.shape, v.dtype))
        elif isinstance(v, (list, tuple, dict)):
            if getter is not None:
                found.append((getter, v, None, None, None))
            for leaf in _tree.leaves(v):
                value(leaf, None, depth)
        elif callable(v) and depth < 3:
            visit(v, depth + 1)

    def visit(fn, depth):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        if isinstance(fn, functools.partial):
            value(list(fn.args) + list(fn.keywords.values()), None, depth)
            return visit(fn.func, depth)
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is None or (getattr(fn, "__module__", "") or "").startswith(("funcad", "numpy")):
            return
        for cell in fn.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:          # an empty cell (a name bound later)
                continue
            value(v, lambda c=cell: c.cell_contents, depth)
        names: set = set()
        _code_names(code, names)
        g = fn.__globals__
        for name in sorted(names):
            if name in g and not isinstance(g[name], types.ModuleType):
                value(g[name], lambda g=g, n=name: g.get(n), depth)
        for v in (fn.__defaults__ or ()) + tuple((fn.__kwdefaults__ or {}).values()):
            value(v, None, depth)

    visit(f, 0)
    return tuple(found)


def _unchanged(watch) -> bool:
    for getter, obj, snap, shape, dtype in watch:
        if getter is not None and getter() is not obj:
            return False
        if snap is not None and (obj.shape != shape or obj.dtype != dtype
                                 or obj.tobytes() != snap):
            return False
    return True


# ---------------------------------------------------------------------------
# jit
# ---------------------------------------------------------------------------

def _leaf_key(x):
    t = type(x)
    if t is np.ndarray:
        return x.shape, x.dtype
    if t is float or t is complex:
        return t                        # traced, weakly typed (promotes like a Python float)
    if isinstance(x, np.generic):
        return t, x.dtype
    return None                         # static: part of the key by value


class Jitted:
    """A function recorded once per call signature and replayed (see :func:`jit`)."""

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(),
                 max_retraces: int = 8, on_retrace: str = "warn",
                 max_steps: int | None = MAX_STEPS):
        if on_retrace not in ("warn", "error", "ignore"):
            raise ValueError(f"jit(on_retrace={on_retrace!r}): use 'warn', 'error' or 'ignore'")
        self.fun = fun
        self.static_argnums = tuple(
            (static_argnums,) if isinstance(static_argnums, int) else static_argnums)
        self.static_argnames = tuple(
            (static_argnames,) if isinstance(static_argnames, str) else static_argnames)
        self.max_retraces = max_retraces
        self.max_steps = float("inf") if max_steps is None else max_steps
        self.on_retrace = on_retrace
        self.derived = False            # made by jit_call's rules: replays on plain values
        self._cache: dict = {}
        self._lock = threading.Lock()
        self._counts = [0, 0, 0]        # traces, retraces, hits
        # name and docstring only: copying fun.__dict__ would copy the state of a Jitted that
        # a transform wrapped (jit(hessian(jit(f))))
        functools.update_wrapper(self, fun, updated=())

    # -- the call ------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _stack():
            out = self._under_transform(args, kwargs)
            if out is not _PLAIN:
                return out
        return self.call_plain(args, kwargs)

    def call_plain(self, args, kwargs):
        """The call on values no transform traces (no tracer among them): replay or record."""
        key = None
        if not kwargs and not self.static_argnums:      # the common case, without pytrees
            key = tuple([(a.shape, a.dtype) if type(a) is np.ndarray else
                         float if type(a) is float else _SLOW for a in args])
            if _SLOW in key:
                key = None
            else:
                dyn = args
        if key is None:
            if any(is_foreign(a) for a in _tree.leaves((args, kwargs))):
                # Dask / CuPy arguments: run f as it is. A recording computes the values to
                # check its guards (a Dask graph would be computed); Dask's graph is the
                # program (docs/scaling.md)
                return self.fun(*args, **kwargs)
            key, leaves, dyn, rebuild = self._signature(args, kwargs)
            if any(isinstance(a, Tracer) for a in leaves):   # a leaked tracer: eager errors
                return self.fun(*args, **kwargs)
        entries = self._cache.get(key, ())
        if entries is _EAGER:
            return self.fun(*args, **kwargs)
        failed = None
        for entry in entries:
            if entry.watch and not _unchanged(entry.watch):
                failed = "an array the function reads from a closure or a global changed"
                continue
            if entry.race is not None and len(entry.race[0]) >= _RACE_REPLAYS:
                return self._race(key, entry, args, kwargs)
            t0 = time.perf_counter() if entry.race is not None else None
            out = entry.compiled.run(*dyn)
            if t0 is not None and type(out) is not int:
                entry.race[0].append(time.perf_counter() - t0)
            if type(out) is not int:
                self._counts[2] += 1
                return out[0] if entry.out_tree is None else _tree.unflatten(entry.out_tree, out)
            failed = entry.compiled.guard_note(out)
        if entries:
            self._retrace(failed)
        if type(key) is tuple and (not key or type(key[0]) is not _tree.PyTreeDef):
            _, leaves, _, rebuild = self._signature(args, kwargs)
        try:
            result, entry = self._record(leaves, rebuild)
        except ProgramTooLong:
            # holding the program would take several times the memory of an eager call (a
            # few hundred bytes a step against the eager tape's values): run f eagerly,
            # outside this block (its traceback holds the abandoned recording)
            entry = None
        self._store(key, entry, entries)
        return self.fun(*args, **kwargs) if entry is None else result

    def _store(self, key, entry, entries):
        """Keep a new recording for ``key`` (None: the key runs eagerly from now on)."""
        with self._lock:
            self._counts[0] += 1
            if entry is None:
                self._cache[key] = _EAGER
                return
            old = self._cache.get(key, ())
            if old is _EAGER:                   # another thread's race chose eager calls
                return
            if entries:
                self._counts[1] += 1
                old = tuple(e for e in old if e.watch is None or _unchanged(e.watch))
            self._cache[key] = (old + (entry,))[-_MAX_ENTRIES:]

    def _under_transform(self, args, kwargs):
        """``jit(f)`` called with values traced by grad, jvp or vmap: bind ``jit_call`` on
        the program that the primal values select (guards checked on them; recorded on
        them when none fits), so the outer transform replays it and its derived programs.
        Anything else runs ``f`` itself (see the module doc)."""
        if not supported(_stack()):
            return self.fun(*args, **kwargs)
        batched = [False, False]
        sig = None if kwargs or self.static_argnums else flat_examples(args, batched)
        if sig is None:
            sig = self._signature(args, kwargs, batched)
        if sig is _PLAIN and self.derived:      # a rule of jit_call on plain values
            return _PLAIN
        if sig is None or sig is _PLAIN:
            return self.fun(*args, **kwargs)
        key, leaves, dyn, rebuild, traced, wrt = sig
        entries = self._cache.get(key, ())
        if entries is _EAGER:
            return self.fun(*args, **kwargs)
        chosen, failed = None, None
        for entry in entries:
            if entry.watch and not _unchanged(entry.watch):
                failed = "an array the function reads from a closure or a global changed"
                continue
            if entry.call is not None and entry.call.n_guards:
                if batched[0]:              # a guard reads a value of each example: f
                    return self.fun(*args, **kwargs)
                out = entry.compiled.run(*dyn)
                if type(out) is int:
                    failed = entry.compiled.guard_note(out)
                    continue
            chosen = entry
            break
        if chosen is None:
            if entries:
                self._retrace(failed)
            try:
                _, chosen = self._record(leaves, rebuild)
            except ProgramTooLong:
                chosen = None
            except EscapedTracerError:      # f closes over a value traced outside: f
                return self.fun(*args, **kwargs)
            self._store(key, chosen, entries)
            if chosen is None or (batched[0] and chosen.call is not None
                                  and chosen.call.n_guards):
                return self.fun(*args, **kwargs)
        if chosen.call is None:
            return self.fun(*args, **kwargs)
        self._counts[2] += 1
        outs = jit_call_p(*traced, call=chosen.call, wrt=wrt)
        return outs[0] if chosen.out_tree is None else _tree.unflatten(chosen.out_tree, outs)

    def _signature(self, args, kwargs, batched=None):
        """-> (key, leaves, dynamic leaves, rebuild). With ``batched`` (flags, see
        ``_jit_call.example``): traced leaves are replaced by their example values (the key
        is theirs), the traced dynamic leaves come fifth and, sixth, whether reverse mode
        traces each; None where a leaf has no example, _PLAIN where none is traced."""
        sn, sa = self.static_argnums, self.static_argnames
        statics = []
        if sn:
            n = len(args)
            idx = {i % n for i in sn if -n <= i < n}
            statics = [(i, args[i]) for i in sorted(idx)]
            args = tuple(a for i, a in enumerate(args) if i not in idx)
        if sa:
            statics += [(k, kwargs[k]) for k in sa if k in kwargs]
            kwargs = {k: v for k, v in kwargs.items() if k not in sa}
        leaves, treedef = _tree.flatten((args, kwargs) if kwargs else args)
        traced = None
        if batched is not None:
            traced = leaves
            if not any(isinstance(x, Tracer) for x in traced):
                return _PLAIN               # nothing traced: f (it may close over tracers)
            leaves, rev = [], []
            for x in traced:
                if isinstance(x, Tracer):
                    x = example(x, batched)
                    if x is NO_EXAMPLE:
                        return None
                if is_foreign(x):
                    return None             # Dask / CuPy values: f itself (see call_plain)
                rev.append(batched[1])
                batched[1] = False
                leaves.append(x)
        lk = tuple(map(_leaf_key, leaves))
        dyn = [x for x, k in zip(leaves, lk) if k is not None]
        if traced is not None:
            if any(k is None and isinstance(x, Tracer) for x, k in zip(traced, lk)):
                return None                 # a traced value whose example is static
            wrt = tuple([r for r, k in zip(rev, lk) if k is not None])
            traced = [x for x, k in zip(traced, lk) if k is not None]
        static_leaves = tuple((type(x), x) for x, k in zip(leaves, lk) if k is None)
        key = (treedef, lk, static_leaves, tuple(statics))
        try:
            hash(key)
        except TypeError as e:
            raise TypeError(f"jit({_name(self.fun)}): a static argument is not hashable "
                            f"({e}); pass arrays as arrays, or make it a tuple") from None

        def rebuild(new_leaves):
            a = _tree.unflatten(treedef, new_leaves)
            a, kw = (a if kwargs else (a, {}))
            a = list(a)
            for i, v in statics:
                if isinstance(i, int):
                    a.insert(i, v)
                else:
                    kw[i] = v
            return a, kw

        return (key, leaves, dyn, rebuild) if traced is None else \
            (key, leaves, dyn, rebuild, traced, wrt)

    def _retrace(self, why):
        n = self._counts[1] + 1
        if self.on_retrace == "error":
            raise JitRetraceError(f"jit({_name(self.fun)}) would record again: {why}. "
                                  "on_retrace='error' forbids it; make the value a static "
                                  "argument (static_argnums) or branch with fnp.where.")
        if self.on_retrace == "warn" and n == self.max_retraces + 1:
            warnings.warn(f"jit({_name(self.fun)}) has recorded again {n} times (the last "
                          f"because {why}); each retrace runs it eagerly and generates code. "
                          "Make the value a static argument (static_argnums) or branch with "
                          "fnp.where.", RuntimeWarning, stacklevel=3)

    def _race(self, key, entry, args, kwargs):
        """Under jit, jacfwd/jacrev/hessian push dense bases (the sparse one-hot rules need
        concrete values), so such a replay can be slower than an eager call. After
        ``_RACE_REPLAYS`` timed replays, the next calls run ``f`` eagerly and are timed; if
        eager is faster, the key runs eagerly from then on (``cache_info().eager``)."""
        t0 = time.perf_counter()
        result = self.fun(*args, **kwargs)
        replays, eagers = entry.race
        eagers.append(time.perf_counter() - t0)
        if len(eagers) >= _RACE_EAGER:
            with self._lock:
                if min(eagers) < min(replays):
                    self._cache[key] = _EAGER
                elif self._cache.get(key) is not _EAGER:
                    self._cache[key] = tuple(e._replace(race=None) if e is entry else e
                                             for e in self._cache.get(key, ()))
        return result

    # -- recording -------------------------------------------------------------
    def _trace(self, leaves, rebuild, limit=None):
        limit = self.max_steps if limit is None else limit
        with new_trace(StagingTrace, limit) as trace:
            tracers = [trace.new_input(x) if _leaf_key(x) is not None else x for x in leaves]
            args, kwargs = rebuild(tracers)
            out = self.fun(*args, **kwargs)
        out_leaves, out_tree = _tree.flatten(out)
        outputs, values = [], []
        for o in out_leaves:
            if type(o) is StagingTracer and o._trace is trace:
                outputs.append(o.var)
                values.append(o.val)
            elif isinstance(o, Tracer):
                raise FuncadError(f"jit({_name(self.fun)}) returned a value traced by "
                                  f"{o._trace.kind}@{o._trace.level}, a transform that "
                                  "ended inside it; return the transform's result instead")
            else:
                outputs.append(Const(o))
                values.append(o)
        ins = tuple(t.var for t in tracers if type(t) is StagingTracer)
        prog = Program(ins, trace.body, tuple(outputs), trace.avals)
        return prog, values, out_tree

    def _record(self, leaves, rebuild):
        lost = _onehot.TRACED_DENSIFY[0]
        prog, values, out_tree = self._trace(leaves, rebuild)
        lost = _onehot.TRACED_DENSIFY[0] != lost    # a sparse Jacobian basis made dense
        flags = _copy_flags(prog)
        opt = optimize(prog)
        del prog        # only opt is left: a long one is emptied as its flat list is built
        keep = len(opt.body) <= KEEP_LIMIT      # for jit_call (transforms outside jit)
        compiled = compile_program(opt, _name(self.fun), consume=not keep)
        call = JitCall(opt, compiled, _name(self.fun), Jitted) if keep else None
        del opt
        watch = _watch_list(self.fun)
        entry = _Entry(compiled, watch or None,
                       None if out_tree == _LEAF else out_tree, ([], []) if lost else None, call)
        fresh = [_copy(v) if f else v for v, f in zip(values, flags)]
        return _tree.unflatten(out_tree, fresh), entry

    # -- inspection ------------------------------------------------------------
    def lower(self, *args, **kwargs) -> Lowered:
        """Record ``fun(*args, **kwargs)`` and show the program and the generated code.

        Example:
          >>> import funcad as fad, funcad.numpy as fnp, numpy as np
          >>> from funcad._jit import jit
          >>> low = jit(fad.grad(lambda x: fnp.sum(fnp.sin(x)))).lower(np.ones(3))
          >>> "cos" in low.source
          True
        """
        _, leaves, _, rebuild = self._signature(args, kwargs)
        prog, _, _ = self._trace(leaves, rebuild, limit=float("inf"))
        opt = optimize(prog)
        c = compile_program(opt, _name(self.fun))
        n_guards = sum(1 for e in opt.body if not hasattr(e, "prim"))
        return Lowered(c.source, show_program(opt), len(opt.body) - n_guards,
                       sum(1 for e in prog.body if hasattr(e, "prim")), n_guards)

    def cache_info(self) -> CacheInfo:
        traces, retraces, hits = self._counts
        cache = list(self._cache.values())
        return CacheInfo(sum(len(v) for v in cache if v is not _EAGER), traces, retraces, hits,
                         sum(1 for v in cache if v is _EAGER))

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._counts = [0, 0, 0]

    def __repr__(self):
        return f"jit({_name(self.fun)})"

    def __get__(self, obj, objtype=None):      # a jitted method binds like a function
        return self if obj is None else functools.partial(self, obj)


def _name(f) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def jit(fun: Callable | None = None, *, static_argnums=(), static_argnames=(),
        max_retraces: int = 8, on_retrace: str = "warn", max_steps: int | None = MAX_STEPS):
    """Record ``fun`` once per call signature and replay the recorded NumPy calls.

    The first call with new shapes, dtypes or static arguments runs ``fun`` (any
    transforms inside it included) and records each primitive; later calls run the
    generated code, one NumPy call per primitive. Python control flow on values is
    allowed: each value Python reads becomes a guard, and a call that sees another
    value records again (see docs/jit.md: guards, retraces, side effects, limits).
    Under ``grad``, ``jvp`` and ``vmap`` (``grad(jit(f))``) the recorded program is one
    primitive whose derivative and batched programs are recorded and replayed too.

    Args:
      fun: the function (arrays, Python floats and pytrees of them in, the same out).
      static_argnums, static_argnames: arguments that are part of the cache key by value
        (hashable; ints, bools, strings and None are always static).
      max_retraces: warn once a function has been recorded again this many times.
      on_retrace: ``"warn"``, ``"error"`` (raise :class:`~funcad.errors.JitRetraceError`
        instead of recording again) or ``"ignore"``.
      max_steps: a recording longer than this many primitives is given up and that call
        signature runs ``fun`` eagerly (``cache_info().eager``): holding a program takes a
        few hundred bytes a step, several times an eager tape. ``None``: no limit.

    Returns:
      A :class:`Jitted` callable with ``lower(*args)``, ``cache_info()``, ``cache_clear()``.

    Example:
      >>> import numpy as np, funcad as fad, funcad.numpy as fnp
      >>> from funcad._jit import jit
      >>> g = jit(fad.grad(lambda x: fnp.sum(fnp.sin(x) ** 2)))
      >>> x = np.array([0.1, 0.2])
      >>> bool(np.allclose(g(x), np.sin(2 * x))), g.cache_info().entries
      (True, 1)
      >>> h = jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
      >>> bool(np.allclose(fad.grad(h)(x), np.sin(2 * x))), h.cache_info().hits
      (True, 1)
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, max_retraces=max_retraces,
                                 on_retrace=on_retrace, max_steps=max_steps)
    return Jitted(fun, static_argnums, static_argnames, max_retraces, on_retrace, max_steps)

