"""The import graph of funcad: no cycles, every arrow points down, every module loads alone.

The graph is read from the source (each file's AST, imports inside functions included,
relative imports resolved, ``importlib.import_module("funcad...")`` with a literal name
too), so an import hidden in a function body counts like one at the top of the file. The
layers are the house table of STYLE.md, as the code is really built (in parentheses: the
names the engine rework gives its modules):

    L0  _util, errors, tree          helpers, exceptions, pytrees
    L1  _core, _views                Primitive, bind, the trace stack, Tracer (+ its views,
        (_rules, _protocols)         the rule record, the NumPy protocols)
    L2  _args, _sparse_value         helpers of the interpreters and the transforms
        (_onehot)
        _forward, _reverse,          the interpreters, each with its flat core (jvp_flat,
        _batching, _sparse           vjp_flat, vmap_flat); they never import each other
        (_jacobian_trace)            (one-hot batching for Jacobians extends _batching)
    L3  extend                       the surface rule authors import
    L4  numpy/, scipy/ (fft, stats)  the rules, family by family
    L5  _linearize, _custom,         the transforms: thin pytree wrappers over the flat
        _checkpoint, _tape, _vmap,   cores, and the primitives that carry user functions
        _jacobians, api, test_util
    L6  __init__                     the public facade
    L7  optim/, nn/, compat/,        built on the public API only
        scipy/optimize/, scipy/integrate/

A module imports only from its own layer or below, and the graph has no cycle.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys


import funcad

ROOT = pathlib.Path(funcad.__file__).parent

# module (or package prefix, ending in ".") -> layer
LAYERS = {
    "funcad._util": 0, "funcad._arrays": 0, "funcad.errors": 0, "funcad.tree": 0, "funcad.tree.": 0,
    "funcad._core": 1, "funcad._views": 1, "funcad._rules": 1, "funcad._protocols": 1,
    "funcad._args": 2, "funcad._sparse_value": 2, "funcad._onehot": 2,
    "funcad._forward": 2, "funcad._reverse": 2, "funcad._batching": 2, "funcad._sparse": 2,
    "funcad._jacobian_trace": 2, "funcad._taylor": 2, "funcad._sparsity": 2,
    "funcad._staging": 2,
    "funcad._pattern": 0, "funcad._index_sets": 0, "funcad._coloring": 0,
    "funcad._sparse_api": 5,
    "funcad.extend": 3,
    "funcad.numpy": 4, "funcad.numpy.": 4, "funcad.scipy": 4, "funcad.scipy.": 4,
    "funcad.scipy.stats": 4, "funcad.scipy.stats.": 4, "funcad.scipy.signal": 4,
    "funcad.scipy.linalg": 4, "funcad.scipy.linalg.": 4,
    "funcad._linearize": 5, "funcad._custom": 5, "funcad._custom_vjp": 5, "funcad._checkpoint": 5, "funcad._tape": 5,
    "funcad._vmap": 5, "funcad._jacobians": 5, "funcad.api": 5, "funcad.test_util": 5,
    "funcad._jet": 5, "funcad._collapsed": 5, "funcad._codegen": 5, "funcad._jit_call": 5, "funcad._jit": 5,
    "funcad": 6,
    "funcad.optim": 7, "funcad.optim.": 7, "funcad.nn": 7, "funcad.nn.": 7,
    "funcad.compat": 7, "funcad.compat.": 7,
    "funcad.scipy.optimize": 7, "funcad.scipy.optimize.": 7,
    "funcad.scipy.integrate": 7, "funcad.scipy.integrate.": 7,
}

# the interpreters: none imports another (an extension names the one it builds on)
INTERPRETERS = {"funcad._forward", "funcad._reverse", "funcad._batching", "funcad._sparse",
                "funcad._jacobian_trace", "funcad._taylor", "funcad._sparsity",
                "funcad._staging"}
EXTENDS = {("funcad._sparse", "funcad._batching"), ("funcad._jacobian_trace", "funcad._batching")}

RULE_PACKAGES = ("funcad.numpy", "funcad.scipy")   # L4: its internal cycle is tested apart

# Violations outside the transform layer, each with its reason. The tests fail on any
# other, and test_known_violations_are_still_there fails once one is fixed, so that the
# entry is deleted here with the fix. (An entry whose modules are not in the package,
# the names before or after a rename, is not checked.)
KNOWN = {
    ("up", ("funcad._protocols", "funcad.scipy.special")):
        "the ufunc hook loads SciPy's rules on first use (import funcad never imports SciPy)",
}


def _modules(root: pathlib.Path = ROOT) -> dict:
    """``{dotted name: path}`` for every module of the package at ``root``."""
    mods = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


def _resolve(name: str, mods) -> str | None:
    """The module a dotted name refers to (``funcad.api.grad`` -> ``funcad.api``)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _dynamic_target(node, top: str) -> str | None:
    """``importlib.import_module("funcad.x")`` / ``__import__("funcad.x")``: the name."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    arg = node.args[0]
    if name in ("import_module", "__import__") and isinstance(arg, ast.Constant) and \
            isinstance(arg.value, str) and arg.value.split(".")[0] == top:
        return arg.value
    return None


def import_graph(root: pathlib.Path = ROOT) -> dict:
    """``{module: [(imported module, "file:line"), ...]}`` over the package's own modules."""
    mods = _modules(root)
    top = root.name
    graph = {}
    for mod, path in mods.items():
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        edges = []
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    full = f"{base}.{node.module}" if node.module else base
                else:
                    full = node.module or ""
                # from . import tree: the submodule; from .api import grad: the module
                names = [f"{full}.{a.name}" if f"{full}.{a.name}" in mods else full
                         for a in node.names]
            else:
                dyn = _dynamic_target(node, top)
                names = [dyn] if dyn else []
            for n in names:
                target = _resolve(n, mods) if n.split(".")[0] == top else None
                edge = (target, f"{path.relative_to(root.parent)}:{node.lineno}")
                if target and target != mod and edge not in edges:
                    edges.append(edge)
        graph[mod] = edges
    return graph


def layer_of(mod: str) -> int | None:
    if mod in LAYERS:
        return LAYERS[mod]
    best = None
    for key, lvl in LAYERS.items():
        if key.endswith(".") and mod.startswith(key) and (best is None or len(key) > len(best[0])):
            best = (key, lvl)
    return best[1] if best else None


def _sccs(graph) -> list:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w, _ in it:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph[w])))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _in_rules(mod: str) -> bool:
    # a package on the public API inside a rule package (funcad.scipy.optimize and
    # funcad.scipy.integrate, L7) is not one
    return layer_of(mod) == 4 and any(mod == p or mod.startswith(p + ".") for p in RULE_PACKAGES)


def cycle_violations(graph) -> dict:
    """``{key: message}``: each cycle with the file:line of every arrow inside it (the known
    upward arrows left out: each would join everything above it into one cycle)."""
    graph = {m: [(t, w) for t, w in edges if ("up", (m, t)) not in KNOWN]
             for m, edges in graph.items()}
    out = {}
    for comp in _sccs(graph):
        members = set(comp)
        arrows = [f"  {where}: {m} -> {t}" for m in comp for t, where in graph[m]
                  if t in members]
        key = ("cycle", tuple(comp)) if not all(map(_in_rules, comp)) else ("rules-cycle", "")
        out[key] = (f"import cycle through {len(comp)} modules ({', '.join(comp)}):\n"
                    + "\n".join(arrows))
    return out


def arrow_violations(graph) -> dict:
    """``{key: message}``: upward arrows, and interpreters importing each other."""
    out = {}
    for mod, edges in graph.items():
        lm = layer_of(mod)
        for target, where in edges:
            lt = layer_of(target)
            if lm is None or lt is None:
                continue          # test_every_module_has_a_layer reports it
            if lt > lm:
                out.setdefault(("up", (mod, target)), []).append(
                    f"{where}: {mod} (L{lm}) imports {target} (L{lt})")
            elif mod in INTERPRETERS and target in INTERPRETERS and \
                    (mod, target) not in EXTENDS:
                out.setdefault(("interp", (mod, target)), []).append(
                    f"{where}: interpreter {mod} imports interpreter {target}")
    return {k: "\n".join(v) for k, v in out.items()}


def _report(found: dict) -> str:
    return "\n".join(found.values())


def test_every_module_has_a_layer():
    missing = sorted(m for m in _modules() if layer_of(m) is None)
    assert not missing, ("modules missing from the layer table in tests/test_layers.py "
                         f"(add each with its layer): {missing}")


def test_the_checker_finds_hidden_cycles_and_upward_arrows(tmp_path, monkeypatch):
    # a toy package: a cycle closed by an import inside a function, an upward arrow by a
    # relative import two levels up, and a dynamic import by name
    pkg = tmp_path / "funcad"
    (pkg / "numpy").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import api\n")
    (pkg / "_core.py").write_text("import importlib\n"
                                  "def f():\n    importlib.import_module('funcad.extend')\n")
    (pkg / "extend.py").write_text("from . import errors\n")
    (pkg / "errors.py").write_text("")
    (pkg / "api.py").write_text("from ._vmap import vmap\n")
    (pkg / "_vmap.py").write_text("def vmap():\n    from .api import grad\n")
    (pkg / "numpy" / "__init__.py").write_text("")
    (pkg / "numpy" / "_x.py").write_text("from .. import api\n")
    graph = import_graph(pkg)
    assert ("funcad.api", "funcad/_vmap.py:2") in graph["funcad._vmap"]
    cycles = cycle_violations(graph)
    assert list(cycles) == [("cycle", ("funcad._vmap", "funcad.api"))], cycles
    assert "funcad/_vmap.py:2: funcad._vmap -> funcad.api" in cycles[list(cycles)[0]]
    arrows = arrow_violations(graph)
    assert set(arrows) == {("up", ("funcad._core", "funcad.extend")),
                           ("up", ("funcad.numpy._x", "funcad.api"))}, arrows
    assert arrows[("up", ("funcad._core", "funcad.extend"))] == \
        "funcad/_core.py:3: funcad._core (L1) imports funcad.extend (L3)"


def test_imports_point_down():
    found = {k: v for k, v in arrow_violations(import_graph()).items() if k not in KNOWN}
    assert not found, ("imports that point up the layers (or across interpreters):\n"
                       + _report(found))


def test_no_import_cycles_outside_the_rule_packages():
    found = {k: v for k, v in cycle_violations(import_graph()).items()
             if k not in KNOWN and k[0] != "rules-cycle"}
    assert not found, _report(found)


def test_rule_packages_form_a_dag():
    found = {k: v for k, v in cycle_violations(import_graph()).items() if k[0] == "rules-cycle"}
    assert not found, _report(found)


def engine_reaches(graph) -> list:
    """Arrows from the rule packages into the engine that do not go through funcad.extend
    (the public modules errors and tree are fine)."""
    public = {"funcad.extend", "funcad.errors", "funcad.tree"}
    return [f"{where}: {m} imports {t}" for m, edges in graph.items() if _in_rules(m)
            for t, where in edges if not _in_rules(t) and t not in public]


def test_rule_packages_reach_the_engine_only_through_extend():
    bad = engine_reaches(import_graph())
    assert not bad, "\n".join(bad)


def test_known_violations_are_still_there():
    graph = import_graph()
    found = {**cycle_violations(graph), **arrow_violations(graph)}
    stale = [k for k in KNOWN if all(m in graph for m in k[1]) and k not in found]
    assert not stale, f"fixed, so delete these entries of KNOWN: {stale}"


def test_every_module_loads_on_its_own():
    # each module imported first, in a fresh set of funcad modules, without the package's
    # __init__ (the facade, whose import order could hide a cycle); optim and nn (L7) are
    # built on the public API, so they are loaded with it (the facade only, nothing else)
    code = r'''
import importlib, sys, types
failed = []
for name in sys.argv[2:]:
    facade = name.startswith("+")
    name = name.lstrip("+")
    for m in [m for m in sys.modules if m == "funcad" or m.startswith("funcad.")]:
        del sys.modules[m]
    if not facade:
        pkg = types.ModuleType("funcad")
        pkg.__path__ = [sys.argv[1]]
        sys.modules["funcad"] = pkg
    try:
        importlib.import_module(name)
    except Exception as e:
        failed.append(f"{name}: {type(e).__name__}: {e}")
print("\n".join(failed))
'''
    in_known_cycle = {m for kind, mods in KNOWN if kind == "cycle" for m in mods}
    names = [("+" if layer_of(m) == 7 else "") + m for m in _modules()
             if m != "funcad" and m not in in_known_cycle]
    r = subprocess.run([sys.executable, "-c", code, str(ROOT), *names], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert not r.stdout.strip(), "modules that do not load on their own:\n" + r.stdout
