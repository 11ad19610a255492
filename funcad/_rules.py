"""The rule record: everything every interpreter needs to know about one primitive.

Each :class:`~funcad._core.Primitive` carries one :class:`Rules` (``prim.rules``); the
registration helpers (``defjvp``, ``defvjp``, ``defbatch``, ``def_linear``, ``defsparse``
... in ``funcad.extend``) fill its fields, and every interpreter reads its own field.
A missing rule is a field left at ``None``, so ``prim.rules`` printed shows at a glance
what a primitive supports. New interpreters (staging, sparsity patterns, Taylor series)
add a field here and a helper next to their trace.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

__all__ = ["Rules", "VJPRule", "Linearity", "RuleView", "primitives", "def_dot"]

primitives: dict = {}   # every primitive ever made, by name (the last one made wins)


class Linearity(NamedTuple):
    """The primitive is linear in ``operands`` (None: all of them) while the others are fixed.

    ``joint``: linear in all of them together (``add``); otherwise in any one of them
    alone (``multiply``). Read by the checks that a recorded program is linear.
    """
    operands: frozenset | None
    joint: bool


@dataclass(slots=True, eq=False)
class VJPRule:
    """Reverse mode's rule: how to pull a cotangent back to each operand, and what it reads.

    Exactly one of ``per_operand`` (``fn(g, ans, *args, **params)`` for operand j, None
    for a zero contribution) and ``any_operand`` (``fn(j, g, ans, *args, **params)``, for
    variadic primitives) is set.
    """
    per_operand: tuple | None
    any_operand: Callable | None
    # which operands the tape stores as values (the others as shape and dtype): True, False
    # or a tuple of bools, one per operand (operands past its end are kept)
    keep: bool | tuple = True
    keep_ans: bool = False      # the tape stores the output too (exp, tanh, sqrt reuse it)
    # optional: needs[j] lists the operands that operand j's VJP reads, so x * c with a
    # constant c keeps c but not x (only the VJPs of operands with a parent run)
    needs: tuple | None = None
    # 1 << arity | parent bits -> operand indices a tape entry stores as shape and dtype
    strip_cache: dict = field(default_factory=dict, repr=False)

    def pull(self, j: int, g, ans, args, params: dict):
        """Operand j's cotangent contribution (None: zero)."""
        fns = self.per_operand
        if fns is None:
            return self.any_operand(j, g, ans, *args, **params)
        fn = fns[j]
        return None if fn is None else fn(g, ans, *args, **params)

    def stripped(self, bits: int, n: int) -> tuple:
        """Operands an entry stores as ShapeDtype: not kept, or read by no VJP that runs
        (``bits``: which of the ``n`` operands have a parent on the tape)."""
        key = 1 << n | bits
        out = self.strip_cache.get(key)
        if out is None:
            keep, needs = self.keep, self.needs
            kept = [keep is True or (keep is not False and (i >= len(keep) or keep[i]))
                    for i in range(n)]
            if needs is not None:
                used: set = set()
                for j in range(n):
                    if bits >> j & 1:
                        used.update(needs[j] if j < len(needs) else range(n))
                kept = [k and i in used for i, k in enumerate(kept)]
            out = self.strip_cache[key] = tuple(i for i, k in enumerate(kept) if not k)
        return out


@dataclass(slots=True, eq=False)
class Rules:
    """All rules of one primitive, one field per interpreter (None: no rule)."""
    jvp: Callable | None = None         # forward mode: rule(primals, tangents, ans, **params)
    vjp: VJPRule | None = None          # reverse mode (see VJPRule)
    batch: Callable | None = None       # vmap: rule(vals, dims, **params) -> batched on axis 0
    elementwise: bool = False           # vmap may broadcast the operands itself (fast path)
    linear: Linearity | None = None     # linear_transpose / custom_vjp checks
    sparse: Callable | None = None      # one-hot Jacobian bases: rule(vals, dims, params, size)
    dot: bool = False                   # a matrix product (checkpoint_policies.dots_saveable)
    # sparsity patterns (_sparsity.py): rule(sets, vals, ans, **params) -> the output's index
    # sets, or an Inline; None: elementwise union if elementwise, else conservative
    sparsity: object | None = None
    # Taylor mode (_taylor.py): rule(primals, series, ans, **params) -> the output's K
    # coefficients; None: the generic rule (linear, multilinear, or from the JVP)
    taylor: Callable | None = None
    # Dask / CuPy arrays (_arrays.py): True when the impl runs on them as they are (audited:
    # stays lazy / on the device); a frozenset of library names ("dask"): only for those;
    # False: operands converted to NumPy, with a warning
    lazy: bool | frozenset = False


class RuleView(MutableMapping):
    """``{prim: prim.rules.<field>}`` for the primitives that have that rule: the old
    per-interpreter tables (``jvp_rules``, ``vjp_rules`` ...) as views of the records."""

    def __init__(self, name: str):
        self._name = name

    def __getitem__(self, prim):
        rules = getattr(prim, "rules", None)
        v = None if rules is None else getattr(rules, self._name)
        if v is None:
            raise KeyError(prim)
        return v

    def __setitem__(self, prim, rule) -> None:
        setattr(prim.rules, self._name, rule)

    def __delitem__(self, prim) -> None:
        self[prim]      # KeyError when absent, as a dict
        setattr(prim.rules, self._name, None)

    def __iter__(self):
        return (p for p in list(primitives.values()) if getattr(p.rules, self._name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self):
        return f"RuleView({self._name}: {len(self)} primitives)"


def def_dot(prim) -> None:
    """Declare ``prim`` a matrix product: ``checkpoint_policies.dots_saveable`` keeps its
    result instead of recomputing it."""
    prim.rules.dot = True
